#include "evaluator/rules/personal_note.h"

#include <ostream>
#include <string>

#include "evaluator/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using ::etiquette::testing::GoodInvitation;
using ::etiquette::testing::RunRule;
using NoteKind = PersonalNoteRule::NoteKind;

}  // namespace

// Readable failure messages for Classify expectations (found by ADL on the nested enum).
static void PrintTo(PersonalNoteRule::NoteKind kind, std::ostream* os) {
  switch (kind) {
    case PersonalNoteRule::NoteKind::kBlank:
      *os << "kBlank";
      return;
    case PersonalNoteRule::NoteKind::kStock:
      *os << "kStock";
      return;
    case PersonalNoteRule::NoteKind::kImpersonal:
      *os << "kImpersonal";
      return;
    case PersonalNoteRule::NoteKind::kPersonal:
      *os << "kPersonal";
      return;
  }
  *os << "NoteKind(" << static_cast<int>(kind) << ")";
}

namespace {

double PersonalNoteWeight() {
  return DefaultEvaluatorConfig().likelihood().weights().personal_note();
}

class PersonalNoteRuleTest : public ::testing::Test {
 protected:
  PersonalNoteRuleTest()
      : rule_(DefaultEvaluatorConfig().rules().personal_note(), PersonalNoteWeight()) {}

  // GoodInvitation (a stranger named Jordan Recipient at Globex) with `note`.
  static v1::Invitation WithNote(const std::string& note) {
    v1::Invitation invitation = GoodInvitation();
    invitation.set_note(note);
    return invitation;
  }

  static v1::Invitation FromAcquaintance(v1::Familiarity familiarity, const std::string& note) {
    v1::Invitation invitation = WithNote(note);
    invitation.mutable_relationship()->set_familiarity(familiarity);
    return invitation;
  }

  const PersonalNoteRule rule_;
};

constexpr char kStockNote[] = "I'd like to add you to my professional network on LinkedIn.";
constexpr char kImpersonalNote[] = "I am a software engineer looking to grow my network.";

TEST_F(PersonalNoteRuleTest, IdAndMode) {
  EXPECT_EQ(rule_.id(), "personal-note");
  EXPECT_EQ(rule_.mode(), v1::RULE_MODE_ENFORCE);
}

// --- Strangers: "If we haven't met, send a personalize message with the request" ---

TEST_F(PersonalNoteRuleTest, StrangerWithoutNoteMustRevise) {
  const RuleResult result = RunRule(rule_, WithNote(""));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
  EXPECT_THAT(result.findings[0].message(), ::testing::HasSubstr("No note"));
  EXPECT_FALSE(result.findings[0].advice().empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(PersonalNoteRuleTest, StrangerWithWhitespaceNoteMustRevise) {
  const RuleResult result = RunRule(rule_, WithNote("   \n\t  \r\n "));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(PersonalNoteRuleTest, StrangerWithOnlyGreetingAndSignatureMustRevise) {
  const RuleResult result = RunRule(rule_, WithNote("Hi Jordan, thanks! Alex"));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(PersonalNoteRuleTest, UnspecifiedFamiliarityCountsAsStranger) {
  const RuleResult result = RunRule(rule_, FromAcquaintance(v1::FAMILIARITY_UNSPECIFIED, ""));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
}

TEST_F(PersonalNoteRuleTest, StrangerWithStockNoteMustRevise) {
  const RuleResult result = RunRule(rule_, WithNote(kStockNote));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
  EXPECT_THAT(result.findings[0].message(), ::testing::HasSubstr("stock"));
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(PersonalNoteRuleTest, StrangerWithGreetedAndSignedStockNoteMustRevise) {
  const RuleResult result = RunRule(
      rule_, WithNote("Hi Jordan, I'd like to add you to my professional network on LinkedIn. "
                      "Thanks, Alex"));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(PersonalNoteRuleTest, StrangerWithRepunctuatedLowercaseStockNoteMustRevise) {
  const RuleResult result = RunRule(
      rule_, WithNote("i\u2019d like to add you -- to my professional network... on linkedin!!"));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
}

TEST_F(PersonalNoteRuleTest, StrangerWithStockNotePlusOneWordMustRevise) {
  // One extra word in eleven is still "nearly identical" (similarity 11/12 >= 0.85).
  const RuleResult result = RunRule(
      rule_, WithNote("I'd like to add you to my professional network on LinkedIn, please."));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
}

// A sign-off is stripped "with what follows it" before the stock comparison (header of
// PersonalNoteRule::CoreWords), so a stock note signed with a multi-word sign-off from the
// configured list ("best regards", "kind regards", "warm regards", "all the best") is still the
// stock note.
TEST_F(PersonalNoteRuleTest, StrangerWithStockNoteSignedBestRegardsMustRevise) {
  const v1::Invitation invitation = WithNote("Let's connect on LinkedIn. Best regards, Alex");
  EXPECT_EQ(rule_.Classify(invitation), NoteKind::kStock);
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
}

TEST_F(PersonalNoteRuleTest, StrangerWithGreetedStockNoteSignedBestRegardsMustRevise) {
  const v1::Invitation invitation =
      WithNote("Hi Jordan, let's connect on LinkedIn. Best regards, Alex");
  EXPECT_EQ(rule_.Classify(invitation), NoteKind::kStock);
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(PersonalNoteRuleTest, StrangerWithStockNoteSignedAllTheBestMustRevise) {
  const v1::Invitation invitation =
      WithNote("I'd like to connect with you on LinkedIn. All the best, Alex");
  EXPECT_EQ(rule_.Classify(invitation), NoteKind::kStock);
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
}

TEST_F(PersonalNoteRuleTest, StrangerWithImpersonalOwnWordsGetsAdvice) {
  const RuleResult result = RunRule(rule_, WithNote(kImpersonalNote));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_FALSE(result.findings[0].advice().empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(PersonalNoteRuleTest, GoodInvitationNoteIsPositive) {
  const RuleResult result = RunRule(rule_, GoodInvitation());
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_POSITIVE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_DOUBLE_EQ(result.logit, 0.6);
}

TEST_F(PersonalNoteRuleTest, NoteMentioningRecipientsFirstNameIsPositive) {
  const RuleResult result =
      RunRule(rule_, WithNote("Jordan, I am a software engineer looking to grow my network."));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_POSITIVE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_DOUBLE_EQ(result.logit, 0.6);
}

TEST_F(PersonalNoteRuleTest, NoteMentioningRecipientsCompanyIsPositive) {
  const RuleResult result =
      RunRule(rule_, WithNote("I see Globex is hiring backend engineers; I would like to stay "
                              "in touch."));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_POSITIVE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_DOUBLE_EQ(result.logit, 0.6);
}

TEST_F(PersonalNoteRuleTest, NoteMentioningSharedGroupIsPositive) {
  v1::Invitation invitation =
      WithNote("I follow the Rust Berlin discussions and would like to stay in touch.");
  v1::SharedGroup& group = *invitation.mutable_relationship()->add_shared_groups();
  group.set_group_id("grp-rust-berlin");
  group.set_name("Rust Berlin");
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_POSITIVE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_DOUBLE_EQ(result.logit, 0.6);
}

TEST_F(PersonalNoteRuleTest, SameNoteWithoutTheSharedGroupIsImpersonal) {
  const RuleResult result =
      RunRule(rule_, WithNote("I follow the Rust Berlin discussions and would like to stay "
                              "in touch."));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(PersonalNoteRuleTest, NoteWithReasonCueIsPositive) {
  const RuleResult result =
      RunRule(rule_, WithNote("We both work on payment systems and I would like to stay in "
                              "touch."));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_POSITIVE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_DOUBLE_EQ(result.logit, 0.6);
}

TEST_F(PersonalNoteRuleTest, StockNoteWithARealReasonIsPositive) {
  const RuleResult result = RunRule(
      rule_, WithNote("I'd like to add you to my professional network on LinkedIn because we "
                      "met at the Berlin payments meetup last week."));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_POSITIVE);
  EXPECT_DOUBLE_EQ(result.logit, 0.6);
}

TEST_F(PersonalNoteRuleTest, PositiveAddsTheConfiguredWeight) {
  const PersonalNoteRule rule(DefaultEvaluatorConfig().rules().personal_note(), 1.25);
  const RuleResult result = RunRule(rule, GoodInvitation());
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_POSITIVE);
  EXPECT_DOUBLE_EQ(result.logit, 1.25);
}

// --- Existing relationships: a note is welcome but not required ---

TEST_F(PersonalNoteRuleTest, ColleagueWithoutNoteGetsInfoOnly) {
  const RuleResult result = RunRule(rule_, FromAcquaintance(v1::FAMILIARITY_COLLEAGUE, ""));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_INFO);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(PersonalNoteRuleTest, FriendWithStockNoteGetsInfoOnly) {
  const RuleResult result = RunRule(rule_, FromAcquaintance(v1::FAMILIARITY_FRIEND, kStockNote));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_INFO);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(PersonalNoteRuleTest, MetInPersonWithPersonalNoteIsPositive) {
  const RuleResult result =
      RunRule(rule_, FromAcquaintance(v1::FAMILIARITY_MET_IN_PERSON,
                                      "Hi Jordan, great to have met you at the Berlin meetup!"));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_POSITIVE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_DOUBLE_EQ(result.logit, 0.6);
}

TEST_F(PersonalNoteRuleTest, ClassmateWithImpersonalNoteHasNoFindings) {
  const RuleResult result =
      RunRule(rule_, FromAcquaintance(v1::FAMILIARITY_CLASSMATE, kImpersonalNote));
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

// --- Classify ---

struct ClassifyCase {
  const char* name;
  const char* note;
  NoteKind expected;
};

void PrintTo(const ClassifyCase& c, std::ostream* os) { *os << c.name << ": \"" << c.note << "\""; }

class PersonalNoteClassifyTest : public ::testing::TestWithParam<ClassifyCase> {};

TEST_P(PersonalNoteClassifyTest, Classifies) {
  const PersonalNoteRule rule(DefaultEvaluatorConfig().rules().personal_note(),
                              PersonalNoteWeight());
  v1::Invitation invitation = GoodInvitation();  // recipient Jordan Recipient at Globex
  v1::SharedGroup& group = *invitation.mutable_relationship()->add_shared_groups();
  group.set_group_id("grp-payments");
  group.set_name("Payments Guild");
  invitation.set_note(GetParam().note);
  EXPECT_EQ(rule.Classify(invitation), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Notes, PersonalNoteClassifyTest,
    ::testing::Values(
        ClassifyCase{"Empty", "", NoteKind::kBlank},
        ClassifyCase{"Whitespace", " \t\n ", NoteKind::kBlank},
        ClassifyCase{"PunctuationOnly", "... !!! ---", NoteKind::kBlank},
        ClassifyCase{"GreetingAndSignatureOnly", "Hi Jordan, thanks, Alex", NoteKind::kBlank},
        ClassifyCase{"GreetingOnly", "Hello there!", NoteKind::kBlank},
        ClassifyCase{"StockExact", kStockNote, NoteKind::kStock},
        ClassifyCase{"StockGreetedAndSigned",
                     "Hi Jordan, I'd like to add you to my professional network on LinkedIn. "
                     "Thanks, Alex",
                     NoteKind::kStock},
        ClassifyCase{"StockGreetedThereAndSigned",
                     "Hello there - I'd like to connect with you on LinkedIn :) Cheers, Alex",
                     NoteKind::kStock},
        ClassifyCase{"StockDearAndSincerely",
                     "Dear Jordan, please accept my invitation to connect. Sincerely, Alex "
                     "Sender",
                     NoteKind::kStock},
        ClassifyCase{"StockWouldVariant",
                     "i would like to add you to my professional network on linkedin",
                     NoteKind::kStock},
        ClassifyCase{"StockUpperCaseNoPunctuation", "I'D LIKE TO JOIN YOUR LINKEDIN NETWORK",
                     NoteKind::kStock},
        ClassifyCase{"StockCurlyApostrophe",
                     "I\u2019d like to add you to my professional network on LinkedIn!!!",
                     NoteKind::kStock},
        ClassifyCase{"StockPlusPlease",
                     "I'd like to add you to my professional network on LinkedIn, please.",
                     NoteKind::kStock},
        ClassifyCase{"StockWithoutGreetingButName",
                     "Jordan, I'd like to add you to my professional network on LinkedIn.",
                     NoteKind::kStock},
        ClassifyCase{"OwnWordsNoReason", kImpersonalNote, NoteKind::kImpersonal},
        ClassifyCase{"OwnWordsSigned",
                     "Hello, I am growing my network of engineers. Thank you, Alex",
                     NoteKind::kImpersonal},
        ClassifyCase{"FirstName", "Jordan, I am a software engineer looking to grow my network.",
                     NoteKind::kPersonal},
        ClassifyCase{"CompanyName", "Globex does impressive things with payment systems.",
                     NoteKind::kPersonal},
        ClassifyCase{"SharedGroupName", "I follow the Payments Guild discussions closely.",
                     NoteKind::kPersonal},
        ClassifyCase{"ReasonCueWeBoth", "We both build payment systems.", NoteKind::kPersonal},
        ClassifyCase{"ReasonCueMet", "Good to have met you at the Berlin event.",
                     NoteKind::kPersonal},
        ClassifyCase{"ReasonCueReadYourArticle",
                     "I read your article on retries and learned a lot.", NoteKind::kPersonal},
        ClassifyCase{"StockWithReason",
                     "I'd like to add you to my professional network on LinkedIn because we "
                     "met at the Berlin payments meetup last week.",
                     NoteKind::kPersonal}),
    [](const ::testing::TestParamInfo<ClassifyCase>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace etiquette
