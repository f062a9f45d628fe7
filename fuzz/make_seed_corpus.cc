// Writes request_fuzzer's seed corpus (fuzz/corpus/) into the directory given as argv[1]: a few
// serialized requests of every target, in the format fuzz_input.h describes, covering each rule
// and the history model's states. Run by scripts/fuzz.sh; its output is committed.
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "etiquette/v1/evaluator.pb.h"
#include "etiquette/v1/history.pb.h"
#include "fuzz/fuzz_input.h"

namespace etiquette::fuzz {
namespace {

char TargetByte(Target target) { return static_cast<char>(target); }

google::protobuf::Timestamp Ago(absl::Duration d) { return ToTimestamp(FuzzNow() - d); }

v1::Invitation Personal() {
  v1::Invitation invitation;
  invitation.set_invitation_id("inv-1");
  v1::MemberProfile& sender = *invitation.mutable_sender();
  sender.set_member_id("m-alex");
  sender.set_full_name("Alex Sender");
  sender.set_headline("Payments engineer");
  sender.set_summary("Ten years of payment systems.");
  sender.set_has_photo(true);
  sender.set_company_id("co-initech");
  v1::MemberProfile& recipient = *invitation.mutable_recipient();
  recipient.set_member_id("m-jordan");
  recipient.set_full_name("Jordan Lee");
  recipient.set_company_id("co-globex");
  recipient.set_company_name("Globex");
  invitation.set_note("Hi Jordan, I enjoyed your talk on payment retries at the Berlin meetup.");
  *invitation.mutable_sent_at() = Ago(absl::Minutes(1));
  v1::SharedGroup& group = *invitation.mutable_relationship()->add_shared_groups();
  group.set_group_id("g-1");
  group.set_name("Payments Berlin");
  group.set_sender_posts_90d(1);
  group.set_sender_comments_90d(3);
  return invitation;
}

v1::Invitation StockNoteFromEmptyProfile() {
  v1::Invitation invitation;
  invitation.set_invitation_id("inv-2");
  invitation.mutable_sender()->set_member_id("m-sam");
  invitation.mutable_recipient()->set_member_id("m-kim");
  invitation.set_note("I'd like to add you to my professional network on LinkedIn. - Sam");
  invitation.mutable_relationship()->set_familiarity(v1::FAMILIARITY_STRANGER);
  invitation.mutable_relationship()->mutable_twitter()->set_sender_follows_recipient(true);
  return invitation;
}

v1::Invitation AfterInterview() {
  v1::Invitation invitation = Personal();
  invitation.set_invitation_id("inv-3");
  invitation.set_note("Buy our demo now, book a call: https://example.invalid/free-trial");
  invitation.mutable_sender()->set_premium(true);
  v1::HiringEvent& applied = *invitation.mutable_relationship()->add_hiring_events();
  applied.set_stage(v1::HIRING_STAGE_APPLIED);
  applied.set_company_id("co-globex");
  *applied.mutable_occurred_at() = Ago(absl::Hours(24 * 20));
  v1::HiringEvent& interviewed = *invitation.mutable_relationship()->add_hiring_events();
  interviewed.set_stage(v1::HIRING_STAGE_INTERVIEWED);
  interviewed.set_company_id("co-globex");
  *interviewed.mutable_occurred_at() = Ago(absl::Hours(24 * 10));
  return invitation;
}

v1::Invitation UnicodeColleague() {
  v1::Invitation invitation = Personal();
  invitation.set_invitation_id("inv-4");
  invitation.mutable_recipient()->set_full_name("Zoë Ångström");
  invitation.set_note(
      "Zoë,\xC2\xA0we met at Café Über 🎉 — because we both love Ærø. "
      "Greetings from 東京, Alex");
  invitation.mutable_relationship()->set_familiarity(v1::FAMILIARITY_COLLEAGUE);
  invitation.mutable_relationship()->set_mutual_connections(12);
  invitation.set_recipient_email_confirmed(true);
  return invitation;
}

v1::Invitation LongNote() {
  v1::Invitation invitation = Personal();
  invitation.set_invitation_id("inv-5");
  std::string note = "Hi Jordan, ";
  while (note.size() < 400) note += "we met at the conference because of payments é ";
  invitation.set_note(note);
  return invitation;
}

// Over the count limits (evaluator/invitation_validator.h): 101 shared groups, 101 hiring
// events without a stage or date (also past the cap of 20 errors listed).
v1::Invitation OverCountLimits(bool groups) {
  v1::Invitation invitation = Personal();
  invitation.set_invitation_id(groups ? "inv-7" : "inv-8");
  v1::Relationship& relationship = *invitation.mutable_relationship();
  for (int i = 0; i < 101; ++i) {
    if (groups) {
      relationship.add_shared_groups()->set_name(absl::StrCat("g", i));
    } else {
      relationship.add_hiring_events();
    }
  }
  return invitation;
}

// A matching bomb, small enough for a seed: a note of one repeated word and 100 shared groups
// whose names are that word repeated, then another (the fuzzer grows them).
v1::Invitation MatchingBomb() {
  v1::Invitation invitation = Personal();
  invitation.set_invitation_id("inv-9");
  std::string note;
  while (note.size() + 8 <= 8000) note += "welcome ";
  invitation.set_note(note);
  invitation.mutable_relationship()->clear_shared_groups();
  for (int i = 0; i < 100; ++i) {
    std::string name;
    for (int w = 0; w < 20; ++w) name += "welcome ";
    invitation.mutable_relationship()->add_shared_groups()->set_name(absl::StrCat(name, "z", i));
  }
  return invitation;
}

std::string Evaluate(const v1::Invitation& invitation) {
  v1::EvaluateRequest request;
  *request.mutable_invitation() = invitation;
  return request.SerializeAsString();
}

std::string Batch(const std::vector<v1::Invitation>& invitations) {
  v1::EvaluateBatchRequest request;
  for (const v1::Invitation& invitation : invitations) *request.add_invitations() = invitation;
  return request.SerializeAsString();
}

v1::Invitation Invalid() {
  v1::Invitation invitation = Personal();
  invitation.set_invitation_id("inv 6");
  invitation.mutable_recipient()->set_member_id("m-alex");
  invitation.mutable_relationship()->set_familiarity(static_cast<v1::Familiarity>(9));
  return invitation;
}

std::string Standing(v1::StandingState state, bool reported, bool pending, bool cooldown) {
  v1::SenderStanding standing;
  standing.set_sender_id("m-alex");
  standing.set_state(state);
  standing.set_reports_in_window(state == v1::STANDING_STATE_GOOD ? 0 : 4);
  standing.set_spam_reports_in_window(state == v1::STANDING_STATE_GOOD ? 0 : 1);
  standing.set_invitations_last_7d(state == v1::STANDING_STATE_WARNED ? 120 : 3);
  standing.set_acceptance_rate(0.4);
  standing.set_offense_count(state == v1::STANDING_STATE_RESTRICTED ? 2 : 0);
  if (state == v1::STANDING_STATE_RESTRICTED) {
    *standing.mutable_restricted_until() = ToTimestamp(FuzzNow() + absl::Hours(24 * 30));
  }
  v1::PairStanding& pair = *standing.mutable_pair();
  pair.set_recipient_reported_sender(reported);
  pair.set_pending(pending);
  if (cooldown) *pair.mutable_reinvite_allowed_after() = ToTimestamp(FuzzNow() + absl::Hours(24));
  return standing.SerializeAsString();
}

// [target][mode][u16 n][standing][request]
std::string AskingHistory(bool batch, uint8_t mode, const std::string& standing,
                          const std::string& request) {
  return std::string(1, TargetByte(batch ? Target::kEvaluateBatchAskingHistory
                                         : Target::kEvaluateAskingHistory)) +
         std::string(1, static_cast<char>(mode)) + U16Bytes(standing.size()) + standing + request;
}

v1::RecordInvitationRequest Invite(const std::string& sender, const std::string& invitation,
                                   const std::string& recipient, absl::Duration ago) {
  v1::RecordInvitationRequest request;
  request.set_sender_id(sender);
  request.set_invitation_id(invitation);
  request.set_recipient_id(recipient);
  *request.mutable_sent_at() = Ago(ago);
  return request;
}

v1::RecordResponseRequest Respond(const std::string& sender, const std::string& invitation,
                                  const std::string& recipient, v1::InvitationResponse response) {
  v1::RecordResponseRequest request;
  request.set_sender_id(sender);
  request.set_invitation_id(invitation);
  request.set_recipient_id(recipient);
  request.set_response(response);
  return request;
}

v1::GetStandingRequest Ask(const std::string& sender, const std::string& recipient) {
  v1::GetStandingRequest request;
  request.set_sender_id(sender);
  request.set_recipient_id(recipient);
  return request;
}

// One record of a kSequence input.
std::string Record(SequenceOp op, uint8_t clock_step, const std::string& bytes) {
  return std::string(1, static_cast<char>(op)) + std::string(1, static_cast<char>(clock_step)) +
         U16Bytes(bytes.size()) + bytes;
}

std::string Single(Target target, const std::string& bytes) {
  return std::string(1, TargetByte(target)) + bytes;
}

std::vector<std::pair<std::string, std::string>> Seeds() {
  std::vector<std::pair<std::string, std::string>> seeds;
  const auto add = [&seeds](std::string name, std::string bytes) {
    seeds.emplace_back(std::move(name), std::move(bytes));
  };
  add("evaluate-personal", Single(Target::kEvaluate, Evaluate(Personal())));
  add("evaluate-stock-note", Single(Target::kEvaluate, Evaluate(StockNoteFromEmptyProfile())));
  add("evaluate-after-interview", Single(Target::kEvaluate, Evaluate(AfterInterview())));
  add("evaluate-unicode", Single(Target::kEvaluate, Evaluate(UnicodeColleague())));
  add("evaluate-long-note", Single(Target::kEvaluate, Evaluate(LongNote())));
  add("evaluate-invalid", Single(Target::kEvaluate, Evaluate(Invalid())));
  add("evaluate-101-groups", Single(Target::kEvaluate, Evaluate(OverCountLimits(true))));
  add("evaluate-101-hiring-events", Single(Target::kEvaluate, Evaluate(OverCountLimits(false))));
  // Unknown fields (field 15, varint 0: 2 bytes each) at the cap, and one over it.
  std::string unknown_fields;
  for (int i = 0; i < 10000; ++i) unknown_fields.append({static_cast<char>(15 << 3), '\0'});
  add("evaluate-10000-unknown-fields",
      Single(Target::kEvaluate, Evaluate(Personal()) + unknown_fields));
  add("evaluate-10001-unknown-fields",
      Single(Target::kEvaluate,
             Evaluate(Personal()) + unknown_fields + unknown_fields.substr(0, 2)));
  add("evaluate-matching-bomb", Single(Target::kEvaluate, Evaluate(MatchingBomb())));
  add("batch-slot-over-limits",
      Single(Target::kEvaluateBatch, Batch({Personal(), OverCountLimits(true), MatchingBomb()})));
  add("batch-mixed",
      Single(Target::kEvaluateBatch,
             Batch({Personal(), Invalid(), StockNoteFromEmptyProfile(), UnicodeColleague()})));

  add("history-restricted",
      AskingHistory(false, 0, Standing(v1::STANDING_STATE_RESTRICTED, false, false, false),
                    Evaluate(Personal())));
  add("history-reported-pending",
      AskingHistory(false, 0, Standing(v1::STANDING_STATE_WARNED, true, true, true),
                    Evaluate(StockNoteFromEmptyProfile())));
  add("history-down-open", AskingHistory(false, 1, "", Evaluate(Personal())));
  add("history-down-closed", AskingHistory(true, 2, "", Batch({Personal(), AfterInterview()})));
  add("history-batch-warned",
      AskingHistory(true, 0, Standing(v1::STANDING_STATE_WARNED, false, false, true),
                    Batch({Personal(), UnicodeColleague()})));

  add("record-invitation",
      Single(Target::kRecordInvitation,
             Invite("m-sam", "inv-10", "m-kim", absl::Hours(1)).SerializeAsString()));
  add("record-response",
      Single(Target::kRecordResponse,
             Respond("m-sam", "inv-10", "m-kim", v1::INVITATION_RESPONSE_REPORTED_SPAM)
                 .SerializeAsString()));
  add("get-standing", Single(Target::kGetStanding, Ask("m-sam", "m-kim").SerializeAsString()));
  {
    v1::BatchGetStandingRequest batch;
    *batch.add_requests() = Ask("m-sam", "m-kim");
    batch.add_requests()->set_sender_id("m-alex");
    add("batch-get-standing", Single(Target::kBatchGetStanding, batch.SerializeAsString()));
  }
  {
    v1::ReleaseSenderRequest release;
    release.set_sender_id("m-sam");
    release.set_reason("ticket 4711: member acknowledged the policy");
    add("release-sender", Single(Target::kReleaseSender, release.SerializeAsString()));
    v1::ForgetMemberRequest forget;
    forget.set_member_id("m-sam");
    forget.set_reason("ticket 4712: deletion request");
    add("forget-member", Single(Target::kForgetMember, forget.SerializeAsString()));
  }

  // Five reports put m-sam in jail; the evaluator then requires the e-mail; a release and a
  // week later the etiquette rules decide again.
  {
    std::string s(1, TargetByte(Target::kSequence));
    for (int i = 0; i < 5; ++i) {
      const std::string inv = absl::StrCat("inv-", i);
      const std::string to = absl::StrCat("m-r", i);
      s += Record(SequenceOp::kRecordInvitation, 1,
                  Invite("m-sam", inv, to, absl::Minutes(30)).SerializeAsString());
      s += Record(
          SequenceOp::kRecordResponse, 2,
          Respond("m-sam", inv, to, v1::INVITATION_RESPONSE_REPORTED_UNKNOWN).SerializeAsString());
    }
    v1::Invitation jailed = StockNoteFromEmptyProfile();
    jailed.clear_sent_at();
    s += Record(SequenceOp::kEvaluate, 0, Evaluate(jailed));
    v1::ReleaseSenderRequest release;
    release.set_sender_id("m-sam");
    release.set_reason("ticket 1: released");
    s += Record(SequenceOp::kReleaseSender, 3, release.SerializeAsString());
    s += Record(SequenceOp::kEvaluateBatch, 100, Batch({jailed, Personal()}));
    add("sequence-jail-and-release", s);
  }
  // A withdrawn invitation's cool-down, a pending one, then forgetting the sender.
  {
    std::string s(1, TargetByte(Target::kSequence));
    s += Record(SequenceOp::kRecordInvitation, 0,
                Invite("m-alex", "inv-w", "m-jordan", absl::Minutes(5)).SerializeAsString());
    s += Record(SequenceOp::kRecordResponse, 1,
                Respond("m-alex", "inv-w", "m-jordan", v1::INVITATION_RESPONSE_WITHDRAWN)
                    .SerializeAsString());
    v1::Invitation again = Personal();
    again.clear_sent_at();
    s += Record(SequenceOp::kEvaluate, 2, Evaluate(again));
    s += Record(SequenceOp::kRecordInvitation, 3,
                Invite("m-alex", "inv-p", "m-kim", absl::Minutes(1)).SerializeAsString());
    s += Record(SequenceOp::kGetStanding, 4, Ask("m-alex", "m-kim").SerializeAsString());
    v1::ForgetMemberRequest forget;
    forget.set_member_id("m-alex");
    forget.set_reason("ticket 2: deletion request");
    s += Record(SequenceOp::kForgetMember, 200, forget.SerializeAsString());
    s += Record(SequenceOp::kEvaluate, 255, Evaluate(again));
    add("sequence-cooldown-pending-forget", s);
  }
  return seeds;
}

}  // namespace
}  // namespace etiquette::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  for (const auto& [name, bytes] : etiquette::fuzz::Seeds()) {
    const std::string path = std::string(argv[1]) + "/seed-" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return 1;
    }
  }
  return 0;
}
