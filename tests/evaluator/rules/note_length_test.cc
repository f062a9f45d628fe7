#include "evaluator/rules/note_length.h"

#include <string>

#include "evaluator/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using ::etiquette::testing::GoodInvitation;
using ::etiquette::testing::RunRule;

// `count` copies of `unit` (one code point, 1 to 4 bytes of UTF-8).
std::string Repeat(const std::string& unit, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += unit;
  return out;
}

class NoteLengthRuleTest : public ::testing::Test {
 protected:
  NoteLengthRuleTest() : rule_(DefaultEvaluatorConfig().rules().note_length()) {}

  static v1::Invitation WithNote(const std::string& note, bool premium) {
    v1::Invitation invitation = GoodInvitation();
    invitation.set_note(note);
    invitation.mutable_sender()->set_premium(premium);
    return invitation;
  }

  const NoteLengthRule rule_;
};

TEST_F(NoteLengthRuleTest, IdAndMode) {
  EXPECT_EQ(rule_.id(), "note-length");
  EXPECT_EQ(rule_.mode(), v1::RULE_MODE_ENFORCE);
}

TEST_F(NoteLengthRuleTest, GoodInvitationFits) {
  const RuleResult result = RunRule(rule_, GoodInvitation());
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(NoteLengthRuleTest, EmptyNoteFits) {
  EXPECT_TRUE(RunRule(rule_, WithNote("", false)).findings.empty());
}

TEST_F(NoteLengthRuleTest, FreeSenderAtTheLimitIsFine) {
  const RuleResult result = RunRule(rule_, WithNote(std::string(200, 'a'), false));
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(NoteLengthRuleTest, FreeSenderOneOverTheLimitMustRevise) {
  const RuleResult result = RunRule(rule_, WithNote(std::string(201, 'a'), false));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
  EXPECT_EQ(result.findings[0].message(),
            "The note has 201 characters; the limit for free senders is 200.");
  EXPECT_THAT(result.findings[0].advice(), ::testing::HasSubstr("200"));
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(NoteLengthRuleTest, CountsCodePointsNotBytes) {
  // 200 'é' are 400 bytes of UTF-8 but 200 code points: within the free limit.
  const std::string note = Repeat("\u00e9", 200);
  ASSERT_EQ(note.size(), 400u);
  const RuleResult result = RunRule(rule_, WithNote(note, false));
  EXPECT_TRUE(result.findings.empty());
}

TEST_F(NoteLengthRuleTest, FourByteCharactersCountOnceEach) {
  const std::string note = Repeat("\U0001F600", 200);  // emoji, 4 bytes each
  ASSERT_EQ(note.size(), 800u);
  EXPECT_TRUE(RunRule(rule_, WithNote(note, false)).findings.empty());
}

TEST_F(NoteLengthRuleTest, FreeSender201TwoByteCharactersMustRevise) {
  const RuleResult result = RunRule(rule_, WithNote(Repeat("\u00e9", 201), false));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
  EXPECT_THAT(result.findings[0].message(), ::testing::HasSubstr("201 characters"));
}

TEST_F(NoteLengthRuleTest, MixedWidthNoteCountsCodePoints) {
  // 100 ASCII + 50 two-byte + 50 three-byte + 1 four-byte = 201 code points, 354 bytes.
  const std::string note =
      std::string(100, 'x') + Repeat("\u00fc", 50) + Repeat("\u20ac", 50) + "\U0001F44B";
  ASSERT_EQ(note.size(), 354u);
  const RuleResult result = RunRule(rule_, WithNote(note, false));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
  EXPECT_THAT(result.findings[0].message(), ::testing::HasSubstr("201 characters"));
}

TEST_F(NoteLengthRuleTest, PremiumSenderGetsTheLongerLimit) {
  EXPECT_TRUE(RunRule(rule_, WithNote(std::string(250, 'a'), true)).findings.empty());
  ASSERT_EQ(RunRule(rule_, WithNote(std::string(250, 'a'), false)).findings.size(), 1u);
}

TEST_F(NoteLengthRuleTest, PremiumSenderAtTheLimitIsFine) {
  const RuleResult result = RunRule(rule_, WithNote(std::string(300, 'a'), true));
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(NoteLengthRuleTest, PremiumSenderOneOverTheLimitMustRevise) {
  const RuleResult result = RunRule(rule_, WithNote(std::string(301, 'a'), true));
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REVISE);
  EXPECT_EQ(result.findings[0].message(),
            "The note has 301 characters; the limit for premium senders is 300.");
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(NoteLengthRuleTest, PremiumSender300TwoByteCharactersIsFine) {
  const std::string note = Repeat("\u00e9", 300);
  ASSERT_EQ(note.size(), 600u);
  EXPECT_TRUE(RunRule(rule_, WithNote(note, true)).findings.empty());
}

TEST_F(NoteLengthRuleTest, UsesTheConfiguredLimits) {
  v1::NoteLengthConfig config = DefaultEvaluatorConfig().rules().note_length();
  config.set_free_limit(10);
  config.set_premium_limit(20);
  const NoteLengthRule rule(config);
  EXPECT_TRUE(RunRule(rule, WithNote(std::string(10, 'a'), false)).findings.empty());
  EXPECT_EQ(RunRule(rule, WithNote(std::string(11, 'a'), false)).findings.size(), 1u);
  EXPECT_TRUE(RunRule(rule, WithNote(std::string(20, 'a'), true)).findings.empty());
  EXPECT_EQ(RunRule(rule, WithNote(std::string(21, 'a'), true)).findings.size(), 1u);
}

// The same three notes under each unit: 150 "é" written as e + combining acute (300 code
// points, 150 graphemes, 300 UTF-16 units), 150 family emoji (man ZWJ woman ZWJ girl: 750 code
// points, 150 graphemes, 1,200 UTF-16 units) and 150 grinning faces (150 code points and
// graphemes, 300 UTF-16 units); the free limit is 200.
TEST_F(NoteLengthRuleTest, CountsInTheConfiguredUnit) {
  const std::string combining = Repeat("e\u0301", 150);
  const std::string families = Repeat("\U0001F468\u200D\U0001F469\u200D\U0001F467", 150);
  const std::string faces = Repeat("\U0001F600", 150);
  struct Expected {
    v1::LengthUnit unit;
    size_t combining, families, faces;  // the length counted; over 200 is a finding
  };
  for (const Expected& expected : {Expected{v1::LENGTH_UNIT_CODE_POINTS, 300, 750, 150},
                                   Expected{v1::LENGTH_UNIT_UNSPECIFIED, 300, 750, 150},
                                   Expected{v1::LENGTH_UNIT_GRAPHEMES, 150, 150, 150},
                                   Expected{v1::LENGTH_UNIT_UTF16_CODE_UNITS, 300, 1200, 300}}) {
    v1::NoteLengthConfig config = DefaultEvaluatorConfig().rules().note_length();
    config.set_unit(expected.unit);
    const NoteLengthRule rule(config);
    for (const auto& [note, length] :
         {std::pair<std::string, size_t>{combining, expected.combining},
          {families, expected.families},
          {faces, expected.faces}}) {
      const RuleResult result = RunRule(rule, WithNote(note, false));
      if (length <= 200) {
        EXPECT_TRUE(result.findings.empty()) << expected.unit << " " << length;
        continue;
      }
      ASSERT_EQ(result.findings.size(), 1u) << expected.unit << " " << length;
      EXPECT_EQ(result.findings[0].params().at("length"), std::to_string(length));
      EXPECT_EQ(result.findings[0].params().at("limit"), "200");
    }
  }
}

TEST_F(NoteLengthRuleTest, DefaultUnitIsCodePointsAndTheConfigNamesIt) {
  EXPECT_EQ(DefaultEvaluatorConfig().rules().note_length().unit(), v1::LENGTH_UNIT_CODE_POINTS);
  absl::StatusOr<v1::EvaluatorConfig> config =
      ParseEvaluatorConfig("rules: {note_length: {unit: GRAPHEMES}}");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->rules().note_length().unit(), v1::LENGTH_UNIT_GRAPHEMES);
  EXPECT_EQ(config->rules().note_length().free_limit(), 200u);  // the rest stays default
  const absl::StatusOr<v1::EvaluatorConfig> bad =
      ParseEvaluatorConfig("rules: {note_length: {unit: BYTES}}");
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()),
              ::testing::HasSubstr("expected one of CODE_POINTS, GRAPHEMES, UTF16_CODE_UNITS"));
}

}  // namespace
}  // namespace etiquette
