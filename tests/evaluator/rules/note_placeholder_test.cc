#include "evaluator/rules/note_placeholder.h"

#include <string>

#include "evaluator/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using ::etiquette::testing::GoodInvitation;
using ::etiquette::testing::RunRule;

class NotePlaceholderRuleTest : public ::testing::Test {
 protected:
  NotePlaceholderRuleTest() : rule_(DefaultEvaluatorConfig().rules().note_placeholder()) {}

  static v1::Invitation WithNote(const std::string& note) {
    v1::Invitation invitation = GoodInvitation();
    invitation.set_note(note);
    return invitation;
  }
  std::string Found(const std::string& note) const {
    return std::string(rule_.FindPlaceholder(note));
  }

  const NotePlaceholderRule rule_;
};

TEST_F(NotePlaceholderRuleTest, IdAndMode) {
  EXPECT_EQ(rule_.id(), "note-placeholder");
  EXPECT_EQ(rule_.mode(), v1::RULE_MODE_ENFORCE);
}

TEST_F(NotePlaceholderRuleTest, UnfilledNameIsViolationReviseNamingThePlaceholder) {
  const RuleResult result =
      RunRule(rule_, WithNote("Hi [Name], I saw your post on [topic] and would love to connect."));
  ASSERT_EQ(result.findings.size(), 1u);
  const v1::Finding& finding = result.findings[0];
  EXPECT_EQ(finding.severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(finding.outcome(), v1::DECISION_REVISE);
  EXPECT_EQ(finding.code(), "note-placeholder.unfilled");
  EXPECT_EQ(finding.params().at("placeholder"), "[Name]");
  EXPECT_THAT(finding.advice(), ::testing::HasSubstr("[Name]"));
  EXPECT_EQ(finding.message(), "The note contains an unfilled template placeholder.");
  EXPECT_EQ(result.logit, 0.0);
}

// The opening bytes are searched 16 bytes at a time, the tail by an overlapping block: a
// placeholder is found at every offset of notes of every length around the block size, and an
// earlier bracket that is no placeholder does not hide it.
TEST_F(NotePlaceholderRuleTest, FoundAtEveryOffsetAfterEarlierBrackets) {
  for (size_t length = 6; length <= 50; ++length) {
    for (size_t at = 0; at + 6 <= length; ++at) {
      std::string note(length, 'a');
      note.replace(at, 6, "[Name]");
      ASSERT_EQ(Found(note), "[Name]") << note;
      if (at >= 4) {
        note.replace(at - 4, 3, "(x)");  // prose in brackets just before
        ASSERT_EQ(Found(note), "[Name]") << note;
        note.replace(at - 4, 3, "{{a");  // an opening that never closes
        ASSERT_EQ(Found(note), "[Name]") << note;
      }
      note.replace(at, 6, "aaaaaa");
      ASSERT_EQ(Found(note), "") << note;
    }
  }
}

TEST_F(NotePlaceholderRuleTest, EveryCommonFormIsFound) {
  EXPECT_EQ(Found("Hi {firstName}, I noticed we're both working on {industry}."), "{firstName}");
  EXPECT_EQ(Found("Hello {{company}} team!"), "{{company}}");
  EXPECT_EQ(Found("I see you work at <Company> in sales."), "<Company>");
  EXPECT_EQ(Found("Dear %FIRSTNAME%, great to e-meet you."), "%FIRSTNAME%");
  EXPECT_EQ(Found("I'm also a fellow [your area] professional."), "[your area]");
  EXPECT_EQ(Found("Hey {first_name}!"), "{first_name}");
  EXPECT_EQ(Found("Hi [RECIPIENT NAME], congrats on the new role at [Company Name]."),
            "[RECIPIENT NAME]");
  EXPECT_EQ(Found("Hi {{ first_name }}"), "");  // a padded span is prose, not a field
}

TEST_F(NotePlaceholderRuleTest, TheEarliestPlaceholderIsNamed) {
  EXPECT_EQ(Found("Hi {first_name}, fellow [industry] person here."), "{first_name}");
  EXPECT_EQ(Found("Hi there, fellow [industry] person here, {first_name}."), "[industry]");
}

TEST_F(NotePlaceholderRuleTest, OrdinaryBracketsInARealNoteNeverFire) {
  for (const char* note : {
           "Hi Jordan, (we met in 2019) at the Berlin meetup; great to see you again.",
           "Your quote \"teh best\" [sic] made me laugh, Jordan.",
           "Loved your talk [1] and the follow-up post <3",
           "We grew revenue 30% at Initech and 40% at the next company, Jordan.",
           "Hi Jordan, I read your piece {the one on retries} last week.",
           "Ratio a<b and c>d, said your slide deck, which I enjoyed.",
           "I'm at [Initech] now, would be glad to stay in touch.",
           "Unclosed [name and no end",
       }) {
    EXPECT_TRUE(RunRule(rule_, WithNote(note)).findings.empty()) << note;
  }
  EXPECT_TRUE(RunRule(rule_, GoodInvitation()).findings.empty());
  EXPECT_TRUE(RunRule(rule_, WithNote("")).findings.empty());
}

TEST_F(NotePlaceholderRuleTest, FiresForAcquaintancesToo) {
  v1::Invitation invitation = WithNote("Hi [Name]!");
  invitation.mutable_relationship()->set_familiarity(v1::FAMILIARITY_COLLEAGUE);
  EXPECT_EQ(RunRule(rule_, invitation).findings.size(), 1u);
}

TEST_F(NotePlaceholderRuleTest, FormsAndTermsComeFromTheConfig) {
  v1::NotePlaceholderConfig config = DefaultEvaluatorConfig().rules().note_placeholder();
  config.clear_delimiters();
  config.add_delimiters("((()))");
  config.clear_placeholder_terms();
  config.add_placeholder_terms("vorname");
  const NotePlaceholderRule rule(config);
  EXPECT_EQ(rule.FindPlaceholder("Hallo (((Vorname))), [Name]"), "(((Vorname)))");
  EXPECT_EQ(rule.FindPlaceholder("Hallo [Name]"), "");
  config.clear_delimiters();
  EXPECT_EQ(NotePlaceholderRule(config).FindPlaceholder("Hallo (((Vorname)))"), "");
}

TEST_F(NotePlaceholderRuleTest, LongSpansAreProse) {
  EXPECT_EQ(Found("[a name of a person I met]"), "");  // more than 4 words
  v1::NotePlaceholderConfig config = DefaultEvaluatorConfig().rules().note_placeholder();
  config.set_max_chars(5);
  EXPECT_EQ(NotePlaceholderRule(config).FindPlaceholder("[first_name]"), "");
  EXPECT_EQ(NotePlaceholderRule(config).FindPlaceholder("[name]"), "[name]");
}

TEST_F(NotePlaceholderRuleTest, EchoIsCutAtACodePoint) {
  v1::NotePlaceholderConfig config = DefaultEvaluatorConfig().rules().note_placeholder();
  config.set_max_chars(100);
  const NotePlaceholderRule rule(config);
  const std::string long_name = "[" + std::string(56, 'e') + "\xC3\xA9\xC3\xA9\xC3\xA9_name]";
  const RuleResult result = RunRule(rule, WithNote(long_name));
  ASSERT_EQ(result.findings.size(), 1u);
  const std::string& echoed = result.findings[0].params().at("placeholder");
  // 60 bytes would split the second "é" (bytes 59-60): the echo stops before it.
  EXPECT_EQ(echoed, long_name.substr(0, 59));
}

}  // namespace
}  // namespace etiquette

namespace etiquette {
namespace {

TEST(NotePlaceholderConfigTest, MalformedDelimitersAreRefusedWithTheirPath) {
  const absl::StatusOr<v1::EvaluatorConfig> config = ParseEvaluatorConfig(
      "rules:\n  note_placeholder:\n    delimiters: [\"[]\", \"{\", \"aa\", \"[[[[]]]]]\"]\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              ::testing::AllOf(::testing::HasSubstr("rules.note_placeholder.delimiters[1]"),
                               ::testing::HasSubstr("rules.note_placeholder.delimiters[2]"),
                               ::testing::HasSubstr("rules.note_placeholder.delimiters[3]"),
                               ::testing::Not(::testing::HasSubstr("delimiters[0]"))));
}

}  // namespace
}  // namespace etiquette
