#include "evaluator/rules/note_language.h"

#include <string>

#include "evaluator/language_id.h"

namespace etiquette {

NoteLanguageRule::NoteLanguageRule(v1::NoteLanguageConfig config)
    : ConfiguredRule("note-language",
                     "The note is in a language the recipient's locale shares, when both are "
                     "known (the note's language with at least min_confidence).",
                     std::move(config)) {}

void NoteLanguageRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  const std::string& locale = context.invitation.recipient().locale();
  if (locale.empty() || context.note_language.empty() ||
      context.note_language_confidence < config_.min_confidence() ||
      SameLanguage(context.note_language, locale)) {
    return;
  }
  result->Add(v1::SEVERITY_ADVICE, v1::DECISION_SEND, mismatch_, {context.note_language, locale});
}

}  // namespace etiquette
