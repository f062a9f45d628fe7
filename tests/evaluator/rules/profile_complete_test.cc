#include "evaluator/rules/profile_complete.h"

#include "evaluator/config.h"
#include "gtest/gtest.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using ::etiquette::testing::GoodInvitation;
using ::etiquette::testing::RunRule;

class ProfileCompleteRuleTest : public ::testing::Test {
 protected:
  ProfileCompleteRuleTest()
      : rule_(DefaultEvaluatorConfig().rules().profile_complete(),
              DefaultEvaluatorConfig().likelihood().weights().has_photo(),
              DefaultEvaluatorConfig().likelihood().weights().has_headline()) {}

  // GoodInvitation with a sender who has no photo, no headline and no summary.
  static v1::Invitation FromEmptyProfile() {
    v1::Invitation invitation = GoodInvitation();
    v1::MemberProfile& sender = *invitation.mutable_sender();
    sender.set_has_photo(false);
    sender.clear_headline();
    sender.clear_summary();
    return invitation;
  }

  const ProfileCompleteRule rule_;
};

constexpr double kPhotoWeight = 0.5;
constexpr double kHeadlineWeight = 0.3;

TEST_F(ProfileCompleteRuleTest, IdAndMode) {
  EXPECT_EQ(rule_.id(), "profile-complete");
  EXPECT_EQ(rule_.mode(), v1::RULE_MODE_ENFORCE);
}

TEST_F(ProfileCompleteRuleTest, CompleteProfileHasNoFindingsAndBothWeights) {
  const RuleResult result = RunRule(rule_, GoodInvitation());
  EXPECT_TRUE(result.findings.empty());
  EXPECT_DOUBLE_EQ(result.logit, kPhotoWeight + kHeadlineWeight);
}

// "If you don't have a profile photo or don't offer any information on who you are ... the
// likelihood of connecting is slim."
TEST_F(ProfileCompleteRuleTest, EmptyProfileToStrangerMustRevise) {
  const RuleResult result = RunRule(rule_, FromEmptyProfile());
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
  EXPECT_EQ(result.findings[0].message(),
            "The sender's profile has no photo, no headline and no summary.");
  EXPECT_FALSE(result.findings[0].advice().empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(ProfileCompleteRuleTest, EmptyProfileWithUnspecifiedFamiliarityMustRevise) {
  v1::Invitation invitation = FromEmptyProfile();
  invitation.mutable_relationship()->set_familiarity(v1::FAMILIARITY_UNSPECIFIED);
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
}

TEST_F(ProfileCompleteRuleTest, WhitespaceOnlyHeadlineAndSummaryCountAsEmpty) {
  v1::Invitation invitation = FromEmptyProfile();
  invitation.mutable_sender()->set_headline("   ");
  invitation.mutable_sender()->set_summary("\n\t ");
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(ProfileCompleteRuleTest, EmptyProfileToColleagueIsAdvice) {
  v1::Invitation invitation = FromEmptyProfile();
  invitation.mutable_relationship()->set_familiarity(v1::FAMILIARITY_COLLEAGUE);
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.findings[0].message(),
            "The sender's profile has no photo, no headline and no summary.");
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(ProfileCompleteRuleTest, EmptyProfileToFriendIsAdvice) {
  v1::Invitation invitation = FromEmptyProfile();
  invitation.mutable_relationship()->set_familiarity(v1::FAMILIARITY_FRIEND);
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
}

TEST_F(ProfileCompleteRuleTest, MissingPhotoAloneIsAdvice) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_sender()->set_has_photo(false);
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.findings[0].message(), "The sender's profile has no photo.");
  EXPECT_DOUBLE_EQ(result.logit, kHeadlineWeight);
}

TEST_F(ProfileCompleteRuleTest, MissingHeadlineAloneIsAdvice) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_sender()->clear_headline();
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.findings[0].message(), "The sender's profile has no headline.");
  EXPECT_DOUBLE_EQ(result.logit, kPhotoWeight);
}

TEST_F(ProfileCompleteRuleTest, MissingPhotoAloneToStrangerIsStillOnlyAdvice) {
  v1::Invitation invitation = GoodInvitation();
  ASSERT_EQ(invitation.relationship().familiarity(), v1::FAMILIARITY_STRANGER);
  invitation.mutable_sender()->set_has_photo(false);
  invitation.mutable_sender()->clear_summary();
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
}

TEST_F(ProfileCompleteRuleTest, MissingSummaryAloneHasNoFindings) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_sender()->clear_summary();
  const RuleResult result = RunRule(rule_, invitation);
  EXPECT_TRUE(result.findings.empty());
  EXPECT_DOUBLE_EQ(result.logit, kPhotoWeight + kHeadlineWeight);
}

TEST_F(ProfileCompleteRuleTest, SummaryAloneIsNotAnEmptyProfile) {
  v1::Invitation invitation = FromEmptyProfile();
  invitation.mutable_sender()->set_summary("Ten years of building payment systems.");
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(ProfileCompleteRuleTest, UsesTheConfiguredWeights) {
  const ProfileCompleteRule rule(DefaultEvaluatorConfig().rules().profile_complete(), 2.0, 0.25);
  EXPECT_DOUBLE_EQ(RunRule(rule, GoodInvitation()).logit, 2.25);
  v1::Invitation no_photo = GoodInvitation();
  no_photo.mutable_sender()->set_has_photo(false);
  EXPECT_DOUBLE_EQ(RunRule(rule, no_photo).logit, 0.25);
}

}  // namespace
}  // namespace etiquette
