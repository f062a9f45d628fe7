#include "evaluator/rule.h"

namespace etiquette {

bool IsStranger(const v1::Relationship& relationship) {
  return relationship.familiarity() == v1::FAMILIARITY_UNSPECIFIED ||
         relationship.familiarity() == v1::FAMILIARITY_STRANGER;
}

void RuleResult::Add(v1::Severity severity, v1::Decision outcome, std::string message,
                     std::string advice) {
  v1::Finding& finding = findings.emplace_back();
  finding.set_severity(severity);
  finding.set_outcome(outcome);
  finding.set_message(std::move(message));
  // Empty is the field's default: setting it would only allocate.
  if (!advice.empty()) finding.set_advice(std::move(advice));
}

}  // namespace etiquette
