#pragma once

// The input format of request_fuzzer, shared with the seed corpus generator.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace etiquette::fuzz {

// The first byte of an input, modulo kTargetCount.
enum class Target : uint8_t {
  kEvaluate = 0,
  kEvaluateBatch = 1,
  kEvaluateAskingHistory = 2,
  kEvaluateBatchAskingHistory = 3,
  kRecordInvitation = 4,
  kRecordResponse = 5,
  kGetStanding = 6,
  kBatchGetStanding = 7,
  kReleaseSender = 8,
  kForgetMember = 9,
  kSequence = 10,
};
inline constexpr int kTargetCount = 11;

// The op byte of a kSequence record, modulo kSequenceOpCount.
enum class SequenceOp : uint8_t {
  kRecordInvitation = 0,
  kRecordResponse = 1,
  kGetStanding = 2,
  kBatchGetStanding = 3,
  kReleaseSender = 4,
  kForgetMember = 5,
  kEvaluate = 6,
  kEvaluateBatch = 7,
};
inline constexpr int kSequenceOpCount = 8;

inline Target HistoryTargetOf(SequenceOp op) {
  return static_cast<Target>(static_cast<int>(Target::kRecordInvitation) + static_cast<int>(op));
}

// The fuzzer's fixed "now": 2026-06-01T12:00:00Z (timestamps in seeds are relative to it).
inline absl::Time FuzzNow() { return absl::FromUnixSeconds(1780315200); }

// Reads an input front to back; past its end every read answers zero or nothing.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ >= size_; }
  uint8_t Byte() { return empty() ? 0 : data_[at_++]; }
  uint16_t U16() {
    const uint16_t low = Byte();
    return static_cast<uint16_t>(low | (uint16_t{Byte()} << 8));
  }
  // The next `n` bytes, or fewer at the end.
  std::string Chunk(size_t n) {
    n = std::min(n, size_ - std::min(at_, size_));
    std::string out(reinterpret_cast<const char*>(data_) + at_, n);
    at_ += n;
    return out;
  }
  std::string Rest() { return Chunk(size_); }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

// Writers, for the seed generator.
inline std::string U16Bytes(size_t n) {
  return std::string{static_cast<char>(n & 0xff), static_cast<char>((n >> 8) & 0xff)};
}

}  // namespace etiquette::fuzz
