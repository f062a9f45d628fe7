#pragma once

// The Redis Cluster hash slot of a key, the project's own (hiredis only carries the bytes).

#include <cstdint>

#include "absl/strings/string_view.h"

namespace etiquette::redis {

inline constexpr int kRedisClusterSlots = 16384;

// CRC16/XMODEM (polynomial 0x1021, initial value 0, no reflection, no final xor): the hash of
// Redis Cluster. "123456789" -> 0x31C3.
uint16_t RedisCrc16(absl::string_view data);

// The hash slot of `key`, exactly as Redis's keyHashSlot(): when the key has a '{' and, after
// it, a '}' with at least one character in between, only the characters between the first '{'
// and the first '}' after it are hashed; otherwise the whole key. CRC16 mod 16384.
int RedisKeySlot(absl::string_view key);

}  // namespace etiquette::redis
