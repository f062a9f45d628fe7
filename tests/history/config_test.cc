#include "history/config.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace etiquette {
namespace {

using ::testing::HasSubstr;

TEST(HistoryConfigTest, DefaultsAreValid) {
  EXPECT_TRUE(ValidateHistoryConfig(DefaultHistoryConfig()).ok());
}

TEST(HistoryConfigTest, DeployedFileEqualsCompiledInDefaults) {
  absl::StatusOr<v1::HistoryConfig> loaded =
      LoadHistoryConfigFile(std::string(ETIQUETTE_SOURCE_DIR) + "/deploy/config/history.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  std::string difference;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&difference);
  EXPECT_TRUE(differencer.Compare(DefaultHistoryConfig(), *loaded)) << difference;
}

TEST(HistoryConfigTest, KeysOverrideDefaults) {
  absl::StatusOr<v1::HistoryConfig> config =
      ParseHistoryConfig("restrict_reports: 4\nrestriction_ladder_days: [1, 2, 3]\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->restrict_reports(), 4u);
  EXPECT_EQ(config->restriction_ladder_days_size(), 3);
  EXPECT_EQ(config->warn_reports(), 3u);
}

TEST(HistoryConfigTest, ZeroThresholdIsRejectedWithItsPath) {
  absl::StatusOr<v1::HistoryConfig> config = ParseHistoryConfig("restrict_reports: 0\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("restrict_reports: must be greater than 0"));
}

TEST(HistoryConfigTest, WarnAboveRestrictIsRejected) {
  absl::StatusOr<v1::HistoryConfig> config = ParseHistoryConfig("warn_reports: 6\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(), "warn_reports: must be at most restrict_reports");
}

TEST(HistoryConfigTest, RateAboveOneIsRejected) {
  absl::StatusOr<v1::HistoryConfig> config = ParseHistoryConfig("low_acceptance_rate: 1.5\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(), "low_acceptance_rate: must be between 0 and 1");
}

TEST(HistoryConfigTest, ZeroDayLadderStepIsRejectedWithIndex) {
  absl::StatusOr<v1::HistoryConfig> config =
      ParseHistoryConfig("restriction_ladder_days: [7, 0]\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(), "restriction_ladder_days[1]: must be greater than 0");
}

TEST(HistoryConfigTest, UnknownKeyIsRejected) {
  absl::StatusOr<v1::HistoryConfig> config = ParseHistoryConfig("jail_days: 7\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(), "jail_days: unknown key");
}

TEST(HistoryConfigTest, PolicyFollowsTheConfig) {
  const StorePolicy policy = StorePolicyFrom(DefaultHistoryConfig());
  EXPECT_EQ(policy.report_window, absl::Hours(24 * 90));
  EXPECT_EQ(policy.restrict_reports, 5u);
  ASSERT_EQ(policy.restriction_ladder.size(), 2u);
  EXPECT_EQ(policy.restriction_ladder[1], absl::Hours(24 * 30));
  EXPECT_EQ(policy.retention, absl::Hours(24 * 120));
  EXPECT_EQ(policy.reinvite_cooldown, absl::Hours(24 * 21));
  EXPECT_EQ(policy.max_note_fingerprints, 100u);
  EXPECT_EQ(policy.near_identical_max_distance, 14u);
}

TEST(HistoryConfigTest, NoteFingerprintKnobsAreBounded) {
  for (const auto& [yaml, message] : std::vector<std::pair<std::string, std::string>>{
           {"note_fingerprints_per_sender: 0\n",
            "note_fingerprints_per_sender: must be greater than 0"},
           {"note_fingerprints_per_sender: 1001\n",
            "note_fingerprints_per_sender: must be at most 1000"},
           {"near_identical_max_distance: 33\n", "near_identical_max_distance: must be at most 32"},
       }) {
    absl::StatusOr<v1::HistoryConfig> config = ParseHistoryConfig(yaml);
    ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << yaml;
    EXPECT_EQ(config.status().message(), message);
  }
  absl::StatusOr<v1::HistoryConfig> config =
      ParseHistoryConfig("note_fingerprints_per_sender: 20\nnear_identical_max_distance: 0\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(StorePolicyFrom(*config).max_note_fingerprints, 20u);
  EXPECT_EQ(StorePolicyFrom(*config).near_identical_max_distance, 0u);
}

}  // namespace
}  // namespace etiquette
