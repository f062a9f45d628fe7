#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
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

// Starts a gRPC server on `address` ("host:port", port 0 picks a free one) serving `services`,
// plus server reflection and the standard grpc.health.v1.Health service with the overall
// status and each of `health_names` (the services' full names) marked SERVING. The services
// must outlive the server.
absl::StatusOr<StartedServer> StartGrpcServer(const std::string& address,
                                              const std::vector<grpc::Service*>& services,
                                              const std::vector<std::string>& health_names);

}  // namespace etiquette
