#include "evaluator/rules/history_rules.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/proto_time.h"

namespace etiquette {

RecipientReportedRule::RecipientReportedRule(v1::ModeOnlyConfig config)
    : ConfiguredRule("recipient-reported",
                     "The recipient has reported this sender (\"I don't know this person\" or "
                     "spam): never invite them again.",
                     std::move(config)) {}

void RecipientReportedRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  if (context.standing == nullptr || !context.standing->pair().recipient_reported_sender()) {
    return;
  }
  result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_BLOCK, reported_);
}

AlreadyPendingRule::AlreadyPendingRule(v1::ModeOnlyConfig config)
    : ConfiguredRule("already-pending",
                     "An earlier invitation to the same recipient is still waiting for an "
                     "answer.",
                     std::move(config)) {}

void AlreadyPendingRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  if (context.standing == nullptr || !context.standing->pair().pending()) return;
  result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_BLOCK, pending_);
}

SenderRestrictedRule::SenderRestrictedRule(v1::ModeOnlyConfig config)
    : ConfiguredRule("sender-restricted",
                     "A restricted sender (\"LinkedIn Jail\") must type the recipient's e-mail "
                     "address to invite them.",
                     std::move(config)) {}

void SenderRestrictedRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  if (context.standing == nullptr || context.standing->state() != v1::STANDING_STATE_RESTRICTED) {
    return;
  }
  if (context.invitation.recipient_email_confirmed()) {
    result->Add(v1::SEVERITY_INFO, v1::DECISION_SEND, email_confirmed_);
    return;
  }
  result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_REQUIRE_EMAIL, restricted_);
}

ReinviteCooldownRule::ReinviteCooldownRule(v1::ModeOnlyConfig config)
    : ConfiguredRule("reinvite-cooldown",
                     "After a withdrawn invitation the same recipient cannot be invited again "
                     "until the cool-down ends.",
                     std::move(config)) {}

void ReinviteCooldownRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  if (context.standing == nullptr || !context.standing->pair().has_reinvite_allowed_after()) {
    return;
  }
  const absl::Time allowed = ToAbslTime(context.standing->pair().reinvite_allowed_after());
  if (allowed <= context.sent_at) return;
  result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_DEFER, cooling_down_,
              {absl::FormatTime(absl::RFC3339_sec, allowed, absl::UTCTimeZone())});
}

WeeklyLimitRule::WeeklyLimitRule(v1::WeeklyLimitConfig config)
    : ConfiguredRule("weekly-limit", "At most max_invitations_7d invitations in a rolling week.",
                     std::move(config)) {}

void WeeklyLimitRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  if (context.standing == nullptr ||
      context.standing->invitations_last_7d() < config_.max_invitations_7d()) {
    return;
  }
  result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_DEFER, reached_,
              {context.standing->invitations_last_7d(), config_.max_invitations_7d()});
}

SenderStandingRule::SenderStandingRule(v1::ModeOnlyConfig config, double warned_weight)
    : ConfiguredRule("sender-standing",
                     "Warns a sender whose invitations were reported or rarely accepted, one "
                     "step from a restriction.",
                     std::move(config)),
      warned_weight_(warned_weight) {}

void SenderStandingRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  if (context.standing == nullptr || context.standing->state() != v1::STANDING_STATE_WARNED) {
    return;
  }
  // The standing comes over the network: a rate outside [0, 1] (or NaN) must not reach the
  // integer conversion below (found by fuzz/request_fuzzer.cc).
  const double rate = context.standing->acceptance_rate();
  const int percent =
      std::isfinite(rate) ? static_cast<int>(std::clamp(rate, 0.0, 1.0) * 100 + 0.5) : 0;
  result->Add(v1::SEVERITY_ADVICE, v1::DECISION_SEND, warned_,
              {context.standing->reports_in_window(), percent});
  result->logit += warned_weight_;
}

HistoryUnavailableRule::HistoryUnavailableRule(v1::ModeOnlyConfig config)
    : ConfiguredRule("history-unavailable",
                     "Notes that the history service did not answer in time, so the history "
                     "rules were skipped.",
                     std::move(config)) {}

void HistoryUnavailableRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  if (context.history != HistoryStatus::kUnavailable) return;
  if (context.history_fail_closed) {
    result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_DEFER, fail_closed_);
    return;
  }
  result->Add(v1::SEVERITY_INFO, v1::DECISION_SEND, skipped_);
}

}  // namespace etiquette
