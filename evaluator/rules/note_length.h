#pragma once

#include "etiquette/v1/evaluator_config.pb.h"
#include "evaluator/rule.h"

namespace etiquette {

// `note-length`: the platform cuts notes at 300 code points for premium senders, 200 for
// free ones; a longer note has to be shortened before it can go out.
class NoteLengthRule final : public ConfiguredRule<v1::NoteLengthConfig> {
 public:
  explicit NoteLengthRule(v1::NoteLengthConfig config);
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  // length and limit in code points; tier "premium" or "free".
  const FindingCode& over_limit_ = Code("over-limit", {"length", "limit", "tier"});
};

}  // namespace etiquette
