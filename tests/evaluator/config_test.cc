#include "evaluator/config.h"

#include <fstream>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace etiquette {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TEST(EvaluatorConfigTest, DefaultsAreValid) {
  EXPECT_TRUE(ValidateEvaluatorConfig(DefaultEvaluatorConfig()).ok());
}

TEST(EvaluatorConfigTest, DeployedFileEqualsCompiledInDefaults) {
  absl::StatusOr<v1::EvaluatorConfig> loaded =
      LoadEvaluatorConfigFile(std::string(ETIQUETTE_SOURCE_DIR) + "/deploy/config/evaluator.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  std::string difference;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&difference);
  EXPECT_TRUE(differencer.Compare(DefaultEvaluatorConfig(), *loaded)) << difference;
  EXPECT_EQ(RulesVersion(*loaded), RulesVersion(DefaultEvaluatorConfig()));
}

TEST(EvaluatorConfigTest, EmptyDocumentMeansDefaults) {
  absl::StatusOr<v1::EvaluatorConfig> config = ParseEvaluatorConfig("");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(RulesVersion(*config), RulesVersion(DefaultEvaluatorConfig()));
}

TEST(EvaluatorConfigTest, KeysOverrideDefaultsAndLeaveTheRest) {
  absl::StatusOr<v1::EvaluatorConfig> config = ParseEvaluatorConfig(
      "rules:\n  note_length:\n    free_limit: 150\n  twitter_only:\n    mode: SHADOW\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->rules().note_length().free_limit(), 150u);
  EXPECT_EQ(config->rules().note_length().premium_limit(), 300u);
  EXPECT_EQ(config->rules().twitter_only().mode(), v1::RULE_MODE_SHADOW);
  EXPECT_NE(RulesVersion(*config), RulesVersion(DefaultEvaluatorConfig()));
}

TEST(EvaluatorConfigTest, ZeroLimitIsRejectedWithItsPath) {
  absl::StatusOr<v1::EvaluatorConfig> config =
      ParseEvaluatorConfig("rules:\n  note_length:\n    free_limit: 0\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(config.status()), "rules.note_length.free_limit: must be greater than 0");
}

TEST(EvaluatorConfigTest, UnknownKeyIsRejectedWithItsPath) {
  absl::StatusOr<v1::EvaluatorConfig> config =
      ParseEvaluatorConfig("rules:\n  note_length:\n    free_limt: 10\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(config.status()), "rules.note_length.free_limt: unknown key");
}

TEST(EvaluatorConfigTest, UnknownRuleIsRejected) {
  absl::StatusOr<v1::EvaluatorConfig> config =
      ParseEvaluatorConfig("rules:\n  be_nice:\n    mode: ENFORCE\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(config.status()), "rules.be_nice: unknown key");
}

TEST(EvaluatorConfigTest, NegativeLimitIsATypeError) {
  absl::StatusOr<v1::EvaluatorConfig> config =
      ParseEvaluatorConfig("rules:\n  note_length:\n    premium_limit: -1\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(config.status()),
            "rules.note_length.premium_limit: expected an unsigned integer");
}

TEST(EvaluatorConfigTest, UnknownModeNamesTheChoices) {
  absl::StatusOr<v1::EvaluatorConfig> config =
      ParseEvaluatorConfig("rules:\n  note_pitch:\n    mode: LOUD\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(config.status()),
            "rules.note_pitch.mode: expected one of ENFORCE, SHADOW, OFF; got \"LOUD\"");
}

TEST(EvaluatorConfigTest, FullEnumNameIsAccepted) {
  absl::StatusOr<v1::EvaluatorConfig> config =
      ParseEvaluatorConfig("rules:\n  note_pitch:\n    mode: RULE_MODE_OFF\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->rules().note_pitch().mode(), v1::RULE_MODE_OFF);
}

TEST(EvaluatorConfigTest, UnspecifiedModeIsRejected) {
  absl::StatusOr<v1::EvaluatorConfig> config =
      ParseEvaluatorConfig("rules:\n  note_pitch:\n    mode: RULE_MODE_UNSPECIFIED\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(config.status()), "rules.note_pitch.mode: must be one of ENFORCE, SHADOW, OFF");
}

TEST(EvaluatorConfigTest, BaseRateOutsideOpenUnitIntervalIsRejected) {
  for (const char* value : {"0", "1", "1.5", "-0.2"}) {
    absl::StatusOr<v1::EvaluatorConfig> config =
        ParseEvaluatorConfig(std::string("likelihood:\n  base_rate: ") + value + "\n");
    ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << value;
    EXPECT_EQ(Message(config.status()),
              "likelihood.base_rate: must be greater than 0 and less than 1");
  }
}

TEST(EvaluatorConfigTest, EveryErrorIsListed) {
  absl::StatusOr<v1::EvaluatorConfig> config = ParseEvaluatorConfig(
      "rules:\n  note_length:\n    free_limit: 0\n  weekly_limit:\n    max_invitations_7d: 0\n"
      "likelihood:\n  weights:\n    pitch: -50\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(config.status()),
              HasSubstr("rules.note_length.free_limit: must be greater than 0"));
  EXPECT_THAT(Message(config.status()),
              HasSubstr("rules.weekly_limit.max_invitations_7d: must be greater than 0"));
  EXPECT_THAT(Message(config.status()),
              HasSubstr("likelihood.weights.pitch: must be between -10 and 10"));
}

TEST(EvaluatorConfigTest, BlankListEntryIsRejectedWithIndex) {
  absl::StatusOr<v1::EvaluatorConfig> config =
      ParseEvaluatorConfig("rules:\n  note_pitch:\n    pitch_terms: [buy, \"  \"]\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(config.status()), "rules.note_pitch.pitch_terms[1]: must not be blank");
}

TEST(EvaluatorConfigTest, MalformedFollowPatternIsRejectedWithItsPath) {
  absl::StatusOr<v1::EvaluatorConfig> config = ParseEvaluatorConfig(
      "rules:\n  twitter_only:\n    follow_patterns: [\"follow ... twitter\", \"... twitter\"]\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(config.status()),
              HasSubstr("rules.twitter_only.follow_patterns[1]: the first element is ..."));
  EXPECT_THAT(Message(config.status()), Not(HasSubstr("follow_patterns[0]")));
}

TEST(EvaluatorConfigTest, MalformedInterviewPatternIsRejectedWithItsPath) {
  absl::StatusOr<v1::EvaluatorConfig> config = ParseEvaluatorConfig(
      "rules:\n  after_interview:\n    hired_patterns: [\"got ... job\", \"... offer\"]\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(config.status()),
              HasSubstr("rules.after_interview.hired_patterns[1]: the first element is ..."));
  EXPECT_THAT(Message(config.status()), Not(HasSubstr("hired_patterns[0]")));
}

TEST(EvaluatorConfigTest, StockSimilarityAboveOneIsRejected) {
  absl::StatusOr<v1::EvaluatorConfig> config =
      ParseEvaluatorConfig("rules:\n  personal_note:\n    stock_similarity: 1.2\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(config.status()),
            "rules.personal_note.stock_similarity: must be greater than 0 and at most 1");
}

TEST(EvaluatorConfigTest, MissingFileIsNotFoundAndNamed) {
  absl::StatusOr<v1::EvaluatorConfig> config = LoadEvaluatorConfigFile("/nonexistent/x.yaml");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(config.status()), HasSubstr("/nonexistent/x.yaml"));
}

TEST(EvaluatorConfigTest, RulesVersionIsShortAndStable) {
  const std::string version = RulesVersion(DefaultEvaluatorConfig());
  EXPECT_EQ(version.size(), 12u);
  EXPECT_EQ(version, RulesVersion(DefaultEvaluatorConfig()));
}

}  // namespace
}  // namespace etiquette
