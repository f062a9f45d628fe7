#pragma once

#include <string>

#include "absl/time/time.h"
#include "common/proto_time.h"
#include "etiquette/v1/invitation.pb.h"
#include "evaluator/language_id.h"
#include "evaluator/language_packs.h"
#include "evaluator/note_text.h"
#include "evaluator/rule.h"

namespace etiquette::testing {

// A fixed "now" for tests: 2026-06-01T12:00:00Z.
inline absl::Time TestNow() { return absl::FromUnixSeconds(1780315200); }

// A valid invitation that every rule is happy with: a complete profile (photo, headline,
// summary) inviting a stranger, at TestNow(), with a personal note that names the recipient
// and gives a reason. Tests change the one thing they are about.
inline v1::Invitation GoodInvitation() {
  v1::Invitation invitation;
  invitation.set_invitation_id("inv-0001");
  v1::MemberProfile& sender = *invitation.mutable_sender();
  sender.set_member_id("member-sender");
  sender.set_full_name("Alex Sender");
  sender.set_headline("Backend engineer at Initech");
  sender.set_summary("Ten years of building payment systems.");
  sender.set_has_photo(true);
  sender.set_company_id("co-initech");
  sender.set_company_name("Initech");
  v1::MemberProfile& recipient = *invitation.mutable_recipient();
  recipient.set_member_id("member-recipient");
  recipient.set_full_name("Jordan Recipient");
  recipient.set_headline("Staff engineer");
  recipient.set_has_photo(true);
  recipient.set_company_id("co-globex");
  recipient.set_company_name("Globex");
  invitation.set_note(
      "Hi Jordan, I enjoyed your talk on payment retries at the Berlin meetup and would like "
      "to stay in touch.");
  *invitation.mutable_sent_at() = ToTimestamp(TestNow());
  invitation.mutable_relationship()->set_familiarity(v1::FAMILIARITY_STRANGER);
  return invitation;
}

// GoodInvitation with `note`, and no tie between the two but what the note may claim: a
// stranger with no mutual connections, shared groups, Twitter relation or hiring events.
inline v1::Invitation StrangerWithNoTies(const std::string& note) {
  v1::Invitation invitation = GoodInvitation();
  v1::Relationship& relationship = *invitation.mutable_relationship();
  relationship.set_familiarity(v1::FAMILIARITY_STRANGER);
  relationship.set_mutual_connections(0);
  relationship.clear_shared_groups();
  relationship.clear_twitter();
  relationship.clear_hiring_events();
  invitation.set_note(note);
  return invitation;
}

// Runs one rule the way the engine does (language identified, `packs` selected when given)
// and returns what it found.
inline RuleResult RunRule(const Rule& rule, const v1::Invitation& invitation,
                          const v1::SenderStanding* standing = nullptr,
                          HistoryStatus history = HistoryStatus::kNotConfigured,
                          const LanguagePacks* packs = nullptr) {
  if (standing != nullptr) history = HistoryStatus::kAnswered;
  const absl::Time sent_at =
      invitation.has_sent_at() ? ToAbslTime(invitation.sent_at()) : TestNow();
  const NoteWords note_words(invitation.note());
  const LanguageGuess language = IdentifyLanguage(invitation.note(), note_words.words());
  const PackSet selected =
      packs == nullptr ? PackSet() : packs->Select(language.language, invitation.sender().locale());
  RuleContext context{invitation,
                      note_words.words(),
                      sent_at,
                      IsStranger(invitation.relationship()),
                      history,
                      standing,
                      /*history_fail_closed=*/false,
                      note_words.joined(),
                      language.language,
                      language.confidence,
                      selected};
  RuleResult result;
  rule.Evaluate(context, &result);
  return result;
}

}  // namespace etiquette::testing
