#pragma once

#include "etiquette/v1/evaluator_config.pb.h"
#include "evaluator/rule.h"

namespace etiquette {

// `profile-complete`: "If you don't have a profile photo or don't offer any information on who
// you are ... the likelihood of connecting is slim." An empty profile (no photo, headline or
// summary) is a violation towards strangers and advice otherwise; a missing photo or headline
// alone is advice.
class ProfileCompleteRule final : public ConfiguredRule<v1::ProfileCompleteConfig> {
 public:
  // The weights are added to the logit for a photo and for a headline.
  ProfileCompleteRule(v1::ProfileCompleteConfig config, double photo_weight,
                      double headline_weight);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  const FindingCode& empty_ = Code("empty");
  const FindingCode& no_photo_ = Code("no-photo");
  const FindingCode& no_headline_ = Code("no-headline");
  const double photo_weight_;
  const double headline_weight_;
};

}  // namespace etiquette
