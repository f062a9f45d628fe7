#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/support/server_interceptor.h"

namespace etiquette {

// What one server lets its clients take: request size, calls per connection, memory and threads,
// how long connections may sit idle or in their handshake, how often clients may ping. The
// defaults are the servers' flags' defaults (common/server_flags.h), except max_request_bytes,
// which each server sizes from its largest valid request.
struct ServerBounds {
  // Largest request message: a larger one is refused (RESOURCE_EXHAUSTED) before the service
  // sees it.
  int max_request_bytes = 4 * 1024 * 1024;
  // > 0: at most this many calls in flight per client connection (HTTP/2
  // MAX_CONCURRENT_STREAMS); a client's further calls wait on its side until one ends, within
  // their deadline. 0: no limit. (History's calls waiting on a slow Redis hold gRPC's per-call
  // memory, about 20 KB each: this keeps a stall from growing it by a call per request sent.)
  int max_concurrent_streams = 256;
  // The grpc::ResourceQuota: memory gRPC may use for connections and calls (under pressure it
  // closes idle connections and reads less), and threads of the sync API (reflection), whose
  // every open call holds one: past it, new sync calls get RESOURCE_EXHAUSTED.
  int memory_quota_mib = 128;
  int max_threads = 32;
  // A connection without calls for this long is closed (GOAWAY); the client reconnects on its
  // next call.
  int max_connection_idle_ms = 60 * 1000;
  // A connection that has not finished its handshake (TLS, HTTP/2 preface) in this long is closed.
  int handshake_timeout_ms = 5 * 1000;
  // Clients may ping without calls in flight at most this often; past max_ping_strikes bad
  // pings the connection is closed (GOAWAY ENHANCE_YOUR_CALM).
  int min_ping_interval_ms = 10 * 1000;
  int max_ping_strikes = 2;
  // Server reflection on the services' port (grpcurl without proto files).
  bool reflection = true;
};

struct GrpcServerOptions {
  // "host:port"; port 0 picks a free one.
  std::string address;
  // Null means plaintext.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // Run around every call, in this order (metrics, ...).
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  // Optional plaintext address serving only grpc.health.v1.Health with the same statuses, for
  // Kubernetes' native gRPC probes, which cannot present TLS client certificates.
  std::string health_address;
  ServerBounds bounds;
};

// The bounds as the start-up line shows them: "max_request_bytes 135000, ...".
std::string DescribeBounds(const ServerBounds& bounds);

// A running server: the services' server and, optionally, the health-only one.
class RunningServer {
 public:
  RunningServer(std::unique_ptr<grpc::Server> server, int port,
                std::unique_ptr<grpc::Server> health_server, int health_port,
                std::vector<std::string> health_names);
  ~RunningServer();

  grpc::Server& server() { return *server_; }
  // The ports actually bound (they differ from the requested ones when those were 0);
  // health_port() is 0 without a health server.
  int port() const { return port_; }
  int health_port() const { return health_port_; }

  // Sets the overall status and every service's on both servers.
  void SetServing(bool serving);
  // Sets only the services' statuses (readiness), leaving the overall one (liveness) as it is:
  // a dependency outage makes the services unready without getting the process restarted.
  void SetServicesServing(bool serving);
  // Graceful stop: health turns NOT_SERVING, new calls are refused, calls in flight get up to
  // `grace` to finish (then they are cancelled). Returns once the server has stopped.
  void Shutdown(absl::Duration grace);

 private:
  std::unique_ptr<grpc::Server> server_;
  const int port_;
  std::unique_ptr<grpc::Server> health_server_;
  const int health_port_;
  const std::vector<std::string> health_names_;
};

// Starts a gRPC server serving `services` within `options.bounds`, plus server reflection (unless
// turned off) and the standard grpc.health.v1.Health service with the overall status and each of
// `health_names` (the services' full names) marked SERVING. The services must outlive the server.
absl::StatusOr<std::unique_ptr<RunningServer>> StartGrpcServer(
    GrpcServerOptions options, const std::vector<grpc::Service*>& services,
    const std::vector<std::string>& health_names);

// Plaintext, no interceptors, no health server.
inline absl::StatusOr<std::unique_ptr<RunningServer>> StartGrpcServer(
    const std::string& address, const std::vector<grpc::Service*>& services,
    const std::vector<std::string>& health_names) {
  GrpcServerOptions options;
  options.address = address;
  return StartGrpcServer(std::move(options), services, health_names);
}

}  // namespace etiquette
