#pragma once

#include "etiquette/v1/evaluator_config.pb.h"
#include "evaluator/rule.h"

namespace etiquette {

// `group-activity`: "If we are in the same group and I notice that you are an active
// participant, that speaks volumes." Activity in a shared group is a positive sign; shared
// groups where the sender is silent earn a hint to take part.
class GroupActivityRule final : public ConfiguredRule<v1::GroupActivityConfig> {
 public:
  // `active_group_weight` is added to the logit when the sender is active in a shared group.
  GroupActivityRule(v1::GroupActivityConfig config, double active_group_weight);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  // active: shared groups the sender is active in; total: shared groups.
  const FindingCode& active_ = Code("active", {"active", "total"});
  // groups: shared groups.
  const FindingCode& inactive_ = Code("inactive", {"groups"});
  const double active_group_weight_;
};

}  // namespace etiquette
