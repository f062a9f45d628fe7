#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "etiquette/v1/evaluator.pb.h"
#include "etiquette/v1/evaluator_config.pb.h"
#include "evaluator/language_packs.h"
#include "evaluator/message_catalog.h"
#include "evaluator/pitch_patterns.h"
#include "evaluator/rule.h"

namespace etiquette {

class NotePitchRule;
class NotePlaceholderRule;
class TemplateBlastRule;

// All rules of one config, and the likelihood model. Immutable and thread-safe once built.
class RulesEngine {
 public:
  // INVALID_ARGUMENT when the config fails ValidateEvaluatorConfig.
  static absl::StatusOr<std::unique_ptr<RulesEngine>> Create(v1::EvaluatorConfig config);

  // Findings' message and advice are in the sender's locale (invitation.sender().locale(),
  // MessageCatalogs::Resolve), resolved once per call.

  // Judges an invitation that passed ValidateInvitation. `standing` is non-null exactly when
  // `history` is kAnswered; `history_fail_closed` makes an unavailable history DEFER the
  // invitation. Fills everything but Verdict.error.
  v1::Verdict Evaluate(const v1::Invitation& invitation, absl::Time sent_at, HistoryStatus history,
                       const v1::SenderStanding* standing, bool history_fail_closed = false) const;
  // The same into `verdict`, which must be empty; it may live on an arena (the server's call
  // arena: the findings are then allocated there, not one by one).
  void Evaluate(const v1::Invitation& invitation, absl::Time sent_at, HistoryStatus history,
                const v1::SenderStanding* standing, bool history_fail_closed,
                v1::Verdict* verdict) const;

  v1::ListRulesResponse ListRules() const;
  const std::string& rules_version() const { return rules_version_; }
  const v1::EvaluatorConfig& config() const { return config_; }

 private:
  RulesEngine(v1::EvaluatorConfig config, std::vector<std::unique_ptr<Rule>> rules,
              MessageCatalogs catalogs);

  const v1::EvaluatorConfig config_;
  const std::string rules_version_;
  const double base_logit_;
  const LanguagePacks packs_;  // config_.language_packs(), normalised once
  const std::vector<std::unique_ptr<Rule>> rules_;
  std::vector<uint32_t> code_base_;  // per rule: the number of its first code in catalogs_
  // The rules whose findings are NoteFlaws (in rules_), found once before the rules run.
  const NotePlaceholderRule* placeholder_rule_ = nullptr;
  const NotePitchRule* pitch_rule_ = nullptr;
  const TemplateBlastRule* template_blast_rule_ = nullptr;
  const MessageCatalogs catalogs_;  // config_.catalogs(), compiled once
  // Every rule's note patterns, as groups in NoteShapes' order, scanned in one pass.
  const PitchPatterns note_shapes_;
};

// Every rule of `config`, in evaluation order (content rules first, then the history-backed
// ones).
std::vector<std::unique_ptr<Rule>> BuildRules(const v1::EvaluatorConfig& config);
// Every code the rules can emit, in rule order and then each rule's order (codes do not depend
// on the config).
absl::Span<const FindingCode* const> AllFindingCodes();
// DefaultEvaluatorConfig()'s catalogs, compiled for AllFindingCodes() (built once).
const MessageCatalogs& DefaultMessageCatalogs();

}  // namespace etiquette
