// History's logic over the in-memory store: validation, standings and the jail model.
#include "history/history.h"

#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "history/config.h"
#include "history/in_memory_history_store.h"
#include "spdlog/spdlog.h"
#include "tests/common/capturing_sink.h"
#include "tests/support/await.h"

namespace etiquette {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::InvokeArgument;
using ::testing::Not;
using ::testing::Truly;

constexpr char kSecret[] = "0123456789abcdef-test-secret";

absl::Duration Days(int days) { return absl::Hours(24) * days; }

class HistoryTest : public ::testing::Test {
 protected:
  HistoryTest()
      : config_(DefaultHistoryConfig()),
        store_(StorePolicyFrom(config_)),
        history_(store_, *RecipientHasher::Create(kSecret), config_, [this] { return now_; }) {}

  v1::SenderStanding Invite(const std::string& sender, const std::string& invitation,
                            const std::string& recipient) {
    v1::RecordInvitationRequest request;
    request.set_sender_id(sender);
    request.set_invitation_id(invitation);
    request.set_recipient_id(recipient);
    absl::StatusOr<v1::RecordInvitationResponse> response = blocking_.RecordInvitation(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->standing() : v1::SenderStanding();
  }

  absl::StatusOr<v1::RecordResponseResponse> Respond(const std::string& sender,
                                                     const std::string& invitation,
                                                     const std::string& recipient,
                                                     v1::InvitationResponse response) {
    v1::RecordResponseRequest request;
    request.set_sender_id(sender);
    request.set_invitation_id(invitation);
    request.set_recipient_id(recipient);
    request.set_response(response);
    return blocking_.RecordResponse(request);
  }

  // Invites `count` new recipients (r<first>..) and has each report the invitation.
  v1::SenderStanding Reports(
      const std::string& sender, int first, int count,
      v1::InvitationResponse kind = v1::INVITATION_RESPONSE_REPORTED_UNKNOWN) {
    v1::SenderStanding standing;
    for (int i = first; i < first + count; ++i) {
      const std::string id = sender + "-i" + std::to_string(i);
      const std::string recipient = "r" + std::to_string(i);
      Invite(sender, id, recipient);
      absl::StatusOr<v1::RecordResponseResponse> response = Respond(sender, id, recipient, kind);
      EXPECT_TRUE(response.ok()) << response.status();
      if (response.ok()) standing = response->standing();
    }
    return standing;
  }

  v1::SenderStanding Standing(const std::string& sender, const std::string& recipient = "") {
    v1::GetStandingRequest request;
    request.set_sender_id(sender);
    request.set_recipient_id(recipient);
    absl::StatusOr<v1::GetStandingResponse> response = blocking_.GetStanding(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->standing() : v1::SenderStanding();
  }

  absl::StatusOr<v1::ReleaseSenderResponse> Release(const std::string& sender,
                                                    const std::string& reason) {
    v1::ReleaseSenderRequest request;
    request.set_sender_id(sender);
    request.set_reason(reason);
    return blocking_.ReleaseSender(request);
  }

  absl::Time now_ = absl::FromUnixSeconds(1780315200);
  v1::HistoryConfig config_;
  InMemoryHistoryStore store_;
  History history_;
  testing::BlockingHistory blocking_{history_};
};

TEST_F(HistoryTest, UnknownSenderIsGoodWithZeros) {
  v1::SenderStanding standing = Standing("nobody");
  EXPECT_EQ(standing.sender_id(), "nobody");
  EXPECT_EQ(standing.state(), v1::STANDING_STATE_GOOD);
  EXPECT_EQ(standing.reports_in_window(), 0u);
  EXPECT_EQ(standing.invitations_last_7d(), 0u);
  EXPECT_EQ(standing.acceptance_rate(), 0.0);
  EXPECT_FALSE(standing.has_pair());
}

TEST_F(HistoryTest, TwoReportsAreGoodThreeAreWarned) {
  EXPECT_EQ(Reports("s", 0, 2).state(), v1::STANDING_STATE_GOOD);
  v1::SenderStanding standing = Reports("s", 2, 1);
  EXPECT_EQ(standing.state(), v1::STANDING_STATE_WARNED);
  EXPECT_EQ(standing.reports_in_window(), 3u);
  EXPECT_THAT(standing.reason(), HasSubstr("3 recipients reported"));
}

TEST_F(HistoryTest, SpamReportsAreCountedApart) {
  Reports("s", 0, 1, v1::INVITATION_RESPONSE_REPORTED_SPAM);
  v1::SenderStanding standing = Reports("s", 1, 1);
  EXPECT_EQ(standing.reports_in_window(), 2u);
  EXPECT_EQ(standing.spam_reports_in_window(), 1u);
}

TEST_F(HistoryTest, FiveReportsRestrictForSevenDays) {
  Reports("s", 0, 4);
  EXPECT_EQ(Standing("s").state(), v1::STANDING_STATE_WARNED);
  v1::SenderStanding standing = Reports("s", 4, 1);
  EXPECT_EQ(standing.state(), v1::STANDING_STATE_RESTRICTED);
  EXPECT_EQ(standing.offense_count(), 1u);
  ASSERT_TRUE(standing.has_restricted_until());
  EXPECT_EQ(ToAbslTime(standing.restricted_until()), now_ + Days(7));
  EXPECT_FALSE(standing.reason().empty());
  // The clean slate starts with the restriction.
  EXPECT_EQ(standing.reports_in_window(), 0u);
}

TEST_F(HistoryTest, RestrictionEndsByItselfWithoutAWrite) {
  Reports("s", 0, 5);
  now_ += Days(7) - absl::Milliseconds(1);
  EXPECT_EQ(Standing("s").state(), v1::STANDING_STATE_RESTRICTED);
  now_ += absl::Milliseconds(1);
  v1::SenderStanding standing = Standing("s");
  EXPECT_EQ(standing.state(), v1::STANDING_STATE_GOOD);
  EXPECT_EQ(standing.offense_count(), 1u);
  EXPECT_FALSE(standing.has_restricted_until());
}

TEST_F(HistoryTest, LadderGoesSevenThirtyThenIndefinite) {
  Reports("s", 0, 5);
  now_ += Days(8);
  v1::SenderStanding second = Reports("s", 10, 5);
  EXPECT_EQ(second.state(), v1::STANDING_STATE_RESTRICTED);
  EXPECT_EQ(second.offense_count(), 2u);
  EXPECT_EQ(ToAbslTime(second.restricted_until()), now_ + Days(30));
  now_ += Days(31);
  v1::SenderStanding third = Reports("s", 20, 5);
  EXPECT_EQ(third.state(), v1::STANDING_STATE_RESTRICTED);
  EXPECT_EQ(third.offense_count(), 3u);
  EXPECT_FALSE(third.has_restricted_until());  // indefinite
  now_ += Days(3650);
  EXPECT_EQ(Standing("s").state(), v1::STANDING_STATE_RESTRICTED);
}

TEST_F(HistoryTest, ReleaseEndsTheRestrictionWithACleanSlate) {
  Reports("s", 0, 5);
  Reports("s", 5, 3);  // reports during the restriction count after its start...
  absl::StatusOr<v1::ReleaseSenderResponse> released = Release("s", "appeal accepted");
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(released->standing().state(), v1::STANDING_STATE_GOOD);
  EXPECT_EQ(released->standing().reports_in_window(), 0u);  // ...until the release
  EXPECT_EQ(released->standing().offense_count(), 1u);
  // A reason code with a reference (a keyed hash of the operator's text, also in the log),
  // never the operator's free text.
  EXPECT_THAT(released->standing().reason(),
              ::testing::MatchesRegex("released by an operator \\(ref [0-9a-f]{12}\\)"));
  EXPECT_THAT(released->standing().reason(), ::testing::Not(::testing::HasSubstr("appeal")));
  EXPECT_EQ(Standing("s").state(), v1::STANDING_STATE_GOOD);
}

TEST_F(HistoryTest, ReleaseNeedsAReason) {
  absl::StatusOr<v1::ReleaseSenderResponse> released = Release("s", "  ");
  EXPECT_EQ(released.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(released.status().message(), "reason: required");
}

TEST_F(HistoryTest, LowAcceptanceWarns) {
  for (int i = 0; i < 100; ++i) {
    Invite("bulk", "b" + std::to_string(i), "r" + std::to_string(i));
  }
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(Respond("bulk", "b" + std::to_string(i), "r" + std::to_string(i),
                        v1::INVITATION_RESPONSE_ACCEPTED)
                    .ok());
  }
  v1::SenderStanding standing = Standing("bulk");
  EXPECT_EQ(standing.state(), v1::STANDING_STATE_WARNED);
  EXPECT_DOUBLE_EQ(standing.acceptance_rate(), 0.12);
  EXPECT_THAT(standing.reason(), HasSubstr("low acceptance"));
  ASSERT_TRUE(Respond("bulk", "b12", "r12", v1::INVITATION_RESPONSE_ACCEPTED).ok());
  EXPECT_EQ(Standing("bulk").state(), v1::STANDING_STATE_GOOD);  // 13% is not under 13%
}

TEST_F(HistoryTest, FewInvitationsNeverCountAsLowAcceptance) {
  for (int i = 0; i < 99; ++i) Invite("few", "f" + std::to_string(i), "r" + std::to_string(i));
  v1::SenderStanding standing = Standing("few");
  EXPECT_EQ(standing.state(), v1::STANDING_STATE_GOOD);
  EXPECT_EQ(standing.invitations_last_7d(), 99u);
}

TEST_F(HistoryTest, PairStandings) {
  Invite("s", "i1", "pending-one");
  v1::SenderStanding pending = Standing("s", "pending-one");
  ASSERT_TRUE(pending.has_pair());
  EXPECT_TRUE(pending.pair().pending());

  Invite("s", "i2", "withdrawn-one");
  ASSERT_TRUE(Respond("s", "i2", "withdrawn-one", v1::INVITATION_RESPONSE_WITHDRAWN).ok());
  v1::SenderStanding withdrawn = Standing("s", "withdrawn-one");
  EXPECT_FALSE(withdrawn.pair().pending());
  EXPECT_EQ(ToAbslTime(withdrawn.pair().reinvite_allowed_after()), now_ + Days(21));

  Reports("s", 0, 1);
  EXPECT_TRUE(Standing("s", "r0").pair().recipient_reported_sender());
  EXPECT_FALSE(Standing("s", "pending-one").pair().recipient_reported_sender());

  now_ += Days(21);
  EXPECT_FALSE(Standing("s", "withdrawn-one").pair().has_reinvite_allowed_after());
  now_ += Days(400);
  EXPECT_TRUE(Standing("s", "r0").pair().recipient_reported_sender());
}

TEST_F(HistoryTest, DuplicateInvitationIsReported) {
  v1::RecordInvitationRequest request;
  request.set_sender_id("s");
  request.set_invitation_id("i1");
  request.set_recipient_id("r1");
  ASSERT_FALSE(blocking_.RecordInvitation(request)->duplicate());
  absl::StatusOr<v1::RecordInvitationResponse> again = blocking_.RecordInvitation(request);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(again->standing().invitations_last_7d(), 1u);
}

TEST_F(HistoryTest, EscalationIsRecordedAndRepeatsAreDuplicates) {
  Invite("s", "i1", "r1");
  EXPECT_FALSE(Respond("s", "i1", "r1", v1::INVITATION_RESPONSE_IGNORED)->duplicate());
  absl::StatusOr<v1::RecordResponseResponse> unknown =
      Respond("s", "i1", "r1", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN);
  EXPECT_FALSE(unknown->duplicate());
  EXPECT_EQ(unknown->standing().reports_in_window(), 1u);
  EXPECT_TRUE(Respond("s", "i1", "r1", v1::INVITATION_RESPONSE_IGNORED)->duplicate());
  EXPECT_TRUE(Respond("s", "i1", "r1", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN)->duplicate());
  EXPECT_EQ(Standing("s").reports_in_window(), 1u);
}

TEST_F(HistoryTest, BatchAnswersInOrder) {
  Reports("warned", 0, 3);
  v1::BatchGetStandingRequest request;
  request.add_requests()->set_sender_id("warned");
  v1::GetStandingRequest* pair = request.add_requests();
  pair->set_sender_id("warned");
  pair->set_recipient_id("r1");
  request.add_requests()->set_sender_id("nobody");
  absl::StatusOr<v1::BatchGetStandingResponse> response = blocking_.BatchGetStanding(request);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->standings_size(), 3);
  EXPECT_EQ(response->standings(0).state(), v1::STANDING_STATE_WARNED);
  EXPECT_FALSE(response->standings(0).has_pair());
  EXPECT_TRUE(response->standings(1).pair().recipient_reported_sender());
  EXPECT_EQ(response->standings(2).sender_id(), "nobody");
  EXPECT_EQ(response->standings(2).state(), v1::STANDING_STATE_GOOD);
}

TEST_F(HistoryTest, ForgetMemberDeletesTheSendersHistory) {
  Reports("s", 0, 3);
  v1::ForgetMemberRequest request;
  request.set_member_id("s");
  request.set_reason("deletion request 123");
  ASSERT_TRUE(blocking_.ForgetMember(request).ok());
  EXPECT_EQ(Standing("s").reports_in_window(), 0u);
  EXPECT_FALSE(Standing("s", "r0").pair().recipient_reported_sender());
}

// Member ids never reach the log (issue 13): the restriction, release and erasure lines name
// the member by its tag (RecipientHasher::LogTag), and the release's free text goes to the log
// only, with a reference that the standing shows instead.
TEST_F(HistoryTest, LogsNameMembersByTagNeverById) {
  auto sink = std::make_shared<testing::CapturingSink>();
  spdlog::default_logger()->sinks().push_back(sink);
  Reports("m-logged-sender", 0, 5);  // starts a restriction
  ASSERT_TRUE(Release("m-logged-sender", "ticket 99").ok());
  v1::ForgetMemberRequest request;
  request.set_member_id("m-logged-sender");
  request.set_reason("deletion request 124");
  ASSERT_TRUE(blocking_.ForgetMember(request).ok());
  spdlog::default_logger()->sinks().pop_back();
  const std::string logged = sink->Text();
  const std::string tag = RecipientHasher::Create(kSecret)->LogTag("m-logged-sender");
  EXPECT_THAT(logged, HasSubstr("restriction started sender=" + tag));
  EXPECT_THAT(logged, HasSubstr("admin ReleaseSender sender=" + tag));
  EXPECT_THAT(logged, HasSubstr("ticket 99"));
  EXPECT_THAT(logged, HasSubstr("admin ForgetMember member=" + tag + " records_removed="));
  EXPECT_THAT(logged, Not(HasSubstr("m-logged-sender")));
}

// --- the admin audit trail and reason codes (issue 13).

TEST_F(HistoryTest, ReasonCodesAreStableStringsNeverTheOperatorsText) {
  EXPECT_EQ(Standing("rc").reason_code(), "");
  EXPECT_EQ(Reports("rc", 0, 3).reason_code(), "warned-by-reports");
  EXPECT_EQ(Reports("rc", 3, 2).reason_code(), "restricted-by-reports");
  absl::StatusOr<v1::ReleaseSenderResponse> released = Release("rc", "appeal accepted");
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(released->standing().reason_code(), "released-by-operator");
  EXPECT_EQ(Standing("rc").reason_code(), "released-by-operator");
}

TEST_F(HistoryTest, AdminActionsAreAuditedWithWhoWhatWhenReasonAndOutcome) {
  v1::ReleaseSenderRequest release;
  release.set_sender_id("audited-sender");
  release.set_reason("appeal accepted");
  release.set_ticket("OPS-7");
  absl::StatusOr<v1::ReleaseSenderResponse> released =
      testing::Await<v1::ReleaseSenderResponse>([&](StoreDone<v1::ReleaseSenderResponse> done) {
        history_.ReleaseSender(release, {"spiffe://ops/alice", "token:aaaaaaaaaaaa"},
                               absl::InfiniteFuture(), std::move(done));
      });
  ASSERT_TRUE(released.ok()) << released.status();
  now_ += absl::Seconds(1);
  v1::ForgetMemberRequest forget;
  forget.set_member_id("erased-member");
  forget.set_reason("deletion request from erased-member");
  ASSERT_TRUE(blocking_.ForgetMember(forget).ok());

  absl::StatusOr<v1::ListAdminActionsResponse> listed =
      blocking_.ListAdminActions(v1::ListAdminActionsRequest());
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->actions_size(), 2);
  EXPECT_TRUE(listed->next_page_token().empty());
  const v1::AdminAction& forgot = listed->actions(0);  // newest first
  const std::string tag = RecipientHasher::Create(kSecret)->LogTag("erased-member");
  EXPECT_EQ(forgot.action(), "ForgetMember");
  EXPECT_EQ(forgot.admin(), "unknown");
  EXPECT_EQ(forgot.member_tag(), "");
  EXPECT_EQ(forgot.sender_id(), "");
  EXPECT_EQ(forgot.reason(), "deletion request from [erased member]");
  EXPECT_EQ(forgot.outcome(), "OK");
  EXPECT_THAT(forgot.DebugString(), Not(HasSubstr("erased-member")));
  EXPECT_THAT(forgot.DebugString(), Not(HasSubstr(tag)));
  const v1::AdminAction& rel = listed->actions(1);
  EXPECT_EQ(rel.action(), "ReleaseSender");
  EXPECT_EQ(rel.admin(), "spiffe://ops/alice");
  EXPECT_EQ(rel.token_ref(), "token:aaaaaaaaaaaa");
  EXPECT_EQ(rel.sender_id(), "audited-sender");
  EXPECT_EQ(rel.reason(), "appeal accepted");
  EXPECT_EQ(rel.ticket(), "OPS-7");
  EXPECT_EQ(rel.outcome(), "OK");
  EXPECT_EQ(ToAbslTime(rel.time()), now_ - absl::Seconds(1));
  EXPECT_THAT(released->standing().reason(), HasSubstr(rel.reason_ref()));
  EXPECT_EQ(rel.reason_ref().size(), 12u);

  v1::ListAdminActionsRequest by_sender;
  by_sender.set_sender_id("audited-sender");
  listed = blocking_.ListAdminActions(by_sender);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->actions_size(), 1);
  EXPECT_EQ(listed->actions(0).action(), "ReleaseSender");
}

// The trail keeps nothing about an erased member: the erasure removes the entries that name it
// (its releases) and says how many, in its answer and in its own entry.
TEST_F(HistoryTest, ForgetMemberRemovesTheAuditEntriesThatNameTheMember) {
  ASSERT_TRUE(Release("erased-sender", "appeal accepted").ok());
  ASSERT_TRUE(Release("erased-sender", "second appeal").ok());
  ASSERT_TRUE(Release("kept-sender", "appeal accepted").ok());
  v1::ForgetMemberRequest forget;
  forget.set_member_id("erased-sender");
  forget.set_reason("deletion request");
  absl::StatusOr<v1::ForgetMemberResponse> first = blocking_.Forget(forget);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->audit_entries_removed(), 2u);

  absl::StatusOr<v1::ListAdminActionsResponse> listed =
      blocking_.ListAdminActions(v1::ListAdminActionsRequest());
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->actions_size(), 2);
  EXPECT_EQ(listed->actions(0).action(), "ForgetMember");
  EXPECT_EQ(listed->actions(0).audit_entries_removed(), 2u);
  EXPECT_EQ(listed->actions(1).sender_id(), "kept-sender");
  EXPECT_THAT(listed->DebugString(), Not(HasSubstr("erased-sender")));

  absl::StatusOr<v1::ForgetMemberResponse> again = blocking_.Forget(forget);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->records_removed(), 0u);
  EXPECT_EQ(again->audit_entries_removed(), 0u);
}

// A store whose audit trail cannot be written.
class AuditFailingStore : public InMemoryHistoryStore {
 public:
  using InMemoryHistoryStore::InMemoryHistoryStore;
  void AppendAdminAction(const AdminActionRecord&, const std::string&, absl::Time,
                         StoreDone<AdminActionRecord> done) override {
    done(absl::UnavailableError("audit trail down"));
  }
};

// An erasure is complete only with the trail's entries about the member gone: when that write
// fails, the caller hears UNAVAILABLE (and retries); a release is done whatever the trail says.
TEST(HistoryAuditFailureTest, ForgetMemberIsUnavailableUntilTheTrailIsUpdated) {
  const v1::HistoryConfig config = DefaultHistoryConfig();
  AuditFailingStore store(StorePolicyFrom(config));
  History history(store, *RecipientHasher::Create(kSecret), config,
                  [] { return absl::FromUnixSeconds(1780315200); });
  testing::BlockingHistory blocking(history);
  v1::ReleaseSenderRequest release;
  release.set_sender_id("s");
  release.set_reason("appeal accepted");
  EXPECT_TRUE(blocking.ReleaseSender(release).ok());
  v1::ForgetMemberRequest forget;
  forget.set_member_id("s");
  forget.set_reason("deletion request");
  absl::StatusOr<v1::ForgetMemberResponse> forgot = blocking.Forget(forget);
  EXPECT_EQ(forgot.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(forgot.status().message(), HasSubstr("retry"));
}

TEST_F(HistoryTest, ListAdminActionsPaginates) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Release("paged", absl::StrCat("reason ", i)).ok());
    now_ += absl::Seconds(1);
  }
  v1::ListAdminActionsRequest request;
  request.set_page_size(2);
  std::vector<std::string> reasons;
  for (int page = 0; page < 3; ++page) {
    absl::StatusOr<v1::ListAdminActionsResponse> listed = blocking_.ListAdminActions(request);
    ASSERT_TRUE(listed.ok()) << listed.status();
    for (const v1::AdminAction& a : listed->actions()) reasons.push_back(a.reason());
    EXPECT_EQ(listed->next_page_token().empty(), page == 2) << page;
    request.set_page_token(listed->next_page_token());
  }
  EXPECT_EQ(reasons,
            (std::vector<std::string>{"reason 4", "reason 3", "reason 2", "reason 1", "reason 0"}));
}

TEST_F(HistoryTest, ListAdminActionsRefusesBadPageSizesAndTokens) {
  for (int size : {-1, kMaxAdminActionsPage + 1}) {
    v1::ListAdminActionsRequest request;
    request.set_page_size(size);
    absl::StatusOr<v1::ListAdminActionsResponse> listed = blocking_.ListAdminActions(request);
    EXPECT_EQ(listed.status().code(), absl::StatusCode::kInvalidArgument) << size;
    EXPECT_THAT(listed.status().message(), HasSubstr("page_size")) << size;
  }
  for (const char* token : {"!!!", "bm90LWFuLWlk" /* "not-an-id" */}) {
    v1::ListAdminActionsRequest request;
    request.set_page_token(token);
    absl::StatusOr<v1::ListAdminActionsResponse> listed = blocking_.ListAdminActions(request);
    EXPECT_EQ(listed.status().code(), absl::StatusCode::kInvalidArgument) << token;
    EXPECT_THAT(listed.status().message(), HasSubstr("page_token")) << token;
  }
  v1::ListAdminActionsRequest request;
  request.set_page_size(kMaxAdminActionsPage);
  request.set_sender_id("bad id");
  EXPECT_EQ(blocking_.ListAdminActions(request).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::ReleaseSenderRequest release;
  release.set_sender_id("s");
  release.set_reason("ok");
  release.set_ticket("bad ticket");
  EXPECT_EQ(blocking_.ReleaseSender(release).status().code(), absl::StatusCode::kInvalidArgument);
}

// --- validation: one test per kind of bad input, each INVALID_ARGUMENT naming the field.

TEST_F(HistoryTest, BadIdsAreInvalidArgument) {
  v1::RecordInvitationRequest request;
  request.set_sender_id("s{1}");
  request.set_invitation_id(std::string(129, 'i'));
  request.set_recipient_id("");
  absl::Status status = blocking_.RecordInvitation(request).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "invitation_id: must be at most 128 bytes, got 129; "
            "sender_id: may only contain A-Z a-z 0-9 . _ : -; recipient_id: must not be empty");
}

TEST_F(HistoryTest, SenderEqualToRecipientIsInvalidArgument) {
  absl::Status status = Respond("s", "i1", "s", v1::INVITATION_RESPONSE_ACCEPTED).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "recipient_id: must differ from sender_id");
}

TEST_F(HistoryTest, FutureEventIsInvalidArgumentButSkewIsAccepted) {
  v1::RecordInvitationRequest request;
  request.set_sender_id("s");
  request.set_invitation_id("i1");
  request.set_recipient_id("r1");
  *request.mutable_sent_at() = ToTimestamp(now_ + absl::Minutes(5) + absl::Seconds(1));
  absl::Status status = blocking_.RecordInvitation(request).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "sent_at: more than 5 minutes in the future");
  *request.mutable_sent_at() = ToTimestamp(now_ + absl::Minutes(5));
  EXPECT_TRUE(blocking_.RecordInvitation(request).ok());
}

// Events older than the longest window (90 days by default: report_window_days) are refused
// like future ones; exactly that old is accepted, and counts nowhere.
TEST_F(HistoryTest, EventOlderThanTheLongestWindowIsInvalidArgument) {
  v1::RecordInvitationRequest request;
  request.set_sender_id("s");
  request.set_invitation_id("old");
  request.set_recipient_id("r1");
  *request.mutable_sent_at() = ToTimestamp(now_ - Days(90) - absl::Seconds(1));
  absl::Status status = blocking_.RecordInvitation(request).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "sent_at: more than 90 days in the past (the longest window)");
  *request.mutable_sent_at() = ToTimestamp(now_ - Days(90));
  absl::StatusOr<v1::RecordInvitationResponse> response = blocking_.RecordInvitation(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->standing().invitations_last_7d(), 0u);

  v1::RecordResponseRequest answer;
  answer.set_sender_id("s");
  answer.set_invitation_id("old");
  answer.set_recipient_id("r1");
  answer.set_response(v1::INVITATION_RESPONSE_REPORTED_SPAM);
  *answer.mutable_responded_at() = ToTimestamp(now_ - Days(90) - absl::Seconds(1));
  status = blocking_.RecordResponse(answer).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "responded_at: more than 90 days in the past (the longest window)");
  *answer.mutable_responded_at() = ToTimestamp(now_ - Days(90));
  absl::StatusOr<v1::RecordResponseResponse> answered = blocking_.RecordResponse(answer);
  ASSERT_TRUE(answered.ok()) << answered.status();
  EXPECT_EQ(answered->standing().reports_in_window(), 0u);
}

// The bound is the config's longest window, here the re-invite cooldown, after a reload.
TEST_F(HistoryTest, OldEventBoundFollowsTheConfig) {
  v1::HistoryConfig config = config_;
  config.set_reinvite_cooldown_days(120);
  history_.ReplaceConfig(config);
  v1::RecordInvitationRequest request;
  request.set_sender_id("s");
  request.set_invitation_id("old");
  request.set_recipient_id("r1");
  *request.mutable_sent_at() = ToTimestamp(now_ - Days(120));
  EXPECT_TRUE(blocking_.RecordInvitation(request).ok());
  request.set_invitation_id("older");
  *request.mutable_sent_at() = ToTimestamp(now_ - Days(120) - absl::Seconds(1));
  absl::Status status = blocking_.RecordInvitation(request).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "sent_at: more than 120 days in the past (the longest window)");
}

TEST_F(HistoryTest, MissingOrUnknownResponseIsInvalidArgument) {
  absl::Status missing = Respond("s", "i1", "r1", v1::INVITATION_RESPONSE_UNSPECIFIED).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.message(), "response: required");
  absl::Status unknown = Respond("s", "i1", "r1", static_cast<v1::InvitationResponse>(77)).status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.message(), "response: unknown value 77");
}

TEST_F(HistoryTest, BatchSizeAndSlotsAreChecked) {
  EXPECT_EQ(blocking_.BatchGetStanding(v1::BatchGetStandingRequest()).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::BatchGetStandingRequest request;
  for (int i = 0; i <= kMaxStandingBatch; ++i) request.add_requests()->set_sender_id("s");
  EXPECT_EQ(blocking_.BatchGetStanding(request).status().code(),
            absl::StatusCode::kInvalidArgument);
  request.mutable_requests()->RemoveLast();
  EXPECT_TRUE(blocking_.BatchGetStanding(request).ok());
  request.mutable_requests(7)->set_sender_id("");
  absl::Status status = blocking_.BatchGetStanding(request).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "requests[7].sender_id: must not be empty");
}

TEST_F(HistoryTest, ForgetNeedsAValidIdAndAReason) {
  v1::ForgetMemberRequest request;
  request.set_member_id("bad id");
  absl::Status status = blocking_.ForgetMember(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "member_id: may only contain A-Z a-z 0-9 . _ : -; reason: required");
}

// --- what reaches the store.

class MockHistoryStore : public HistoryStore {
 public:
  MOCK_METHOD(void, RecordInvitation,
              (const std::string&, const std::string&, const RecipientKeys&, absl::Time, uint64_t,
               absl::Time, absl::Time, StoreDone<WriteResult>),
              (override));
  MOCK_METHOD(void, RecordResponse,
              (const std::string&, const std::string&, const RecipientKeys&, v1::InvitationResponse,
               absl::Time, absl::Time, absl::Time, StoreDone<WriteResult>),
              (override));
  MOCK_METHOD(void, GetFacts, (const FactsQuery&, absl::Time, absl::Time, StoreDone<SenderFacts>),
              (override));
  MOCK_METHOD(void, BatchGetFacts,
              (const std::vector<FactsQuery>&, absl::Time, absl::Time,
               StoreDone<std::vector<SenderFacts>>),
              (override));
  MOCK_METHOD(void, Release,
              (const std::string&, const std::string&, absl::Time, absl::Time,
               StoreDone<SenderFacts>),
              (override));
  MOCK_METHOD(void, Forget,
              (const std::string&, const RecipientKeys&, absl::Time, StoreDone<uint64_t>),
              (override));
  MOCK_METHOD(absl::Status, Ping, (), (override));
  MOCK_METHOD(void, SetPolicy, (const StorePolicy&), (override));
  // The audit trail takes every entry (an erasure is complete only once it is written).
  void AppendAdminAction(const AdminActionRecord& record, const std::string&, absl::Time,
                         StoreDone<AdminActionRecord> done) override {
    done(record);
  }
};

TEST(HistoryStoreUseTest, StoreSeesOnlyKeyedRecipientHashes) {
  MockHistoryStore store;
  History history(store, *RecipientHasher::Create(kSecret), DefaultHistoryConfig());
  EXPECT_CALL(store, GetFacts(Truly([](const FactsQuery& query) {
                                const RecipientKeys& keys = query.recipient_key;
                                return query.sender_id == "s" && keys.all.size() == 1 &&
                                       keys.first().find("member-r") == std::string::npos;
                              }),
                              _, _, _))
      .WillOnce(InvokeArgument<3>(SenderFacts()));
  v1::GetStandingRequest request;
  request.set_sender_id("s");
  request.set_recipient_id("member-r");
  EXPECT_TRUE(testing::BlockingHistory(history).GetStanding(request).ok());
}

// Key rotation: the store gets the recipient's key under every secret, the writing one first,
// each with its key id; ForgetMember too.
TEST(HistoryStoreUseTest, StoreGetsTheKeysOfEverySecretTheFirstFirst) {
  MockHistoryStore store;
  const std::string old_secret = kSecret;
  const std::string new_secret = "a-newer-secret-of-32-bytes-long!";
  const RecipientHasher hasher =
      *RecipientHasher::Create(std::vector<std::string>{new_secret, old_secret});
  const RecipientHasher old_only = *RecipientHasher::Create(old_secret);
  const RecipientHasher new_only = *RecipientHasher::Create(new_secret);
  History history(store, hasher, DefaultHistoryConfig());
  auto both_keys = [&](const RecipientKeys& keys) {
    return keys.all.size() == 2 && keys.all[0].key == new_only.Key("member-r") &&
           keys.all[0].key_id == new_only.KeyIds()[0] &&
           keys.all[1].key == old_only.Key("member-r") &&
           keys.all[1].key_id == old_only.KeyIds()[0];
  };
  auto both = Truly(both_keys);
  EXPECT_CALL(store, GetFacts(Truly([&](const FactsQuery& query) {
                                return query.sender_id == "s" && both_keys(query.recipient_key);
                              }),
                              _, _, _))
      .WillOnce(InvokeArgument<3>(SenderFacts()));
  EXPECT_CALL(store, Forget("member-r", both, _, _)).WillOnce(InvokeArgument<3>(uint64_t{0}));
  v1::GetStandingRequest request;
  request.set_sender_id("s");
  request.set_recipient_id("member-r");
  EXPECT_TRUE(testing::BlockingHistory(history).GetStanding(request).ok());
  v1::ForgetMemberRequest forget;
  forget.set_member_id("member-r");
  forget.set_reason("deletion request");
  EXPECT_TRUE(testing::BlockingHistory(history).ForgetMember(forget).ok());
}

TEST(HistoryStoreUseTest, UnavailableStoreIsUnavailable) {
  MockHistoryStore store;
  History history(store, *RecipientHasher::Create(kSecret), DefaultHistoryConfig());
  // The request's note fingerprint reaches the store as it is.
  EXPECT_CALL(store, RecordInvitation(_, _, _, _, uint64_t{0xfedcba9876543210}, _, _, _))
      .WillOnce(InvokeArgument<7>(absl::UnavailableError("redis unavailable: connection refused")));
  v1::RecordInvitationRequest request;
  request.set_sender_id("s");
  request.set_invitation_id("i1");
  request.set_recipient_id("r1");
  request.set_note_fingerprint(0xfedcba9876543210);
  EXPECT_EQ(testing::BlockingHistory(history).RecordInvitation(request).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace etiquette
