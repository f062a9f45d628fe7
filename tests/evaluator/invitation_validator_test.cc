#include "evaluator/invitation_validator.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using testing::GoodInvitation;
using ::testing::HasSubstr;
using testing::TestNow;

absl::Status Validate(const v1::Invitation& invitation) {
  return ValidateInvitation(invitation, TestNow(), "invitation");
}

// Expects INVALID_ARGUMENT whose message names `path`.
void ExpectRejected(const v1::Invitation& invitation, const std::string& message_part) {
  absl::Status status = Validate(invitation);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr(message_part));
}

TEST(InvitationValidatorTest, GoodInvitationPasses) {
  EXPECT_TRUE(Validate(GoodInvitation()).ok());
}

TEST(InvitationValidatorTest, MissingSender) {
  v1::Invitation invitation = GoodInvitation();
  invitation.clear_sender();
  ExpectRejected(invitation, "invitation.sender: required");
}

TEST(InvitationValidatorTest, MissingRecipient) {
  v1::Invitation invitation = GoodInvitation();
  invitation.clear_recipient();
  ExpectRejected(invitation, "invitation.recipient: required");
}

TEST(InvitationValidatorTest, EmptyInvitationId) {
  v1::Invitation invitation = GoodInvitation();
  invitation.clear_invitation_id();
  ExpectRejected(invitation, "invitation.invitation_id: must not be empty");
}

TEST(InvitationValidatorTest, InvitationIdOver128Bytes) {
  v1::Invitation invitation = GoodInvitation();
  invitation.set_invitation_id(std::string(129, 'a'));
  ExpectRejected(invitation, "invitation.invitation_id: must be at most 128 bytes, got 129");
  invitation.set_invitation_id(std::string(128, 'a'));
  EXPECT_TRUE(Validate(invitation).ok());
}

TEST(InvitationValidatorTest, InvitationIdWithForbiddenCharacter) {
  for (const char* id : {"inv 1", "inv/1", "inv{1}", "inv\n1", "inv*"}) {
    v1::Invitation invitation = GoodInvitation();
    invitation.set_invitation_id(id);
    ExpectRejected(invitation, "invitation.invitation_id: may only contain A-Z a-z 0-9 . _ : -");
  }
}

TEST(InvitationValidatorTest, EmptyMemberId) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_sender()->clear_member_id();
  ExpectRejected(invitation, "invitation.sender.member_id: must not be empty");
}

TEST(InvitationValidatorTest, MemberIdOver64Bytes) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_recipient()->set_member_id(std::string(65, 'm'));
  ExpectRejected(invitation, "invitation.recipient.member_id: must be at most 64 bytes, got 65");
}

TEST(InvitationValidatorTest, MemberIdWithForbiddenCharacter) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_recipient()->set_member_id("m{tag}");
  ExpectRejected(invitation, "invitation.recipient.member_id: may only contain");
}

TEST(InvitationValidatorTest, SenderEqualsRecipient) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_recipient()->set_member_id(invitation.sender().member_id());
  ExpectRejected(invitation, "invitation.recipient.member_id: must differ from the sender's");
}

TEST(InvitationValidatorTest, NoteOver8000Bytes) {
  v1::Invitation invitation = GoodInvitation();
  invitation.set_note(std::string(8001, 'x'));
  ExpectRejected(invitation, "invitation.note: must be at most 8000 bytes, got 8001");
  invitation.set_note(std::string(8000, 'x'));
  EXPECT_TRUE(Validate(invitation).ok());
}

TEST(InvitationValidatorTest, OtherTextFieldOver4096Bytes) {
  const std::string long_text(4097, 'x');
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_sender()->set_headline(long_text);
  ExpectRejected(invitation, "invitation.sender.headline: must be at most 4096 bytes, got 4097");

  invitation = GoodInvitation();
  invitation.mutable_recipient()->set_full_name(long_text);
  ExpectRejected(invitation, "invitation.recipient.full_name: must be at most 4096 bytes");

  invitation = GoodInvitation();
  invitation.mutable_relationship()->add_shared_groups()->set_name(long_text);
  ExpectRejected(invitation,
                 "invitation.relationship.shared_groups[0].name: must be at most 4096 bytes");
}

TEST(InvitationValidatorTest, UnknownFamiliarityNumber) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_relationship()->set_familiarity(static_cast<v1::Familiarity>(42));
  ExpectRejected(invitation, "invitation.relationship.familiarity: unknown value 42");
}

TEST(InvitationValidatorTest, UnknownHiringStageNumber) {
  v1::Invitation invitation = GoodInvitation();
  v1::HiringEvent& event = *invitation.mutable_relationship()->add_hiring_events();
  event.set_stage(static_cast<v1::HiringStage>(99));
  *event.mutable_occurred_at() = ToTimestamp(TestNow() - absl::Hours(24));
  ExpectRejected(invitation, "invitation.relationship.hiring_events[0].stage: unknown value 99");
}

TEST(InvitationValidatorTest, SentAtMoreThanFiveMinutesAhead) {
  v1::Invitation invitation = GoodInvitation();
  *invitation.mutable_sent_at() = ToTimestamp(TestNow() + absl::Minutes(5) + absl::Seconds(1));
  ExpectRejected(invitation, "invitation.sent_at: more than 5 minutes in the future");
  *invitation.mutable_sent_at() = ToTimestamp(TestNow() + absl::Minutes(5));
  EXPECT_TRUE(Validate(invitation).ok());
}

TEST(InvitationValidatorTest, SentAtOutOfTimestampRange) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_sent_at()->set_nanos(-1);
  ExpectRejected(invitation, "invitation.sent_at: not a valid timestamp");
}

TEST(InvitationValidatorTest, HiringEventWithoutStage) {
  v1::Invitation invitation = GoodInvitation();
  v1::HiringEvent& event = *invitation.mutable_relationship()->add_hiring_events();
  event.set_company_id("co-globex");
  *event.mutable_occurred_at() = ToTimestamp(TestNow() - absl::Hours(24));
  ExpectRejected(invitation, "invitation.relationship.hiring_events[0].stage: required");
}

TEST(InvitationValidatorTest, HiringEventAfterSentAt) {
  v1::Invitation invitation = GoodInvitation();
  v1::HiringEvent& event = *invitation.mutable_relationship()->add_hiring_events();
  event.set_stage(v1::HIRING_STAGE_APPLIED);
  *event.mutable_occurred_at() = ToTimestamp(TestNow() + absl::Seconds(1));
  ExpectRejected(invitation,
                 "invitation.relationship.hiring_events[0].occurred_at: must not be after sent_at");
}

TEST(InvitationValidatorTest, HiringEventWithoutDate) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_relationship()->add_hiring_events()->set_stage(v1::HIRING_STAGE_APPLIED);
  ExpectRejected(invitation, "invitation.relationship.hiring_events[0].occurred_at: required");
}

TEST(InvitationValidatorTest, NamesEveryOffendingFieldAtOnce) {
  v1::Invitation invitation = GoodInvitation();
  invitation.clear_invitation_id();
  invitation.mutable_sender()->set_member_id("bad id");
  invitation.set_note(std::string(9000, 'x'));
  absl::Status status = Validate(invitation);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "invitation.invitation_id: must not be empty; "
            "invitation.sender.member_id: may only contain A-Z a-z 0-9 . _ : -; "
            "invitation.note: must be at most 8000 bytes, got 9000");
}

}  // namespace
}  // namespace etiquette
