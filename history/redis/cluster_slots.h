#pragma once

// Redis Cluster's slot map: which master serves each hash slot, as CLUSTER SLOTS tells it
// (ParseClusterSlots) and as MOVED redirections amend it (SlotMap::Assign). Pure values, no
// I/O: ClusterRouter (history/redis/cluster_router.h) asks and publishes them.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "history/redis/key_slot.h"
#include "history/redis/redis_options.h"

struct redisReply;  // hiredis

namespace etiquette::redis {

// One entry of CLUSTER SLOTS: slots first..last (inclusive) served by `master`.
struct SlotRange {
  int first = 0;
  int last = 0;
  RedisEndpoint master;
};

// The entries of a CLUSTER SLOTS reply (replicas are ignored: every call goes to a master). A
// master announced with an empty host or "?" (Redis 7: endpoint unknown) is on `queried_host`,
// the host the command was sent to. INTERNAL when the reply is not shaped like one.
absl::StatusOr<std::vector<SlotRange>> ParseClusterSlots(const redisReply* reply,
                                                         const std::string& queried_host);

// Which master serves each slot. A value: ClusterRouter publishes immutable copies.
class SlotMap {
 public:
  SlotMap();  // no slot assigned

  // Later ranges win where ranges overlap; slots no range names stay unassigned.
  static SlotMap FromRanges(const std::vector<SlotRange>& ranges);

  // The index in nodes() of the master of `slot` (0 <= slot < 16384); -1 when unassigned.
  int NodeOf(int slot) const { return owner_[slot]; }
  // The master of the slot of `key` (an index in nodes(), or -1).
  int NodeOfKey(absl::string_view key) const { return NodeOf(RedisKeySlot(key)); }
  // Every master that serves at least one slot, each once.
  const std::vector<RedisEndpoint>& nodes() const { return nodes_; }
  int assigned_slots() const { return assigned_; }

  // `slot` is now served by `master` (a MOVED redirection), added to nodes() if new. A node
  // left without slots stays in nodes() until the next full map.
  void Assign(int slot, const RedisEndpoint& master);

 private:
  int IndexOf(const RedisEndpoint& master);  // adds it when new

  std::vector<RedisEndpoint> nodes_;
  std::vector<int16_t> owner_;  // kRedisClusterSlots entries, -1 = unassigned
  int assigned_ = 0;
};

}  // namespace etiquette::redis
