#include "history/redis/cluster_router.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "history/redis/pipelined_connection.h"
#include "history/redis/reply.h"
#include "spdlog/spdlog.h"

namespace etiquette::redis {

absl::StatusOr<std::shared_ptr<Node>> ClusterRouter::NodeForSlot(int slot, absl::Time deadline) {
  absl::StatusOr<std::shared_ptr<const Routing>> routing = Usable(deadline);
  if (!routing.ok()) return routing.status();
  const int index = (*routing)->map.NodeOf(slot);
  if (index < 0) {
    stale_.store(true);
    return Unavailable(absl::StrCat("no master serves slot ", slot, " in the cluster's map"));
  }
  return (*routing)->nodes[index];
}

absl::StatusOr<std::vector<std::shared_ptr<Node>>> ClusterRouter::Masters(absl::Time deadline) {
  absl::StatusOr<std::shared_ptr<const Routing>> routing = Usable(deadline);
  if (!routing.ok()) return routing.status();
  return (*routing)->nodes;
}

std::shared_ptr<Node> ClusterRouter::NodeAt(const RedisEndpoint& endpoint) {
  std::lock_guard<std::mutex> lock(mutex_);
  return NodeAtLocked(endpoint);
}

void ClusterRouter::Moved(int slot, const RedisEndpoint& to) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::shared_ptr<const Routing> current = std::atomic_load(&routing_);
    auto routing = std::make_shared<Routing>();
    if (current != nullptr) routing->map = current->map;
    routing->map.Assign(slot, to);
    for (const RedisEndpoint& endpoint : routing->map.nodes()) {
      routing->nodes.push_back(NodeAtLocked(endpoint));
    }
    std::atomic_store(&routing_, std::shared_ptr<const Routing>(std::move(routing)));
  }
  stale_.store(true);
}

std::shared_ptr<Node> ClusterRouter::FreshNodeForSlot(int slot) const {
  if (stale_.load()) return nullptr;
  const std::shared_ptr<const Routing> routing = std::atomic_load(&routing_);
  if (routing == nullptr) return nullptr;
  const int index = routing->map.NodeOf(slot);
  return index < 0 ? nullptr : routing->nodes[index];
}

std::shared_ptr<Node> ClusterRouter::NodeAtLocked(const RedisEndpoint& endpoint) {
  std::shared_ptr<Node>& node = registry_[EndpointName(endpoint)];
  if (node == nullptr) node = std::make_shared<Node>(options_, endpoint);
  return node;
}

absl::StatusOr<std::shared_ptr<const ClusterRouter::Routing>> ClusterRouter::Usable(
    absl::Time deadline) {
  std::shared_ptr<const Routing> routing = std::atomic_load(&routing_);
  if (routing == nullptr) {
    if (absl::Status status = Refresh(deadline); !status.ok()) return status;
    return std::atomic_load(&routing_);
  }
  if (stale_.load() &&
      absl::GetCurrentTimeNanos() - last_refresh_ns_.load() >=
          absl::ToInt64Nanoseconds(kMapRefreshInterval) &&
      !refreshing_.exchange(true)) {
    const absl::Status status = Refresh(deadline);
    refreshing_.store(false);
    if (!status.ok()) {
      spdlog::debug("redis cluster: slot map refresh failed: {}", std::string(status.message()));
    }
    routing = std::atomic_load(&routing_);
  }
  return routing;
}

absl::Status ClusterRouter::Refresh(absl::Time deadline) {
  last_refresh_ns_.store(absl::GetCurrentTimeNanos());
  std::vector<std::shared_ptr<Node>> candidates;
  std::vector<std::shared_ptr<Node>> suspects;
  const absl::Time now = absl::Now();
  if (const std::shared_ptr<const Routing> routing = std::atomic_load(&routing_)) {
    for (const std::shared_ptr<Node>& node : routing->nodes) {
      (node->Suspect(now) ? suspects : candidates).push_back(node);
    }
    if (!candidates.empty()) {
      std::rotate(candidates.begin(),
                  candidates.begin() + rotation_.fetch_add(1) % candidates.size(),
                  candidates.end());
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const RedisEndpoint& seed : options_.cluster_seeds) {
      std::shared_ptr<Node> node = NodeAtLocked(seed);
      if (std::find(candidates.begin(), candidates.end(), node) == candidates.end() &&
          std::find(suspects.begin(), suspects.end(), node) == suspects.end()) {
        candidates.push_back(std::move(node));
      }
    }
  }
  candidates.insert(candidates.end(), suspects.begin(), suspects.end());

  absl::Status last = Unavailable("no cluster node to ask for the slot map");
  for (const std::shared_ptr<Node>& node : candidates) {
    if (absl::Now() >= deadline) {
      return Unavailable(
          absl::StrCat("timed out learning the cluster's slot map (last: ", last.message(), ")"));
    }
    // A read: bounded by the read timeout, the next node tried within `deadline`.
    absl::StatusOr<std::vector<SlotRange>> ranges =
        AskSlots(*node, std::min(deadline, absl::Now() + options_.timeout));
    if (!ranges.ok()) {
      if (absl::IsUnavailable(ranges.status())) node->NoteFailure();
      last = ranges.status();
      continue;
    }
    if (ranges->empty()) {
      last = Unavailable(absl::StrCat(node->name(), " knows no slots yet (cluster not ready)"));
      continue;
    }
    Install(*ranges);
    return absl::OkStatus();
  }
  return last;
}

absl::StatusOr<std::vector<SlotRange>> ClusterRouter::AskSlots(Node& node, absl::Time deadline) {
  Lease lease(node.connection(Lane::kReads), deadline);
  lease.Append({"CLUSTER", "SLOTS"});
  absl::StatusOr<Reply> reply = lease.Next();
  if (!reply.ok()) return reply.status();
  if ((*reply)->type == REDIS_REPLY_ERROR) {
    // E.g. "ERR This instance has cluster support disabled": INTERNAL, a configuration error.
    return ErrorReplyStatus(reply->get());
  }
  return ParseClusterSlots(reply->get(), node.endpoint().host);
}

void ClusterRouter::Install(const std::vector<SlotRange>& ranges) {
  auto routing = std::make_shared<Routing>();
  routing->map = SlotMap::FromRanges(ranges);
  std::lock_guard<std::mutex> lock(mutex_);
  for (const RedisEndpoint& endpoint : routing->map.nodes()) {
    routing->nodes.push_back(NodeAtLocked(endpoint));
  }
  // Retire the nodes that are neither masters nor seeds any more. They live on with the
  // cluster (calls in flight use them, and a node must never be destroyed by the last
  // reference held on its own I/O thread), but no call is routed to them any more.
  for (auto it = registry_.begin(); it != registry_.end();) {
    const bool master =
        std::find(routing->nodes.begin(), routing->nodes.end(), it->second) != routing->nodes.end();
    const bool seed = std::any_of(
        options_.cluster_seeds.begin(), options_.cluster_seeds.end(),
        [&](const RedisEndpoint& endpoint) { return EndpointName(endpoint) == it->first; });
    if (master || seed) {
      ++it;
    } else {
      retired_.push_back(std::move(it->second));
      it = registry_.erase(it);
    }
  }
  if (const std::shared_ptr<const Routing> old = std::atomic_load(&routing_);
      old == nullptr || old->map.nodes().size() != routing->map.nodes().size()) {
    spdlog::info("redis cluster: {} slots on {} masters", routing->map.assigned_slots(),
                 routing->nodes.size());
  }
  std::atomic_store(&routing_, std::shared_ptr<const Routing>(std::move(routing)));
  stale_.store(false);
}

}  // namespace etiquette::redis
