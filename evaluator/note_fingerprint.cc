#include "evaluator/note_fingerprint.h"

#include <array>
#include <cstddef>
#include <cstring>

#include "absl/base/config.h"
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
    uint64_t chunk;
    std::memcpy(&chunk, p + i, 8);
#ifdef ABSL_IS_LITTLE_ENDIAN
    chunk = __builtin_bswap64(chunk);  // the first byte most significant, as WordHasher shifts
#endif
    h = Mix(h ^ chunk);
  }
  uint64_t chunk = 0;
  for (; i < n; ++i) chunk = (chunk << 8) | p[i];
  return Mix(h ^ chunk ^ (uint64_t{static_cast<uint32_t>(n)} << 56));
}

// WordHash, reading a short word's bytes with one 8-byte load where `readable` (the text the
// word is a view into) has 8 bytes from the word's start: the same value, without a byte loop.
inline uint64_t WordHashIn(absl::string_view word, const char* readable_end) {
  const size_t n = word.size();
  if (n == 0 || n >= 8 || word.data() + 8 > readable_end) return WordHash(word);
  uint64_t bytes;
  std::memcpy(&bytes, word.data(), 8);
#ifdef ABSL_IS_LITTLE_ENDIAN
  bytes = __builtin_bswap64(bytes);  // the first byte most significant, as WordHash shifts
#endif
  const uint64_t chunk = bytes >> (8 * (8 - n));
  return Mix(0x9e3779b97f4a7c15ULL ^ chunk ^ (uint64_t{static_cast<uint32_t>(n)} << 56));
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

// Counts, over the features, how often each of the 64 bits is set, bit-sliced: plane p holds
// bit p of the 64 counters. Features are added eight at a time with the carry-save adders of
// Harley and Seal's population count (7 adders of 5 operations, then one carry into the
// eights), the rest one at a time; the majority is then one bit-sliced comparison with
// total / 2 for all 64 counters at once. Exact: the same counts as adding one by one.
class BitCounts {
 public:
  void Add(uint64_t feature) {
    pending_[pending_size_++] = feature;
    ++total_;
    if (pending_size_ == 8) AddEight();
  }
  bool empty() const { return total_ == 0; }
  // Bit b set when more than half the features have it (count > total / 2, rounded down).
  uint64_t Majority() {
    for (int i = 0; i < pending_size_; ++i) AddAt(0, pending_[i]);
    pending_size_ = 0;
    const uint32_t threshold = total_ / 2;
    uint64_t greater = 0;
    uint64_t equal = ~uint64_t{0};
    for (int p = kPlanes - 1; p >= 0; --p) {
      if ((threshold >> p) & 1) {
        equal &= planes_[p];
      } else {
        greater |= equal & planes_[p];
        equal &= ~planes_[p];
      }
    }
    return greater;
  }

 private:
  // Counters up to 4,095: more than the features of a note of kMaxNoteWords words.
  static constexpr int kPlanes = 12;
  static_assert(kMaxNoteWords < (1 << kPlanes), "a counter would overflow");

  // a + b + c = 2 * high + low, for each bit.
  static void Csa(uint64_t& high, uint64_t& low, uint64_t a, uint64_t b, uint64_t c) {
    const uint64_t u = a ^ b;
    high = (a & b) | (u & c);
    low = u ^ c;
  }
  // Adds `carry` (one per set bit) at plane `level`.
  void AddAt(int level, uint64_t carry) {
    for (int p = level; p < kPlanes && carry != 0; ++p) {
      const uint64_t next = planes_[p] & carry;
      planes_[p] ^= carry;
      carry = next;
    }
  }
  void AddEight() {
    uint64_t& ones = planes_[0];
    uint64_t& twos = planes_[1];
    uint64_t& fours = planes_[2];
    uint64_t twos_a = 0, twos_b = 0, fours_a = 0, fours_b = 0, eights = 0;
    Csa(twos_a, ones, ones, pending_[0], pending_[1]);
    Csa(twos_b, ones, ones, pending_[2], pending_[3]);
    Csa(fours_a, twos, twos, twos_a, twos_b);
    Csa(twos_a, ones, ones, pending_[4], pending_[5]);
    Csa(twos_b, ones, ones, pending_[6], pending_[7]);
    Csa(fours_b, twos, twos, twos_a, twos_b);
    Csa(eights, fours, fours, fours_a, fours_b);
    AddAt(3, eights);
    pending_size_ = 0;
  }

  std::array<uint64_t, kPlanes> planes_{};
  std::array<uint64_t, 8> pending_{};
  int pending_size_ = 0;
  uint32_t total_ = 0;
};

}  // namespace

uint64_t NoteFingerprint(WordSpan note_words, absl::string_view joined,
                         const v1::Invitation& invitation) {
  if (note_words.empty()) return 0;
  // The words are views into `joined` (the contract): they may be read 8 bytes at a time up to
  // its end. Without it, byte by byte.
  const char* const joined_end = joined.empty() ? nullptr : joined.data() + joined.size();
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
    uint64_t h = joined_end != nullptr ? WordHashIn(word, joined_end) : WordHash(word);
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
  return NoteFingerprint(words.words(), words.joined(), invitation);
}

uint64_t NoteFingerprint(WordSpan note_words, const v1::Invitation& invitation) {
  return NoteFingerprint(note_words, absl::string_view(), invitation);
}

}  // namespace etiquette
