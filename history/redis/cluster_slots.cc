#include "history/redis/cluster_slots.h"

#include <hiredis/hiredis.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace etiquette::redis {
namespace {

absl::Status BadSlots(absl::string_view what) {
  return absl::InternalError(absl::StrCat("unexpected CLUSTER SLOTS reply from redis: ", what));
}

}  // namespace

absl::StatusOr<std::vector<SlotRange>> ParseClusterSlots(const redisReply* reply,
                                                         const std::string& queried_host) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) return BadSlots("not an array");
  std::vector<SlotRange> ranges;
  ranges.reserve(reply->elements);
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* entry = reply->element[i];
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 3 ||
        entry->element[0]->type != REDIS_REPLY_INTEGER ||
        entry->element[1]->type != REDIS_REPLY_INTEGER ||
        entry->element[2]->type != REDIS_REPLY_ARRAY) {
      return BadSlots(absl::StrCat("entry ", i, " is not [first, last, [host, port, ...], ...]"));
    }
    const long long first = entry->element[0]->integer;
    const long long last = entry->element[1]->integer;
    if (first < 0 || last < first || last >= kRedisClusterSlots) {
      return BadSlots(absl::StrCat("entry ", i, " has slots ", first, "-", last));
    }
    const redisReply* master = entry->element[2];
    if (master->elements < 2 || master->element[1]->type != REDIS_REPLY_INTEGER) {
      return BadSlots(absl::StrCat("entry ", i, " has no master port"));
    }
    const redisReply* host = master->element[0];
    std::string host_text;
    if (host->type == REDIS_REPLY_STRING) {
      host_text.assign(host->str, host->len);
    } else if (host->type != REDIS_REPLY_NIL) {
      return BadSlots(absl::StrCat("entry ", i, " has a master host that is not a string"));
    }
    if (host_text.empty() || host_text == "?") host_text = queried_host;
    const long long port = master->element[1]->integer;
    if (port < 1 || port > 65535) {
      return BadSlots(absl::StrCat("entry ", i, " has master port ", port));
    }
    ranges.push_back(SlotRange{static_cast<int>(first), static_cast<int>(last),
                               RedisEndpoint{std::move(host_text), static_cast<int>(port)}});
  }
  return ranges;
}

SlotMap::SlotMap() : owner_(kRedisClusterSlots, -1) {}

SlotMap SlotMap::FromRanges(const std::vector<SlotRange>& ranges) {
  SlotMap map;
  for (const SlotRange& range : ranges) {
    for (int slot = range.first; slot <= range.last; ++slot) map.Assign(slot, range.master);
  }
  // Again, in slot order, so that a node a later range took every slot from is not in nodes().
  SlotMap compact;
  for (int slot = 0; slot < kRedisClusterSlots; ++slot) {
    if (map.owner_[slot] >= 0) compact.Assign(slot, map.nodes_[map.owner_[slot]]);
  }
  return compact;
}

int SlotMap::IndexOf(const RedisEndpoint& master) {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].host == master.host && nodes_[i].port == master.port) {
      return static_cast<int>(i);
    }
  }
  nodes_.push_back(master);
  return static_cast<int>(nodes_.size() - 1);
}

void SlotMap::Assign(int slot, const RedisEndpoint& master) {
  if (slot < 0 || slot >= kRedisClusterSlots) return;
  if (owner_[slot] < 0) ++assigned_;
  owner_[slot] = static_cast<int16_t>(IndexOf(master));
}

}  // namespace etiquette::redis
