#include "common/metrics_endpoint.h"

#include <arpa/inet.h>

#include <exception>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "prometheus/exposer.h"

namespace etiquette {
namespace {

// "ip:port" as civetweb's listening_ports wants it, or an error.
absl::StatusOr<std::string> CivetListeningPort(const std::string& address) {
  const auto invalid = [&address](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_listen \"", address, "\": ", why, " (expected ip:port)"));
  };
  std::string host;
  std::string port_text;
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    port_text = address;
  } else {
    host = address.substr(0, colon);
    port_text = address.substr(colon + 1);
  }
  int port = 0;
  if (port_text.empty() || port_text.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return invalid("bad port");
  }
  if (colon == std::string::npos) return absl::StrCat(port);
  if (host == "localhost") host = "127.0.0.1";
  unsigned char buffer[sizeof(in6_addr)];
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), buffer) != 1) {
      return invalid("bad IPv6 address");
    }
  } else if (inet_pton(AF_INET, host.c_str(), buffer) != 1) {
    return invalid("bad IPv4 address");
  }
  return absl::StrCat(host, ":", port);
}

}  // namespace

MetricsEndpoint::MetricsEndpoint(std::unique_ptr<prometheus::Exposer> exposer,
                                 std::shared_ptr<prometheus::Registry> registry, int port)
    : registry_(std::move(registry)), exposer_(std::move(exposer)), port_(port) {}

MetricsEndpoint::~MetricsEndpoint() = default;

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> StartMetricsEndpoint(
    const std::string& address, std::shared_ptr<prometheus::Registry> registry) {
  if (registry == nullptr) return absl::InvalidArgumentError("no metrics registry");
  absl::StatusOr<std::string> listening = CivetListeningPort(address);
  if (!listening.ok()) return listening.status();
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    // civetweb throws when it cannot bind.
    exposer = std::make_unique<prometheus::Exposer>(*listening, /*num_threads=*/2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", address, ": ", e.what()));
  }
  exposer->RegisterCollectable(registry);
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty() || ports[0] <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", address));
  }
  return std::make_unique<MetricsEndpoint>(std::move(exposer), std::move(registry), ports[0]);
}

}  // namespace etiquette
