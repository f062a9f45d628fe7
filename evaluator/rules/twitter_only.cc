#include "evaluator/rules/twitter_only.h"

namespace etiquette {

TwitterOnlyRule::TwitterOnlyRule(v1::TwitterOnlyConfig config, double one_way_weight)
    : ConfiguredRule("twitter-only",
                     "A Twitter follow alone is not a professional relationship: flags strangers "
                     "with no mutual connections or shared groups whose only tie is Twitter, as "
                     "the relationship says or, when it names no follow, as the note gives it "
                     "(follow_patterns).",
                     std::move(config)),
      one_way_weight_(one_way_weight),
      follow_patterns_(config_.follow_patterns()) {}

void TwitterOnlyRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  const v1::Relationship& relationship = context.invitation.relationship();
  if (!context.stranger || relationship.mutual_connections() > 0 ||
      relationship.shared_groups_size() > 0) {
    return;
  }
  const v1::TwitterRelation& twitter = relationship.twitter();
  if (twitter.sender_follows_recipient() || twitter.recipient_follows_sender()) {
    const bool one_way = !twitter.recipient_follows_sender() && twitter.interactions_90d() == 0;
    result->Add(v1::SEVERITY_ADVICE, v1::DECISION_SEND, one_way ? one_way_ : only_tie_);
    if (one_way) result->logit += one_way_weight_;
    return;
  }
  // The platform may not know of the follow; the note saying so is the same tie.
  if (context.note_shapes != nullptr ? context.note_shapes->twitter_follow
                                     : follow_patterns_.FoundIn(context.note_words)) {
    result->Add(v1::SEVERITY_ADVICE, v1::DECISION_SEND, note_tie_);
  }
}

}  // namespace etiquette
