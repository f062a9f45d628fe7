#pragma once

#include <string>

#include "etiquette/v1/evaluator_config.pb.h"
#include "evaluator/rule.h"

namespace etiquette {

// `template-blast`: the same note (or a nearly identical one: a mail merge, a word changed)
// sent to many strangers in a week. History counts the sender's recent notes near-identical to
// this one (SenderStanding.near_identical_notes_last_7d, from the note fingerprints the
// platform recorded with RecordInvitation; evaluator/note_fingerprint.h); from advice_at of
// them ADVICE (SEND), from defer_at a VIOLATION (DEFER). Silent without history's answer, for
// an invitation without a note and for one to a member the sender knows.
//
// Finding codes (for the message catalogs): "template-blast.advice" (params: count),
// "template-blast.defer" (params: count).
class TemplateBlastRule final : public ConfiguredRule<v1::TemplateBlastConfig> {
 public:
  explicit TemplateBlastRule(v1::TemplateBlastConfig config);
  // True when the note is near-identical to at least advice_at of the sender's recent notes to
  // strangers (history answered, the recipient is a stranger, the note has words).
  bool Fires(const RuleContext& context) const;
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  const FindingCode& advice_ = Code("advice", {"count"});
  const FindingCode& defer_ = Code("defer", {"count"});
};

}  // namespace etiquette
