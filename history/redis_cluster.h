#pragma once

// Redis Cluster slot routing, the project's own (hiredis only carries the bytes): the key hash
// slot, the slot map learned from CLUSTER SLOTS, and the MOVED / ASK redirections. Pure
// functions and values, no I/O; RedisHistoryStore does the talking.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "history/redis_url.h"

struct redisReply;  // hiredis

namespace etiquette {

inline constexpr int kRedisClusterSlots = 16384;

// CRC16/XMODEM (polynomial 0x1021, initial value 0, no reflection, no final xor): the hash of
// Redis Cluster. "123456789" -> 0x31C3.
uint16_t RedisCrc16(absl::string_view data);

// The hash slot of `key`, exactly as Redis's keyHashSlot(): when the key has a '{' and, after
// it, a '}' with at least one character in between, only the characters between the first '{'
// and the first '}' after it are hashed; otherwise the whole key. CRC16 mod 16384.
int RedisKeySlot(absl::string_view key);

// "host:port", with an IPv6 host in brackets: a node's name in maps and messages.
std::string EndpointName(const RedisEndpoint& endpoint);

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

// A redirection error reply.
struct ClusterRedirect {
  enum class Kind { kMoved, kAsk };
  Kind kind = Kind::kMoved;
  int slot = 0;
  RedisEndpoint to;
};

// Parses "MOVED <slot> <host>:<port>" or "ASK <slot> <host>:<port>" (the text of an error
// reply); nullopt for any other message. An empty host (Redis 7: unknown endpoint) means the
// host of the node that answered, `current_host`.
std::optional<ClusterRedirect> ParseClusterRedirect(absl::string_view message,
                                                    const std::string& current_host);

// Which master serves each slot. A value: RedisHistoryStore publishes immutable copies.
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

}  // namespace etiquette
