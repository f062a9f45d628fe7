#include "common/yaml_proto.h"

#include "etiquette/v1/evaluator_config.pb.h"
#include "gtest/gtest.h"

namespace etiquette {
namespace {

absl::Status Merge(const std::string& yaml, v1::EvaluatorConfig* config) {
  return MergeYamlIntoMessage(yaml, config);
}

TEST(YamlProtoTest, SetsScalarsNestedMessagesAndLists) {
  v1::EvaluatorConfig config;
  ASSERT_TRUE(Merge("rules:\n"
                    "  note_pitch:\n"
                    "    mode: SHADOW\n"
                    "    flag_links: true\n"
                    "    pitch_terms: [buy, free trial]\n"
                    "likelihood:\n"
                    "  base_rate: 0.25\n",
                    &config)
                  .ok());
  EXPECT_EQ(config.rules().note_pitch().mode(), v1::RULE_MODE_SHADOW);
  EXPECT_TRUE(config.rules().note_pitch().flag_links());
  ASSERT_EQ(config.rules().note_pitch().pitch_terms_size(), 2);
  EXPECT_EQ(config.rules().note_pitch().pitch_terms(1), "free trial");
  EXPECT_DOUBLE_EQ(config.likelihood().base_rate(), 0.25);
}

TEST(YamlProtoTest, ListReplacesPreviousContents) {
  v1::EvaluatorConfig config;
  config.mutable_rules()->mutable_note_pitch()->add_pitch_terms("old");
  ASSERT_TRUE(Merge("rules: {note_pitch: {pitch_terms: [new]}}", &config).ok());
  ASSERT_EQ(config.rules().note_pitch().pitch_terms_size(), 1);
  EXPECT_EQ(config.rules().note_pitch().pitch_terms(0), "new");
}

TEST(YamlProtoTest, LeavesUnmentionedFieldsAlone) {
  v1::EvaluatorConfig config;
  config.mutable_rules()->mutable_note_length()->set_premium_limit(300);
  ASSERT_TRUE(Merge("rules: {note_length: {free_limit: 200}}", &config).ok());
  EXPECT_EQ(config.rules().note_length().premium_limit(), 300u);
  EXPECT_EQ(config.rules().note_length().free_limit(), 200u);
}

TEST(YamlProtoTest, BoolMustBeTrueOrFalse) {
  v1::EvaluatorConfig config;
  absl::Status status = Merge("rules: {note_pitch: {flag_links: maybe}}", &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "rules.note_pitch.flag_links: expected true or false");
}

TEST(YamlProtoTest, NumberMustParse) {
  v1::EvaluatorConfig config;
  absl::Status status = Merge("likelihood: {base_rate: lots}", &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "likelihood.base_rate: expected a number");
}

TEST(YamlProtoTest, ScalarWhereAMappingBelongsIsRejected) {
  v1::EvaluatorConfig config;
  absl::Status status = Merge("rules: 7", &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "rules: expected a mapping of field names to values");
}

TEST(YamlProtoTest, ListWhereAScalarBelongsIsRejected) {
  v1::EvaluatorConfig config;
  absl::Status status = Merge("rules: {note_length: {free_limit: [1, 2]}}", &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "rules.note_length.free_limit: expected a single value");
}

TEST(YamlProtoTest, ScalarWhereAListBelongsIsRejected) {
  v1::EvaluatorConfig config;
  absl::Status status = Merge("rules: {note_pitch: {pitch_terms: buy}}", &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "rules.note_pitch.pitch_terms: expected a list");
}

TEST(YamlProtoTest, MissingValueIsRejected) {
  v1::EvaluatorConfig config;
  absl::Status status = Merge("likelihood:\n  base_rate:\n", &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "likelihood.base_rate: expected a value");
}

TEST(YamlProtoTest, MalformedYamlNamesTheLine) {
  v1::EvaluatorConfig config;
  absl::Status status = Merge("rules:\n  note_pitch: [unclosed\n", &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().substr(0, 18), "not valid YAML at ");
}

}  // namespace
}  // namespace etiquette
