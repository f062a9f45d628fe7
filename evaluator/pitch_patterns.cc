#include "evaluator/pitch_patterns.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace etiquette {
namespace {

constexpr size_t kMaxGapWords = 3;
constexpr size_t kMaxElements = 16;

bool IsNumber(absl::string_view word) {
  return !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

// `text` normalised as a note word, or empty when it is not exactly one word.
std::string OneWord(absl::string_view text) {
  const NoteWords words(text);
  return words.words().size() == 1 ? std::string(words.words().front()) : std::string();
}

}  // namespace

struct PitchPatterns::Pattern {
  struct Element {
    enum class Kind { kWords, kNumber, kGap } kind = Kind::kWords;
    std::vector<std::string> words;     // kWords: exact words
    std::vector<std::string> prefixes;  // kWords: word prefixes ("pre*")
    bool number = false;                // kWords: "#" among the alternatives
    bool optional = false;
  };
  std::vector<Element> elements;
  uint32_t group = 0;
};

PitchPatterns::~PitchPatterns() = default;
PitchPatterns::PitchPatterns(PitchPatterns&&) = default;
PitchPatterns& PitchPatterns::operator=(PitchPatterns&&) = default;

absl::Status PitchPatterns::Check(absl::string_view pattern) {
  const std::vector<absl::string_view> elements =
      absl::StrSplit(pattern, ' ', absl::SkipWhitespace());
  if (elements.empty()) return absl::InvalidArgumentError("must not be blank");
  if (elements.size() > kMaxElements) {
    return absl::InvalidArgumentError(
        absl::StrCat("must have at most ", kMaxElements, " elements"));
  }
  for (size_t i = 0; i < elements.size(); ++i) {
    absl::string_view element = elements[i];
    const bool optional = absl::ConsumeSuffix(&element, "?");
    if (i == 0 && optional) return absl::InvalidArgumentError("the first element is optional");
    if (element == "...") {
      if (i == 0) return absl::InvalidArgumentError("the first element is ...");
      continue;
    }
    if (element == "#") continue;
    for (absl::string_view alternative : absl::StrSplit(element, '|')) {
      if (alternative == "#") continue;
      const bool prefix = absl::ConsumeSuffix(&alternative, "*");
      if (prefix && i == 0) return absl::InvalidArgumentError("the first element has a prefix*");
      if (OneWord(alternative).empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("element ", i + 1, ": \"", alternative, "\" is not one word"));
      }
    }
  }
  return absl::OkStatus();
}

PitchPatterns::PitchPatterns(const std::vector<std::string>& texts)
    : PitchPatterns(std::vector<std::vector<std::string>>{texts}) {}

PitchPatterns::PitchPatterns(const std::vector<std::vector<std::string>>& groups) {
  std::vector<std::string> first_words;
  for (size_t group = 0; group < groups.size() && group < 32; ++group) {
    AddGroup(groups[group], static_cast<uint32_t>(group), &first_words);
  }
  first_words_ = std::make_unique<PhraseList>(first_words);
}

void PitchPatterns::AddGroup(const std::vector<std::string>& texts, uint32_t group,
                             std::vector<std::string>* first_words) {
  for (const std::string& text : texts) {
    if (!Check(text).ok()) continue;
    const uint32_t index = static_cast<uint32_t>(patterns_.size());
    Pattern& pattern = patterns_.emplace_back();
    pattern.group = group;
    all_groups_ |= uint32_t{1} << group;
    for (absl::string_view text_element : absl::StrSplit(text, ' ', absl::SkipWhitespace())) {
      Pattern::Element& element = pattern.elements.emplace_back();
      element.optional = absl::ConsumeSuffix(&text_element, "?");
      if (text_element == "...") {
        element.kind = Pattern::Element::Kind::kGap;
      } else if (text_element == "#") {
        element.kind = Pattern::Element::Kind::kNumber;
      } else {
        for (absl::string_view alternative : absl::StrSplit(text_element, '|')) {
          if (alternative == "#") {
            element.number = true;
            continue;
          }
          const bool prefix = absl::ConsumeSuffix(&alternative, "*");
          (prefix ? element.prefixes : element.words).push_back(OneWord(alternative));
        }
      }
    }
    const Pattern::Element& first = pattern.elements.front();
    if (first.kind == Pattern::Element::Kind::kNumber || first.number) {
      starting_with_number_.push_back(index);
    }
    for (const std::string& word : first.words) {
      first_words->push_back(word);
      by_first_word_.push_back(index);
    }
  }
}

bool PitchPatterns::MatchFrom(const Pattern& pattern, size_t element, WordSpan words,
                              size_t at) const {
  if (element == pattern.elements.size()) return true;
  const Pattern::Element& e = pattern.elements[element];
  if (e.optional && MatchFrom(pattern, element + 1, words, at)) return true;
  switch (e.kind) {
    case Pattern::Element::Kind::kGap:
      for (size_t skip = 0; skip <= kMaxGapWords && at + skip <= words.size(); ++skip) {
        if (MatchFrom(pattern, element + 1, words, at + skip)) return true;
      }
      return false;
    case Pattern::Element::Kind::kNumber:
      return at < words.size() && IsNumber(words[at]) &&
             MatchFrom(pattern, element + 1, words, at + 1);
    case Pattern::Element::Kind::kWords:
      if (at >= words.size()) return false;
      const absl::string_view word = words[at];
      const bool hit =
          (e.number && IsNumber(word)) ||
          std::find(e.words.begin(), e.words.end(), word) != e.words.end() ||
          std::any_of(e.prefixes.begin(), e.prefixes.end(),
                      [&](const std::string& prefix) { return absl::StartsWith(word, prefix); });
      return hit && MatchFrom(pattern, element + 1, words, at + 1);
  }
  return false;
}

template <typename Visit>
void PitchPatterns::ForEachCandidate(WordSpan words, Visit visit) const {
  if (patterns_.empty()) return;
  for (size_t at = 0; at < words.size(); ++at) {
    for (uint32_t entry : first_words_->StartingWith(words[at])) {
      if (visit(by_first_word_[entry], at)) return;
    }
    if (!starting_with_number_.empty() && !words[at].empty() &&
        absl::ascii_isdigit(static_cast<unsigned char>(words[at].front())) && IsNumber(words[at])) {
      for (uint32_t index : starting_with_number_) {
        if (visit(index, at)) return;
      }
    }
  }
}

int PitchPatterns::Find(WordSpan words) const {
  int found = -1;
  ForEachCandidate(words, [&](uint32_t index, size_t at) {
    if (!MatchFrom(patterns_[index], 1, words, at + 1)) return false;
    found = static_cast<int>(index);
    return true;
  });
  return found;
}

uint32_t PitchPatterns::GroupsFoundIn(WordSpan words) const {
  uint32_t found = 0;
  ForEachCandidate(words, [&](uint32_t index, size_t at) {
    const Pattern& pattern = patterns_[index];
    const uint32_t bit = uint32_t{1} << pattern.group;
    if ((found & bit) == 0 && MatchFrom(pattern, 1, words, at + 1)) found |= bit;
    return found == all_groups_;
  });
  return found;
}

}  // namespace etiquette
