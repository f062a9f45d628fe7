#include "evaluator/rules/note_pitch.h"

#include <string>

#include "evaluator/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using ::etiquette::testing::GoodInvitation;
using ::etiquette::testing::RunRule;

double PitchWeight() { return DefaultEvaluatorConfig().likelihood().weights().pitch(); }

class NotePitchRuleTest : public ::testing::Test {
 protected:
  NotePitchRuleTest() : rule_(DefaultEvaluatorConfig().rules().note_pitch(), PitchWeight()) {}

  static v1::Invitation WithNote(const std::string& note) {
    v1::Invitation invitation = GoodInvitation();
    invitation.set_note(note);
    return invitation;
  }

  const NotePitchRule rule_;
};

TEST_F(NotePitchRuleTest, IdAndMode) {
  EXPECT_EQ(rule_.id(), "note-pitch");
  EXPECT_EQ(rule_.mode(), v1::RULE_MODE_ENFORCE);
}

TEST_F(NotePitchRuleTest, DefaultPitchWeightIsNegative) { EXPECT_DOUBLE_EQ(PitchWeight(), -0.7); }

TEST_F(NotePitchRuleTest, PersonalNoteWithoutSalesIsSilentAndAddsNoWeight) {
  const RuleResult result = RunRule(rule_, GoodInvitation());
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(NotePitchRuleTest, EmptyNoteIsSilent) {
  const RuleResult result = RunRule(rule_, WithNote(""));
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(NotePitchRuleTest, SalesLanguageIsAdviceWithPitchWeight) {
  const RuleResult result = RunRule(
      rule_, WithNote("Hi Jordan, would you like a free trial of our platform? Happy to help."));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.findings[0].message(), "The note uses sales language.");
  EXPECT_FALSE(result.findings[0].advice().empty());
  EXPECT_DOUBLE_EQ(result.logit, -0.7);
}

TEST_F(NotePitchRuleTest, MultiWordTermAcrossPunctuationAndCaseFires) {
  const RuleResult result = RunRule(rule_, WithNote("Could we BOOK  a\ncall next week?"));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_DOUBLE_EQ(result.logit, -0.7);
}

TEST_F(NotePitchRuleTest, HyphenatedSignUpFires) {
  const RuleResult result = RunRule(rule_, WithNote("Sign-up today and save."));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_DOUBLE_EQ(result.logit, -0.7);
}

TEST_F(NotePitchRuleTest, SeveralTermsStillGiveOneFindingAndOneWeight) {
  const RuleResult result =
      RunRule(rule_, WithNote("Special offer: buy now with promo code JUNE, limited time!"));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_DOUBLE_EQ(result.logit, -0.7);
}

TEST_F(NotePitchRuleTest, TermsMatchOnlyWholeWords) {
  // "buyer", "demonstrated" and "purchases" contain pitch terms but are other words.
  const RuleResult result =
      RunRule(rule_, WithNote("I was a buyer at Globex and demonstrated how purchases flow through "
                              "payment systems."));
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(NotePitchRuleTest, LinkIsAdviceWithPitchWeight) {
  const RuleResult result =
      RunRule(rule_, WithNote("Hi Jordan, have a look at https://example.com/retries first."));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.findings[0].message(), "The note contains a link.");
  EXPECT_DOUBLE_EQ(result.logit, -0.7);
}

TEST_F(NotePitchRuleTest, UpperCaseHttpLinkFires) {
  const RuleResult result = RunRule(rule_, WithNote("See HTTP://EXAMPLE.COM for details."));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].message(), "The note contains a link.");
  EXPECT_DOUBLE_EQ(result.logit, -0.7);
}

TEST_F(NotePitchRuleTest, LinkSchemeIsFoundInAnyCaseAndInsideWords) {
  for (const char* note : {"see hTTpS://example.com", "(http://x)", "xhttp://y", "HTTP://"}) {
    const RuleResult result = RunRule(rule_, WithNote(note));
    ASSERT_EQ(result.findings.size(), 1u) << note;
    EXPECT_EQ(result.findings[0].message(), "The note contains a link.") << note;
  }
}

TEST_F(NotePitchRuleTest, SchemeWordsWithoutALinkAreSilent) {
  for (const char* note : {"I like http and https", "a :// b", "http:/x", "https//x", "ftp://x"}) {
    const RuleResult result = RunRule(rule_, WithNote(note));
    EXPECT_TRUE(result.findings.empty()) << note;
  }
}

TEST_F(NotePitchRuleTest, LinkAndSalesTogetherGiveOneFinding) {
  const RuleResult result =
      RunRule(rule_, WithNote("Book a call at https://example.com/demo for pricing."));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].message(), "The note contains a link.");
  EXPECT_DOUBLE_EQ(result.logit, -0.7);
}

TEST_F(NotePitchRuleTest, LinkIsIgnoredWithoutFlagLinks) {
  v1::NotePitchConfig config = DefaultEvaluatorConfig().rules().note_pitch();
  config.set_flag_links(false);
  const NotePitchRule rule(config, PitchWeight());
  const RuleResult result =
      RunRule(rule, WithNote("Hi Jordan, my write-up is at https://example.com/retries."));
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(NotePitchRuleTest, SalesLanguageNextToALinkStillFiresWithoutFlagLinks) {
  v1::NotePitchConfig config = DefaultEvaluatorConfig().rules().note_pitch();
  config.set_flag_links(false);
  const NotePitchRule rule(config, PitchWeight());
  const RuleResult result =
      RunRule(rule, WithNote("Get a discount at https://example.com/shop today."));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].message(), "The note uses sales language.");
  EXPECT_DOUBLE_EQ(result.logit, -0.7);
}

TEST_F(NotePitchRuleTest, UsesTheConfiguredTermsAndWeight) {
  v1::NotePitchConfig config;
  config.set_mode(v1::RULE_MODE_ENFORCE);
  config.add_pitch_terms("crypto");
  const NotePitchRule rule(config, -2.0);
  const RuleResult fires = RunRule(rule, WithNote("Let me tell you about Crypto."));
  ASSERT_EQ(fires.findings.size(), 1u);
  EXPECT_DOUBLE_EQ(fires.logit, -2.0);
  const RuleResult silent = RunRule(rule, WithNote("Would you like a free trial? Buy now!"));
  EXPECT_TRUE(silent.findings.empty());
  EXPECT_EQ(silent.logit, 0.0);
}

TEST_F(NotePitchRuleTest, PitchPatternsFireWithoutAnyPitchWord) {
  const RuleResult result = RunRule(
      rule_, WithNote("Hi Marcus, I help companies like yours scale revenue, would love to chat!"));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].message(), "The note uses sales language.");
  EXPECT_DOUBLE_EQ(result.logit, -0.7);
}

TEST_F(NotePitchRuleTest, WithoutPatternsTheOfferIsNotAPitch) {
  v1::NotePitchConfig config = DefaultEvaluatorConfig().rules().note_pitch();
  config.clear_pitch_patterns();
  const NotePitchRule rule(config, PitchWeight());
  EXPECT_TRUE(
      RunRule(rule, WithNote("Hi Marcus, I help companies like yours scale revenue, would love "
                             "to chat!"))
          .findings.empty());
}

}  // namespace
}  // namespace etiquette
