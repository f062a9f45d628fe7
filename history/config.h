#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "etiquette/v1/history_config.pb.h"
#include "history/history_store.h"

namespace etiquette {

// The compiled-in thresholds; deploy/config/history.yaml spells out the same values.
v1::HistoryConfig DefaultHistoryConfig();

// Range checks; INVALID_ARGUMENT lists every offending path ("restrict_reports: ...").
absl::Status ValidateHistoryConfig(const v1::HistoryConfig& config);

// The defaults with `yaml_text` merged over them, validated.
absl::StatusOr<v1::HistoryConfig> ParseHistoryConfig(const std::string& yaml_text);

// The defaults with a file merged over them, validated; errors name the file.
absl::StatusOr<v1::HistoryConfig> LoadHistoryConfigFile(const std::string& path);

// What the store needs of a (valid) config.
StorePolicy StorePolicyFrom(const v1::HistoryConfig& config);

}  // namespace etiquette
