#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "etiquette/v1/evaluator_config.pb.h"
#include "evaluator/note_text.h"
#include "evaluator/rule.h"

namespace etiquette {

// `note-placeholder`: a mail-merge template sent with its placeholders unfilled ("Hi [Name], I
// saw your post on [topic]") tells the recipient the note was written for nobody in particular.
class NotePlaceholderRule final : public ConfiguredRule<v1::NotePlaceholderConfig> {
 public:
  explicit NotePlaceholderRule(v1::NotePlaceholderConfig config);
  // The first unfilled placeholder in `note`, delimiters included ("[Name]"), or empty.
  absl::string_view FindPlaceholder(absl::string_view note) const;
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  // The placeholder opening at `at`, or empty.
  absl::string_view PlaceholderAt(absl::string_view note, size_t at) const;
  // True when the text between two delimiters reads as a placeholder's name.
  bool IsPlaceholderName(absl::string_view inner) const;

  // Delimiter pairs (open, close), longest opening first.
  std::vector<std::pair<std::string, std::string>> delimiters_;
  // The distinct first bytes of the openings: the note is searched for each with memchr.
  std::string open_bytes_;
  const PhraseList terms_;
  // placeholder: the first one found, delimiters included ("[Name]"), cut to kMaxEchoBytes.
  const FindingCode& unfilled_ = Code("unfilled", {"placeholder"});
};

}  // namespace etiquette
