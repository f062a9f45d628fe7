#pragma once

// The HTTP endpoint serving one prometheus::Registry (one per process) on /metrics, with
// prometheus-cpp's pull Exposer (civetweb). The metric names and labels of the whole service
// are listed in the README's "Metrics and logs".

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/registry.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace etiquette {

// Serves GET /metrics (Prometheus text format) from one registry. Stops listening when
// destroyed.
class MetricsEndpoint {
 public:
  MetricsEndpoint(std::unique_ptr<prometheus::Exposer> exposer,
                  std::shared_ptr<prometheus::Registry> registry, int port);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // The port actually bound (differs from the requested one when that was 0).
  int port() const { return port_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  const int port_;
};

// Serves `registry` on http://<address>/metrics. `address` is "ip:port" ("0.0.0.0:9090",
// "127.0.0.1:0" for a free port, "[::]:9090"), "localhost:port" or a bare port. INVALID_ARGUMENT
// for a malformed address, UNAVAILABLE when it cannot be bound (never throws).
absl::StatusOr<std::unique_ptr<MetricsEndpoint>> StartMetricsEndpoint(
    const std::string& address, std::shared_ptr<prometheus::Registry> registry);

}  // namespace etiquette
