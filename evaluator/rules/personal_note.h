#pragma once

#include "absl/strings/string_view.h"
#include "etiquette/v1/evaluator_config.pb.h"
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

  NoteKind Classify(const v1::Invitation& invitation) const;
  // The same, given the note's words (NoteWords(invitation.note(), kMaxNoteWords).words()).
  NoteKind Classify(const v1::Invitation& invitation, WordSpan words) const;
  void Evaluate(const RuleContext& context, RuleResult* result) const override;

 private:
  // The note's words without a leading greeting (and the recipient's first name after it)
  // and without a trailing sign-off and what follows it: a sub-span of `words`.
  WordSpan CoreWords(WordSpan words, absl::string_view first_name) const;
  bool MentionsRecipient(WordSpan words, const v1::Invitation& invitation,
                         absl::string_view first_name) const;

  const double personal_note_weight_;
  // The config's lists, normalised once when the rule is built.
  const PhraseList stock_notes_;
  const PhraseList greetings_;
  const PhraseList signoffs_;
  const PhraseList reason_cues_;
};

}  // namespace etiquette
