#include "evaluator/rules/note_length.h"

#include "evaluator/note_text.h"

namespace etiquette {

NoteLengthRule::NoteLengthRule(v1::NoteLengthConfig config)
    : ConfiguredRule("note-length",
                     "The note fits the platform's limit: premium_limit code points for premium "
                     "senders, free_limit for the others.",
                     std::move(config)) {}

void NoteLengthRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  const bool premium = context.invitation.sender().premium();
  const uint32_t limit = premium ? config_.premium_limit() : config_.free_limit();
  const size_t length = CountCodePoints(context.invitation.note());
  if (length <= limit) return;
  result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_REVISE, over_limit_,
              {length, limit, premium ? "premium" : "free"});
}

}  // namespace etiquette
