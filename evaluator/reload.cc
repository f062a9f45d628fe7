#include "evaluator/reload.h"

#include "evaluator/config.h"

namespace etiquette {

absl::StatusOr<std::string> ReloadRules(const std::string& path, Evaluator& evaluator) {
  absl::StatusOr<v1::EvaluatorConfig> config = LoadEvaluatorConfigFile(path);
  if (!config.ok()) return config.status();
  absl::StatusOr<std::unique_ptr<RulesEngine>> engine = RulesEngine::Create(std::move(*config));
  if (!engine.ok()) return engine.status();
  std::string version = (*engine)->rules_version();
  evaluator.ReplaceEngine(std::move(*engine));
  return version;
}

}  // namespace etiquette
