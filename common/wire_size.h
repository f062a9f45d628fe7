#pragma once

// Protobuf wire sizes, for request size limits computed from field limits at compile time.

#include <cstddef>
#include <cstdint>

namespace etiquette::wire {

// Bytes of `value` as a varint.
constexpr size_t VarintBytes(uint64_t value) {
  size_t bytes = 1;
  for (; value >= 0x80; value >>= 7) ++bytes;
  return bytes;
}

// A varint field (bool, enum, integer) of a field number below 16 (one tag byte), at `max`.
// Negative int64 values take 10 bytes: pass them as uint64_t.
constexpr size_t VarintField(uint64_t max) { return 1 + VarintBytes(max); }

// A length-delimited field (string, bytes, message) of a field number below 16 holding
// `payload` bytes: tag, length, payload.
constexpr size_t LengthDelimitedField(size_t payload) { return 1 + VarintBytes(payload) + payload; }

// A google.protobuf.Timestamp's payload at its largest: negative seconds (10-byte varint),
// nanos 999,999,999.
constexpr size_t kLargestTimestamp = VarintField(~uint64_t{0}) + VarintField(999'999'999);

}  // namespace etiquette::wire
