#pragma once

// The evaluator's verdicts, in the process's prometheus::Registry:
//   etiquette_evaluator_decisions_total{decision}                             counter
//   etiquette_evaluator_findings_total{rule_id,severity}                      counter
//   etiquette_evaluator_degraded_total                                        counter
//   etiquette_evaluator_history_calls_total{method}                           counter
//   etiquette_evaluator_history_coalesced_total                               counter

#include <memory>

#include "common/metric_series.h"
#include "etiquette/v1/evaluator.pb.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace etiquette {

// Keeps the registry alive; thread-safe.
class EvaluatorMetrics {
 public:
  explicit EvaluatorMetrics(std::shared_ptr<prometheus::Registry> registry);

  // One judged verdict (Evaluate, or a batch slot without error): decisions_total{decision}
  // with the Decision name without its prefix ("SEND", "REVISE", "DEFER", "REQUIRE_EMAIL",
  // "BLOCK"); findings_total{rule_id,severity} for every finding, shadow ones included
  // (severity "POSITIVE", "INFO", "ADVICE", "VIOLATION"); degraded_total when degraded.
  // A batch slot that carries an error is not a verdict: nothing is recorded.
  void RecordVerdict(const v1::Verdict& verdict);
  // One GetStanding call that the evaluator sent to history on behalf of `evaluations`
  // evaluations (CoalescingHistoryClient): history_calls_total{method="GetStanding"} for one,
  // {method="BatchGetStanding"} for several, whose count goes to history_coalesced_total.
  void RecordHistoryCall(int evaluations);

 private:
  prometheus::Counter& DecisionCounter(int decision);

  std::shared_ptr<prometheus::Registry> registry_;
  SeriesCache<prometheus::Counter> decisions_;
  SeriesCache<prometheus::Counter> findings_;
  prometheus::Counter& degraded_;
  prometheus::Family<prometheus::Counter>& history_calls_;
  prometheus::Counter& single_calls_;
  prometheus::Counter& batch_calls_;
  prometheus::Counter& coalesced_;
};

}  // namespace etiquette
