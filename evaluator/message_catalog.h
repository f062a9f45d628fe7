#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/config_errors.h"
#include "etiquette/v1/evaluator_config.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace etiquette {

// A finding code a rule can emit (Finding.code) and the names of its parameters.
struct FindingCode {
  std::string code;                 // "<rule_id>.<what>", e.g. "note-length.over-limit"
  std::vector<std::string> params;  // in the order RuleResult::Add takes their values
  std::string params_text;          // params joined by ", " (RuleInfo.code_params)
  uint32_t index = 0;               // position among the rule's codes
};

// At most this many parameters per code.
inline constexpr size_t kMaxCodeParams = 4;

// One MessageFormat pattern, compiled once for one locale and one code's parameter names:
// literal text and "{name}" arguments become a flat template; plural, selectordinal and select
// arguments a small tree whose plural categories are chosen by ICU's PluralRules (const and
// thread-safe). Rendering makes no ICU call for patterns without plural forms, and none at all
// for patterns without arguments (the text is kept ready).
class CompiledMessage {
 public:
  CompiledMessage() = default;
  // INVALID_ARGUMENT with the reason ("{width} is not a parameter of this code ...").
  static absl::StatusOr<CompiledMessage> Compile(absl::string_view pattern,
                                                 absl::Span<const std::string> param_names,
                                                 absl::string_view locale);

  bool empty() const { return parts_.empty(); }
  // The whole text, when the pattern has no arguments; else null.
  const std::string* literal() const { return literal_ ? &parts_.front().text : nullptr; }
  // Appends the text with `values` (one per parameter name, in order) to `out`.
  void Render(absl::Span<const absl::string_view> values, std::string* out) const;

  struct Rules;  // a locale's plural rules (ICU)
  struct Branch;
  struct Part {
    enum Kind : uint8_t { kText, kArg, kPound, kPlural, kSelect } kind = kText;
    uint32_t param = 0;            // kArg, kPound, kPlural, kSelect: the parameter's position
    double offset = 0;             // kPlural, kPound: the plural's "offset:"
    bool ordinal = false;          // kPlural: selectordinal
    std::string text;              // kText
    std::vector<Branch> branches;  // kPlural, kSelect; "other" last
  };
  struct Branch {
    std::string keyword;  // the select keyword or plural category; "" for "=N"
    double value = 0;     // "=N": N
    std::vector<Part> parts;
  };

 private:
  void RenderParts(const std::vector<Part>& parts, absl::Span<const absl::string_view> values,
                   std::string* out) const;

  std::vector<Part> parts_;
  bool literal_ = false;
  size_t text_size_ = 0;  // the top level's literal text, for one allocation when rendering
  std::shared_ptr<const Rules> rules_;  // set when the pattern has a plural
};

// The resolved locale chain of one call: catalog numbers, best first, "en" last.
struct LocaleChain {
  uint16_t catalogs[4] = {0, 0, 0, 0};
  uint8_t size = 0;
};

// Every catalog of a config, compiled (EvaluatorConfig.catalogs): immutable, thread-safe.
class MessageCatalogs {
 public:
  // One catalog entry, compiled.
  struct Entry {
    bool present = false;
    CompiledMessage message;
    CompiledMessage advice;
  };

  MessageCatalogs() = default;
  MessageCatalogs(MessageCatalogs&&) = default;
  MessageCatalogs& operator=(MessageCatalogs&&) = default;

  // Compiles `catalogs` for `codes` (every code the rules emit; a code's number is its position
  // here). Every problem is added to `errors` with the locale and code in its path
  // ("catalogs[de].entries[note-length.over-limit].message: ..."); the result is only usable
  // when there is none.
  static MessageCatalogs Compile(
      const google::protobuf::RepeatedPtrField<v1::MessageCatalog>& catalogs,
      absl::Span<const FindingCode* const> codes, ConfigErrors* errors);

  // The catalogs for a sender's locale (BCP 47, any case): the same tag, then with its last
  // subtag dropped, and so on, then "en". Call once per evaluation.
  LocaleChain Resolve(absl::string_view locale) const;
  // The entry for code number `code` in the first catalog of `chain` that has it ("en" has
  // every code).
  const Entry& Find(const LocaleChain& chain, uint32_t code) const;
  // The number of `code` ("personal-note.missing"), or -1.
  int Number(absl::string_view code) const;
  // Each catalog's locale, lower case, in config order.
  const std::vector<std::string>& locales() const { return locales_; }

 private:
  int Catalog(absl::string_view lower_locale) const;

  std::vector<std::string> locales_;  // lower case
  uint16_t english_ = 0;
  size_t code_count_ = 0;
  std::vector<Entry> entries_;  // [catalog * code_count_ + code]
  absl::flat_hash_map<std::string, uint32_t> numbers_;
};

}  // namespace etiquette
