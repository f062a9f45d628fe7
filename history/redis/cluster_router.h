#pragma once

// Redis Cluster routing: the nodes of a cluster and the slot map (history/redis/cluster_slots.h)
// that says which master serves each slot. The map is learned with CLUSTER SLOTS from any seed
// on first use, amended by MOVED at once, and refreshed when stale (after MOVED, a connection
// error or CLUSTERDOWN): healthy masters first, then the seeds, then the suspect nodes; one
// caller at a time, at most every kMapRefreshInterval. Every node the router ever made lives as
// long as the router (calls in flight hold plain pointers to them; a node is never destroyed on
// its own I/O thread). Thread-safe.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "history/redis/cluster_slots.h"
#include "history/redis/node.h"
#include "history/redis/redis_options.h"

namespace etiquette::redis {

// A stale slot map is refreshed at most this often (one caller at a time), so that a dead
// master does not turn every call into a CLUSTER SLOTS on the others.
inline constexpr absl::Duration kMapRefreshInterval = absl::Milliseconds(100);

class ClusterRouter {
 public:
  // options.cluster_seeds are the seeds; every node is made with `options` (Node). Never
  // blocks: nothing is asked before the first call.
  explicit ClusterRouter(const RedisOptions& options) : options_(options) {}
  ClusterRouter(const ClusterRouter&) = delete;
  ClusterRouter& operator=(const ClusterRouter&) = delete;

  // The master serving `slot`, by the current map (learned first when there is none,
  // refreshed first when it is stale). UNAVAILABLE when no node gave a map in time, or the
  // map has no master for the slot.
  absl::StatusOr<std::shared_ptr<Node>> NodeForSlot(int slot, absl::Time deadline);
  // Every master of the (usable) map.
  absl::StatusOr<std::vector<std::shared_ptr<Node>>> Masters(absl::Time deadline);
  // The master of `slot` by a map that is not stale; null when there is none (the caller
  // then takes a path that may block: NodeForSlot). Never blocks.
  std::shared_ptr<Node> FreshNodeForSlot(int slot) const;
  // The node at `endpoint` (an ASK target), known or new.
  std::shared_ptr<Node> NodeAt(const RedisEndpoint& endpoint);

  // MOVED: `slot` is served by `to` from now on; the rest of the map is probably stale too
  // (a reshard moves many slots, a failover all of a master's).
  void Moved(int slot, const RedisEndpoint& to);
  // A node failed a connection or the cluster said it is down: refresh before routing again.
  void MarkStale() { stale_.store(true); }

 private:
  struct Routing {
    SlotMap map;
    std::vector<std::shared_ptr<Node>> nodes;  // parallel to map.nodes()
  };

  std::shared_ptr<Node> NodeAtLocked(const RedisEndpoint& endpoint);
  // The map to route with: learned now when there is none; refreshed now when stale, by one
  // caller at a time and at most every kMapRefreshInterval (the others keep using the stale
  // one: MOVED still gets them there).
  absl::StatusOr<std::shared_ptr<const Routing>> Usable(absl::Time deadline);
  // CLUSTER SLOTS from the first node that answers: the masters of the current map that did
  // not fail lately (starting with a different one each time), then the seeds, then the rest.
  absl::Status Refresh(absl::Time deadline);
  absl::StatusOr<std::vector<SlotRange>> AskSlots(Node& node, absl::Time deadline);
  void Install(const std::vector<SlotRange>& ranges);

  const RedisOptions options_;
  std::mutex mutex_;  // guards registry_ and the replacement of routing_
  std::map<std::string, std::shared_ptr<Node>> registry_;
  std::vector<std::shared_ptr<Node>> retired_;  // guarded by mutex_; see Install
  std::shared_ptr<const Routing> routing_;      // std::atomic_load / std::atomic_store only
  std::atomic<bool> stale_{false};
  std::atomic<bool> refreshing_{false};
  std::atomic<int64_t> last_refresh_ns_{0};
  std::atomic<uint32_t> rotation_{0};
};

}  // namespace etiquette::redis
