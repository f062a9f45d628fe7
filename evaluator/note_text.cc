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

NoteWords::NoteWords(absl::string_view text, size_t max_words) {
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
  for (size_t i = 0; i < text.size() && words_.size() < max_words;) {
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
  if (words_.size() < max_words) flush();
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
