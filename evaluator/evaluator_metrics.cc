#include "evaluator/evaluator_metrics.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace etiquette {
namespace {

// Removes `prefix` ("DECISION_") from an enum value name; "UNSPECIFIED" for an unnamed value.
std::string EnumLabel(const std::string& name, absl::string_view prefix) {
  if (name.empty()) return "UNSPECIFIED";
  absl::string_view view(name);
  if (view.substr(0, prefix.size()) == prefix) view.remove_prefix(prefix.size());
  return std::string(view);
}

}  // namespace

EvaluatorMetrics::EvaluatorMetrics(std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)),
      decisions_(prometheus::BuildCounter()
                     .Name("etiquette_evaluator_decisions_total")
                     .Help("Verdicts by decision (Evaluate, and judged EvaluateBatch slots).")
                     .Register(*registry_)),
      findings_(prometheus::BuildCounter()
                    .Name("etiquette_evaluator_findings_total")
                    .Help("Findings in verdicts by rule and severity, shadow findings included.")
                    .Register(*registry_)),
      degraded_(prometheus::BuildCounter()
                    .Name("etiquette_evaluator_degraded_total")
                    .Help("Verdicts judged without the history service (it did not answer).")
                    .Register(*registry_)
                    .Add({})),
      history_calls_(prometheus::BuildCounter()
                         .Name("etiquette_evaluator_history_calls_total")
                         .Help("Calls for evaluations' standings sent to history, by method: "
                               "GetStanding for one evaluation, BatchGetStanding for several "
                               "gathered while every call slot was busy.")
                         .Register(*registry_)),
      single_calls_(history_calls_.Add({{"method", "GetStanding"}})),
      batch_calls_(history_calls_.Add({{"method", "BatchGetStanding"}})),
      coalesced_(prometheus::BuildCounter()
                     .Name("etiquette_evaluator_history_coalesced_total")
                     .Help("Evaluations whose standing went in a coalesced BatchGetStanding.")
                     .Register(*registry_)
                     .Add({})) {
  // Every decision from the start, so that rate() sees the first one.
  for (v1::Decision decision : {v1::DECISION_SEND, v1::DECISION_REVISE, v1::DECISION_DEFER,
                                v1::DECISION_REQUIRE_EMAIL, v1::DECISION_BLOCK}) {
    DecisionCounter(decision);
  }
}

prometheus::Counter& EvaluatorMetrics::DecisionCounter(int decision) {
  return decisions_.Get(absl::StrCat(decision), [decision] {
    return prometheus::Labels{
        {"decision",
         EnumLabel(v1::Decision_Name(static_cast<v1::Decision>(decision)), "DECISION_")}};
  });
}

void EvaluatorMetrics::RecordVerdict(const v1::Verdict& verdict) {
  if (verdict.has_error()) return;
  DecisionCounter(verdict.decision()).Increment();
  for (const v1::Finding& finding : verdict.findings()) {
    const int severity = finding.severity();
    findings_
        .Get(absl::StrCat(severity, " ", finding.rule_id()),
             [&finding, severity] {
               return prometheus::Labels{
                   {"rule_id", finding.rule_id()},
                   {"severity", EnumLabel(v1::Severity_Name(static_cast<v1::Severity>(severity)),
                                          "SEVERITY_")}};
             })
        .Increment();
  }
  if (verdict.degraded()) degraded_.Increment();
}

void EvaluatorMetrics::RecordHistoryCall(int evaluations) {
  if (evaluations <= 1) {
    single_calls_.Increment();
    return;
  }
  batch_calls_.Increment();
  coalesced_.Increment(evaluations);
}

}  // namespace etiquette
