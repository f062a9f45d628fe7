#include "evaluator/rules/note_language.h"

#include <string>

#include "absl/strings/str_cat.h"
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
  result->Add(v1::SEVERITY_ADVICE, v1::DECISION_SEND,
              absl::StrCat("The note is in ", context.note_language, "; the recipient's locale is ",
                           locale, "."),
              "Write the note in a language the recipient reads.");
  v1::Finding& finding = result->findings.back();
  finding.set_code("note-language.mismatch");
  (*finding.mutable_params())["note_language"] = std::string(context.note_language);
  (*finding.mutable_params())["recipient_locale"] = locale;
}

}  // namespace etiquette
