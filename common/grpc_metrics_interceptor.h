#pragma once

// A gRPC server interceptor recording every call the server handles, into a
// prometheus::Registry:
//   etiquette_grpc_server_handled_total{grpc_service,grpc_method,grpc_code}   counter
//   etiquette_grpc_server_handling_seconds{grpc_service,grpc_method}          histogram

#include <memory>

#include "grpcpp/support/server_interceptor.h"
#include "prometheus/registry.h"

namespace etiquette {

// An interceptor factory (for GrpcServerOptions::interceptors) recording, for every call the
// server handles, etiquette_grpc_server_handled_total{grpc_service,grpc_method,grpc_code} (code
// by name: "OK", "INVALID_ARGUMENT", ...) and
// etiquette_grpc_server_handling_seconds{grpc_service,grpc_method} (from the call's arrival to
// its status being sent; LatencyBuckets). Every call is counted, grpc.health.v1.Health (probes)
// and grpc.reflection.v1alpha.ServerReflection included; a Health/Watch stream is observed once,
// when it ends. A call that ends without the server sending a status (the client went away)
// counts as CANCELLED. Only methods compiled into the binary (the generated descriptor pool)
// get their own labels; any other path a client sends is counted under grpc_service="unknown",
// grpc_method="unknown" (UNIMPLEMENTED), so clients cannot create series at will. Keeps
// `registry` alive; thread-safe.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewGrpcServerMetricsInterceptorFactory(std::shared_ptr<prometheus::Registry> registry);

}  // namespace etiquette
