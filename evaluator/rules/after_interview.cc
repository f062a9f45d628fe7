#include "evaluator/rules/after_interview.h"

#include <optional>

#include "common/proto_time.h"

namespace etiquette {

AfterInterviewRule::AfterInterviewRule(v1::AfterInterviewConfig config)
    : ConfiguredRule("after-interview",
                     "No invitation to someone at a company where the sender applied, "
                     "interviewed or was turned down within lookback_days, unless hired there "
                     "afterwards; with no hiring event there, a note that says the sender "
                     "applied or was interviewed (note_patterns) and not hired (hired_patterns).",
                     std::move(config)),
      note_patterns_(config_.note_patterns()),
      hired_patterns_(config_.hired_patterns()) {}

void AfterInterviewRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  const std::string& company = context.invitation.recipient().company_id();
  if (company.empty()) return EvaluateNote(context, result);
  const absl::Time window_start = context.sent_at - absl::Hours(24) * config_.lookback_days();
  std::optional<absl::Time> latest_hired;
  std::optional<absl::Time> latest_other_step;  // any stage but HIRED
  for (const v1::HiringEvent& event : context.invitation.relationship().hiring_events()) {
    if (event.company_id() != company) continue;
    const absl::Time at = ToAbslTime(event.occurred_at());
    if (event.stage() == v1::HIRING_STAGE_HIRED) {
      if (!latest_hired || at > *latest_hired) latest_hired = at;
    } else if (!latest_other_step || at > *latest_other_step) {
      latest_other_step = at;
    }
  }
  const bool hired_last =
      latest_hired && (!latest_other_step || *latest_hired >= *latest_other_step);
  if (latest_other_step && !hired_last && *latest_other_step >= window_start) {
    result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_DEFER, hiring_process_);
  } else if (hired_last) {
    result->Add(v1::SEVERITY_POSITIVE, v1::DECISION_SEND, hired_);
  } else {
    EvaluateNote(context, result);  // no step, or none in the window: the note may be fresher
  }
}

void AfterInterviewRule::EvaluateNote(const RuleContext& context, RuleResult* result) const {
  const NoteShapes* shapes = context.note_shapes;
  const bool applied =
      shapes != nullptr ? shapes->interview : note_patterns_.FoundIn(context.note_words);
  if (!applied) return;
  const bool hired =
      shapes != nullptr ? shapes->hired : hired_patterns_.FoundIn(context.note_words);
  if (!hired) result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_DEFER, note_says_);
}

}  // namespace etiquette
