#include "evaluator/rules/group_activity.h"

namespace etiquette {

GroupActivityRule::GroupActivityRule(v1::GroupActivityConfig config, double active_group_weight)
    : ConfiguredRule("group-activity",
                     "The sender takes part (min_activity_90d posts and comments) in a group "
                     "both share.",
                     std::move(config)),
      active_group_weight_(active_group_weight) {}

void GroupActivityRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  const auto& groups = context.invitation.relationship().shared_groups();
  if (groups.empty()) return;
  int active = 0;
  for (const v1::SharedGroup& group : groups) {
    const uint64_t activity =
        uint64_t{group.sender_posts_90d()} + uint64_t{group.sender_comments_90d()};
    if (activity >= config_.min_activity_90d()) ++active;
  }
  if (active > 0) {
    result->Add(v1::SEVERITY_POSITIVE, v1::DECISION_SEND, active_, {active, groups.size()});
    result->logit += active_group_weight_;
  } else {
    result->Add(v1::SEVERITY_INFO, v1::DECISION_SEND, inactive_, {groups.size()});
  }
}

}  // namespace etiquette
