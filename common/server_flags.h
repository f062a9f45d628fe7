#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/command_line.h"
#include "common/grpc_server.h"
#include "common/tls.h"

namespace etiquette {

// The flags both servers have, with the servers' shared defaults; `listen`, `metrics_listen`
// and `bounds.max_request_bytes` differ per server and are set by the caller before
// AddServerFlags.
struct ServerFlags {
  std::string listen;
  std::string health_listen;
  std::string metrics_listen;
  // On SIGTERM: health NOT_SERVING at once, new calls still served for drain_delay_s (while
  // Kubernetes removes the endpoint everywhere), then GOAWAY and shutdown_grace_s for the calls
  // in flight. SIGINT, or a second SIGTERM, skips the delay.
  int drain_delay_s = 5;
  int shutdown_grace_s = 10;
  TlsFiles tls;
  // Refuse to start unless TLS is configured (RequireTls; each main adds its own listeners and
  // channels).
  bool require_tls = false;
  std::string log_format = "text";
  std::string log_level = "info";
  ServerBounds bounds;
};

void AddServerFlags(CommandLine& command_line, ServerFlags& flags);

// Parses the command line; returns the exit code when the program should stop now (--help, and
// --version, which prints "<program> X.Y.Z": 0; a bad flag: 2, after printing usage), nullopt
// to go on.
std::optional<int> ParseCommandLineOrExit(CommandLine& command_line, int argc,
                                          const char* const* argv);

// Sets up logging and checks the shared flags (the bounds: positive, streams and strikes 0 or
// more); turns off absl::Mutex deadlock detection.
absl::Status ApplyServerFlags(const ServerFlags& flags);

// With --require_tls: FAILED_PRECONDITION naming the missing flag unless --tls_cert and --tls_key
// are set; OK without --require_tls.
absl::Status CheckRequireTls(const ServerFlags& flags);

// The message of a --require_tls refusal: "--require_tls: <what> is required".
absl::Status TlsRequired(absl::string_view what);

// The gRPC server options the flags ask for (address, TLS, health port, bounds); no
// interceptors.
absl::StatusOr<GrpcServerOptions> ServerOptionsFrom(const ServerFlags& flags);

}  // namespace etiquette
