#include "evaluator/rules/group_activity.h"

#include <cstdint>
#include <limits>
#include <string>

#include "evaluator/config.h"
#include "gtest/gtest.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using ::etiquette::testing::GoodInvitation;
using ::etiquette::testing::RunRule;

void AddGroup(v1::Invitation* invitation, const std::string& name, uint32_t posts,
              uint32_t comments) {
  v1::SharedGroup& group = *invitation->mutable_relationship()->add_shared_groups();
  group.set_group_id("grp-" + name);
  group.set_name(name);
  group.set_sender_posts_90d(posts);
  group.set_sender_comments_90d(comments);
}

class GroupActivityRuleTest : public ::testing::Test {
 protected:
  GroupActivityRuleTest()
      : rule_(DefaultEvaluatorConfig().rules().group_activity(),
              DefaultEvaluatorConfig().likelihood().weights().active_group()) {}
  const GroupActivityRule rule_;
};

constexpr double kActiveGroupWeight = 0.5;

TEST_F(GroupActivityRuleTest, IdAndMode) {
  EXPECT_EQ(rule_.id(), "group-activity");
  EXPECT_EQ(rule_.mode(), v1::RULE_MODE_ENFORCE);
}

TEST_F(GroupActivityRuleTest, NoSharedGroupsIsSilent) {
  const RuleResult result = RunRule(rule_, GoodInvitation());
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

// "If we are in the same group and I notice that you are an active participant, that speaks
// volumes."
TEST_F(GroupActivityRuleTest, ActiveInSharedGroupIsPositive) {
  v1::Invitation invitation = GoodInvitation();
  AddGroup(&invitation, "Payments Guild", 2, 1);  // posts + comments = 3, the threshold
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_POSITIVE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.findings[0].message(), "The sender is active in 1 of 1 shared groups.");
  EXPECT_DOUBLE_EQ(result.logit, kActiveGroupWeight);
}

TEST_F(GroupActivityRuleTest, CommentsAloneCountAsActivity) {
  v1::Invitation invitation = GoodInvitation();
  AddGroup(&invitation, "Payments Guild", 0, 3);
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_POSITIVE);
  EXPECT_DOUBLE_EQ(result.logit, kActiveGroupWeight);
}

TEST_F(GroupActivityRuleTest, OneActiveGroupAmongSilentOnesIsOnePositive) {
  v1::Invitation invitation = GoodInvitation();
  AddGroup(&invitation, "Payments Guild", 0, 0);
  AddGroup(&invitation, "Rust Berlin", 5, 4);
  AddGroup(&invitation, "SRE Weekly", 1, 0);
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_POSITIVE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.findings[0].message(), "The sender is active in 1 of 3 shared groups.");
  EXPECT_DOUBLE_EQ(result.logit, kActiveGroupWeight);
}

TEST_F(GroupActivityRuleTest, SeveralActiveGroupsAddTheWeightOnce) {
  v1::Invitation invitation = GoodInvitation();
  AddGroup(&invitation, "Payments Guild", 3, 0);
  AddGroup(&invitation, "Rust Berlin", 10, 10);
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].message(), "The sender is active in 2 of 2 shared groups.");
  EXPECT_DOUBLE_EQ(result.logit, kActiveGroupWeight);
}

TEST_F(GroupActivityRuleTest, SilentInSharedGroupsIsInfo) {
  v1::Invitation invitation = GoodInvitation();
  AddGroup(&invitation, "Payments Guild", 0, 0);
  AddGroup(&invitation, "Rust Berlin", 1, 1);  // 2, one short of the threshold
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_INFO);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.findings[0].message(),
            "The two share 2 groups, but the sender has not taken part in them lately.");
  EXPECT_FALSE(result.findings[0].advice().empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(GroupActivityRuleTest, HugeCountsDoNotOverflow) {
  v1::Invitation invitation = GoodInvitation();
  const uint32_t max = std::numeric_limits<uint32_t>::max();
  AddGroup(&invitation, "Payments Guild", max, max);
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_POSITIVE);
}

TEST_F(GroupActivityRuleTest, UsesTheConfiguredThresholdAndWeight) {
  v1::GroupActivityConfig config = DefaultEvaluatorConfig().rules().group_activity();
  config.set_min_activity_90d(10);
  const GroupActivityRule rule(config, 1.5);
  v1::Invitation below = GoodInvitation();
  AddGroup(&below, "Payments Guild", 5, 4);
  const RuleResult silent = RunRule(rule, below);
  ASSERT_EQ(silent.findings.size(), 1u);
  EXPECT_EQ(silent.findings[0].severity(), v1::SEVERITY_INFO);
  EXPECT_EQ(silent.logit, 0.0);
  v1::Invitation at = GoodInvitation();
  AddGroup(&at, "Payments Guild", 5, 5);
  const RuleResult active = RunRule(rule, at);
  ASSERT_EQ(active.findings.size(), 1u);
  EXPECT_EQ(active.findings[0].severity(), v1::SEVERITY_POSITIVE);
  EXPECT_DOUBLE_EQ(active.logit, 1.5);
}

}  // namespace
}  // namespace etiquette
