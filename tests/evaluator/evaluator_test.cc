#include "evaluator/evaluator.h"

#include "evaluator/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

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

}  // namespace
}  // namespace etiquette
