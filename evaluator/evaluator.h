#pragma once

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "etiquette/v1/evaluator.pb.h"
#include "evaluator/rules_engine.h"

namespace etiquette {

// Maximum invitations in one EvaluateBatch call.
inline constexpr int kMaxBatchSize = 1000;

using Clock = std::function<absl::Time()>;

// The evaluator's business logic, free of gRPC: validates requests, fills in defaults and asks
// the rules engine. Thread-safe.
class Evaluator {
 public:
  explicit Evaluator(std::shared_ptr<const RulesEngine> engine, Clock clock = absl::Now);

  // INVALID_ARGUMENT, naming every bad field, when the invitation breaks the contract.
  absl::StatusOr<v1::Verdict> Evaluate(const v1::EvaluateRequest& request) const;
  // INVALID_ARGUMENT for the call when the batch is empty or has more than kMaxBatchSize
  // invitations; a bad invitation inside fails only its own slot.
  absl::StatusOr<v1::EvaluateBatchResponse> EvaluateBatch(
      const v1::EvaluateBatchRequest& request) const;
  v1::ListRulesResponse ListRules() const;

 private:
  absl::StatusOr<v1::Verdict> EvaluateOne(const v1::Invitation& invitation, absl::Time now,
                                          absl::string_view path) const;

  std::shared_ptr<const RulesEngine> engine_;
  Clock clock_;
};

}  // namespace etiquette
