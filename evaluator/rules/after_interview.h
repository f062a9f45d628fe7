#pragma once

#include "etiquette/v1/evaluator_config.pb.h"
#include "evaluator/pitch_patterns.h"
#include "evaluator/rule.h"

namespace etiquette {

// `after-interview`: the seed says not to invite people after a job interview or an
// application, "only send the request if you actually get the job". Any hiring step at the
// recipient's company within lookback_days, not followed by HIRED there, defers the invitation;
// a HIRED that is the latest step there is a positive sign. With no hiring event at that
// company, a note that says the sender applied or was interviewed (note_patterns) defers it the
// same way, unless it also says the sender got the job (hired_patterns): the platform does not
// see applications made elsewhere.
class AfterInterviewRule final : public ConfiguredRule<v1::AfterInterviewConfig> {
 public:
  explicit AfterInterviewRule(v1::AfterInterviewConfig config);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  // The note's word for it, when the relationship has no hiring event at the company.
  void EvaluateNote(const RuleContext& context, RuleResult* result) const;

  const FindingCode& hiring_process_ = Code("hiring-process");
  const FindingCode& hired_ = Code("hired");
  const FindingCode& note_says_ = Code("note-says");
  const PitchPatterns note_patterns_;
  const PitchPatterns hired_patterns_;
};

}  // namespace etiquette
