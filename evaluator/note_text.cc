#include "evaluator/note_text.h"

#include <algorithm>

#include "absl/strings/string_view.h"

namespace etiquette {
namespace {

bool IsContinuationByte(unsigned char c) { return (c & 0xC0) == 0x80; }

// Length of the apostrophe at text[i] (' or U+2019), or 0.
size_t ApostropheAt(absl::string_view text, size_t i) {
  if (text[i] == '\'') return 1;
  if (text.substr(i, 3) == "\xE2\x80\x99") return 3;
  return 0;
}

// Length of a Unicode space or punctuation mark that separates words (U+00A0 no-break space,
// and the general punctuation block U+2000-U+206F: spaces, dashes, quotes, ellipsis...), or 0.
size_t UnicodePunctuationAt(absl::string_view text, size_t i) {
  if (text.substr(i, 2) == "\xC2\xA0") return 2;
  if (i + 2 < text.size() && static_cast<unsigned char>(text[i]) == 0xE2 &&
      (static_cast<unsigned char>(text[i + 1]) == 0x80 ||
       static_cast<unsigned char>(text[i + 1]) == 0x81)) {
    return 3;
  }
  return 0;
}

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

}  // namespace

size_t CountCodePoints(absl::string_view utf8) {
  size_t count = 0;
  for (char c : utf8) count += IsContinuationByte(static_cast<unsigned char>(c)) ? 0 : 1;
  return count;
}

NoteWords::NoteWords(absl::string_view text) {
  // Every input byte yields at most one output byte, so the buffer never reallocates and the
  // views taken while filling it stay valid.
  buffer_.resize(text.size());
  char* const begin = buffer_.data();
  char* out = begin;
  char* word_start = begin;
  auto flush = [&] {
    if (out != word_start) words_.emplace_back(word_start, static_cast<size_t>(out - word_start));
    word_start = out;
  };
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      const char mapped = kAsciiClasses[c];
      if (mapped == 0) {
        flush();
      } else if (mapped != kApostrophe) {  // inside a word it vanishes; elsewhere too
        *out++ = mapped;
      }
      ++i;
      continue;
    }
    // Non-ASCII, checked in the same order as ever: apostrophe, separator, word byte.
    if (size_t n = ApostropheAt(text, i); n > 0) {
      i += n;
      continue;
    }
    if (size_t n = UnicodePunctuationAt(text, i); n > 0) {
      flush();
      i += n;
      continue;
    }
    *out++ = static_cast<char>(c);
    ++i;
  }
  flush();
  buffer_.resize(static_cast<size_t>(out - begin));  // shrinking keeps the data in place
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
  return std::search(words.begin(), words.end(), phrase.begin(), phrase.end()) != words.end();
}

bool ContainsPhrase(const std::vector<std::string>& words, const std::vector<std::string>& phrase) {
  if (phrase.empty() || phrase.size() > words.size()) return false;
  return std::search(words.begin(), words.end(), phrase.begin(), phrase.end()) != words.end();
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

bool PhraseList::FoundIn(WordSpan words) const {
  for (size_t at = 0; at < words.size(); ++at) {
    for (uint32_t i : StartingWith(words[at])) {
      if (PhraseAt(words, at, phrases_[i])) return true;
    }
  }
  return false;
}

}  // namespace etiquette
