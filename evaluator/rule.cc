#include "evaluator/rule.h"

#include "absl/strings/str_join.h"
#include "evaluator/rules_engine.h"

namespace etiquette {

bool IsStranger(const v1::Relationship& relationship) {
  return relationship.familiarity() == v1::FAMILIARITY_UNSPECIFIED ||
         relationship.familiarity() == v1::FAMILIARITY_STRANGER;
}

void RuleResult::Add(v1::Severity severity, v1::Decision outcome, const FindingCode& code,
                     std::initializer_list<absl::AlphaNum> params) {
  v1::Finding& finding = *(out != nullptr ? out : &findings)->Add();
  finding.set_severity(severity);
  finding.set_outcome(outcome);
  finding.set_code(code.code);
  absl::string_view values[kMaxCodeParams];
  size_t count = 0;
  for (const absl::AlphaNum& param : params) {
    if (count == kMaxCodeParams || count == code.params.size()) break;
    values[count] = param.Piece();
    ++count;
  }
  if (count > 0) {
    google::protobuf::Map<std::string, std::string>& map = *finding.mutable_params();
    for (size_t i = 0; i < count; ++i) map[code.params[i]] = std::string(values[i]);
  }

  const MessageCatalogs* source = catalogs;
  LocaleChain chain = locales;
  uint32_t number = code_base + code.index;
  if (source == nullptr) {
    source = &DefaultMessageCatalogs();
    chain = source->Resolve("");
    const int found = source->Number(code.code);
    if (found < 0) return;
    number = static_cast<uint32_t>(found);
  }
  const MessageCatalogs::Entry& entry = source->Find(chain, number);
  const absl::Span<const absl::string_view> given(values, count);
  if (const std::string* text = entry.message.literal()) {
    finding.set_message(*text);
  } else {
    entry.message.Render(given, finding.mutable_message());
  }
  // Empty is the field's default: setting it would only allocate.
  if (entry.advice.empty()) return;
  if (const std::string* text = entry.advice.literal()) {
    finding.set_advice(*text);
  } else {
    entry.advice.Render(given, finding.mutable_advice());
  }
}

const FindingCode& Rule::DeclareCode(absl::string_view rule_id, absl::string_view what,
                                     std::vector<std::string> params) {
  auto code = std::make_unique<FindingCode>();
  code->code = absl::StrCat(rule_id, ".", what);
  code->params_text = absl::StrJoin(params, ", ");
  code->params = std::move(params);
  code->index = static_cast<uint32_t>(codes_.size());
  code_list_.push_back(code.get());
  codes_.push_back(std::move(code));
  return *code_list_.back();
}

}  // namespace etiquette
