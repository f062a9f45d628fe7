#include "evaluator/rules/note_length.h"

#include "evaluator/note_text.h"

namespace etiquette {

NoteLengthRule::NoteLengthRule(v1::NoteLengthConfig config)
    : ConfiguredRule("note-length",
                     "The note fits the platform's limit: premium_limit characters (counted as "
                     "unit says) for premium senders, free_limit for the others.",
                     std::move(config)) {}

void NoteLengthRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  const bool premium = context.invitation.sender().premium();
  const uint32_t limit = premium ? config_.premium_limit() : config_.free_limit();
  const absl::string_view note = context.invitation.note();
  size_t length = 0;
  switch (config_.unit()) {
    case v1::LENGTH_UNIT_GRAPHEMES:
      // No more graphemes than code points: most notes are decided without ICU.
      length = CountCodePoints(note);
      if (length > limit) length = CountGraphemes(note);
      break;
    case v1::LENGTH_UNIT_UTF16_CODE_UNITS:
      length = CountUtf16CodeUnits(note);
      break;
    default:  // CODE_POINTS, or unset
      length = CountCodePoints(note);
      break;
  }
  if (length <= limit) return;
  result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_REVISE, over_limit_,
              {length, limit, premium ? "premium" : "free"});
}

}  // namespace etiquette
