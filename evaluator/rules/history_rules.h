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
};

// `already-pending`: an invitation to this recipient is still waiting for an answer.
class AlreadyPendingRule final : public ConfiguredRule<v1::ModeOnlyConfig> {
 public:
  explicit AlreadyPendingRule(v1::ModeOnlyConfig config);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;
};

// `sender-restricted`: a restricted sender must type the recipient's e-mail address.
class SenderRestrictedRule final : public ConfiguredRule<v1::ModeOnlyConfig> {
 public:
  explicit SenderRestrictedRule(v1::ModeOnlyConfig config);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;
};

// `reinvite-cooldown`: after a withdrawn invitation the pair waits (21 days by default).
class ReinviteCooldownRule final : public ConfiguredRule<v1::ModeOnlyConfig> {
 public:
  explicit ReinviteCooldownRule(v1::ModeOnlyConfig config);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;
};

// `weekly-limit`: about 100 invitations a rolling week.
class WeeklyLimitRule final : public ConfiguredRule<v1::WeeklyLimitConfig> {
 public:
  explicit WeeklyLimitRule(v1::WeeklyLimitConfig config);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;
};

// `sender-standing`: a WARNED sender is one step from a restriction.
class SenderStandingRule final : public ConfiguredRule<v1::ModeOnlyConfig> {
 public:
  // `warned_weight` (negative) is added to the logit for a WARNED sender.
  SenderStandingRule(v1::ModeOnlyConfig config, double warned_weight);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  const double warned_weight_;
};

// `history-unavailable`: the history service was configured but did not answer in time, so
// the history rules were skipped and the verdict is degraded: INFO when failing open, DEFER
// when failing closed.
class HistoryUnavailableRule final : public ConfiguredRule<v1::ModeOnlyConfig> {
 public:
  explicit HistoryUnavailableRule(v1::ModeOnlyConfig config);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;
};

}  // namespace etiquette
