#include "history/redis/node.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace etiquette::redis {
namespace {

std::string NameOf(const RedisEndpoint& endpoint);

RedisOptions OptionsFor(RedisOptions options, const RedisEndpoint& endpoint) {
  options.host = endpoint.host;
  options.port = endpoint.port;
  const bool seed =
      std::any_of(options.cluster_seeds.begin(), options.cluster_seeds.end(),
                  [&](const RedisEndpoint& s) { return NameOf(s) == NameOf(endpoint); });
  if (!options.node_map.empty() && !seed) {
    auto it = options.node_map.find(NameOf(endpoint));
    if (it == options.node_map.end()) {
      options.refused = absl::StrCat("cluster node ", NameOf(endpoint),
                                     " is not in --redis_node_map: not dialled");
    } else {
      options.host = it->second.host;
      options.port = it->second.port;
    }
  }
  if (options.cluster()) options.db = 0;  // a cluster has db 0 only
  return options;
}

std::string NameOf(const RedisEndpoint& endpoint) { return EndpointName(endpoint); }

}  // namespace

std::string EndpointName(const RedisEndpoint& endpoint) {
  if (absl::StrContains(endpoint.host, ':')) {
    return absl::StrCat("[", endpoint.host, "]:", endpoint.port);
  }
  return absl::StrCat(endpoint.host, ":", endpoint.port);
}

Node::Node(const RedisOptions& options, RedisEndpoint endpoint)
    : endpoint_(std::move(endpoint)),
      name_(EndpointName(endpoint_)),
      connection_options_(OptionsFor(options, endpoint_)) {
  for (Lane lane : {Lane::kReads, Lane::kWrites}) {
    // Only writes wait for replicas.
    const int wait_replicas = lane == Lane::kWrites ? options.wait_replicas : 0;
    for (int i = 0; i < std::max(1, options.connections); ++i) {
      lanes_[static_cast<int>(lane)].connections.push_back(
          std::make_unique<Connection>(connection_options_, wait_replicas));
    }
  }
}

Connection& Node::connection(Lane lane_of_call) {
  LaneConnections& lane = lanes_[static_cast<int>(lane_of_call)];
  const uint32_t first = lane.next.fetch_add(1, std::memory_order_relaxed);
  for (size_t k = 0; k < lane.connections.size(); ++k) {
    Connection& candidate = *lane.connections[(first + k) % lane.connections.size()];
    if (!candidate.busy()) return candidate;
  }
  return *lane.connections[first % lane.connections.size()];
}

bool Node::Suspect(absl::Time now) const {
  const int64_t failed = failed_at_ns_.load();
  return failed != 0 && now - absl::FromUnixNanos(failed) < kSuspectFor;
}

}  // namespace etiquette::redis
