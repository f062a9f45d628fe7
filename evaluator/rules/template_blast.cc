#include "evaluator/rules/template_blast.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace etiquette {
namespace {

// The finding's texts, in one place (the message catalogs take them over by code:
// "template-blast.advice" / "template-blast.defer", param count).
void AddFinding(bool defer, uint32_t count, RuleResult* result) {
  std::string message = absl::StrCat("The sender sent a near-identical note to ", count,
                                     " other recipients in the last 7 days.");
  if (defer) {
    result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_DEFER, std::move(message),
                "This note went to many people this week. Write each invitation for its "
                "recipient: say why you want to connect with them in particular.");
  } else {
    result->Add(v1::SEVERITY_ADVICE, v1::DECISION_SEND, std::move(message),
                "You sent this note to several people this week. A note written for this "
                "recipient (why them, where you met) is accepted more often.");
  }
}

}  // namespace

TemplateBlastRule::TemplateBlastRule(v1::TemplateBlastConfig config)
    : ConfiguredRule("template-blast",
                     "The same or a near-identical note sent to many strangers in the last 7 "
                     "days: ADVICE from advice_at such notes, DEFER from defer_at.",
                     std::move(config)) {}

void TemplateBlastRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  if (context.standing == nullptr || !context.stranger || context.note_words.empty()) return;
  const uint32_t count = context.standing->near_identical_notes_last_7d();
  if (count >= config_.defer_at()) {
    AddFinding(/*defer=*/true, count, result);
  } else if (count >= config_.advice_at()) {
    AddFinding(/*defer=*/false, count, result);
  }
}

}  // namespace etiquette
