#pragma once

// Shared by the drain tests (tests/drain/): starting the real binaries on fixed loopback ports
// (so that a replica comes back where its clients expect it), the published client service
// config, health and call helpers. Header only; builds on tests/faults/fault_support.h.

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "etiquette/v1/evaluator.grpc.pb.h"
#include "faults/fault_support.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "support/test_invitations.h"

namespace etiquette::drain {

using faults::Server;

// deploy/grpc/service-config.json, the file callers are told to use.
inline std::string PublishedServiceConfig() {
  return faults::ReadFile(std::string(ETIQUETTE_SOURCE_DIR) + "/deploy/grpc/service-config.json");
}

// "ipv4:127.0.0.1:P1,127.0.0.1:P2": every replica, balanced per call by round_robin.
inline std::string Ipv4Target(const std::vector<int>& ports) {
  std::vector<std::string> addresses;
  for (int port : ports) addresses.push_back(absl::StrCat("127.0.0.1:", port));
  return "ipv4:" + absl::StrJoin(addresses, ",");
}

// A channel as a platform caller makes it: the published service config, quick reconnects.
inline std::shared_ptr<grpc::Channel> BalancedChannel(const std::vector<int>& ports) {
  grpc::ChannelArguments arguments;
  arguments.SetServiceConfigJSON(PublishedServiceConfig());
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return grpc::CreateCustomChannel(Ipv4Target(ports), grpc::InsecureChannelCredentials(),
                                   arguments);
}

inline std::shared_ptr<grpc::Channel> Plaintext(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

// The overall health status of the server at `port` (UNKNOWN when it does not answer).
inline grpc::health::v1::HealthCheckResponse::ServingStatus HealthOf(int port) {
  grpc::ClientContext context;
  faults::SetDeadline(context, absl::Seconds(2));
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status =
      grpc::health::v1::Health::NewStub(Plaintext(port))
          ->Check(&context, grpc::health::v1::HealthCheckRequest(), &response);
  return status.ok() ? response.status() : grpc::health::v1::HealthCheckResponse::UNKNOWN;
}

// A good invitation with its own ids (fresh sender and recipient: never blocked by history).
inline v1::EvaluateRequest EvaluateRequestFor(const std::string& id) {
  v1::EvaluateRequest request;
  *request.mutable_invitation() = testing::GoodInvitation();
  request.mutable_invitation()->set_invitation_id(id);
  request.mutable_invitation()->mutable_sender()->set_member_id("s-" + id);
  request.mutable_invitation()->mutable_recipient()->set_member_id("r-" + id);
  request.mutable_invitation()->clear_sent_at();
  return request;
}

// etiquette-history on 127.0.0.1:`port` in front of `redis_url`, its admin listener on a free
// port (Server::admin_port); `extra` flags appended.
inline absl::StatusOr<Server> StartHistoryAt(const std::string& dir, const std::string& redis_url,
                                             int port, const std::string& log_name,
                                             std::vector<std::string> extra = {}) {
  const std::string secret = dir + "/hmac_secret";
  if (!std::filesystem::exists(secret)) {
    std::ofstream(secret) << "drain-tests-hmac-secret-0123456789\n";
  }
  std::vector<std::string> argv = {
      ETIQUETTE_HISTORY_BINARY,       absl::StrCat("--listen=127.0.0.1:", port),
      "--metrics_listen=127.0.0.1:0", "--redis=" + redis_url,
      "--hmac_secret_file=" + secret, "--admin_listen=127.0.0.1:0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return faults::StartServer(std::move(argv), dir + "/" + log_name);
}

// etiquette-evaluator on 127.0.0.1:`port` (0: any); `extra` flags appended.
inline absl::StatusOr<Server> StartEvaluatorAt(const std::string& dir, int port,
                                               const std::string& log_name,
                                               std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {ETIQUETTE_EVALUATOR_BINARY,
                                   absl::StrCat("--listen=127.0.0.1:", port),
                                   "--metrics_listen=127.0.0.1:0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return faults::StartServer(std::move(argv), dir + "/" + log_name);
}

// Free loopback ports, distinct.
inline std::vector<int> FreePorts(int count) {
  std::vector<int> ports;
  while (static_cast<int>(ports.size()) < count) {
    const int port = testing::FreeTcpPort();
    if (port <= 0) return {};
    if (std::find(ports.begin(), ports.end(), port) == ports.end()) ports.push_back(port);
  }
  return ports;
}

}  // namespace etiquette::drain
