#pragma once

#include "etiquette/v1/evaluator_config.pb.h"
#include "evaluator/rule.h"

namespace etiquette {

// Rules backed by the history service ("LinkedIn Jail"). They look at the sender's standing and
// stay silent unless the history service answered; history-unavailable says when it did not.

// `recipient-reported`: the recipient reported this sender before; never invite them again.
class RecipientReportedRule final : public ConfiguredRule<v1::ModeOnlyConfig> {
 public:
  explicit RecipientReportedRule(v1::ModeOnlyConfig config);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  const FindingCode& reported_ = Code("reported");
};

// `already-pending`: an invitation to this recipient is still waiting for an answer.
class AlreadyPendingRule final : public ConfiguredRule<v1::ModeOnlyConfig> {
 public:
  explicit AlreadyPendingRule(v1::ModeOnlyConfig config);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  const FindingCode& pending_ = Code("pending");
};

// `sender-restricted`: a restricted sender must type the recipient's e-mail address.
class SenderRestrictedRule final : public ConfiguredRule<v1::ModeOnlyConfig> {
 public:
  explicit SenderRestrictedRule(v1::ModeOnlyConfig config);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  const FindingCode& restricted_ = Code("restricted");
  const FindingCode& email_confirmed_ = Code("email-confirmed");
};

// `reinvite-cooldown`: after a withdrawn invitation the pair waits (21 days by default).
class ReinviteCooldownRule final : public ConfiguredRule<v1::ModeOnlyConfig> {
 public:
  explicit ReinviteCooldownRule(v1::ModeOnlyConfig config);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  // allowed_after: when re-inviting is allowed, RFC 3339 in UTC ("2026-01-31T09:00:00Z").
  const FindingCode& cooling_down_ = Code("cooling-down", {"allowed_after"});
};

// `weekly-limit`: about 100 invitations a rolling week.
class WeeklyLimitRule final : public ConfiguredRule<v1::WeeklyLimitConfig> {
 public:
  explicit WeeklyLimitRule(v1::WeeklyLimitConfig config);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  // sent: invitations in the last 7 days; limit: max_invitations_7d.
  const FindingCode& reached_ = Code("reached", {"sent", "limit"});
};

// `sender-standing`: a WARNED sender is one step from a restriction.
class SenderStandingRule final : public ConfiguredRule<v1::ModeOnlyConfig> {
 public:
  // `warned_weight` (negative) is added to the logit for a WARNED sender.
  SenderStandingRule(v1::ModeOnlyConfig config, double warned_weight);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  // reports: reports in the window; acceptance_percent: 0 to 100, rounded.
  const FindingCode& warned_ = Code("warned", {"reports", "acceptance_percent"});
  const double warned_weight_;
};

// `history-unavailable`: the history service was configured but did not answer in time, so
// the history rules were skipped and the verdict is degraded: INFO when failing open, DEFER
// when failing closed.
class HistoryUnavailableRule final : public ConfiguredRule<v1::ModeOnlyConfig> {
 public:
  explicit HistoryUnavailableRule(v1::ModeOnlyConfig config);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  const FindingCode& fail_closed_ = Code("fail-closed");
  const FindingCode& skipped_ = Code("skipped");
};

}  // namespace etiquette
