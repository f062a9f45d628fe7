#include "evaluator/note_text.h"

#include <algorithm>
#include <cctype>

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

}  // namespace

size_t CountCodePoints(absl::string_view utf8) {
  size_t count = 0;
  for (char c : utf8) count += IsContinuationByte(static_cast<unsigned char>(c)) ? 0 : 1;
  return count;
}

std::vector<std::string> NormalizedWords(absl::string_view text) {
  std::vector<std::string> words;
  words.reserve(text.size() / 5 + 1);
  std::string current;
  auto flush = [&] {
    if (!current.empty()) words.push_back(std::move(current));
    current.clear();
  };
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (size_t n = ApostropheAt(text, i); n > 0) {
      i += n;  // inside a word it vanishes; elsewhere it separates nothing extra
      continue;
    }
    if (size_t n = UnicodePunctuationAt(text, i); n > 0) {
      flush();
      i += n;
      continue;
    }
    // ASCII classes by hand: std::isalnum/std::tolower consult the locale on every byte.
    if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      current.push_back(static_cast<char>(c));
    } else if (c >= 'A' && c <= 'Z') {
      current.push_back(static_cast<char>(c - 'A' + 'a'));
    } else {
      flush();
    }
    ++i;
  }
  flush();
  return words;
}

bool ContainsPhrase(const std::vector<std::string>& words, const std::vector<std::string>& phrase) {
  if (phrase.empty() || phrase.size() > words.size()) return false;
  return std::search(words.begin(), words.end(), phrase.begin(), phrase.end()) != words.end();
}

double WordSimilarity(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const size_t longer = std::max(a.size(), b.size());
  if (longer == 0) return 1.0;
  // Levenshtein distance over words, one row at a time.
  std::vector<size_t> row(b.size() + 1);
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

}  // namespace etiquette
