#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "evaluator/evaluator.h"

namespace etiquette {

// Loads the rules config at `path` and, when it is valid, swaps it into `evaluator`; returns
// the new rules_version. A bad file changes nothing (the last good rules stay) and its error
// names the file and the offending path.
absl::StatusOr<std::string> ReloadRules(const std::string& path, Evaluator& evaluator);

}  // namespace etiquette
