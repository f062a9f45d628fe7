#include "evaluator/note_fingerprint.h"

#include <array>
#include <cstddef>

#include "absl/container/inlined_vector.h"

namespace etiquette {
namespace {

// MurmurHash3's 64-bit finaliser: every input bit reaches every output bit.
inline uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// Incremental word hash: bytes are shifted into a 64-bit chunk (a byte loop: words are short,
// and the result must not depend on the machine's byte order), mixed in every 8 bytes.
class WordHasher {
 public:
  void Byte(unsigned char c) {
    chunk_ = (chunk_ << 8) | c;
    if (++size_ % 8 == 0) {
      h_ = Mix(h_ ^ chunk_);
      chunk_ = 0;
    }
  }
  bool empty() const { return size_ == 0; }
  uint64_t Finish() const { return Mix(h_ ^ chunk_ ^ (uint64_t{size_} << 56)); }

 private:
  uint64_t h_ = 0x9e3779b97f4a7c15ULL;
  uint64_t chunk_ = 0;
  uint32_t size_ = 0;
};

// WordHasher's result for a whole word, faster: whole 8-byte blocks first (a big-endian load),
// then the tail.
uint64_t WordHash(absl::string_view word) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(word.data());
  const size_t n = word.size();
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t chunk = 0;
    for (size_t k = 0; k < 8; ++k) chunk = (chunk << 8) | p[i + k];
    h = Mix(h ^ chunk);
  }
  uint64_t chunk = 0;
  for (; i < n; ++i) chunk = (chunk << 8) | p[i];
  return Mix(h ^ chunk ^ (uint64_t{static_cast<uint32_t>(n)} << 56));
}

// What every masked word hashes to.
constexpr uint64_t kNameWord = 0x6e616d65ULL * 0x9e3779b97f4a7c15ULL;  // "name"

// The hashes of the words a mail merge fills in (names, the recipient's company).
class NameHashes {
 public:
  // Adds the words of `text` as NoteWords would split them: ASCII directly (letters and
  // digits lower-cased, apostrophes dropped, anything else a separator), else by NoteWords.
  void Add(absl::string_view text) {
    WordHasher word;
    for (const char c : text) {
      const unsigned char u = static_cast<unsigned char>(c);
      if (u >= 0x80) return AddUnicode(text);
      if ((u >= 'a' && u <= 'z') || (u >= '0' && u <= '9')) {
        word.Byte(u);
      } else if (u >= 'A' && u <= 'Z') {
        word.Byte(static_cast<unsigned char>(u - 'A' + 'a'));
      } else if (u != '\'') {
        if (!word.empty()) Push(word.Finish());
        word = WordHasher();
      }
    }
    if (!word.empty()) Push(word.Finish());
  }
  // Whether `hash` is a name word's: a 64-bit filter first (most words: one test).
  bool Contains(uint64_t hash) const {
    if ((filter_ & (uint64_t{1} << (hash & 63))) == 0) return false;
    for (uint64_t name : hashes_) {
      if (name == hash) return true;
    }
    return false;
  }

 private:
  void AddUnicode(absl::string_view text) {
    const NoteWords words(text, 16);  // a name of more words is not a mail-merge field
    for (absl::string_view w : words.words()) Push(WordHash(w));
  }
  void Push(uint64_t hash) {
    if (hashes_.size() >= 48) return;
    hashes_.push_back(hash);
    filter_ |= uint64_t{1} << (hash & 63);
  }

  absl::InlinedVector<uint64_t, 8> hashes_;
  uint64_t filter_ = 0;
};

// Counts, over the features, how often each of the 64 bits is set. Bit-sliced: four 64-bit
// planes hold a 4-bit counter per bit position (a ripple-carry add per feature, 8 operations),
// emptied every 15 features into eight accumulators of eight byte-wide lanes (lane k of
// acc[j] counts bit 8k + j), themselves emptied into 32-bit counts before a lane can overflow.
class BitCounts {
 public:
  void Add(uint64_t hash) {
    uint64_t carry = hash;
    for (uint64_t& plane : planes_) {
      const uint64_t next = plane & carry;
      plane ^= carry;
      carry = next;
    }
    ++total_;
    if (++in_planes_ == 15) FlushPlanes();
  }
  // Bit b set when more than half the features have it.
  bool empty() const { return total_ == 0; }
  uint64_t Majority() {
    FlushPlanes();
    FlushLanes();
    uint64_t out = 0;
    for (int b = 0; b < 64; ++b) {
      if (2 * counts_[b] > total_) out |= uint64_t{1} << b;
    }
    return out;
  }

 private:
  void FlushPlanes() {
    constexpr uint64_t kLowBits = 0x0101010101010101ULL;
    for (int p = 0; p < 4; ++p) {
      for (int j = 0; j < 8; ++j) lanes_[j] += ((planes_[p] >> j) & kLowBits) << p;
      planes_[p] = 0;
    }
    in_planes_ = 0;
    if (++in_lanes_ == 16) FlushLanes();  // 16 * 15 < 256
  }
  void FlushLanes() {
    for (int j = 0; j < 8; ++j) {
      for (int k = 0; k < 8; ++k) counts_[8 * k + j] += (lanes_[j] >> (8 * k)) & 0xff;
      lanes_[j] = 0;
    }
    in_lanes_ = 0;
  }

  std::array<uint64_t, 4> planes_{};
  std::array<uint64_t, 8> lanes_{};
  std::array<uint32_t, 64> counts_{};
  uint32_t in_planes_ = 0;
  uint32_t in_lanes_ = 0;
  uint32_t total_ = 0;
};

}  // namespace

uint64_t NoteFingerprint(WordSpan note_words, const v1::Invitation& invitation) {
  if (note_words.empty()) return 0;
  NameHashes names;
  names.Add(invitation.sender().full_name());
  names.Add(invitation.recipient().full_name());
  names.Add(invitation.recipient().company_name());

  // The features: every two consecutive words (order matters: "a b" and "b a" differ), a run
  // of masked words counting as one word ("at Globex Corp" and "at Initech" alike); a note of
  // one word is that word. The words' hashes are already mixed: a multiply by an odd constant
  // and an exclusive or keep every bit of the pair's hash uniform.
  constexpr uint64_t k1 = 0xc2b2ae3d27d4eb4fULL;
  BitCounts bits;
  uint64_t previous = 0;
  bool first = true;
  for (absl::string_view word : note_words) {
    uint64_t h = WordHash(word);
    if (names.Contains(h)) {
      if (!first && previous == kNameWord) continue;
      h = kNameWord;
    }
    if (!first) bits.Add((previous * k1) ^ h);
    previous = h;
    first = false;
  }
  if (bits.empty()) bits.Add(previous);
  const uint64_t fingerprint = bits.Majority();
  return fingerprint == 0 ? 1 : fingerprint;  // 0 means no note
}

uint64_t NoteFingerprint(const v1::Invitation& invitation) {
  if (invitation.note().empty()) return 0;
  const NoteWords words(invitation.note(), kMaxNoteWords);
  return NoteFingerprint(words.words(), invitation);
}

}  // namespace etiquette
