#include "evaluator/rules/after_interview.h"

#include <optional>

#include "common/proto_time.h"

namespace etiquette {

AfterInterviewRule::AfterInterviewRule(v1::AfterInterviewConfig config)
    : ConfiguredRule("after-interview",
                     "No invitation to someone at a company where the sender applied, "
                     "interviewed or was turned down within lookback_days, unless hired there "
                     "afterwards.",
                     std::move(config)) {}

void AfterInterviewRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  const std::string& company = context.invitation.recipient().company_id();
  if (company.empty()) return;
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
  }
}

}  // namespace etiquette
