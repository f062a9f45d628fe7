#include "history/config.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/config_errors.h"
#include "common/yaml_proto.h"

namespace etiquette {
namespace {
absl::Duration Days(uint32_t days) { return absl::Hours(24) * days; }
}  // namespace

v1::HistoryConfig DefaultHistoryConfig() {
  v1::HistoryConfig config;
  config.set_report_window_days(90);
  config.set_warn_reports(3);
  config.set_restrict_reports(5);
  config.add_restriction_ladder_days(7);
  config.add_restriction_ladder_days(30);
  config.set_acceptance_window_days(14);
  config.set_low_acceptance_min_invitations(100);
  config.set_low_acceptance_rate(0.13);
  config.set_volume_window_days(7);
  config.set_reinvite_cooldown_days(21);
  config.set_reported_pair_retention_days(730);
  config.set_note_fingerprints_per_sender(100);
  config.set_near_identical_max_distance(14);
  config.set_admin_audit_max_entries(10000);
  config.set_admin_audit_retention_days(400);
  return config;
}

absl::Status ValidateHistoryConfig(const v1::HistoryConfig& config) {
  ConfigErrors e;
  constexpr double kMaxDays = 3650;
  e.Positive("report_window_days", config.report_window_days());
  e.AtMost("report_window_days", config.report_window_days(), kMaxDays);
  e.Positive("warn_reports", config.warn_reports());
  e.Positive("restrict_reports", config.restrict_reports());
  if (config.warn_reports() > config.restrict_reports()) {
    e.Add("warn_reports", "must be at most restrict_reports");
  }
  for (int i = 0; i < config.restriction_ladder_days_size(); ++i) {
    const std::string path = absl::StrCat("restriction_ladder_days[", i, "]");
    e.Positive(path, config.restriction_ladder_days(i));
    e.AtMost(path, config.restriction_ladder_days(i), kMaxDays);
  }
  e.Positive("acceptance_window_days", config.acceptance_window_days());
  e.AtMost("acceptance_window_days", config.acceptance_window_days(), config.report_window_days());
  e.Positive("low_acceptance_min_invitations", config.low_acceptance_min_invitations());
  if (!(config.low_acceptance_rate() >= 0 && config.low_acceptance_rate() <= 1)) {
    e.Add("low_acceptance_rate", "must be between 0 and 1");
  }
  e.Positive("volume_window_days", config.volume_window_days());
  e.AtMost("volume_window_days", config.volume_window_days(), config.report_window_days());
  e.Positive("reinvite_cooldown_days", config.reinvite_cooldown_days());
  e.AtMost("reinvite_cooldown_days", config.reinvite_cooldown_days(), kMaxDays);
  e.Positive("reported_pair_retention_days", config.reported_pair_retention_days());
  e.AtMost("reported_pair_retention_days", config.reported_pair_retention_days(), 36500);
  e.Positive("note_fingerprints_per_sender", config.note_fingerprints_per_sender());
  e.AtMost("note_fingerprints_per_sender", config.note_fingerprints_per_sender(), 1000);
  e.AtMost("near_identical_max_distance", config.near_identical_max_distance(), 32);
  if (config.admin_audit_max_entries() < 10) {
    e.Add("admin_audit_max_entries", "must be at least 10");
  }
  e.AtMost("admin_audit_max_entries", config.admin_audit_max_entries(), 1000000);
  e.Positive("admin_audit_retention_days", config.admin_audit_retention_days());
  e.AtMost("admin_audit_retention_days", config.admin_audit_retention_days(), kMaxDays);
  return e.ToStatus();
}

absl::StatusOr<v1::HistoryConfig> ParseHistoryConfig(const std::string& yaml_text) {
  v1::HistoryConfig config = DefaultHistoryConfig();
  if (absl::Status s = MergeYamlIntoMessage(yaml_text, &config); !s.ok()) return s;
  if (absl::Status s = ValidateHistoryConfig(config); !s.ok()) return s;
  return config;
}

absl::StatusOr<v1::HistoryConfig> LoadHistoryConfigFile(const std::string& path) {
  v1::HistoryConfig config = DefaultHistoryConfig();
  absl::Status status =
      MergeYamlFileIntoMessage(path, &config, [](const google::protobuf::Message& merged) {
        return ValidateHistoryConfig(static_cast<const v1::HistoryConfig&>(merged));
      });
  if (!status.ok()) return status;
  return config;
}

StorePolicy StorePolicyFrom(const v1::HistoryConfig& config) {
  StorePolicy policy;
  policy.report_window = Days(config.report_window_days());
  policy.volume_window = Days(config.volume_window_days());
  policy.acceptance_window = Days(config.acceptance_window_days());
  policy.reinvite_cooldown = Days(config.reinvite_cooldown_days());
  policy.restrict_reports = config.restrict_reports();
  policy.restriction_ladder.clear();
  uint32_t longest = 0;
  for (uint32_t days : config.restriction_ladder_days()) {
    policy.restriction_ladder.push_back(Days(days));
    longest = std::max(longest, days);
  }
  policy.retention = Days(config.report_window_days() + longest);
  policy.reported_pair_retention = Days(config.reported_pair_retention_days());
  policy.max_note_fingerprints = config.note_fingerprints_per_sender();
  policy.near_identical_max_distance = config.near_identical_max_distance();
  policy.admin_audit_max_entries = config.admin_audit_max_entries();
  policy.admin_audit_retention = Days(config.admin_audit_retention_days());
  return policy;
}

}  // namespace etiquette
