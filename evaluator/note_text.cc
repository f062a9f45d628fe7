#include "evaluator/note_text.h"

#include <unicode/brkiter.h>
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/base/attributes.h"
#include "absl/container/inlined_vector.h"
#include "absl/numeric/bits.h"
#include "absl/strings/string_view.h"

namespace etiquette {
namespace {

bool IsContinuationByte(unsigned char c) { return (c & 0xC0) == 0x80; }

// What an ASCII byte is to the tokenizer: a word byte (its lower-case form), the apostrophe
// (dropped), or a separator (0). By hand, because std::isalnum/std::tolower consult the locale.
constexpr char kApostrophe = '\'';
constexpr std::array<char, 128> MakeAsciiClasses() {
  std::array<char, 128> classes{};
  for (int c = '0'; c <= '9'; ++c) classes[c] = static_cast<char>(c);
  for (int c = 'a'; c <= 'z'; ++c) classes[c] = static_cast<char>(c);
  for (int c = 'A'; c <= 'Z'; ++c) classes[c] = static_cast<char>(c - 'A' + 'a');
  classes['\''] = kApostrophe;
  return classes;
}
constexpr std::array<char, 128> kAsciiClasses = MakeAsciiClasses();

// SplitAscii's block: kAsciiClasses for 16 bytes at once.
constexpr size_t kAsciiBlock = 16;
struct AsciiBlock {
  // Letters lower-cased, other bytes as they were; then zeros, so that 16 bytes may be copied
  // from any offset of the block.
  char lowered[2 * kAsciiBlock];
  uint32_t words;        // bit k: byte k is a letter or a digit
  uint32_t apostrophes;  // bit k: byte k is '\''
};
#if defined(__SSE2__)
AsciiBlock ClassifyAsciiBlock(const char* bytes) {
  const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes));
  // x - low <= span, unsigned, as min(x - low, span) == x - low.
  const auto in_range = [](__m128i x, char low, char span) {
    const __m128i offset = _mm_sub_epi8(x, _mm_set1_epi8(low));
    return _mm_cmpeq_epi8(_mm_min_epu8(offset, _mm_set1_epi8(span)), offset);
  };
  const __m128i case_bit = _mm_set1_epi8(0x20);
  const __m128i letters = in_range(_mm_or_si128(block, case_bit), 'a', 'z' - 'a');
  const __m128i digits = in_range(block, '0', '9' - '0');
  AsciiBlock out;
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out.lowered),
                   _mm_or_si128(block, _mm_and_si128(letters, case_bit)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out.lowered + kAsciiBlock), _mm_setzero_si128());
  out.words = static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(letters, digits)));
  out.apostrophes =
      static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, _mm_set1_epi8('\''))));
  return out;
}
#endif

// ICU's NFKC_Casefold: compatibility decomposition and composition, full case folding ("ß" ->
// "ss") and default-ignorable code points (soft hyphen, zero-width joiner...) removed.
const icu::Normalizer2& NfkcCasefold() {
  static const icu::Normalizer2* const normalizer = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
    if (U_FAILURE(status) || n == nullptr) std::abort();  // ICU's data is missing: unusable
    return n;
  }();
  return *normalizer;
}

// One break iterator of each kind per thread (they are not thread-safe), cloned from a
// prototype made once: creating one loads rules and dictionaries, cloning is cheap.
std::unique_ptr<icu::BreakIterator> MakeBreakIterator(bool words) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> iterator(
      words ? icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status)
            : icu::BreakIterator::createCharacterInstance(icu::Locale::getRoot(), status));
  if (U_FAILURE(status) || iterator == nullptr) std::abort();
  return iterator;
}
icu::BreakIterator& ThreadBreakIterator(bool words) {
  static const icu::BreakIterator* const word_prototype = MakeBreakIterator(true).release();
  static const icu::BreakIterator* const character_prototype = MakeBreakIterator(false).release();
  thread_local const std::unique_ptr<icu::BreakIterator> word(word_prototype->clone());
  thread_local const std::unique_ptr<icu::BreakIterator> character(character_prototype->clone());
  return words ? *word : *character;
}

bool IsApostrophe(UChar32 c) { return c == '\'' || c == 0x2019; }

// Letters, combining marks and digits make words; anything else separates them.
bool IsWordCategory(UChar32 c) {
  switch (u_charType(c)) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
    case U_NON_SPACING_MARK:
    case U_ENCLOSING_MARK:
    case U_COMBINING_SPACING_MARK:
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      return true;
    default:
      return false;
  }
}

bool IsWordCodePoint(UChar32 c) {
  if (c < 0) return false;  // ill-formed UTF-8
  if (c < 0x80) return kAsciiClasses[c] != 0;
  // Latin, Greek, Cyrillic, Hebrew, Arabic... from a table made once: no ICU call per letter.
  static const std::array<bool, 0x800> kTwoByteWords = [] {
    std::array<bool, 0x800> words{};
    for (UChar32 cp = 0x80; cp < 0x800; ++cp) words[cp] = IsWordCategory(cp);
    return words;
  }();
  if (c < 0x800) return kTwoByteWords[c];
  return IsWordCategory(c);
}

// Scripts written without spaces between words that ICU's dictionary word break iterator still
// splits: Thai, Lao, Myanmar, Khmer (after NFKC, so no compatibility forms are left).
bool NeedsDictionary(UChar32 c) {
  return (c >= 0x0E00 && c <= 0x0EFF) || (c >= 0x1000 && c <= 0x109F) ||
         (c >= 0x1780 && c <= 0x17FF);
}

// Han ideographs (and the marks 々〆〇), hiragana and katakana: split into overlapping bigrams
// instead (see NoteWords). Half-width katakana are full-width after NFKC.
bool IsBigramScript(UChar32 c) {
  return (c >= 0x3005 && c <= 0x3007) || (c >= 0x3040 && c <= 0x30FF) ||
         (c >= 0x31F0 && c <= 0x31FF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0x20000 && c <= 0x3FFFF);
}

}  // namespace

bool IsAscii(absl::string_view text) {
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t chunk;
    std::memcpy(&chunk, text.data() + i, 8);
    if ((chunk & 0x8080808080808080ULL) != 0) return false;
  }
  for (; i < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) >= 0x80) return false;
  }
  return true;
}

size_t CountGraphemes(absl::string_view utf8) {
  if (IsAscii(utf8)) {  // CR LF is the one ASCII cluster of two
    size_t count = utf8.size();
    for (size_t i = 0; i + 1 < utf8.size(); ++i) count -= (utf8[i] == '\r' && utf8[i + 1] == '\n');
    return count;
  }
  UErrorCode status = U_ZERO_ERROR;
  UText text = UTEXT_INITIALIZER;
  utext_openUTF8(&text, utf8.data(), static_cast<int64_t>(utf8.size()), &status);
  icu::BreakIterator& characters = ThreadBreakIterator(false);
  characters.setText(&text, status);
  size_t count = 0;
  if (U_SUCCESS(status)) {
    for (int32_t at = characters.next(); at != icu::BreakIterator::DONE; at = characters.next()) {
      ++count;
    }
  }
  utext_close(&text);
  return count;
}

size_t CountCodePoints(absl::string_view utf8) {
  size_t count = 0;
  size_t i = 0;
  for (; i + 8 <= utf8.size(); i += 8) {  // an ASCII chunk is eight code points
    uint64_t chunk;
    std::memcpy(&chunk, utf8.data() + i, 8);
    if ((chunk & 0x8080808080808080ULL) == 0) {
      count += 8;
      continue;
    }
    for (size_t k = i; k < i + 8; ++k) {
      count += IsContinuationByte(static_cast<unsigned char>(utf8[k])) ? 0 : 1;
    }
  }
  for (; i < utf8.size(); ++i) {
    count += IsContinuationByte(static_cast<unsigned char>(utf8[i])) ? 0 : 1;
  }
  return count;
}

size_t CountUtf16CodeUnits(absl::string_view utf8) {
  // A code point above U+FFFF (a surrogate pair in UTF-16) is the one with a 4-byte sequence.
  size_t supplementary = 0;
  for (const char byte : utf8) supplementary += static_cast<unsigned char>(byte) >= 0xF0 ? 1 : 0;
  return CountCodePoints(utf8) + supplementary;
}

NoteWords::NoteWords(absl::string_view text, size_t max_words) {
  if (SplitAscii(text, max_words) || SplitByTable(text, max_words)) return;
  SplitUnicode(text, max_words);
  joined_ = buffer_;
}

void WordList::Grow() {
  const size_t capacity = 2 * capacity_;
  auto bigger = std::make_unique<absl::string_view[]>(capacity);
  std::copy(data_, data_ + size_, bigger.get());
  heap_ = std::move(bigger);
  data_ = heap_.get();
  capacity_ = capacity;
}

char* NoteWords::WordBytes(size_t bytes) {
  if (bytes <= kInlineBytes) return inline_bytes_;
  buffer_.resize(bytes);
  return buffer_.data();
}

bool NoteWords::SplitAscii(absl::string_view text, size_t max_words) {
  if (!IsAscii(text)) return false;  // eight bytes at a time, before any work
  if (max_words == 0) return true;
  // Every input byte yields at most one output byte, so the buffer never reallocates and the
  // views taken while filling it stay valid; the slack lets a block store 16 bytes wherever a
  // word goes on (the output never runs ahead of the input).
  char* const begin = WordBytes(text.size() + kAsciiBlock);
  char* out = begin;
  char* word_start = begin;
  const char* in = text.data();
  const char* const end = in + text.size();
  // Ends the word being written, if any; false once max_words are kept.
  const auto end_word = [&]() {
    if (out == word_start) return true;
    words_.push_back(absl::string_view(word_start, static_cast<size_t>(out - word_start)));
    word_start = out;
    return words_.size() < max_words;
  };
  // One byte by the class table: the tail, and blocks with an apostrophe.
  const auto split_byte = [&](char byte) {
    const char mapped = kAsciiClasses[static_cast<unsigned char>(byte)];
    if (mapped == 0) return end_word();
    if (mapped != kApostrophe) *out++ = mapped;  // inside a word it vanishes; elsewhere too
    return true;
  };
  bool room = true;
#if defined(__SSE2__)
  // 16 bytes at a time: a mask of the word bytes (letters and digits), the block lower-cased,
  // then whole runs of word bytes are copied at once.
  for (; room && end - in >= static_cast<ptrdiff_t>(kAsciiBlock); in += kAsciiBlock) {
    const AsciiBlock block = ClassifyAsciiBlock(in);
    if (block.apostrophes != 0) {
      for (size_t k = 0; room && k < kAsciiBlock; ++k) room = split_byte(in[k]);
      continue;
    }
    uint32_t at = 0;
    while (room && at < kAsciiBlock) {
      const uint32_t ahead = block.words >> at;  // bits past the block are 0: separators
      const uint32_t run = static_cast<uint32_t>(absl::countr_one(ahead));
      if (run != 0) {
        std::memcpy(out, block.lowered + at, kAsciiBlock);  // the run, and bytes overwritten later
        out += run;
        at += run;
        if (at == kAsciiBlock) break;
      }
      room = end_word();
      const uint32_t rest = block.words >> at;  // at a separator: skip to the next word byte
      if (rest == 0) break;
      at += static_cast<uint32_t>(absl::countr_zero(rest));
    }
  }
#endif
  for (; room && in != end; ++in) room = split_byte(*in);
  if (room) end_word();
  joined_ = absl::string_view(begin, static_cast<size_t>(out - begin));
  return true;
}

namespace {
// NFKC_Casefold of `text` appended to `out` (nothing when ICU fails).
void AppendFolded(absl::string_view text, std::string* out) {
  UErrorCode status = U_ZERO_ERROR;
  icu::StringByteSink<std::string> sink(out, static_cast<int32_t>(text.size()));
  NfkcCasefold().normalizeUTF8(0, icu::StringPiece(text.data(), static_cast<int32_t>(text.size())),
                               sink, nullptr, status);
  if (U_FAILURE(status)) out->clear();
}

// NFKC_Casefold of the code points most notes are made of, computed by ICU once, in a fixed
// slot each (copied eight bytes at a time), and what the table may do with each: nothing
// (kByIcu: the normaliser has no boundary before it, or its image does not fit the slot), or
// fold it, and then what its image is to the words.
enum class TableFold : uint8_t {
  kByIcu,
  kWord,       // only word code points: appended to the word
  kSeparator,  // only separators: ends the word
  kDropped,    // nothing (a soft hyphen) or only apostrophes
  kBigram,     // one Han or kana letter: continues or starts a bigram run
  kMixed,      // more than one kind ("½" -> "1⁄2"): folded by table, then split
};
bool IsBigramLetter(UChar32 c);
struct TableEntry {
  char image[8];
  uint8_t length;
  TableFold fold;
};
// Bytes an image may need: a code point of the table folds to at most kMaxImage bytes (else
// the table leaves it to ICU), so the folded text is at most 4 times as long as the text.
constexpr size_t kMaxImage = 8;

// Every code point below U+0800 (one- and two-byte UTF-8: Latin, Greek, Cyrillic, Hebrew,
// Arabic...), General Punctuation (U+2000..U+20FF: dashes, quotes, ...), CJK punctuation and
// kana (U+3000..U+30FF) and the half- and full-width forms (U+FF00..U+FFEF); and which Han
// letters (U+3400..U+9FFF) fold to themselves with a boundary before.
class FoldTable {
 public:
  FoldTable() {
    for (UChar32 c = 0; c < 0x800; ++c) Fill(c, &low_[c]);
    for (UChar32 c = 0; c < 0x100; ++c) {
      Fill(0x2000 + c, &punctuation_[c]);
      Fill(0x3000 + c, &cjk_[c]);
      Fill(0xFF00 + c, &forms_[c]);
    }
    ideograph_same_.resize(0xA000 - 0x3400);
    for (UChar32 c = 0x3400; c < 0xA000; ++c) {
      // Inert code points fold to themselves with boundaries around; others are checked.
      ideograph_same_[c - 0x3400] =
          IsBigramLetter(c) && (NfkcCasefold().isInert(c) ||
                                (NfkcCasefold().hasBoundaryBefore(c) && Image(c) == Utf8(c)));
    }
  }
  // The entry of `c`, or nullptr when the table has none.
  const TableEntry* Find(UChar32 c) const {
    if (c < 0x800) return &low_[c];
    switch (c >> 8) {
      case 0x20:
        return &punctuation_[c & 0xFF];
      case 0x30:
        return &cjk_[c & 0xFF];
      case 0xFF:
        return c < 0xFFF0 ? &forms_[c & 0xFF] : nullptr;
      default:
        return nullptr;
    }
  }
  // True when `c` is a Han letter of U+3400..U+9FFF (a bigram letter, not a symbol like
  // "䷀") that folds to itself with a boundary before it.
  bool IdeographFoldsToItself(UChar32 c) const {
    return c >= 0x3400 && c < 0xA000 && ideograph_same_[c - 0x3400];
  }

 private:
  static std::string Utf8(UChar32 c) {
    char utf8[4];
    int32_t n = 0;
    U8_APPEND_UNSAFE(utf8, n, c);
    return std::string(utf8, static_cast<size_t>(n));
  }
  static std::string Image(UChar32 c) {
    std::string image;
    AppendFolded(Utf8(c), &image);
    return image;
  }
  static void Fill(UChar32 c, TableEntry* entry) {
    entry->fold = TableFold::kByIcu;
    const std::string image = Image(c);
    if (!NfkcCasefold().hasBoundaryBefore(c) || image.size() > kMaxImage) return;
    std::memcpy(entry->image, image.data(), image.size());
    entry->length = static_cast<uint8_t>(image.size());
    int bigrams = 0;
    bool words = false, separators = false, apostrophes = false;
    for (int32_t i = 0; i < static_cast<int32_t>(image.size());) {
      UChar32 d;
      U8_NEXT(image.data(), i, static_cast<int32_t>(image.size()), d);
      if (d >= 0 && IsApostrophe(d)) {
        apostrophes = true;
      } else if (d >= 0 && IsBigramLetter(d)) {
        ++bigrams;
      } else if (IsWordCodePoint(d)) {
        words = true;
      } else {
        separators = true;
      }
    }
    if (bigrams > 0) {
      entry->fold = bigrams == 1 && !words && !separators && !apostrophes ? TableFold::kBigram
                                                                          : TableFold::kMixed;
      return;
    }
    entry->fold = words + separators + apostrophes > 1 ? TableFold::kMixed
                  : words                              ? TableFold::kWord
                  : separators                         ? TableFold::kSeparator
                                                       : TableFold::kDropped;
  }

  std::array<TableEntry, 0x800> low_{};
  std::array<TableEntry, 0x100> punctuation_{};
  std::array<TableEntry, 0x100> cjk_{};
  std::array<TableEntry, 0x100> forms_{};
  std::vector<bool> ideograph_same_;
};
const FoldTable& Folds() {
  static const FoldTable* const table = new FoldTable;
  return *table;
}

// The code point of the one-, two- or three-byte UTF-8 sequence at `in` (before `end`),
// advancing `in`; -1 for anything else (four-byte sequences, ill-formed UTF-8).
inline UChar32 NextUpToThreeBytes(const unsigned char*& in, const unsigned char* end) {
  const unsigned char lead = *in;
  if (lead < 0x80) {
    ++in;
    return lead;
  }
  if (lead >= 0xC2 && lead < 0xE0 && end - in >= 2 && (in[1] & 0xC0) == 0x80) {
    const UChar32 c = ((lead & 0x1F) << 6) | (in[1] & 0x3F);
    in += 2;
    return c;
  }
  if (lead >= 0xE0 && lead < 0xF0 && end - in >= 3 && (in[1] & 0xC0) == 0x80 &&
      (in[2] & 0xC0) == 0x80) {
    const UChar32 c = ((lead & 0x0F) << 12) | ((in[1] & 0x3F) << 6) | (in[2] & 0x3F);
    if (c < 0x800 || (c >= 0xD800 && c < 0xE000)) return -1;  // overlong, surrogate
    in += 3;
    return c;
  }
  return -1;
}

// True when a code point of `utf8` from byte `from` on needs the dictionary.
bool AnyNeedsDictionary(absl::string_view utf8, int32_t from) {
  const char* const in = utf8.data();
  const int32_t length = static_cast<int32_t>(utf8.size());
  for (int32_t i = from; i < length;) {
    if (static_cast<unsigned char>(in[i]) < 0x80) {
      ++i;
      continue;
    }
    UChar32 c;
    U8_NEXT(in, i, length, c);
    if (NeedsDictionary(c)) return true;
  }
  return false;
}

// A bigram-script code point that is a word code point (hiragana, katakana, ideographs; not
// "・" or the spacing voicing marks), by a bit table for U+3000..U+9FFF made once.
bool IsBigramLetter(UChar32 c) {
  static const std::array<uint64_t, (0xA000 - 0x3000) / 64>* const kBits = [] {
    auto* bits = new std::array<uint64_t, (0xA000 - 0x3000) / 64>{};
    for (UChar32 cp = 0x3000; cp < 0xA000; ++cp) {
      if (IsBigramScript(cp) && IsWordCategory(cp)) {
        (*bits)[(cp - 0x3000) / 64] |= uint64_t{1} << ((cp - 0x3000) % 64);
      }
    }
    return bits;
  }();
  if (c >= 0x3000 && c < 0xA000) return ((*kBits)[(c - 0x3000) / 64] >> ((c - 0x3000) % 64)) & 1;
  return IsBigramScript(c) && IsWordCategory(c);
}

// When `word` is one bigram-script letter (a run of one, or a one-letter phrase word), that
// letter; else empty.
absl::string_view LoneBigramLetter(absl::string_view word) {
  if (word.size() < 3 || word.size() > 4 || static_cast<unsigned char>(word[0]) < 0xE3) return {};
  int32_t i = 0;
  UChar32 c;
  U8_NEXT(word.data(), i, static_cast<int32_t>(word.size()), c);
  return static_cast<size_t>(i) == word.size() && IsBigramLetter(c) ? word : absl::string_view();
}

// True when `word` is a bigram (two bigram-script letters) one of whose letters is `letter`.
bool BigramHolds(absl::string_view word, absl::string_view letter) {
  if (word.size() < 6 || word.size() > 8 || static_cast<unsigned char>(word[0]) < 0xE3) {
    return false;
  }
  int32_t i = 0;
  UChar32 c;
  U8_NEXT(word.data(), i, static_cast<int32_t>(word.size()), c);
  if (!IsBigramLetter(c)) return false;
  const absl::string_view first = word.substr(0, static_cast<size_t>(i));
  const absl::string_view second = word.substr(static_cast<size_t>(i));
  if (LoneBigramLetter(second).empty()) return false;
  return first == letter || second == letter;
}

// Writes the words of folded text, code point by code point, at `out` (which may trail the
// text being read: it never overtakes it) and their views to `words`, at most `max_words`.
// A word code point is appended, anything else ends the word (the caller drops apostrophes).
// A run of bigram-script letters ends the word before it and makes words of its own: every
// pair of neighbours (one view over both), or the letter alone in a run of one.
class WordWriter {
 public:
  WordWriter(char* out, WordList* words, size_t max_words)
      : out_(out), word_start_(out), words_(words), max_words_(max_words) {}

  bool full() const { return words_->size() >= max_words_; }
  char* end() const { return out_; }

  // (Called only while not full.)
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Letter(const char* bytes, size_t n) {
    if (run_start_ != nullptr) {
      EndRun();
      if (full()) return;  // joined() stops with the last word
    }
    for (size_t k = 0; k < n; ++k) out_[k] = bytes[k];  // n <= 4; out_ never passes bytes
    out_ += n;
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE void BigramLetter(const char* bytes, size_t n) {
    if (run_start_ == nullptr) {
      EndWord();
      run_start_ = out_;
    }
    if (full()) return;
    char* const letter = out_;
    for (size_t k = 0; k < n; ++k) out_[k] = bytes[k];
    out_ += n;
    if (letter != run_start_) Emit(previous_, out_);
    previous_ = letter;
  }
  // A separator, a break of the dictionary iterator, or the end of the text.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void EndWord() {
    if (run_start_ != nullptr) {
      EndRun();
    } else if (out_ != word_start_) {
      Emit(word_start_, out_);
    }
    word_start_ = out_;
  }
  // The code point `c`, spelled by the `n` bytes at `bytes` (c < 0: not valid UTF-8): dropped
  // (an apostrophe), a letter of a bigram run, a letter of a word, or else the end of a word.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Take(UChar32 c, const char* bytes, size_t n) {
    if (c >= 0 && IsApostrophe(c)) return;
    if (c >= 0x3005 && IsBigramLetter(c)) {
      BigramLetter(bytes, n);
    } else if (IsWordCodePoint(c)) {
      Letter(bytes, n);
    } else {
      EndWord();
    }
  }
  bool InRun() const { return run_start_ != nullptr; }

 private:
  ABSL_ATTRIBUTE_ALWAYS_INLINE void EndRun() {
    if (previous_ == run_start_) Emit(run_start_, out_);  // a run of one letter
    run_start_ = nullptr;
    word_start_ = out_;
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Emit(const char* begin, const char* end) {
    if (!full()) words_->push_back(absl::string_view(begin, static_cast<size_t>(end - begin)));
  }

  char* out_;
  char* word_start_;
  char* run_start_ = nullptr;  // the current bigram run's first letter, if in one
  char* previous_ = nullptr;   // the run's last letter so far
  WordList* words_;
  size_t max_words_;
};
}  // namespace

// When every code point of `text` is in the table (FoldTable) and has a normalisation boundary
// before it, the text normalises code point by code point (ICU's meaning of
// Normalizer2::hasBoundaryBefore), so its NFKC_Casefold is the concatenation of the code
// points' images from the table, exactly ICU's answer without the normaliser.
bool FoldNfkcCasefoldByTable(absl::string_view text, std::string* out) {
  const FoldTable& folds = Folds();
  // An image is at most kMaxImage bytes (one for ASCII), and each slot is written whole: room
  // for kMaxImage / 2 bytes a text byte and one more slot.
  out->resize(text.size() * (kMaxImage / 2) + kMaxImage);
  char* const begin = out->data();
  char* to = begin;
  const unsigned char* in = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char* const end = in + text.size();
  while (in != end) {
    const unsigned char* const at = in;
    const UChar32 c = NextUpToThreeBytes(in, end);
    if (c < 0) return false;
    const TableEntry* const entry = folds.Find(c);
    if (entry == nullptr) {
      if (!folds.IdeographFoldsToItself(c)) return false;
      std::memcpy(to, at, 3);
      to += 3;
      continue;
    }
    if (entry->fold == TableFold::kByIcu) return false;
    std::memcpy(to, entry->image, kMaxImage);
    to += entry->length;
  }
  out->resize(static_cast<size_t>(to - begin));
  return true;
}

bool NoteWords::SplitByTable(absl::string_view text, size_t max_words) {
  // FoldNfkcCasefoldByTable and SplitFoldedInPlace in one pass, for text whose code points'
  // images are each all word, all separator, nothing or one Han or kana letter: the same
  // words, straight into WordBytes. Anything else leaves (no words kept) at the first code
  // point that is not so.
  if (max_words == 0) return false;
  const FoldTable& folds = Folds();
  char* const begin = WordBytes(text.size() * (kMaxImage / 2) + kMaxImage);  // as the fold
  char* out = begin;
  char* word_start = begin;
  char* run_start = nullptr;  // the current bigram run's first letter, if in one
  char* previous = nullptr;   // the run's last letter so far
  const unsigned char* const first = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char* in = first;
  const unsigned char* const end = in + text.size();
  // Keeps a word; true when that was the last one allowed.
  auto keep = [&](const char* from, const char* to) ABSL_ATTRIBUTE_ALWAYS_INLINE {
    words_.push_back(absl::string_view(from, static_cast<size_t>(to - from)));
    return words_.size() >= max_words;
  };
  // Ends the current bigram run; true when its word was the last one allowed.
  auto end_run = [&]() ABSL_ATTRIBUTE_ALWAYS_INLINE {
    const bool last = previous == run_start && keep(run_start, out);  // a run of one letter
    run_start = nullptr;
    word_start = out;
    return last;
  };
  bool full = false;
  bool by_table = true;
  while (in != end && !full) {
    if (*in < 0x80) {  // ASCII, most of a European note: by the class table, as SplitAscii
      const char mapped = kAsciiClasses[*in++];
      if (mapped == kApostrophe) continue;
      if (run_start != nullptr && end_run()) {
        full = true;
        break;
      }
      if (mapped != 0) {
        *out++ = mapped;
        // The rest of an ASCII word in a tight loop: letters and digits map above the
        // apostrophe, anything else (a separator, a non-ASCII byte) to 0 or to it.
        while (in != end && *in < 0x80 && kAsciiClasses[*in] > kApostrophe) {
          *out++ = kAsciiClasses[*in++];
        }
      } else {
        if (out != word_start) full = keep(word_start, out);
        word_start = out;
      }
      continue;
    }
    const unsigned char* const at = in;
    const UChar32 c = NextUpToThreeBytes(in, end);
    const TableEntry* const entry = c < 0 ? nullptr : folds.Find(c);
    if (entry == nullptr || entry->fold == TableFold::kBigram) {
      if (entry == nullptr && !folds.IdeographFoldsToItself(c)) {
        by_table = false;
        break;
      }
      if (run_start == nullptr) {
        if (out != word_start && keep(word_start, out)) {
          full = true;
          break;
        }
        run_start = out;
      }
      char* const letter = out;
      if (entry != nullptr) {
        std::memcpy(out, entry->image, kMaxImage);
        out += entry->length;
      } else {
        std::memcpy(out, at, 3);  // an ideograph as it is
        out += 3;
      }
      if (letter != run_start) full = keep(previous, out);
      previous = letter;
      continue;
    }
    if (entry->fold == TableFold::kDropped) continue;  // nor does it end a run
    if (run_start != nullptr && end_run()) {
      full = true;
      break;
    }
    if (entry->fold == TableFold::kWord) {
      std::memcpy(out, entry->image, kMaxImage);
      out += entry->length;
    } else if (entry->fold == TableFold::kSeparator) {
      if (out != word_start) full = keep(word_start, out);
      word_start = out;
    } else {
      by_table = false;
      break;
    }
  }
  // Splitting stops at the bound, unless the dictionary is due after it.
  if (full && AnyNeedsDictionary(text, static_cast<int32_t>(in - first))) by_table = false;
  if (!by_table) {
    words_.clear();
    return false;
  }
  if (!full) {
    if (run_start != nullptr) {
      if (previous == run_start) keep(run_start, out);
    } else if (out != word_start) {
      keep(word_start, out);
    }
  }
  joined_ = absl::string_view(begin, static_cast<size_t>(out - begin));
  return true;
}

void NoteWords::SplitUnicode(absl::string_view text, size_t max_words) {
  // The folded text goes straight into buffer_ (by table for most European text, else by ICU)
  // and is split there in place (a word's bytes only ever move towards the front): one
  // allocation for the whole note. Only when Thai, Lao, Khmer or Myanmar turns up is the text
  // folded again for the dictionary break iterator. (SplitByTable has not served.)
  buffer_.clear();
  if (!FoldNfkcCasefoldByTable(text, &buffer_)) {
    buffer_.clear();
    AppendFolded(text, &buffer_);
  }
  if (SplitFoldedInPlace(max_words)) return;
  // The break iterator reads the folded text while the words are written: separate buffers.
  std::string folded;
  AppendFolded(text, &folded);
  buffer_.clear();
  buffer_.resize(folded.size());
  const char* const in = folded.data();
  const int32_t length = static_cast<int32_t>(folded.size());

  // Where the dictionary says a word ends, even without a separator; INT32_MAX: nowhere.
  UText utext = UTEXT_INITIALIZER;
  UErrorCode status = U_ZERO_ERROR;
  utext_openUTF8(&utext, in, length, &status);
  icu::BreakIterator* const breaks = &ThreadBreakIterator(true);
  breaks->setText(&utext, status);
  int32_t next_break = INT32_MAX;
  if (U_SUCCESS(status)) {
    next_break = breaks->next();
    if (next_break == icu::BreakIterator::DONE) next_break = INT32_MAX;
  }
  // The words are the folded text's bytes less separators and apostrophes: the buffer, sized
  // once, never reallocates, and the views taken while filling it stay valid.
  WordWriter writer(buffer_.data(), &words_, max_words);
  for (int32_t i = 0; i < length && !writer.full();) {
    while (i >= next_break) {
      if (!writer.InRun()) writer.EndWord();  // a bigram run is split by bigrams only
      next_break = breaks->next();
      if (next_break == icu::BreakIterator::DONE) next_break = INT32_MAX;
    }
    if (writer.full()) break;
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(in, i, length, c);
    writer.Take(c, in + start, static_cast<size_t>(i - start));
  }
  writer.EndWord();
  utext_close(&utext);
  buffer_.resize(static_cast<size_t>(writer.end() - buffer_.data()));  // keeps the data in place
}

bool NoteWords::SplitFoldedInPlace(size_t max_words) {
  // The same words as the dictionary path of SplitUnicode with no dictionary break: each code
  // point is kept (a word's), dropped (an apostrophe) or ends a word (anything else), and
  // bigram runs are split as there. Writing never overtakes reading, and the buffer never
  // reallocates, so the views stay valid.
  if (max_words == 0) return !AnyNeedsDictionary(buffer_, 0);
  char* const data = buffer_.data();
  const int32_t length = static_cast<int32_t>(buffer_.size());
  WordWriter writer(data, &words_, max_words);
  int32_t i = 0;
  while (i < length) {
    const unsigned char byte = static_cast<unsigned char>(data[i]);
    if (byte < 0x80) {  // already folded: the class table gives the byte itself or a separator
      ++i;
      const char mapped = kAsciiClasses[byte];
      if (mapped == 0) {
        writer.EndWord();
      } else if (mapped != kApostrophe) {
        writer.Letter(data + i - 1, 1);
      }
    } else {
      const int32_t start = i;
      UChar32 c;
      U8_NEXT(data, i, length, c);
      if (c >= 0x0E00 && NeedsDictionary(c)) {
        words_.clear();
        return false;
      }
      writer.Take(c, data + start, static_cast<size_t>(i - start));
    }
    if (writer.full()) {  // splitting stops here; the path depends on the rest
      if (AnyNeedsDictionary(buffer_, i)) {
        words_.clear();
        return false;
      }
      break;
    }
  }
  writer.EndWord();
  buffer_.resize(static_cast<size_t>(writer.end() - data));  // shrinking keeps the data in place
  return true;
}

std::vector<std::string> NormalizedWords(absl::string_view text) {
  const NoteWords note_words(text);
  const WordSpan words = note_words.words();
  return std::vector<std::string>(words.begin(), words.end());
}

bool PhraseAt(WordSpan words, size_t at, WordSpan phrase) {
  return words.size() >= at && words.size() - at >= phrase.size() &&
         std::equal(phrase.begin(), phrase.end(), words.begin() + at);
}

bool ContainsPhrase(WordSpan words, WordSpan phrase) {
  if (phrase.empty() || phrase.size() > words.size()) return false;
  if (phrase.size() == 1 && !LoneBigramLetter(phrase[0]).empty()) {
    return std::any_of(words.begin(), words.end(), [&](absl::string_view word) {
      return word == phrase[0] || BigramHolds(word, phrase[0]);
    });
  }
  // Knuth-Morris-Pratt: border[i] is the length of the longest proper border of phrase[0..i].
  std::vector<size_t> border(phrase.size(), 0);
  for (size_t i = 1, k = 0; i < phrase.size(); ++i) {
    while (k > 0 && phrase[i] != phrase[k]) k = border[k - 1];
    if (phrase[i] == phrase[k]) ++k;
    border[i] = k;
  }
  for (size_t i = 0, k = 0; i < words.size(); ++i) {
    while (k > 0 && words[i] != phrase[k]) k = border[k - 1];
    if (words[i] == phrase[k]) ++k;
    if (k == phrase.size()) return true;
  }
  return false;
}

bool ContainsPhrase(const std::vector<std::string>& words, const std::vector<std::string>& phrase) {
  const std::vector<absl::string_view> word_views(words.begin(), words.end());
  const std::vector<absl::string_view> phrase_views(phrase.begin(), phrase.end());
  return ContainsPhrase(WordSpan(word_views), WordSpan(phrase_views));
}

PhraseMatcher::PhraseMatcher() : failure_{kRoot}, matches_{false}, edges_(1) {}

namespace {
uint64_t LengthBit(absl::string_view word) {
  return uint64_t{1} << std::min<size_t>(word.size(), 63);
}
}  // namespace

uint32_t WordTable::Insert(absl::string_view word, uint32_t number) {
  if (const uint32_t found = Find(word); found != kAbsent) return found;
  if (word.size() > 8) return long_words_.try_emplace(word, number).first->second;
  if (2 * (short_words_ + 1) > slots_.size()) Grow();
  const uint64_t key = PackShortWord(word);
  size_t at = SlotOf(key);
  while (slots_[at].length != 0) at = (at + 1) & mask_;
  slots_[at] = Slot{key, number, static_cast<uint8_t>(word.size())};
  ++short_words_;
  return number;
}

void WordTable::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(2 * old.size(), Slot{});
  mask_ = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.length == 0) continue;
    size_t at = SlotOf(slot.key);
    while (slots_[at].length != 0) at = (at + 1) & mask_;
    slots_[at] = slot;
  }
}

uint32_t PhraseMatcher::WordId(absl::string_view word) const {
  if (word.empty() ||
      (lengths_by_first_byte_[static_cast<unsigned char>(word.front())] &
       lengths_by_last_byte_[static_cast<unsigned char>(word.back())] & LengthBit(word)) == 0) {
    return kNoWord;
  }
  const uint32_t id = word_ids_.Find(word);
  return id == WordTable::kAbsent ? kNoWord : id;
}

uint32_t PhraseMatcher::Child(uint32_t node, uint32_t word_id) const {
  const auto it = children_.find((uint64_t{node} << 32) | word_id);
  return it == children_.end() ? kNoWord : it->second;
}

void PhraseMatcher::Add(WordSpan phrase) {
  if (phrase.empty()) return;
  if (phrase.size() == 1 && !LoneBigramLetter(phrase[0]).empty()) {
    lone_letters_.emplace_back(phrase[0]);  // matched in bigrams too; see the header
  }
  uint32_t node = kRoot;
  for (absl::string_view word : phrase) {
    const uint32_t id = word_ids_.Insert(word, static_cast<uint32_t>(word_ids_.size()));
    lengths_by_first_byte_[static_cast<unsigned char>(word.front())] |= LengthBit(word);
    lengths_by_last_byte_[static_cast<unsigned char>(word.back())] |= LengthBit(word);
    const auto [it, added] =
        children_.try_emplace((uint64_t{node} << 32) | id, static_cast<uint32_t>(edges_.size()));
    if (added) {
      edges_[node].emplace_back(id, it->second);
      edges_.emplace_back();
      failure_.push_back(kRoot);
      matches_.push_back(false);
    }
    node = it->second;
  }
  matches_[node] = true;
}

void PhraseMatcher::Build() {
  // Breadth first, so that a node's failure target (shallower) is complete before it.
  std::vector<uint32_t> queue;
  queue.reserve(edges_.size());
  for (const auto& [id, child] : edges_[kRoot]) queue.push_back(child);
  for (size_t next = 0; next < queue.size(); ++next) {
    const uint32_t node = queue[next];
    matches_[node] = matches_[node] || matches_[failure_[node]];
    for (const auto& [id, child] : edges_[node]) {
      uint32_t fallback = failure_[node];
      uint32_t target = Child(fallback, id);
      while (target == kNoWord && fallback != kRoot) {
        fallback = failure_[fallback];
        target = Child(fallback, id);
      }
      failure_[child] = target == kNoWord ? kRoot : target;
      queue.push_back(child);
    }
  }
  edges_.clear();
  edges_.shrink_to_fit();
}

bool PhraseMatcher::FoundIn(WordSpan words) const {
  if (word_ids_.empty()) return false;
  uint32_t node = kRoot;
  for (const std::string& letter : lone_letters_) {  // usually none: no pass at all
    for (absl::string_view word : words) {
      if (BigramHolds(word, letter)) return true;
    }
  }
  for (absl::string_view word : words) {
    const uint32_t id = WordId(word);
    if (id == kNoWord) {  // in no phrase: no match spans it
      node = kRoot;
      continue;
    }
    uint32_t next = Child(node, id);
    while (next == kNoWord && node != kRoot) {
      node = failure_[node];
      next = Child(node, id);
    }
    node = next == kNoWord ? kRoot : next;
    if (matches_[node]) return true;
  }
  return false;
}

double WordSimilarity(WordSpan a, WordSpan b) {
  const size_t longer = std::max(a.size(), b.size());
  if (longer == 0) return 1.0;
  // Levenshtein distance over words, one row at a time.
  absl::InlinedVector<size_t, 64> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return 1.0 - static_cast<double>(row[b.size()]) / static_cast<double>(longer);
}

void PhraseList::Add(absl::string_view text, std::vector<size_t>* phrase_ends) {
  const NoteWords note_words(text);
  const WordSpan words = note_words.words();
  if (words.empty()) return;
  for (absl::string_view word : words) word_storage_.emplace_back(word);
  phrase_ends->push_back(word_storage_.size());
}

void PhraseList::Index(const std::vector<size_t>& phrase_ends) {
  phrases_.reserve(phrase_ends.size());
  size_t begin = 0;
  for (size_t end : phrase_ends) {
    phrases_.emplace_back(word_storage_.begin() + begin, word_storage_.begin() + end);
    begin = end;
  }
  for (const std::vector<absl::string_view>& phrase : phrases_) matcher_.Add(phrase);
  matcher_.Build();
  for (uint32_t i = 0; i < phrases_.size(); ++i) {
    const absl::string_view first = phrases_[i].front();
    const uint32_t entry = first_words_.Insert(first, static_cast<uint32_t>(by_first_word_.size()));
    if (entry == by_first_word_.size()) by_first_word_.emplace_back();
    by_first_word_[entry].push_back(i);
    const uint64_t length_bit = uint64_t{1} << std::min<size_t>(first.size(), 63);
    first_word_lengths_by_first_byte_[static_cast<unsigned char>(first.front())] |= length_bit;
    first_word_lengths_by_last_byte_[static_cast<unsigned char>(first.back())] |= length_bit;
  }
}

absl::Span<const uint32_t> PhraseList::LookUpFirstWord(absl::string_view word) const {
  const uint32_t entry = first_words_.Find(word);
  if (entry == WordTable::kAbsent) return {};
  return by_first_word_[entry];
}

}  // namespace etiquette
