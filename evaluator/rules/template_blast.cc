#include "evaluator/rules/template_blast.h"

#include <utility>

namespace etiquette {

TemplateBlastRule::TemplateBlastRule(v1::TemplateBlastConfig config)
    : ConfiguredRule("template-blast",
                     "The same or a near-identical note sent to many strangers in the last 7 "
                     "days: ADVICE from advice_at such notes, DEFER from defer_at.",
                     std::move(config)) {}

bool TemplateBlastRule::Fires(const RuleContext& context) const {
  return context.standing != nullptr && context.stranger && !context.note_words.empty() &&
         context.standing->near_identical_notes_last_7d() >= config_.advice_at();
}

void TemplateBlastRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  if (!Fires(context)) return;
  const uint32_t count = context.standing->near_identical_notes_last_7d();
  if (count >= config_.defer_at()) {
    result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_DEFER, defer_, {count});
  } else if (count >= config_.advice_at()) {
    result->Add(v1::SEVERITY_ADVICE, v1::DECISION_SEND, advice_, {count});
  }
}

}  // namespace etiquette
