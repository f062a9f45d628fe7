#pragma once

#include "etiquette/v1/evaluator_config.pb.h"
#include "evaluator/rule.h"

namespace etiquette {

// `after-interview`: the seed says not to invite people after a job interview or an
// application, "only send the request if you actually get the job". Any hiring step at the
// recipient's company within lookback_days, not followed by HIRED there, defers the invitation;
// a HIRED that is the latest step there is a positive sign.
class AfterInterviewRule final : public ConfiguredRule<v1::AfterInterviewConfig> {
 public:
  explicit AfterInterviewRule(v1::AfterInterviewConfig config);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  const FindingCode& hiring_process_ = Code("hiring-process");
  const FindingCode& hired_ = Code("hired");
};

}  // namespace etiquette
