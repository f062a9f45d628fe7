#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/support/server_interceptor.h"

namespace etiquette {

// Largest request a server accepts: a full batch of 1,000 invitations with long notes fits.
inline constexpr int kMaxRequestBytes = 16 * 1024 * 1024;

struct StartedServer {
  std::unique_ptr<grpc::Server> server;
  // The port actually bound; differs from the requested one when that was 0.
  int port = 0;
};

struct GrpcServerOptions {
  // "host:port"; port 0 picks a free one.
  std::string address;
  // Null means plaintext.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // Run around every call, in this order (metrics, ...).
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
};

// Starts a gRPC server serving `services`, plus server reflection and the standard
// grpc.health.v1.Health service with the overall status and each of `health_names` (the
// services' full names) marked SERVING. The services must outlive the server.
absl::StatusOr<StartedServer> StartGrpcServer(GrpcServerOptions options,
                                              const std::vector<grpc::Service*>& services,
                                              const std::vector<std::string>& health_names);

// Plaintext, no interceptors.
inline absl::StatusOr<StartedServer> StartGrpcServer(const std::string& address,
                                                     const std::vector<grpc::Service*>& services,
                                                     const std::vector<std::string>& health_names) {
  GrpcServerOptions options;
  options.address = address;
  return StartGrpcServer(std::move(options), services, health_names);
}

}  // namespace etiquette
