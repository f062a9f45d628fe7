#pragma once

#include "etiquette/v1/evaluator_config.pb.h"
#include "evaluator/pitch_patterns.h"
#include "evaluator/rule.h"

namespace etiquette {

// `twitter-only`: "Just because we are connected on Twitter doesn't necessarily mean we should
// connect on LinkedIn." Fires when a Twitter follow is the only tie: as the relationship says,
// or, when it names no follow, as the note gives it (follow_patterns). It never excuses a
// missing personal note; that is personal-note's call, made independently.
class TwitterOnlyRule final : public ConfiguredRule<v1::TwitterOnlyConfig> {
 public:
  // `one_way_weight` (negative) is added to the logit when the recipient neither follows back
  // nor has interacted with the sender.
  TwitterOnlyRule(v1::TwitterOnlyConfig config, double one_way_weight);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  const FindingCode& one_way_ = Code("one-way");
  const FindingCode& only_tie_ = Code("only-tie");
  const FindingCode& note_tie_ = Code("note-tie");
  const double one_way_weight_;
  const PitchPatterns follow_patterns_;
};

}  // namespace etiquette
