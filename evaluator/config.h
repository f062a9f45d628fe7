#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "etiquette/v1/evaluator_config.pb.h"

namespace etiquette {

// deploy/config/language-packs.yaml as it was at build time: the default language_packs.
extern const char kDefaultLanguagePacksYaml[];
// deploy/config/evaluator.yaml as it was at build time: the default catalogs.
extern const char kDefaultEvaluatorYaml[];

// The compiled-in configuration; deploy/config/evaluator.yaml spells out the same values, but
// for language_packs, which come from deploy/config/language-packs.yaml. The catalogs are that
// file's own (compiled in).
v1::EvaluatorConfig DefaultEvaluatorConfig();

// Range checks on a whole config. INVALID_ARGUMENT lists every offending path, for example
// "rules.note_length.free_limit: must be greater than 0" or, for the message catalogs, with the
// locale and code: "catalogs[de].entries[note-length.over-limit].message: {width} is not a
// parameter of this code (it has: length, limit, tier)".
absl::Status ValidateEvaluatorConfig(const v1::EvaluatorConfig& config);

// The defaults with `yaml_text` merged over them, validated.
absl::StatusOr<v1::EvaluatorConfig> ParseEvaluatorConfig(const std::string& yaml_text);

// ParseEvaluatorConfig on a file's contents; errors name the file.
absl::StatusOr<v1::EvaluatorConfig> LoadEvaluatorConfigFile(const std::string& path);

// A short stable hash of the effective config (12 hex digits), reported as rules_version.
std::string RulesVersion(const v1::EvaluatorConfig& config);

}  // namespace etiquette
