#pragma once

#include "etiquette/v1/evaluator_config.pb.h"
#include "evaluator/note_text.h"
#include "evaluator/pitch_patterns.h"
#include "evaluator/rule.h"

namespace etiquette {

// `note-pitch`: an invitation is not a sales channel; sales words or a link in the note put
// recipients off and lower the acceptance likelihood.
class NotePitchRule final : public ConfiguredRule<v1::NotePitchConfig> {
 public:
  // `pitch_weight` (negative) is added to the logit when the rule fires.
  NotePitchRule(v1::NotePitchConfig config, double pitch_weight);
  // What the note holds: a link (with flag_links), sales language, both or neither.
  NotePitch Detect(const RuleContext& context) const;
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  const FindingCode& link_ = Code("link");
  const FindingCode& sales_language_ = Code("sales-language");
  const double pitch_weight_;
  const PhraseList pitch_terms_;        // config_.pitch_terms(), normalised once
  const PitchPatterns pitch_patterns_;  // config_.pitch_patterns(), parsed once
};

}  // namespace etiquette
