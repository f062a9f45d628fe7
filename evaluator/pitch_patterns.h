#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "evaluator/note_text.h"

namespace etiquette {

// The shapes of a sales pitch, beyond single words: an offer ("help companies like yours"), an
// ask for a call in a first message ("hop on a quick call"), a calendar link ("calendly"), price
// talk ("20% off"). A pattern is matched against a note's normalised words (NoteWords) and is
// written as space-separated elements:
//   word        that word (normalised as a note is: lower case, apostrophes dropped)
//   a|b|c       any one of these words
//   pre*        any word starting with "pre" (not as the first element)
//   #           a number (a word of digits: "20%" is the number 20 then a separator); also
//               as one of a list ("quick|#")
//   ...         up to 3 words of anything
//   element?    the element may be missing (not the first element)
// The first element is a word, a list of words or #, so that a note is scanned once and only
// the patterns that can start at a word are tried there.
class PitchPatterns {
 public:
  // Checks one pattern; INVALID_ARGUMENT with the reason when it is malformed.
  static absl::Status Check(absl::string_view pattern);

  // Malformed patterns (see Check) are skipped.
  explicit PitchPatterns(const std::vector<std::string>& patterns);
  // Several lists, scanned in one pass by GroupsFoundIn: group i is groups[i] (at most 32).
  explicit PitchPatterns(const std::vector<std::vector<std::string>>& groups);
  template <typename Texts>  // a container of strings, e.g. a repeated string field
  explicit PitchPatterns(const Texts& texts)
      : PitchPatterns(std::vector<std::string>(texts.begin(), texts.end())) {}
  ~PitchPatterns();
  PitchPatterns(PitchPatterns&&);
  PitchPatterns& operator=(PitchPatterns&&);

  // The index (config order) of the pattern found earliest in `words`, or -1.
  int Find(WordSpan words) const;
  bool FoundIn(WordSpan words) const { return Find(words) >= 0; }
  // Bit i set when some pattern of group i occurs in `words`: one pass over the words for every
  // group, which costs about what one group's pass does (most of it is the per-word filter).
  uint32_t GroupsFoundIn(WordSpan words) const;

 private:
  struct Pattern;
  void AddGroup(const std::vector<std::string>& patterns, uint32_t group,
                std::vector<std::string>* first_words);
  bool MatchFrom(const Pattern& pattern, size_t element, WordSpan words, size_t at) const;
  // Calls visit(pattern index, word index) for each pattern whose first element matches a
  // word, in word order; stops when visit returns true.
  template <typename Visit>
  void ForEachCandidate(WordSpan words, Visit visit) const;

  std::vector<Pattern> patterns_;
  std::vector<uint32_t> by_first_word_;  // per entry of first_words_: the pattern's index
  std::unique_ptr<PhraseList> first_words_;
  std::vector<uint32_t> starting_with_number_;  // patterns whose first element is #
  uint32_t all_groups_ = 0;                     // bit i: group i has a pattern
};

}  // namespace etiquette
