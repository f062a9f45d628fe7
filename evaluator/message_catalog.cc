#include "evaluator/message_catalog.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "evaluator/language_id.h"
#include "unicode/locid.h"
#include "unicode/messagepattern.h"
#include "unicode/plurrule.h"
#include "unicode/unistr.h"
#include "unicode/utypes.h"

namespace etiquette {

struct CompiledMessage::Rules {
  std::unique_ptr<icu::PluralRules> cardinal;
  std::unique_ptr<icu::PluralRules> ordinal;
  // The categories of the integers below kCachedNumbers, chosen once by the same rules: most
  // values (lengths, limits, counts) are small integers, and rendering one then makes no ICU
  // call, no parse of a double and no allocation. Indices into `keywords`.
  static constexpr uint32_t kCachedNumbers = 512;
  std::vector<std::string> keywords;
  std::array<uint8_t, kCachedNumbers> cardinal_of{};
  std::array<uint8_t, kCachedNumbers> ordinal_of{};

  void Cache() {
    for (uint32_t n = 0; n < kCachedNumbers; ++n) {
      cardinal_of[n] = KeywordIndex(*cardinal, n);
      ordinal_of[n] = KeywordIndex(*ordinal, n);
    }
  }
  uint8_t KeywordIndex(const icu::PluralRules& rules, uint32_t n) {
    std::string keyword;
    rules.select(static_cast<int32_t>(n)).toUTF8String(keyword);
    const auto found = std::find(keywords.begin(), keywords.end(), keyword);
    if (found != keywords.end()) return static_cast<uint8_t>(found - keywords.begin());
    keywords.push_back(std::move(keyword));  // CLDR has six categories at most
    return static_cast<uint8_t>(keywords.size() - 1);
  }
};

namespace {

constexpr size_t kMaxCatalogs = 64;

// `text` as a non-negative integer of at most nine ASCII digits (how RuleResult::Add writes
// counts); false for anything else ("1.5", "-1", "", "1e3").
bool SmallInteger(absl::string_view text, uint32_t* value) {
  if (text.empty() || text.size() > 9) return false;
  uint32_t n = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  *value = n;
  return true;
}

std::string Utf8(const icu::UnicodeString& text) {
  std::string out;
  text.toUTF8String(out);
  return out;
}

// Walks a MessagePattern's parts into CompiledMessage parts.
class PatternCompiler {
 public:
  PatternCompiler(const icu::UnicodeString& pattern, const icu::MessagePattern& parsed,
                  absl::Span<const std::string> param_names)
      : pattern_(pattern), parsed_(parsed), names_(param_names) {}

  // The message whose MSG_START is part `start`.
  absl::Status Message(int start, const CompiledMessage::Part* plural,
                       std::vector<CompiledMessage::Part>* out) {
    using Part = icu::MessagePattern::Part;
    int32_t prev = parsed_.getPart(start).getLimit();
    for (int i = start + 1;; ++i) {
      const Part& part = parsed_.getPart(i);
      Text(pattern_.tempSubStringBetween(prev, part.getIndex()), out);
      const UMessagePatternPartType type = part.getType();
      prev = part.getLimit();
      if (type == UMSGPAT_PART_TYPE_MSG_LIMIT) return absl::OkStatus();
      // INSERT_CHAR only marks where ICU's auto-quoting would add an apostrophe: the text
      // itself has it already, as MessageFormat::format prints it.
      if (type == UMSGPAT_PART_TYPE_SKIP_SYNTAX || type == UMSGPAT_PART_TYPE_INSERT_CHAR) continue;
      if (type == UMSGPAT_PART_TYPE_REPLACE_NUMBER) {
        CompiledMessage::Part& pound = out->emplace_back();
        pound.kind = CompiledMessage::Part::kPound;
        pound.param = plural->param;
        pound.offset = plural->offset;
        continue;
      }
      if (type != UMSGPAT_PART_TYPE_ARG_START) continue;
      const int limit = parsed_.getLimitPartIndex(i);
      absl::Status status = Argument(i, limit, out);
      if (!status.ok()) return status;
      prev = parsed_.getPart(limit).getLimit();
      i = limit;
    }
  }

  bool has_plural() const { return has_plural_; }
  bool has_ordinal() const { return has_ordinal_; }
  std::vector<std::pair<std::string, bool>>& categories() { return categories_; }

 private:
  static void Text(const icu::UnicodeString& text, std::vector<CompiledMessage::Part>* out) {
    if (text.isEmpty()) return;
    if (out->empty() || out->back().kind != CompiledMessage::Part::kText) {
      out->emplace_back().kind = CompiledMessage::Part::kText;
    }
    text.toUTF8String(out->back().text);
  }

  absl::Status Argument(int start, int limit, std::vector<CompiledMessage::Part>* out) {
    const icu::MessagePattern::Part& arg = parsed_.getPart(start);
    const icu::MessagePattern::Part& name_part = parsed_.getPart(start + 1);
    const std::string name = Utf8(parsed_.getSubstring(name_part));
    if (name_part.getType() != UMSGPAT_PART_TYPE_ARG_NAME) {
      return absl::InvalidArgumentError(absl::StrCat(
          "{", name, "}: arguments must be named (this code's parameters: ", Names(), ")"));
    }
    const auto found = std::find(names_.begin(), names_.end(), name);
    if (found == names_.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "{", name,
          "} is not a parameter of this code (it has: ", names_.empty() ? "none" : Names(), ")"));
    }
    CompiledMessage::Part part;
    part.param = static_cast<uint32_t>(found - names_.begin());
    const UMessagePatternArgType type = arg.getArgType();
    if (type == UMSGPAT_ARG_TYPE_NONE) {
      part.kind = CompiledMessage::Part::kArg;
      out->push_back(std::move(part));
      return absl::OkStatus();
    }
    const bool plural = UMSGPAT_ARG_TYPE_HAS_PLURAL_STYLE(type);
    if (!plural && type != UMSGPAT_ARG_TYPE_SELECT) {
      return absl::InvalidArgumentError(
          absl::StrCat("{", name,
                       ", ...}: only {name}, plural, selectordinal and select arguments are "
                       "supported"));
    }
    part.kind = plural ? CompiledMessage::Part::kPlural : CompiledMessage::Part::kSelect;
    part.ordinal = type == UMSGPAT_ARG_TYPE_SELECTORDINAL;
    if (plural) {
      has_plural_ = true;
      has_ordinal_ = has_ordinal_ || part.ordinal;
    }
    int i = start + 2;
    if (plural && icu::MessagePattern::Part::hasNumericValue(parsed_.getPart(i).getType())) {
      part.offset = parsed_.getNumericValue(parsed_.getPart(i));
      ++i;
    }
    std::vector<CompiledMessage::Branch> others;
    while (i < limit) {
      const std::string keyword = Utf8(parsed_.getSubstring(parsed_.getPart(i)));
      ++i;
      CompiledMessage::Branch branch;
      if (icu::MessagePattern::Part::hasNumericValue(parsed_.getPart(i).getType())) {
        branch.value = parsed_.getNumericValue(parsed_.getPart(i));
        ++i;
      } else {
        branch.keyword = keyword;
        if (plural && keyword != "other") categories_.emplace_back(keyword, part.ordinal);
      }
      absl::Status status = Message(i, plural ? &part : nullptr, &branch.parts);
      if (!status.ok()) return status;
      i = parsed_.getLimitPartIndex(i) + 1;
      // "other" goes last, so that rendering falls through to it.
      (keyword == "other" ? others : part.branches).push_back(std::move(branch));
    }
    for (CompiledMessage::Branch& other : others) part.branches.push_back(std::move(other));
    out->push_back(std::move(part));
    return absl::OkStatus();
  }

  std::string Names() const { return absl::StrJoin(names_, ", "); }

  const icu::UnicodeString& pattern_;
  const icu::MessagePattern& parsed_;
  const absl::Span<const std::string> names_;
  bool has_plural_ = false;
  bool has_ordinal_ = false;
  std::vector<std::pair<std::string, bool>> categories_;  // (category, ordinal) used
};

std::string Keywords(const icu::PluralRules& rules) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::StringEnumeration> keywords(rules.getKeywords(status));
  std::vector<std::string> out;
  if (U_SUCCESS(status)) {
    for (const char* k = keywords->next(nullptr, status); k != nullptr && U_SUCCESS(status);
         k = keywords->next(nullptr, status)) {
      out.emplace_back(k);
    }
  }
  std::sort(out.begin(), out.end());
  return absl::StrJoin(out, ", ");
}

}  // namespace

absl::StatusOr<CompiledMessage> CompiledMessage::Compile(absl::string_view pattern,
                                                         absl::Span<const std::string> param_names,
                                                         absl::string_view locale) {
  const icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(pattern.data(), static_cast<int32_t>(pattern.size())));
  UErrorCode status = U_ZERO_ERROR;
  UParseError parse_error{};
  icu::MessagePattern parsed(text, &parse_error, status);
  if (U_FAILURE(status)) {
    return absl::InvalidArgumentError(absl::StrCat("does not parse as ICU MessageFormat (",
                                                   u_errorName(status), " at offset ",
                                                   parse_error.offset, ")"));
  }
  CompiledMessage compiled;
  PatternCompiler compiler(text, parsed, param_names);
  if (absl::Status s = compiler.Message(0, nullptr, &compiled.parts_); !s.ok()) return s;
  if (compiler.has_plural()) {
    auto rules = std::make_shared<Rules>();
    const icu::Locale icu_locale = icu::Locale::forLanguageTag(
        icu::StringPiece(locale.data(), static_cast<int32_t>(locale.size())), status);
    if (U_SUCCESS(status)) {
      rules->cardinal.reset(icu::PluralRules::forLocale(icu_locale, UPLURAL_TYPE_CARDINAL, status));
    }
    if (U_SUCCESS(status)) {
      rules->ordinal.reset(icu::PluralRules::forLocale(icu_locale, UPLURAL_TYPE_ORDINAL, status));
    }
    if (U_FAILURE(status)) {
      return absl::InvalidArgumentError(
          absl::StrCat("no plural rules for locale ", locale, " (", u_errorName(status), ")"));
    }
    for (const auto& [category, ordinal] : compiler.categories()) {
      const icu::PluralRules& rules_of_kind = ordinal ? *rules->ordinal : *rules->cardinal;
      if (!rules_of_kind.isKeyword(icu::UnicodeString::fromUTF8(category))) {
        return absl::InvalidArgumentError(absl::StrCat(
            ordinal ? "selectordinal" : "plural", " category '", category, "' does not exist in ",
            locale, " (it has: ", Keywords(rules_of_kind), ")"));
      }
    }
    rules->Cache();
    compiled.rules_ = std::move(rules);
  }
  if (compiled.parts_.empty()) {
    compiled.parts_.emplace_back().kind = Part::kText;
  }
  compiled.literal_ = compiled.parts_.size() == 1 && compiled.parts_[0].kind == Part::kText;
  for (const Part& part : compiled.parts_) compiled.text_size_ += part.text.size();
  return compiled;
}

void CompiledMessage::Render(absl::Span<const absl::string_view> values, std::string* out) const {
  if (literal_) {
    out->append(parts_.front().text);
    return;
  }
  size_t size = out->size() + text_size_;
  for (absl::string_view value : values) size += value.size();
  out->reserve(size);
  RenderParts(parts_, values, out);
}

void CompiledMessage::RenderParts(const std::vector<Part>& parts,
                                  absl::Span<const absl::string_view> values,
                                  std::string* out) const {
  for (const Part& part : parts) {
    const absl::string_view value =
        part.param < values.size() ? values[part.param] : absl::string_view();
    switch (part.kind) {
      case Part::kText:
        out->append(part.text);
        break;
      case Part::kArg:
        out->append(value.data(), value.size());
        break;
      case Part::kPound: {
        double number = 0;
        if (part.offset == 0 || !absl::SimpleAtod(value, &number)) {
          out->append(value.data(), value.size());
        } else {
          absl::StrAppend(out, number - part.offset);
        }
        break;
      }
      case Part::kSelect: {
        const Branch* chosen = &part.branches.back();  // "other"
        for (const Branch& branch : part.branches) {
          if (branch.keyword == value) {
            chosen = &branch;
            break;
          }
        }
        RenderParts(chosen->parts, values, out);
        break;
      }
      case Part::kPlural: {
        const Branch* chosen = &part.branches.back();  // "other"
        uint32_t integer = 0;
        double number = 0;
        const bool small = SmallInteger(value, &integer);
        if (small) number = integer;
        if (small || (absl::SimpleAtod(value, &number) && std::isfinite(number))) {
          std::string computed;
          absl::string_view category;
          bool categorised = false;
          for (const Branch& branch : part.branches) {
            if (branch.keyword.empty()) {  // "=N" is compared before the offset
              if (branch.value == number) {
                chosen = &branch;
                break;
              }
              continue;
            }
            if (!categorised) {
              const double shifted = number - part.offset;
              if (small && shifted >= 0 && shifted < Rules::kCachedNumbers &&
                  shifted == std::floor(shifted)) {
                const uint32_t n = static_cast<uint32_t>(shifted);
                category =
                    rules_->keywords[part.ordinal ? rules_->ordinal_of[n] : rules_->cardinal_of[n]];
              } else {
                // PluralRules::select is const and keeps no state: safe from many threads.
                const icu::PluralRules& rules = part.ordinal ? *rules_->ordinal : *rules_->cardinal;
                rules.select(shifted).toUTF8String(computed);
                category = computed;
              }
              categorised = true;
            }
            if (branch.keyword == category) {
              chosen = &branch;
              break;
            }
          }
        }
        RenderParts(chosen->parts, values, out);
        break;
      }
    }
  }
}

MessageCatalogs MessageCatalogs::Compile(
    const google::protobuf::RepeatedPtrField<v1::MessageCatalog>& catalogs,
    absl::Span<const FindingCode* const> codes, ConfigErrors* errors) {
  MessageCatalogs out;
  out.code_count_ = codes.size();
  for (size_t i = 0; i < codes.size(); ++i) {
    out.numbers_.emplace(codes[i]->code, static_cast<uint32_t>(i));
  }
  if (static_cast<size_t>(catalogs.size()) > kMaxCatalogs) {
    errors->Add("catalogs", absl::StrCat("at most ", kMaxCatalogs, " catalogs"));
    return out;
  }
  out.entries_.resize(catalogs.size() * codes.size());
  int english = -1;
  for (int c = 0; c < catalogs.size(); ++c) {
    const v1::MessageCatalog& catalog = catalogs.Get(c);
    std::string lower = absl::AsciiStrToLower(catalog.locale());
    std::replace(lower.begin(), lower.end(), '_', '-');
    if (!IsWellFormedLanguageTag(catalog.locale())) {
      errors->Add(absl::StrCat("catalogs[", c, "].locale"),
                  absl::StrCat("\"", catalog.locale(), "\" is not a well-formed BCP 47 tag"));
    } else if (out.Catalog(lower) >= 0) {
      errors->Add(absl::StrCat("catalogs[", catalog.locale(), "].locale"),
                  "another catalog has this locale");
    }
    if (lower == "en" && english < 0) english = c;
    out.locales_.push_back(std::move(lower));
  }
  if (english < 0) {
    errors->Add("catalogs", "must have an \"en\" catalog with an entry for every code");
    return out;
  }
  out.english_ = static_cast<uint16_t>(english);
  // English first: the other catalogs' advice is checked against it.
  std::vector<int> order = {english};
  for (int c = 0; c < catalogs.size(); ++c) {
    if (c != english) order.push_back(c);
  }
  std::vector<bool> given(codes.size());  // codes the en catalog has an entry for, even a bad one
  for (int c : order) {
    const v1::MessageCatalog& catalog = catalogs.Get(c);
    const std::string path = absl::StrCat("catalogs[", catalog.locale(), "]");
    for (int e = 0; e < catalog.entries_size(); ++e) {
      const v1::CatalogEntry& source = catalog.entries(e);
      const std::string entry_path = absl::StrCat(path, ".entries[", source.code(), "]");
      const auto number = out.numbers_.find(source.code());
      if (number == out.numbers_.end()) {
        errors->Add(absl::StrCat(path, ".entries[", e, "].code"),
                    absl::StrCat("no rule emits \"", source.code(), "\""));
        continue;
      }
      const FindingCode& code = *codes[number->second];
      if (c == english) given[number->second] = true;
      Entry& entry = out.entries_[c * out.code_count_ + number->second];
      if (entry.present) {
        errors->Add(entry_path, "another entry of this catalog has this code");
        continue;
      }
      if (absl::StripAsciiWhitespace(source.message()).empty()) {
        errors->Add(entry_path + ".message", "must not be blank");
        continue;
      }
      const Entry& en = out.entries_[english * out.code_count_ + number->second];
      if (c != english && en.present && en.advice.empty() != source.advice().empty()) {
        errors->Add(entry_path + ".advice", en.advice.empty()
                                                ? "must be empty: the en entry has no advice"
                                                : "must be set: the en entry has advice");
        continue;
      }
      bool ok = true;
      absl::StatusOr<CompiledMessage> message =
          CompiledMessage::Compile(source.message(), code.params, catalog.locale());
      if (!message.ok()) {
        errors->Add(entry_path + ".message", message.status().message());
        ok = false;
      }
      absl::StatusOr<CompiledMessage> advice;
      if (!source.advice().empty()) {
        advice = CompiledMessage::Compile(source.advice(), code.params, catalog.locale());
        if (!advice.ok()) {
          errors->Add(entry_path + ".advice", advice.status().message());
          ok = false;
        }
      }
      if (!ok) continue;
      entry.present = true;
      entry.message = *std::move(message);
      if (!source.advice().empty()) entry.advice = *std::move(advice);
    }
  }
  std::vector<absl::string_view> missing;
  for (size_t i = 0; i < codes.size(); ++i) {
    if (!given[i]) missing.push_back(codes[i]->code);
  }
  if (!missing.empty()) {
    errors->Add(absl::StrCat("catalogs[", catalogs.Get(english).locale(), "]"),
                absl::StrCat("has no entry for ", absl::StrJoin(missing, ", ")));
  }
  return out;
}

int MessageCatalogs::Catalog(absl::string_view lower_locale) const {
  for (size_t i = 0; i < locales_.size(); ++i) {
    if (locales_[i] == lower_locale) return static_cast<int>(i);
  }
  return -1;
}

LocaleChain MessageCatalogs::Resolve(absl::string_view locale) const {
  LocaleChain chain;
  if (!locale.empty() && locale.size() <= 64) {
    char buffer[64];
    for (size_t i = 0; i < locale.size(); ++i) {
      const char c = absl::ascii_tolower(static_cast<unsigned char>(locale[i]));
      buffer[i] = c == '_' ? '-' : c;
    }
    absl::string_view tag(buffer, locale.size());
    while (!tag.empty() && chain.size < 3) {
      const int found = Catalog(tag);
      if (found == english_) break;  // English comes last anyway
      if (found >= 0) chain.catalogs[chain.size++] = static_cast<uint16_t>(found);
      const size_t dash = tag.rfind('-');
      if (dash == absl::string_view::npos) break;
      tag = tag.substr(0, dash);
    }
  }
  chain.catalogs[chain.size++] = english_;
  return chain;
}

const MessageCatalogs::Entry& MessageCatalogs::Find(const LocaleChain& chain, uint32_t code) const {
  for (uint8_t i = 0; i + 1 < chain.size; ++i) {
    const Entry& entry = entries_[chain.catalogs[i] * code_count_ + code];
    if (entry.present) return entry;
  }
  return entries_[english_ * code_count_ + code];
}

int MessageCatalogs::Number(absl::string_view code) const {
  const auto found = numbers_.find(code);
  return found == numbers_.end() ? -1 : static_cast<int>(found->second);
}

}  // namespace etiquette
