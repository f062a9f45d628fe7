#pragma once

#include "etiquette/v1/evaluator_config.pb.h"
#include "evaluator/rule.h"

namespace etiquette {

// `note-language`: write in a language the recipient reads. When the note's language is known
// with at least min_confidence and the recipient's locale is known, and their primary
// languages differ ("ja" note, "de-DE" recipient): ADVICE, code "note-language.mismatch".
// SHADOW by default, until the platform turns it on.
class NoteLanguageRule final : public ConfiguredRule<v1::NoteLanguageConfig> {
 public:
  explicit NoteLanguageRule(v1::NoteLanguageConfig config);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  // note_language: as identified (BCP 47); recipient_locale: as the platform sent it.
  const FindingCode& mismatch_ = Code("mismatch", {"note_language", "recipient_locale"});
};

}  // namespace etiquette
