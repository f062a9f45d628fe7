#pragma once

#include "absl/strings/string_view.h"
#include "etiquette/v1/evaluator_config.pb.h"
#include "evaluator/language_packs.h"
#include "evaluator/note_text.h"
#include "evaluator/rule.h"

namespace etiquette {

// `personal-note`: to someone the sender has never met, say why you want to connect.
// The seed: "If we haven't met, send a personalized message with the request and let me know
// why you want to connect."
class PersonalNoteRule final : public ConfiguredRule<v1::PersonalNoteConfig> {
 public:
  enum class NoteKind {
    kBlank,       // no note, or nothing left after the greeting and signature
    kStock,       // the platform's default text or something nearly identical
    kImpersonal,  // own words, but no reason and nothing about the recipient
    kPersonal,    // a reason cue, or mentions the recipient, their company or a shared group
  };

  // `personal_note_weight` is added to the logit for a personal note.
  PersonalNoteRule(v1::PersonalNoteConfig config, double personal_note_weight);

  // With the rule's own lists only (no language packs).
  NoteKind Classify(const v1::Invitation& invitation) const;
  // The same, given the note's words (NoteWords(invitation.note(), kMaxNoteWords): its words and
  // joined()) and the language packs that apply besides the rule's own lists.
  NoteKind Classify(const v1::Invitation& invitation, WordSpan words, absl::string_view joined = {},
                    absl::Span<const PhrasePack* const> packs = {}) const;
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  // The note's words without a leading greeting (and the recipient's name after it, with an
  // honorific such as "さん") and without a trailing sign-off and what follows it: a sub-span
  // of `words`.
  WordSpan CoreWords(WordSpan words, const NoteWords& recipient_name,
                     absl::Span<const PhrasePack* const> packs) const;
  bool MentionsRecipient(WordSpan words, absl::string_view joined, const v1::Invitation& invitation,
                         const NoteWords& recipient_name,
                         absl::Span<const PhrasePack* const> packs) const;

  const FindingCode& missing_ = Code("missing");
  const FindingCode& stock_text_ = Code("stock-text");
  const FindingCode& no_reason_ = Code("no-reason");
  const FindingCode& personal_ = Code("personal");
  const FindingCode& known_no_note_ = Code("known-no-note");
  const FindingCode& known_personal_ = Code("known-personal");
  const double personal_note_weight_;
  // The config's lists, normalised once when the rule is built: the English baseline, used
  // whatever the note's language.
  const PhrasePack own_;
};

}  // namespace etiquette
