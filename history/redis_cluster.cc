#include "history/redis_cluster.h"

#include <hiredis/hiredis.h>

#include <array>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace etiquette {
namespace {

// The CRC16/XMODEM table (Redis's crc16tab), built at compile time.
constexpr std::array<uint16_t, 256> MakeCrc16Table() {
  std::array<uint16_t, 256> table{};
  for (int byte = 0; byte < 256; ++byte) {
    uint16_t crc = static_cast<uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) != 0 ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                                : static_cast<uint16_t>(crc << 1);
    }
    table[byte] = crc;
  }
  return table;
}

constexpr std::array<uint16_t, 256> kCrc16Table = MakeCrc16Table();
static_assert(kCrc16Table[1] == 0x1021 && kCrc16Table[255] == 0x1ef0, "CRC16/XMODEM table");

absl::Status BadSlots(absl::string_view what) {
  return absl::InternalError(absl::StrCat("unexpected CLUSTER SLOTS reply from redis: ", what));
}

}  // namespace

uint16_t RedisCrc16(absl::string_view data) {
  uint16_t crc = 0;
  for (unsigned char c : data) {
    crc = static_cast<uint16_t>((crc << 8) ^ kCrc16Table[((crc >> 8) ^ c) & 0xff]);
  }
  return crc;
}

int RedisKeySlot(absl::string_view key) {
  const size_t open = key.find('{');
  if (open != absl::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != absl::string_view::npos && close != open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return RedisCrc16(key) & (kRedisClusterSlots - 1);
}

std::string EndpointName(const RedisEndpoint& endpoint) {
  if (absl::StrContains(endpoint.host, ':')) {
    return absl::StrCat("[", endpoint.host, "]:", endpoint.port);
  }
  return absl::StrCat(endpoint.host, ":", endpoint.port);
}

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

std::optional<ClusterRedirect> ParseClusterRedirect(absl::string_view message,
                                                    const std::string& current_host) {
  ClusterRedirect redirect;
  if (absl::ConsumePrefix(&message, "MOVED ")) {
    redirect.kind = ClusterRedirect::Kind::kMoved;
  } else if (absl::ConsumePrefix(&message, "ASK ")) {
    redirect.kind = ClusterRedirect::Kind::kAsk;
  } else {
    return std::nullopt;
  }
  const size_t space = message.find(' ');
  if (space == absl::string_view::npos) return std::nullopt;
  if (!absl::SimpleAtoi(message.substr(0, space), &redirect.slot) || redirect.slot < 0 ||
      redirect.slot >= kRedisClusterSlots) {
    return std::nullopt;
  }
  absl::string_view address = message.substr(space + 1);
  // host:port; Redis writes an IPv6 host without brackets, so the port follows the last ':'.
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return std::nullopt;
  absl::string_view host = address.substr(0, colon);
  if (absl::ConsumePrefix(&host, "[")) {
    if (!absl::ConsumeSuffix(&host, "]")) return std::nullopt;
  }
  if (!absl::SimpleAtoi(address.substr(colon + 1), &redirect.to.port) || redirect.to.port < 1 ||
      redirect.to.port > 65535) {
    return std::nullopt;
  }
  redirect.to.host = host.empty() ? current_host : std::string(host);
  return redirect;
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

}  // namespace etiquette
