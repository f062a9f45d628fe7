#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace etiquette {

// Text helpers for the note rules. Notes are UTF-8 (protobuf guarantees it for string fields).

// Normalised words (see NormalizedWords) as views; whoever hands one out says what owns the text.
using WordSpan = absl::Span<const absl::string_view>;

// The rules look at no more than the first kMaxNoteWords words of a note; the rest is ignored
// (note-length still counts the whole note). A note within the platform's 300-character limit
// has about 60 words, 150 at most; a note over 1,000 words is already far too long, and the
// bound caps the work per note whatever it holds (8,000 bytes could be 4,000 one-letter words).
inline constexpr size_t kMaxNoteWords = 1000;

// Number of Unicode code points, the unit of the platform's note limits.
size_t CountCodePoints(absl::string_view utf8);

// Number of extended grapheme clusters (user-perceived characters: "e" + combining accent,
// a flag, a family emoji each count once), by ICU's character break iterator.
size_t CountGraphemes(absl::string_view utf8);

// Number of UTF-16 code units (JavaScript's String.length): a code point above U+FFFF is two.
size_t CountUtf16CodeUnits(absl::string_view utf8);

// True when `text` is ASCII only (no byte >= 0x80).
bool IsAscii(absl::string_view text);

// A list of word views for NoteWords: the first 64 in the object itself, left uninitialised
// until written (a note's split neither allocates nor zero-fills), any more on the heap.
class WordList {
 public:
  WordList() = default;
  WordList(const WordList&) = delete;
  WordList& operator=(const WordList&) = delete;

  void push_back(absl::string_view word) {
    if (size_ == capacity_) Grow();
    ::new (static_cast<void*>(data_ + size_)) absl::string_view(word);  // starts its lifetime
    ++size_;
  }
  size_t size() const { return size_; }
  void clear() { size_ = 0; }
  WordSpan span() const { return WordSpan(data_, size_); }

 private:
  void Grow();

  static constexpr size_t kInline = 64;
  union InlineWords {
    InlineWords() {}  // no initialisation: a slot is constructed before it is read
    absl::string_view words[kInline];
  } inline_;
  absl::string_view* data_ = inline_.words;
  size_t size_ = 0;
  size_t capacity_ = kInline;
  std::unique_ptr<absl::string_view[]> heap_;
};

// The normalised words of one text, as views into a single lower-cased buffer this object owns:
// one pass over the text and no allocation per word, for the per-evaluation hot path. Neither
// copyable nor movable, since the views point into the object itself.
class NoteWords {
 public:
  // The words of `text`, case-folded and compatibility-normalised (Unicode NFKC_Casefold:
  // "ÜBER" and "über", "Straße" and "STRASSE", full-width "ＡＢＣ" and "abc" are the same word).
  // Letters, digits and combining marks form words; apostrophes (' and U+2019) are dropped
  // wherever they are ("I'd" -> "id", "don’t" -> "dont"); everything else (spaces, punctuation,
  // symbols) separates words.
  // Chinese and Japanese (a run of Han ideographs, hiragana and katakana letters with no other
  // code point between them) are not split into dictionary words but into overlapping
  // bigrams, as Lucene's CJK analyzer does: "田中さん" -> "田中", "中さ", "さん"; a run of one
  // letter is that letter ("嗨"). Every text, note or config phrase, is split the same way, so
  // a phrase of k >= 2 such letters occurs in a text exactly where its k - 1 bigrams occur
  // consecutively, wherever it sits inside a longer run (for one-letter phrases see
  // ContainsPhrase). A run ends the word before it and the word after it ("linkedinの" ->
  // "linkedin", "の"). Thai, Lao, Khmer and Myanmar text, also written without spaces, is
  // split by ICU's dictionary-based word break iterator.
  // Text made only of code points a table made from ICU's answers holds (below U+0800,
  // General Punctuation, kana, Han, the half- and full-width forms; none combining with the
  // one before) is folded by that table in the same pass as the split, other text by ICU's
  // normaliser: the same result (see FoldNfkcCasefoldByTable). An ASCII-only text takes a
  // fast path with the same result and no ICU.
  // At most `max_words` words are kept (kMaxNoteWords for a note); splitting stops there.
  explicit NoteWords(absl::string_view text, size_t max_words = SIZE_MAX);
  NoteWords(const NoteWords&) = delete;
  NoteWords& operator=(const NoteWords&) = delete;

  // Valid as long as this object lives.
  WordSpan words() const { return words_.span(); }
  // The text's word characters back to back, without separators and each once (not the
  // bigrams' overlap: "田中さん、こんにちは" -> "田中さんこんにちは"): for finding a name in
  // text written without spaces, whatever the word breaker made of it. Every word is a view
  // into it.
  absl::string_view joined() const { return joined_; }

 private:
  // The ASCII fast path: false (and nothing kept) at the first non-ASCII byte.
  bool SplitAscii(absl::string_view text, size_t max_words);
  // Most other European text: folded by table and split in one pass; false (and nothing
  // kept) when a code point needs more (see FoldNfkcCasefoldByTable).
  bool SplitByTable(absl::string_view text, size_t max_words);
  // Everything else: NFKC_Casefold, then words (by ICU's break iterator where needed).
  void SplitUnicode(absl::string_view text, size_t max_words);
  // SplitUnicode's words of the folded text in buffer_, split in place; false (and no words
  // kept) when some code point needs the dictionary break iterator.
  bool SplitFoldedInPlace(size_t max_words);

  // Room for `bytes` bytes of words: inline_bytes_ when they fit, else buffer_ (resized).
  char* WordBytes(size_t bytes);

  absl::string_view joined_;  // the words' bytes, back to back: in inline_bytes_ or buffer_
  std::string buffer_;
  // Most notes and names fit here: no allocation and no zero-filling (a std::string resize
  // fills) for the fast paths; ICU's paths use buffer_.
  static constexpr size_t kInlineBytes = 1024;
  char inline_bytes_[kInlineBytes];
  // Inline capacity for a typical note (a 300-character note has about 60 words).
  WordList words_;
};

// NoteWords' folding by table, exposed for tests: true, and the NFKC_Casefold of `text` in
// `out` (exactly ICU's), when every code point of `text` is in the table (below U+0800,
// U+2000..U+20FF, U+3000..U+30FF, U+FF00..U+FFEF, Han letters of U+3400..U+9FFF that fold to
// themselves) and has a normalisation boundary before it: the text then normalises code point
// by code point (ICU's meaning of Normalizer2::hasBoundaryBefore). False (and `out`
// unspecified) otherwise.
bool FoldNfkcCasefoldByTable(absl::string_view text, std::string* out);

// The words of `text` as NoteWords splits them, as strings.
std::vector<std::string> NormalizedWords(absl::string_view text);

// True when `phrase` (already normalised words) occurs as consecutive whole words in `words`.
// Linear: O(words + phrase) (Knuth-Morris-Pratt over words).
// A phrase that is one Han or kana letter ("様") occurs also where a bigram of `words` holds
// it ("田中様" -> "田中", "中様"), since a one-letter word only stands alone in a text when
// its run has no other letter; a phrase that is a one-letter run among other words
// ("linkedin の") needs that letter alone, as does PhraseAt. These are the matches of
// PhraseMatcher and PhraseList::FoundIn too.
bool ContainsPhrase(WordSpan words, WordSpan phrase);
// The same on owned words (NormalizedWords).
bool ContainsPhrase(const std::vector<std::string>& words, const std::vector<std::string>& phrase);

// True when `phrase` occurs in `words` starting at index `at`: exact words, no bigram rule.
bool PhraseAt(WordSpan words, size_t at, WordSpan phrase);

// 1 - (word-level edit distance / longer length): 1 for identical word lists, 0 for nothing
// in common. Two empty lists are identical.
double WordSimilarity(WordSpan a, WordSpan b);

// The bytes of a word of 1 to 8 bytes in one integer, the first the least significant, the
// rest 0 (two overlapping loads, never past the word's end): with the length, a short word's
// key for the tables of words.
inline uint64_t PackShortWord(absl::string_view word) {
  const auto little_endian = [](uint32_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap32(v);
#else
    return v;
#endif
  };
  const unsigned char* p = reinterpret_cast<const unsigned char*>(word.data());
  const size_t n = word.size();
  if (n >= 4) {
    uint32_t low;
    uint32_t high;
    std::memcpy(&low, p, 4);
    std::memcpy(&high, p + n - 4, 4);
    return little_endian(low) | (uint64_t{little_endian(high)} << (8 * (n - 4)));
  }
  return uint64_t{p[0]} | (uint64_t{p[n / 2]} << (8 * (n / 2))) |
         (uint64_t{p[n - 1]} << (8 * (n - 1)));
}

// A fixed set of words, each with a number (for the phrase matchers' per-word lookups). A word
// of at most 8 bytes, most words, is found by its bytes packed into one integer: one multiply
// and a probe or two of an open-addressed array, no string hashing or comparison; longer words
// by a hash map. Copyable and movable; the words are copied in.
class WordTable {
 public:
  static constexpr uint32_t kAbsent = UINT32_MAX;

  // The number of `word` if it is in the table; else adds it with `number` and returns that.
  uint32_t Insert(absl::string_view word, uint32_t number);
  // The number of `word`, or kAbsent.
  uint32_t Find(absl::string_view word) const {
    if (word.empty()) return kAbsent;
    if (word.size() > 8) return FindLong(word);
    const uint64_t key = PackShortWord(word);
    const uint8_t length = static_cast<uint8_t>(word.size());
    for (size_t at = SlotOf(key);; at = (at + 1) & mask_) {
      const Slot& slot = slots_[at];
      if (slot.key == key && slot.length == length) return slot.number;
      if (slot.length == 0) return kAbsent;
    }
  }
  size_t size() const { return short_words_ + long_words_.size(); }
  bool empty() const { return size() == 0; }

 private:
  struct Slot {
    uint64_t key = 0;
    uint32_t number = 0;
    uint8_t length = 0;  // 0: empty
  };
  size_t SlotOf(uint64_t key) const {
    return static_cast<size_t>(((key ^ (key >> 29)) * 0x9E3779B97F4A7C15ULL) >> 32) & mask_;
  }
  uint32_t FindLong(absl::string_view word) const {
    const auto it = long_words_.find(word);
    return it == long_words_.end() ? kAbsent : it->second;
  }
  void Grow();

  std::vector<Slot> slots_ = std::vector<Slot>(16);  // a power of two, at most half full
  size_t mask_ = 15;
  size_t short_words_ = 0;
  absl::flat_hash_map<std::string, uint32_t> long_words_;
};

// Finds which of a set of phrases (normalised words) occur as consecutive whole words in a
// text: an Aho-Corasick automaton over words, so that one pass over the text's words answers
// for every phrase at once, in O(text words) after O(phrase words) to build, whatever the
// phrases (no phrase-by-phrase or position-by-position comparison). The phrases' words are
// copied in; the matcher owns them. Not copyable (movable).
class PhraseMatcher {
 public:
  PhraseMatcher();
  PhraseMatcher(PhraseMatcher&&) = default;
  PhraseMatcher& operator=(PhraseMatcher&&) = default;

  // Adds a phrase; one without words is ignored. Call Build() after the last one.
  void Add(WordSpan phrase);
  // Computes the failure links; Add may not be called afterwards.
  void Build();
  // True when any phrase added occurs in `words`.
  bool FoundIn(WordSpan words) const;

 private:
  static constexpr uint32_t kRoot = 0;
  static constexpr uint32_t kNoWord = UINT32_MAX;
  uint32_t WordId(absl::string_view word) const;
  // The child of `node` over `word_id`, or kNoWord.
  uint32_t Child(uint32_t node, uint32_t word_id) const;

  WordTable word_ids_;
  absl::flat_hash_map<uint64_t, uint32_t> children_;  // (node << 32 | word id) -> node
  std::vector<uint32_t> failure_;                     // per node
  std::vector<bool> matches_;  // per node: a phrase ends here, or at a node of its failure chain
  std::vector<std::vector<std::pair<uint32_t, uint32_t>>> edges_;  // per node: (word id, child)
  // Bit min(length, 63) of entry b is set when some phrase word starts (ends) with byte b and
  // has that length: most words of a text are rejected without hashing them.
  std::array<uint64_t, 256> lengths_by_first_byte_{};
  std::array<uint64_t, 256> lengths_by_last_byte_{};
  // The phrases that are one Han or kana letter, also looked for inside bigrams.
  std::vector<std::string> lone_letters_;
};

// A fixed list of phrases from config, each normalised once (entries without words are dropped)
// and indexed by first word, so that matching a note costs one cheap probe per note word
// instead of one comparison per phrase. Movable (the views stay valid), not copyable.
class PhraseList {
 public:
  template <typename Texts>  // a container of strings, e.g. a repeated string field
  explicit PhraseList(const Texts& texts) {
    std::vector<size_t> phrase_ends;  // phrase i is word_storage_[end(i-1), end(i))
    for (const auto& text : texts) Add(text, &phrase_ends);
    Index(phrase_ends);
  }
  PhraseList(PhraseList&&) = default;
  PhraseList& operator=(PhraseList&&) = default;

  size_t size() const { return phrases_.size(); }
  bool empty() const { return phrases_.empty(); }
  // The i-th non-empty phrase, in config order.
  WordSpan phrase(size_t i) const { return phrases_[i]; }

  // Indices of the phrases whose first word is `word`, ascending (config order).
  absl::Span<const uint32_t> StartingWith(absl::string_view word) const {
    if (!MayStartPhrase(word)) return {};
    return LookUpFirstWord(word);
  }
  // True when any of the phrases occurs in `words` (as ContainsPhrase): one pass over `words`.
  bool FoundIn(WordSpan words) const { return matcher_.FoundIn(words); }

 private:
  // Appends the words of `text`, if any, to word_storage_ and their end to `phrase_ends`.
  void Add(absl::string_view text, std::vector<size_t>* phrase_ends);
  // Builds phrases_ and the first-word index once word_storage_ is complete.
  void Index(const std::vector<size_t>& phrase_ends);
  // False when no phrase starts with `word`; true means maybe. Two table probes, no hashing.
  bool MayStartPhrase(absl::string_view word) const {
    if (word.empty()) return false;
    const uint64_t length_bit = uint64_t{1} << std::min<size_t>(word.size(), 63);
    return (first_word_lengths_by_first_byte_[static_cast<unsigned char>(word.front())] &
            first_word_lengths_by_last_byte_[static_cast<unsigned char>(word.back())] &
            length_bit) != 0;
  }
  absl::Span<const uint32_t> LookUpFirstWord(absl::string_view word) const;

  // Every phrase word, owned. Its strings never move once built (a move of the vector keeps
  // the elements where they are), so the views below stay valid.
  std::vector<std::string> word_storage_;
  std::vector<std::vector<absl::string_view>> phrases_;
  WordTable first_words_;                             // a phrase's first word -> its entry below
  std::vector<std::vector<uint32_t>> by_first_word_;  // per entry: the phrases, ascending
  // Bit min(length, 63) of entry b is set when some phrase's first word starts (ends) with
  // byte b and has that length: together they reject most note words without hashing them.
  std::array<uint64_t, 256> first_word_lengths_by_first_byte_{};
  std::array<uint64_t, 256> first_word_lengths_by_last_byte_{};
  PhraseMatcher matcher_;  // every phrase, for FoundIn
};

}  // namespace etiquette
