#include "evaluator/rules/twitter_only.h"

namespace etiquette {

TwitterOnlyRule::TwitterOnlyRule(v1::TwitterOnlyConfig config, double one_way_weight)
    : ConfiguredRule("twitter-only",
                     "A Twitter follow alone is not a professional relationship: flags strangers "
                     "with no mutual connections or shared groups whose only tie is Twitter.",
                     std::move(config)),
      one_way_weight_(one_way_weight) {}

void TwitterOnlyRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  const v1::Relationship& relationship = context.invitation.relationship();
  const v1::TwitterRelation& twitter = relationship.twitter();
  const bool follows = twitter.sender_follows_recipient() || twitter.recipient_follows_sender();
  if (!context.stranger || relationship.mutual_connections() > 0 ||
      relationship.shared_groups_size() > 0 || !follows) {
    return;
  }
  const bool one_way = !twitter.recipient_follows_sender() && twitter.interactions_90d() == 0;
  result->Add(v1::SEVERITY_ADVICE, v1::DECISION_SEND, one_way ? one_way_ : only_tie_);
  if (one_way) result->logit += one_way_weight_;
}

}  // namespace etiquette
