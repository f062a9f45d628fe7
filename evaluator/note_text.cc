#include "evaluator/note_text.h"

#include <unicode/brkiter.h>
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

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

// Scripts written without spaces between words, which ICU splits with a dictionary: Thai, Lao,
// Myanmar, Khmer, kana, CJK ideographs (after NFKC, so no half-width forms are left).
bool NeedsDictionary(UChar32 c) {
  return (c >= 0x0E00 && c <= 0x0EFF) || (c >= 0x1000 && c <= 0x109F) ||
         (c >= 0x1780 && c <= 0x17FF) || (c >= 0x3040 && c <= 0x30FF) ||
         (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3FFFF);
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

NoteWords::NoteWords(absl::string_view text, size_t max_words) {
  if (!SplitAscii(text, max_words)) SplitUnicode(text, max_words);
}

bool NoteWords::SplitAscii(absl::string_view text, size_t max_words) {
  if (!IsAscii(text)) return false;  // eight bytes at a time, before any work
  if (max_words == 0) return true;
  // Every input byte yields at most one output byte, so the buffer never reallocates and the
  // views taken while filling it stay valid.
  buffer_.resize(text.size());
  char* const begin = buffer_.data();
  char* out = begin;
  char* word_start = begin;
  const char* in = text.data();
  const char* const end = in + text.size();
  for (; in != end; ++in) {
    const char mapped = kAsciiClasses[static_cast<unsigned char>(*in)];
    if (mapped == 0) {
      if (out != word_start) {
        words_.emplace_back(word_start, static_cast<size_t>(out - word_start));
        word_start = out;
        if (words_.size() >= max_words) break;  // splitting stops at the bound
      }
    } else if (mapped != kApostrophe) {  // inside a word it vanishes; elsewhere too
      *out++ = mapped;
    }
  }
  if (out != word_start) words_.emplace_back(word_start, static_cast<size_t>(out - word_start));
  buffer_.resize(static_cast<size_t>(out - begin));  // shrinking keeps the data in place
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
}  // namespace

void NoteWords::SplitUnicode(absl::string_view text, size_t max_words) {
  // The folded text goes straight into buffer_ and is split there in place (a word's bytes only
  // ever move towards the front): one allocation for the whole note. Only when a script written
  // without spaces turns up is the text folded again for the dictionary break iterator.
  buffer_.clear();
  AppendFolded(text, &buffer_);
  if (SplitFoldedInPlace(max_words)) return;
  // The break iterator reads the folded text while the words are written: separate buffers.
  std::string folded;
  AppendFolded(text, &folded);
  buffer_.clear();
  buffer_.resize(folded.size());
  const char* const in = folded.data();
  const int32_t length = static_cast<int32_t>(folded.size());
  const bool dictionary = true;

  // The words are the folded text's bytes less separators and apostrophes: the buffer, sized
  // once, never reallocates, and the views taken while filling it stay valid.
  char* const begin = buffer_.data();
  char* out = begin;
  char* word_start = begin;
  auto flush = [&] {
    if (out != word_start) words_.emplace_back(word_start, static_cast<size_t>(out - word_start));
    word_start = out;
  };
  // Where the dictionary says a word ends, even without a separator; INT32_MAX: nowhere.
  UText utext = UTEXT_INITIALIZER;
  icu::BreakIterator* breaks = nullptr;
  int32_t next_break = INT32_MAX;
  if (dictionary) {
    UErrorCode status = U_ZERO_ERROR;
    utext_openUTF8(&utext, in, length, &status);
    breaks = &ThreadBreakIterator(true);
    breaks->setText(&utext, status);
    if (U_SUCCESS(status)) {
      next_break = breaks->next();
      if (next_break == icu::BreakIterator::DONE) next_break = INT32_MAX;
    }
  }
  for (int32_t i = 0; i < length && words_.size() < max_words;) {
    while (i >= next_break) {
      flush();
      next_break = breaks->next();
      if (next_break == icu::BreakIterator::DONE) next_break = INT32_MAX;
    }
    if (words_.size() >= max_words) break;
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(in, i, length, c);
    if (c >= 0 && IsApostrophe(c)) continue;
    if (IsWordCodePoint(c)) {
      std::memcpy(out, in + start, static_cast<size_t>(i - start));
      out += i - start;
    } else {
      flush();
    }
  }
  if (words_.size() < max_words) flush();
  if (dictionary) utext_close(&utext);
  buffer_.resize(static_cast<size_t>(out - begin));  // shrinking keeps the data in place
}

bool NoteWords::SplitFoldedInPlace(size_t max_words) {
  // The same words as the dictionary path of SplitUnicode with no dictionary break: each code
  // point is kept (a word's), dropped (an apostrophe) or ends a word (anything else). Writing
  // never overtakes reading, and the buffer never reallocates, so the views stay valid.
  char* const data = buffer_.data();
  const int32_t length = static_cast<int32_t>(buffer_.size());
  int32_t out = 0;
  int32_t word_start = 0;
  int32_t i = 0;
  if (max_words == 0) return !AnyNeedsDictionary(buffer_, 0);
  while (i < length) {
    const unsigned char byte = static_cast<unsigned char>(data[i]);
    bool separator;
    if (byte < 0x80) {  // already folded: the class table gives the byte itself or a separator
      ++i;
      const char mapped = kAsciiClasses[byte];
      separator = mapped == 0;
      if (mapped != 0 && mapped != kApostrophe) data[out++] = static_cast<char>(byte);
    } else {
      const int32_t start = i;
      UChar32 c;
      U8_NEXT(data, i, length, c);
      if (c >= 0x0E00 && NeedsDictionary(c)) {
        words_.clear();
        return false;
      }
      if (c >= 0 && IsApostrophe(c)) continue;
      separator = !IsWordCodePoint(c);
      if (!separator) {
        for (int32_t k = start; k < i; ++k) data[out++] = data[k];
      }
    }
    if (separator && out != word_start) {
      words_.emplace_back(data + word_start, static_cast<size_t>(out - word_start));
      word_start = out;
      if (words_.size() >= max_words) {  // splitting stops here; the path depends on the rest
        if (AnyNeedsDictionary(buffer_, i)) {
          words_.clear();
          return false;
        }
        break;
      }
    }
  }
  if (out != word_start)
    words_.emplace_back(data + word_start, static_cast<size_t>(out - word_start));
  buffer_.resize(static_cast<size_t>(out));  // shrinking keeps the data in place
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

uint32_t PhraseMatcher::WordId(absl::string_view word) const {
  if (word.empty() ||
      (lengths_by_first_byte_[static_cast<unsigned char>(word.front())] &
       lengths_by_last_byte_[static_cast<unsigned char>(word.back())] & LengthBit(word)) == 0) {
    return kNoWord;
  }
  const auto it = word_ids_.find(word);
  return it == word_ids_.end() ? kNoWord : it->second;
}

uint32_t PhraseMatcher::Child(uint32_t node, uint32_t word_id) const {
  const auto it = children_.find((uint64_t{node} << 32) | word_id);
  return it == children_.end() ? kNoWord : it->second;
}

void PhraseMatcher::Add(WordSpan phrase) {
  if (phrase.empty()) return;
  uint32_t node = kRoot;
  for (absl::string_view word : phrase) {
    const uint32_t id =
        word_ids_.try_emplace(word, static_cast<uint32_t>(word_ids_.size())).first->second;
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
    by_first_word_[first].push_back(i);
    const uint64_t length_bit = uint64_t{1} << std::min<size_t>(first.size(), 63);
    first_word_lengths_by_first_byte_[static_cast<unsigned char>(first.front())] |= length_bit;
    first_word_lengths_by_last_byte_[static_cast<unsigned char>(first.back())] |= length_bit;
  }
}

absl::Span<const uint32_t> PhraseList::LookUpFirstWord(absl::string_view word) const {
  const auto it = by_first_word_.find(word);
  if (it == by_first_word_.end()) return {};
  return it->second;
}

}  // namespace etiquette
