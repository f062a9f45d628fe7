#pragma once

// The client service config that callers of the evaluator and of history use
// (deploy/grpc/service-config.json, compiled in by CMake: one source of truth), and that the
// evaluator's own channel to history uses: round_robin over every address the target resolves
// to, client-side health checking (a draining replica leaves the rotation as soon as it turns
// NOT_SERVING), and retries of UNAVAILABLE for the methods that are safe to repeat.
namespace etiquette {

extern const char kServiceConfigJson[];

}  // namespace etiquette
