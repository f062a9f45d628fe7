#include "evaluator/evaluator.h"

#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "evaluator/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/fake_history_client.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using testing::FakeHistoryClient;
using testing::GoodInvitation;
using ::testing::HasSubstr;
using testing::TestNow;

class EvaluatorTest : public ::testing::Test {
 protected:
  EvaluatorTest()
      : evaluator_(
            std::shared_ptr<const RulesEngine>(*RulesEngine::Create(DefaultEvaluatorConfig())),
            [] { return TestNow(); }) {}
  Evaluator evaluator_;
};

TEST_F(EvaluatorTest, EvaluatesOneInvitation) {
  v1::EvaluateRequest request;
  *request.mutable_invitation() = GoodInvitation();
  absl::StatusOr<v1::Verdict> verdict = evaluator_.Evaluate(request);
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_EQ(verdict->decision(), v1::DECISION_SEND);
  EXPECT_FALSE(verdict->has_error());
}

TEST_F(EvaluatorTest, MissingInvitationIsInvalidArgument) {
  absl::StatusOr<v1::Verdict> verdict = evaluator_.Evaluate(v1::EvaluateRequest());
  EXPECT_EQ(verdict.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(verdict.status().message(), "invitation: required");
}

TEST_F(EvaluatorTest, UnsetSentAtMeansNow) {
  // A hiring event one day before the server's "now" is inside the window only if sent_at
  // defaulted to now.
  v1::EvaluateRequest request;
  *request.mutable_invitation() = GoodInvitation();
  request.mutable_invitation()->clear_sent_at();
  v1::HiringEvent& event =
      *request.mutable_invitation()->mutable_relationship()->add_hiring_events();
  event.set_stage(v1::HIRING_STAGE_APPLIED);
  event.set_company_id("co-globex");
  *event.mutable_occurred_at() = ToTimestamp(TestNow() - absl::Hours(24));
  absl::StatusOr<v1::Verdict> verdict = evaluator_.Evaluate(request);
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_EQ(verdict->decision(), v1::DECISION_DEFER);
}

TEST_F(EvaluatorTest, BatchKeepsOrderAndFailsOnlyBadSlots) {
  v1::EvaluateBatchRequest request;
  *request.add_invitations() = GoodInvitation();
  v1::Invitation bad = GoodInvitation();
  bad.set_invitation_id("bad-1");
  bad.clear_recipient();
  *request.add_invitations() = bad;
  v1::Invitation no_note = GoodInvitation();
  no_note.set_invitation_id("inv-0003");
  no_note.clear_note();
  *request.add_invitations() = no_note;

  absl::StatusOr<v1::EvaluateBatchResponse> response = evaluator_.EvaluateBatch(request);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->verdicts_size(), 3);
  EXPECT_EQ(response->verdicts(0).invitation_id(), "inv-0001");
  EXPECT_EQ(response->verdicts(0).decision(), v1::DECISION_SEND);
  EXPECT_FALSE(response->verdicts(0).has_error());

  const v1::Verdict& failed = response->verdicts(1);
  EXPECT_EQ(failed.invitation_id(), "bad-1");
  EXPECT_EQ(failed.decision(), v1::DECISION_UNSPECIFIED);
  EXPECT_TRUE(failed.findings().empty());
  ASSERT_TRUE(failed.has_error());
  EXPECT_EQ(failed.error().code(), 3);  // INVALID_ARGUMENT
  EXPECT_EQ(failed.error().message(), "invitations[1].recipient: required");

  EXPECT_EQ(response->verdicts(2).invitation_id(), "inv-0003");
  EXPECT_EQ(response->verdicts(2).decision(), v1::DECISION_REVISE);
}

TEST_F(EvaluatorTest, EmptyBatchIsInvalidArgument) {
  absl::StatusOr<v1::EvaluateBatchResponse> response =
      evaluator_.EvaluateBatch(v1::EvaluateBatchRequest());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(response.status().message(), "invitations: must hold 1 to 1000 invitations, got 0");
}

TEST_F(EvaluatorTest, BatchOfThousandIsAcceptedAndOneMoreIsNot) {
  v1::EvaluateBatchRequest request;
  for (int i = 0; i < kMaxBatchSize; ++i) *request.add_invitations() = GoodInvitation();
  absl::StatusOr<v1::EvaluateBatchResponse> response = evaluator_.EvaluateBatch(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->verdicts_size(), kMaxBatchSize);

  *request.add_invitations() = GoodInvitation();
  response = evaluator_.EvaluateBatch(request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(response.status().message()), HasSubstr("got 1001"));
}

TEST_F(EvaluatorTest, ListRulesReportsTheVersion) {
  EXPECT_EQ(evaluator_.ListRules().rules_version(), RulesVersion(DefaultEvaluatorConfig()));
}

// History's answers for these tests: "jailed" is restricted, "reporter" reported the sender.
v1::SenderStanding StandingFromTable(const v1::GetStandingRequest& request) {
  v1::SenderStanding standing = FakeHistoryClient::GoodStanding(request);
  if (request.sender_id() == "jailed") standing.set_state(v1::STANDING_STATE_RESTRICTED);
  if (request.recipient_id() == "reporter") {
    standing.mutable_pair()->set_recipient_reported_sender(true);
  }
  return standing;
}

class EvaluatorWithHistoryTest : public ::testing::Test {
 protected:
  Evaluator Make(HistoryFailMode mode = HistoryFailMode::kOpen,
                 absl::Duration timeout = kDefaultHistoryTimeout) {
    return Evaluator(
        std::shared_ptr<const RulesEngine>(*RulesEngine::Create(DefaultEvaluatorConfig())),
        [] { return TestNow(); }, &history_, mode, timeout);
  }
  static v1::EvaluateRequest Request(const std::string& sender, const std::string& recipient) {
    v1::EvaluateRequest request;
    *request.mutable_invitation() = GoodInvitation();
    request.mutable_invitation()->mutable_sender()->set_member_id(sender);
    request.mutable_invitation()->mutable_recipient()->set_member_id(recipient);
    return request;
  }
  FakeHistoryClient history_ = [] {
    FakeHistoryClient history;
    history.standing_of = StandingFromTable;
    return history;
  }();
};

TEST_F(EvaluatorWithHistoryTest, StandingIsAskedAndCarried) {
  absl::StatusOr<v1::Verdict> verdict = Make().Evaluate(Request("good", "someone"));
  ASSERT_TRUE(verdict.ok());
  EXPECT_EQ(history_.get_calls, 1);
  EXPECT_EQ(verdict->sender_standing().sender_id(), "good");
  EXPECT_EQ(verdict->decision(), v1::DECISION_SEND);
  EXPECT_FALSE(verdict->degraded());
}

// Issue 16: the standing request carries the note's fingerprint, the verdict's own, and the
// answer's near-identical count reaches template-blast (SHADOW by default); batches too.
TEST_F(EvaluatorWithHistoryTest, StandingRequestCarriesTheVerdictsNoteFingerprint) {
  std::vector<uint64_t> asked;
  history_.standing_of = [&asked](const v1::GetStandingRequest& request) {
    asked.push_back(request.note_fingerprint());
    v1::SenderStanding standing = FakeHistoryClient::GoodStanding(request);
    standing.set_near_identical_notes_last_7d(30);
    return standing;
  };
  absl::StatusOr<v1::Verdict> verdict = Make().Evaluate(Request("good", "someone"));
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_NE(asked[0], 0u);
  EXPECT_EQ(asked[0], verdict->note_fingerprint());
  bool blast = false;
  for (const v1::Finding& finding : verdict->findings()) {
    if (finding.rule_id() != "template-blast") continue;
    blast = true;
    EXPECT_EQ(finding.outcome(), v1::DECISION_DEFER);
    EXPECT_TRUE(finding.shadow());
  }
  EXPECT_TRUE(blast);
  EXPECT_EQ(verdict->decision(), v1::DECISION_SEND);

  v1::EvaluateBatchRequest batch;
  *batch.add_invitations() = Request("good", "someone").invitation();
  v1::Invitation colleague = Request("good", "colleague").invitation();
  colleague.mutable_relationship()->set_familiarity(v1::FAMILIARITY_COLLEAGUE);
  *batch.add_invitations() = colleague;
  asked.clear();
  absl::StatusOr<v1::EvaluateBatchResponse> verdicts = Make().EvaluateBatch(batch);
  ASSERT_TRUE(verdicts.ok()) << verdicts.status();
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[0], verdict->note_fingerprint());
  EXPECT_EQ(asked[1], 0u);  // not a stranger: the note does not count
  EXPECT_EQ(verdicts->verdicts(1).note_fingerprint(), 0u);
}

TEST_F(EvaluatorWithHistoryTest, RestrictedSenderMustTypeTheEmail) {
  EXPECT_EQ(Make().Evaluate(Request("jailed", "someone"))->decision(), v1::DECISION_REQUIRE_EMAIL);
  v1::EvaluateRequest confirmed = Request("jailed", "someone");
  confirmed.mutable_invitation()->set_recipient_email_confirmed(true);
  EXPECT_EQ(Make().Evaluate(confirmed)->decision(), v1::DECISION_SEND);
}

TEST_F(EvaluatorWithHistoryTest, ReporterIsBlocked) {
  EXPECT_EQ(Make().Evaluate(Request("good", "reporter"))->decision(), v1::DECISION_BLOCK);
}

TEST_F(EvaluatorWithHistoryTest, UnavailableHistoryDegradesWhenFailingOpen) {
  history_.status = absl::DeadlineExceededError("history: deadline");
  absl::StatusOr<v1::Verdict> verdict = Make().Evaluate(Request("jailed", "reporter"));
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_TRUE(verdict->degraded());
  EXPECT_FALSE(verdict->has_sender_standing());
  EXPECT_EQ(verdict->decision(), v1::DECISION_SEND);
  bool found = false;
  for (const v1::Finding& finding : verdict->findings()) {
    if (finding.rule_id() == "history-unavailable") {
      found = true;
      EXPECT_EQ(finding.severity(), v1::SEVERITY_INFO);
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(EvaluatorWithHistoryTest, UnavailableHistoryDefersWhenFailingClosed) {
  history_.status = absl::UnavailableError("history: down");
  absl::StatusOr<v1::Verdict> verdict =
      Make(HistoryFailMode::kClosed).Evaluate(Request("good", "someone"));
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_TRUE(verdict->degraded());
  EXPECT_EQ(verdict->decision(), v1::DECISION_DEFER);
}

TEST_F(EvaluatorWithHistoryTest, BatchAsksOnceForTheValidSlots) {
  v1::EvaluateBatchRequest request;
  *request.add_invitations() = Request("good", "someone").invitation();
  *request.add_invitations() = Request("bad id", "someone").invitation();
  *request.add_invitations() = Request("jailed", "someone").invitation();
  absl::StatusOr<v1::EvaluateBatchResponse> response = Make().EvaluateBatch(request);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(history_.batch_calls, 1);
  EXPECT_EQ(history_.get_calls, 0);
  EXPECT_THAT(history_.batch_sizes, ::testing::ElementsAre(2));
  EXPECT_EQ(response->verdicts(0).decision(), v1::DECISION_SEND);
  EXPECT_TRUE(response->verdicts(1).has_error());
  EXPECT_EQ(response->verdicts(2).decision(), v1::DECISION_REQUIRE_EMAIL);
  EXPECT_EQ(response->verdicts(2).sender_standing().sender_id(), "jailed");
}

TEST_F(EvaluatorWithHistoryTest, BatchDegradesAsAWholeWhenHistoryFails) {
  history_.status = absl::UnavailableError("history: down");
  v1::EvaluateBatchRequest request;
  *request.add_invitations() = Request("a", "b").invitation();
  *request.add_invitations() = Request("c", "d").invitation();
  absl::StatusOr<v1::EvaluateBatchResponse> response = Make().EvaluateBatch(request);
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->verdicts_size(), 2);  // the loop below passes on an empty answer
  for (const v1::Verdict& verdict : response->verdicts()) {
    EXPECT_TRUE(verdict.degraded());
    EXPECT_EQ(verdict.decision(), v1::DECISION_SEND);
  }
}

TEST_F(EvaluatorWithHistoryTest, HistoryIsAskedWithTheConfiguredTimeout) {
  ASSERT_TRUE(Make().Evaluate(Request("good", "someone")).ok());
  v1::EvaluateBatchRequest batch;
  *batch.add_invitations() = Request("good", "someone").invitation();
  ASSERT_TRUE(Make(HistoryFailMode::kOpen, absl::Seconds(3)).EvaluateBatch(batch).ok());
  EXPECT_THAT(history_.timeouts, ::testing::ElementsAre(absl::Milliseconds(50), absl::Seconds(3)));
}

// The asynchronous API: the verdict comes when history answers, on history's thread, and the
// evaluator keeps nothing of the call on the caller's stack.
TEST_F(EvaluatorWithHistoryTest, VerdictWaitsForHistorysLaterAnswer) {
  history_.hold = true;
  const Evaluator evaluator = Make();
  std::optional<absl::StatusOr<v1::Verdict>> verdict;
  std::thread::id answered_on;
  {
    const v1::EvaluateRequest request = Request("jailed", "someone");
    evaluator.Evaluate(request, [&](absl::StatusOr<v1::Verdict> result) {
      verdict = std::move(result);
      answered_on = std::this_thread::get_id();
    });
    EXPECT_FALSE(verdict.has_value());  // history has not answered yet
    ASSERT_EQ(history_.held.size(), 1u);
    history_.Answer();  // the request is still alive, as the contract asks
  }
  ASSERT_TRUE(verdict.has_value());
  ASSERT_TRUE(verdict->ok()) << verdict->status();
  EXPECT_NE(answered_on, std::this_thread::get_id());
  EXPECT_EQ((*verdict)->decision(), v1::DECISION_REQUIRE_EMAIL);
  EXPECT_FALSE((*verdict)->degraded());
}

TEST_F(EvaluatorWithHistoryTest, LateFailureDegradesOrDefers) {
  history_.hold = true;
  history_.status = absl::DeadlineExceededError("history: deadline");
  for (HistoryFailMode mode : {HistoryFailMode::kOpen, HistoryFailMode::kClosed}) {
    std::optional<absl::StatusOr<v1::Verdict>> verdict;
    const v1::EvaluateRequest request = Request("good", "someone");
    const Evaluator evaluator = Make(mode);  // outlives the call, as the contract asks
    evaluator.Evaluate(request,
                       [&](absl::StatusOr<v1::Verdict> result) { verdict = std::move(result); });
    EXPECT_FALSE(verdict.has_value());
    history_.Answer();
    ASSERT_TRUE(verdict.has_value());
    ASSERT_TRUE(verdict->ok()) << verdict->status();
    EXPECT_TRUE((*verdict)->degraded());
    EXPECT_EQ((*verdict)->decision(),
              mode == HistoryFailMode::kOpen ? v1::DECISION_SEND : v1::DECISION_DEFER);
  }
}

TEST_F(EvaluatorWithHistoryTest, BatchVerdictsWaitForHistorysLaterAnswer) {
  history_.hold = true;
  v1::EvaluateBatchRequest request;
  *request.add_invitations() = Request("jailed", "someone").invitation();
  *request.add_invitations() = Request("bad id", "someone").invitation();
  std::optional<absl::StatusOr<v1::EvaluateBatchResponse>> response;
  const Evaluator evaluator = Make();  // outlives the call, as the contract asks
  evaluator.EvaluateBatch(request, [&](absl::StatusOr<v1::EvaluateBatchResponse> result) {
    response = std::move(result);
  });
  EXPECT_FALSE(response.has_value());
  history_.Answer();
  ASSERT_TRUE(response.has_value());
  ASSERT_TRUE(response->ok()) << response->status();
  ASSERT_EQ((*response)->verdicts_size(), 2);
  EXPECT_EQ((*response)->verdicts(0).decision(), v1::DECISION_REQUIRE_EMAIL);
  EXPECT_TRUE((*response)->verdicts(1).has_error());
}

// Nothing to ask history: `done` runs before Evaluate returns, and history is not called.
TEST_F(EvaluatorWithHistoryTest, RefusedRequestsFinishInline) {
  history_.hold = true;
  const Evaluator evaluator = Make();
  bool answered = false;
  evaluator.Evaluate(Request("bad id", "someone"), [&](absl::StatusOr<v1::Verdict> verdict) {
    EXPECT_EQ(verdict.status().code(), absl::StatusCode::kInvalidArgument);
    answered = true;
  });
  EXPECT_TRUE(answered);
  answered = false;
  v1::EvaluateBatchRequest batch;
  *batch.add_invitations() = Request("bad id", "someone").invitation();
  evaluator.EvaluateBatch(batch, [&](absl::StatusOr<v1::EvaluateBatchResponse> response) {
    ASSERT_TRUE(response.ok());
    EXPECT_TRUE(response->verdicts(0).has_error());
    answered = true;
  });
  EXPECT_TRUE(answered);
  EXPECT_EQ(history_.get_calls + history_.batch_calls, 0);
}

TEST_F(EvaluatorTest, WithoutHistoryVerdictsFinishInline) {
  v1::EvaluateRequest request;
  *request.mutable_invitation() = GoodInvitation();
  bool answered = false;
  evaluator_.Evaluate(request, [&](absl::StatusOr<v1::Verdict> verdict) {
    EXPECT_TRUE(verdict.ok());
    answered = true;
  });
  EXPECT_TRUE(answered);
}

TEST_F(EvaluatorWithHistoryTest, BatchWithTheWrongNumberOfStandingsDegrades) {
  FakeHistoryClient history;
  history.batch_answer_size = 1;  // always one, whatever was asked
  const Evaluator evaluator(
      std::shared_ptr<const RulesEngine>(*RulesEngine::Create(DefaultEvaluatorConfig())),
      [] { return TestNow(); }, &history);
  v1::EvaluateBatchRequest request;
  *request.add_invitations() = Request("a", "b").invitation();
  *request.add_invitations() = Request("c", "d").invitation();
  absl::StatusOr<v1::EvaluateBatchResponse> response = evaluator.EvaluateBatch(request);
  ASSERT_TRUE(response.ok());
  ASSERT_EQ(response->verdicts_size(), 2);
  for (const v1::Verdict& verdict : response->verdicts()) EXPECT_TRUE(verdict.degraded());
}

}  // namespace
}  // namespace etiquette
