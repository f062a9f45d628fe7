#include "evaluator/rules/template_blast.h"

#include "absl/strings/str_cat.h"
#include "evaluator/config.h"
#include "gtest/gtest.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using ::etiquette::testing::GoodInvitation;
using ::etiquette::testing::RunRule;

TemplateBlastRule DefaultRule() {
  return TemplateBlastRule(DefaultEvaluatorConfig().rules().template_blast());
}

v1::SenderStanding WithNearNotes(uint32_t count) {
  v1::SenderStanding standing;
  standing.set_state(v1::STANDING_STATE_GOOD);
  standing.set_near_identical_notes_last_7d(count);
  return standing;
}

TEST(TemplateBlastRuleTest, DefaultsAreShadowFiveAndTwentyFive) {
  const v1::TemplateBlastConfig config = DefaultEvaluatorConfig().rules().template_blast();
  EXPECT_EQ(config.mode(), v1::RULE_MODE_SHADOW);
  EXPECT_EQ(config.advice_at(), 5u);
  EXPECT_EQ(config.defer_at(), 25u);
}

TEST(TemplateBlastRuleTest, AdvisesFromAdviceAtAndDefersFromDeferAt) {
  const TemplateBlastRule rule = DefaultRule();
  const v1::Invitation invitation = GoodInvitation();
  ASSERT_FALSE(invitation.note().empty());
  for (uint32_t count : {0u, 1u, 4u}) {
    const v1::SenderStanding standing = WithNearNotes(count);
    EXPECT_TRUE(RunRule(rule, invitation, &standing).findings.empty()) << count;
  }
  for (uint32_t count : {5u, 24u}) {
    const v1::SenderStanding standing = WithNearNotes(count);
    const RuleResult result = RunRule(rule, invitation, &standing);
    ASSERT_EQ(result.findings.size(), 1u) << count;
    EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
    EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
    EXPECT_NE(result.findings[0].message().find(absl::StrCat(count, " other recipients")),
              std::string::npos)
        << result.findings[0].message();
    EXPECT_FALSE(result.findings[0].advice().empty());
  }
  for (uint32_t count : {25u, 400u}) {
    const v1::SenderStanding standing = WithNearNotes(count);
    const RuleResult result = RunRule(rule, invitation, &standing);
    ASSERT_EQ(result.findings.size(), 1u) << count;
    EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
    EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_DEFER);
  }
}

TEST(TemplateBlastRuleTest, SilentWithoutHistoryANoteOrAStranger) {
  const TemplateBlastRule rule = DefaultRule();
  const v1::SenderStanding standing = WithNearNotes(100);
  v1::Invitation invitation = GoodInvitation();
  EXPECT_TRUE(RunRule(rule, invitation, nullptr).findings.empty());
  EXPECT_TRUE(RunRule(rule, invitation, nullptr, HistoryStatus::kUnavailable).findings.empty());
  v1::Invitation no_note = invitation;
  no_note.clear_note();
  EXPECT_TRUE(RunRule(rule, no_note, &standing).findings.empty());
  v1::Invitation colleague = invitation;
  colleague.mutable_relationship()->set_familiarity(v1::FAMILIARITY_COLLEAGUE);
  EXPECT_TRUE(RunRule(rule, colleague, &standing).findings.empty());
  EXPECT_EQ(RunRule(rule, invitation, &standing).findings.size(), 1u);
}

}  // namespace
}  // namespace etiquette
