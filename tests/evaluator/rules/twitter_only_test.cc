#include "evaluator/rules/twitter_only.h"

#include "evaluator/config.h"
#include "gtest/gtest.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using ::etiquette::testing::GoodInvitation;
using ::etiquette::testing::RunRule;
using ::etiquette::testing::StrangerWithNoTies;

class TwitterOnlyRuleTest : public ::testing::Test {
 protected:
  TwitterOnlyRuleTest()
      : rule_(DefaultEvaluatorConfig().rules().twitter_only(),
              DefaultEvaluatorConfig().likelihood().weights().one_way_twitter()) {}

  // A stranger with no mutual connections and no shared groups whose only tie is that the
  // sender follows the recipient on Twitter.
  static v1::Invitation TwitterOnlyStranger() {
    v1::Invitation invitation = GoodInvitation();
    v1::Relationship& relationship = *invitation.mutable_relationship();
    relationship.set_familiarity(v1::FAMILIARITY_STRANGER);
    relationship.set_mutual_connections(0);
    relationship.clear_shared_groups();
    relationship.mutable_twitter()->set_sender_follows_recipient(true);
    return invitation;
  }

  const TwitterOnlyRule rule_;
};

constexpr double kOneWayWeight = -0.5;

TEST_F(TwitterOnlyRuleTest, IdAndMode) {
  EXPECT_EQ(rule_.id(), "twitter-only");
  EXPECT_EQ(rule_.mode(), v1::RULE_MODE_ENFORCE);
}

TEST_F(TwitterOnlyRuleTest, NoTwitterTieIsSilent) {
  const RuleResult result = RunRule(rule_, GoodInvitation());
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

// "Just because we are connected on Twitter doesn't necessarily mean we should connect on
// LinkedIn."
TEST_F(TwitterOnlyRuleTest, OneWayFollowIsAdviceWithOneWayWeight) {
  const RuleResult result = RunRule(rule_, TwitterOnlyStranger());
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.findings[0].message(),
            "The only tie is a Twitter follow the recipient does not return.");
  EXPECT_FALSE(result.findings[0].advice().empty());
  EXPECT_DOUBLE_EQ(result.logit, kOneWayWeight);
}

TEST_F(TwitterOnlyRuleTest, UnspecifiedFamiliarityCountsAsStranger) {
  v1::Invitation invitation = TwitterOnlyStranger();
  invitation.mutable_relationship()->set_familiarity(v1::FAMILIARITY_UNSPECIFIED);
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_DOUBLE_EQ(result.logit, kOneWayWeight);
}

TEST_F(TwitterOnlyRuleTest, RecipientFollowsBackIsAdviceWithoutWeight) {
  v1::Invitation invitation = TwitterOnlyStranger();
  invitation.mutable_relationship()->mutable_twitter()->set_recipient_follows_sender(true);
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.findings[0].message(), "The only tie between the two is Twitter.");
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(TwitterOnlyRuleTest, OnlyRecipientFollowingIsAdviceWithoutWeight) {
  v1::Invitation invitation = TwitterOnlyStranger();
  v1::TwitterRelation& twitter = *invitation.mutable_relationship()->mutable_twitter();
  twitter.set_sender_follows_recipient(false);
  twitter.set_recipient_follows_sender(true);
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(TwitterOnlyRuleTest, InteractionsWithoutFollowBackAreAdviceWithoutWeight) {
  v1::Invitation invitation = TwitterOnlyStranger();
  invitation.mutable_relationship()->mutable_twitter()->set_interactions_90d(4);
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.findings[0].message(), "The only tie between the two is Twitter.");
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(TwitterOnlyRuleTest, InteractionsWithoutAnyFollowAreSilent) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_relationship()->mutable_twitter()->set_interactions_90d(4);
  const RuleResult result = RunRule(rule_, invitation);
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(TwitterOnlyRuleTest, MutualConnectionsAreAnotherTie) {
  v1::Invitation invitation = TwitterOnlyStranger();
  invitation.mutable_relationship()->set_mutual_connections(1);
  const RuleResult result = RunRule(rule_, invitation);
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(TwitterOnlyRuleTest, SharedGroupIsAnotherTie) {
  v1::Invitation invitation = TwitterOnlyStranger();
  v1::SharedGroup& group = *invitation.mutable_relationship()->add_shared_groups();
  group.set_group_id("grp-payments");
  group.set_name("Payments Guild");
  const RuleResult result = RunRule(rule_, invitation);
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(TwitterOnlyRuleTest, ColleagueWhoFollowsOnTwitterIsSilent) {
  v1::Invitation invitation = TwitterOnlyStranger();
  invitation.mutable_relationship()->set_familiarity(v1::FAMILIARITY_COLLEAGUE);
  const RuleResult result = RunRule(rule_, invitation);
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(TwitterOnlyRuleTest, MetInPersonWhoFollowsOnTwitterIsSilent) {
  v1::Invitation invitation = TwitterOnlyStranger();
  invitation.mutable_relationship()->set_familiarity(v1::FAMILIARITY_MET_IN_PERSON);
  EXPECT_TRUE(RunRule(rule_, invitation).findings.empty());
}

TEST_F(TwitterOnlyRuleTest, UsesTheConfiguredWeight) {
  const TwitterOnlyRule rule(DefaultEvaluatorConfig().rules().twitter_only(), -1.75);
  EXPECT_DOUBLE_EQ(RunRule(rule, TwitterOnlyStranger()).logit, -1.75);
}

// The platform may not know of the follow; a note that gives it as the tie is the same tie.
class TwitterOnlyNoteTest : public TwitterOnlyRuleTest,
                            public ::testing::WithParamInterface<const char*> {};

TEST_P(TwitterOnlyNoteTest, ANoteGivingATwitterFollowAsTheTieIsAdvice) {
  const RuleResult result = RunRule(rule_, StrangerWithNoTies(GetParam()));
  ASSERT_EQ(result.findings.size(), 1u) << GetParam();
  EXPECT_EQ(result.findings[0].code(), "twitter-only.note-tie");
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.findings[0].message(),
            "The note gives a Twitter follow as the tie between the two.");
  EXPECT_FALSE(result.findings[0].advice().empty());
  EXPECT_EQ(result.logit, 0.0);
}

INSTANTIATE_TEST_SUITE_P(
    Languages, TwitterOnlyNoteTest,
    ::testing::Values("Hi Marcus, we follow each other on Twitter, let's connect here too.",
                      "I've been following your threads over on X for a while.",
                      "Long-time Twitter follower, would be great to connect!",
                      "Hallo Frau Weber, ich folge Ihnen seit Jahren auf Twitter.",
                      "Wir sind auf Twitter schon lange vernetzt.",
                      "Bonjour, je vous suis depuis longtemps sur Twitter.",
                      "Je suis abonnée à votre compte Twitter.",
                      "Hola Ana, te sigo desde hace tiempo en Twitter.",
                      "Olá Maria, sigo você no Twitter há anos.",
                      "Ciao Luca, ti seguo da tempo su Twitter.",
                      "Hoi Daan, ik volg je al jaren op Twitter."));

class TwitterOnlyNearMissTest : public TwitterOnlyRuleTest,
                                public ::testing::WithParamInterface<const char*> {};

TEST_P(TwitterOnlyNearMissTest, ANoteThatNamesNoFollowOnTwitterIsSilent) {
  const RuleResult result = RunRule(rule_, StrangerWithNoTies(GetParam()));
  EXPECT_TRUE(result.findings.empty()) << GetParam() << ": " << result.findings[0].code();
}

INSTANTIATE_TEST_SUITE_P(
    Languages, TwitterOnlyNearMissTest,
    ::testing::Values("Following our chat at Twitter, I'd like to stay in touch.",
                      "Loved your tweet thread on idempotency keys; I work on payments too.",
                      "I follow your blog and enjoyed your talk on retries.",
                      "Je suis ingénieur et très actif sur Twitter.",
                      "Die Folgen Ihres Vortrags für unser Team waren groß.",
                      "We met at the payments meetup in Berlin last week."));

TEST_F(TwitterOnlyRuleTest, ANoteGivingAFollowIsSilentWhenTheTwoShareAnotherTie) {
  v1::Invitation invitation =
      StrangerWithNoTies("Hi Marcus, we follow each other on Twitter, let's connect here too.");
  invitation.mutable_relationship()->set_mutual_connections(3);
  EXPECT_TRUE(RunRule(rule_, invitation).findings.empty());
  invitation.mutable_relationship()->set_mutual_connections(0);
  invitation.mutable_relationship()->set_familiarity(v1::FAMILIARITY_COLLEAGUE);
  EXPECT_TRUE(RunRule(rule_, invitation).findings.empty());
}

TEST_F(TwitterOnlyRuleTest, AKnownFollowIsFoundOnceWhateverTheNoteSays) {
  v1::Invitation invitation = TwitterOnlyStranger();
  invitation.set_note("Hi Marcus, we follow each other on Twitter, let's connect here too.");
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].code(), "twitter-only.one-way");
}

TEST_F(TwitterOnlyRuleTest, WithoutFollowPatternsOnlyTheRelationshipCounts) {
  v1::TwitterOnlyConfig config = DefaultEvaluatorConfig().rules().twitter_only();
  config.clear_follow_patterns();
  const TwitterOnlyRule rule(config, kOneWayWeight);
  EXPECT_TRUE(
      RunRule(rule, StrangerWithNoTies("We follow each other on Twitter.")).findings.empty());
}

}  // namespace
}  // namespace etiquette
