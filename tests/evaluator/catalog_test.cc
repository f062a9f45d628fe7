// The findings' message catalogs: the shipped ones are complete and use every parameter,
// MessageFormat renders (plural, select), the locale chain falls back, and a bad catalog is
// refused with the locale, the code and the reason.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "evaluator/config.h"
#include "evaluator/message_catalog.h"
#include "evaluator/rules_engine.h"
#include "gtest/gtest.h"
#include "unicode/locid.h"
#include "unicode/plurrule.h"
#include "unicode/strenum.h"

namespace etiquette {
namespace {

const std::vector<std::string> kShipped = {"en", "de", "fr", "es", "ja"};

const v1::CatalogEntry* EntryOf(const v1::MessageCatalog& catalog, const std::string& code) {
  for (const v1::CatalogEntry& entry : catalog.entries()) {
    if (entry.code() == code) return &entry;
  }
  return nullptr;
}

TEST(CatalogTest, EveryCodeHasTextsInEveryShippedCatalog) {
  const v1::EvaluatorConfig config = DefaultEvaluatorConfig();
  ASSERT_EQ(config.catalogs_size(), static_cast<int>(kShipped.size()));
  const v1::MessageCatalog& en = config.catalogs(0);
  ASSERT_EQ(en.locale(), "en");
  EXPECT_EQ(AllFindingCodes().size(), 33u);  // a new code must come with its texts
  for (const v1::MessageCatalog& catalog : config.catalogs()) {
    EXPECT_NE(std::find(kShipped.begin(), kShipped.end(), catalog.locale()), kShipped.end());
    for (const FindingCode* code : AllFindingCodes()) {
      const v1::CatalogEntry* entry = EntryOf(catalog, code->code);
      ASSERT_NE(entry, nullptr) << catalog.locale() << " " << code->code;
      EXPECT_FALSE(entry->message().empty()) << catalog.locale() << " " << code->code;
      EXPECT_EQ(entry->advice().empty(), EntryOf(en, code->code)->advice().empty())
          << catalog.locale() << " " << code->code;
      // Every parameter appears as an argument in the message or the advice.
      for (const std::string& param : code->params) {
        const std::string plain = "{" + param + "}";
        const std::string typed = "{" + param + ",";
        const std::string text = entry->message() + " " + entry->advice();
        EXPECT_TRUE(absl::StrContains(text, plain) || absl::StrContains(text, typed))
            << catalog.locale() << " " << code->code << " does not use " << param;
      }
    }
  }
}

std::string Render(const std::string& pattern, const std::vector<std::string>& names,
                   const std::vector<absl::string_view>& values, const std::string& locale) {
  absl::StatusOr<CompiledMessage> compiled = CompiledMessage::Compile(pattern, names, locale);
  if (!compiled.ok()) return std::string(compiled.status().message());
  std::string out;
  compiled->Render(values, &out);
  return out;
}

TEST(CatalogTest, PluralAndSelectRender) {
  const std::string advice =
      "Shorten the note to {limit, plural, one {# character} other {# "
      "characters}} or fewer.";
  EXPECT_EQ(Render(advice, {"limit"}, {"1"}, "en"), "Shorten the note to 1 character or fewer.");
  EXPECT_EQ(Render(advice, {"limit"}, {"200"}, "en"),
            "Shorten the note to 200 characters or fewer.");
  // Japanese has only "other".
  EXPECT_EQ(Render("{limit, plural, other {#文字}}以内", {"limit"}, {"1"}, "ja"), "1文字以内");
  // French "one" covers 0 and 1.
  const std::string fr = "{n, plural, one {# groupe} other {# groupes}}";
  EXPECT_EQ(Render(fr, {"n"}, {"0"}, "fr"), "0 groupe");
  EXPECT_EQ(Render(fr, {"n"}, {"2"}, "fr"), "2 groupes");
  EXPECT_EQ(Render("{n, plural, =0 {none} one {one} other {#}}", {"n"}, {"0"}, "en"), "none");
  const std::string tier = "for {tier, select, premium {premium} other {free}} senders";
  EXPECT_EQ(Render(tier, {"tier"}, {"premium"}, "en"), "for premium senders");
  EXPECT_EQ(Render(tier, {"tier"}, {"free"}, "en"), "for free senders");
  // Apostrophes: literal unless they quote syntax.
  EXPECT_EQ(Render("The sender's '{x}' it''s", {"x"}, {"v"}, "en"), "The sender's {x} it's");
}

// Small integers take categories chosen once at compile time; every number must still get the
// category ICU's PluralRules gives it, below and above that cache, cardinal and ordinal, in
// locales with two to six categories, with and without an offset.
TEST(CatalogTest, PluralCategoriesAreIcusForEveryNumber) {
  for (const char* locale : {"en", "de", "fr", "ja", "ru", "pl", "ar", "cy"}) {
    for (const UPluralType type : {UPLURAL_TYPE_CARDINAL, UPLURAL_TYPE_ORDINAL}) {
      UErrorCode status = U_ZERO_ERROR;
      std::unique_ptr<icu::PluralRules> rules(
          icu::PluralRules::forLocale(icu::Locale(locale), type, status));
      ASSERT_TRUE(U_SUCCESS(status)) << locale;
      std::unique_ptr<icu::StringEnumeration> keywords(rules->getKeywords(status));
      std::string branches;
      while (const char* keyword = keywords->next(nullptr, status)) {
        absl::StrAppend(&branches, " ", keyword, " {", keyword, "}");
      }
      const char* kind = type == UPLURAL_TYPE_ORDINAL ? "selectordinal" : "plural";
      for (const int offset : {0, 1}) {
        const std::string pattern =
            absl::StrCat("{n, ", kind, ",", offset ? " offset:1" : "", branches, "}");
        absl::StatusOr<CompiledMessage> compiled = CompiledMessage::Compile(pattern, {"n"}, locale);
        ASSERT_TRUE(compiled.ok()) << compiled.status();
        for (int n = 0; n <= 1100; ++n) {
          std::string expected;
          rules->select(static_cast<double>(n - offset)).toUTF8String(expected);
          const std::string value = absl::StrCat(n);
          const absl::string_view values[] = {value};
          std::string rendered;
          compiled->Render(values, &rendered);
          ASSERT_EQ(rendered, expected)
              << locale << " " << kind << " offset " << offset << " n " << n;
        }
      }
    }
  }
}

TEST(CatalogTest, ShippedNoteLengthRendersInEachLanguage) {
  ConfigErrors errors;
  const MessageCatalogs& catalogs = DefaultMessageCatalogs();
  const int code = catalogs.Number("note-length.over-limit");
  ASSERT_GE(code, 0);
  const std::vector<absl::string_view> values = {"301", "1", "premium"};
  std::string out;
  catalogs.Find(catalogs.Resolve("en"), code).advice.Render(values, &out);
  EXPECT_EQ(out, "Shorten the note to 1 character or fewer.");
  out.clear();
  catalogs.Find(catalogs.Resolve("ja-JP"), code).advice.Render(values, &out);
  EXPECT_EQ(out, "メッセージを1文字以内に短くしてください。");
  out.clear();
  catalogs.Find(catalogs.Resolve("de"), code).message.Render(values, &out);
  EXPECT_EQ(out, "Die Nachricht hat 301 Zeichen; die Grenze für Premium-Mitglieder liegt bei 1.");
}

TEST(CatalogTest, LocaleChainFallsBack) {
  const MessageCatalogs& catalogs = DefaultMessageCatalogs();
  const auto chain = [&](absl::string_view locale) {
    std::vector<std::string> out;
    const LocaleChain resolved = catalogs.Resolve(locale);
    for (int i = 0; i < resolved.size; ++i) {
      out.push_back(catalogs.locales()[resolved.catalogs[i]]);
    }
    return out;
  };
  EXPECT_EQ(chain("de-CH"), (std::vector<std::string>{"de", "en"}));
  EXPECT_EQ(chain("DE"), (std::vector<std::string>{"de", "en"}));
  EXPECT_EQ(chain("pt"), (std::vector<std::string>{"en"}));
  EXPECT_EQ(chain("pt-BR"), (std::vector<std::string>{"en"}));
  EXPECT_EQ(chain(""), (std::vector<std::string>{"en"}));
  EXPECT_EQ(chain("en-GB"), (std::vector<std::string>{"en"}));
  EXPECT_EQ(chain("ja-Jpan-JP"), (std::vector<std::string>{"ja", "en"}));
}

// A partial catalog falls back to English per code.
TEST(CatalogTest, PartialCatalogFallsBackToEnglishPerCode) {
  v1::EvaluatorConfig config = DefaultEvaluatorConfig();
  v1::MessageCatalog& pt = *config.add_catalogs();
  pt.set_locale("pt");
  v1::CatalogEntry& entry = *pt.add_entries();
  entry.set_code("personal-note.personal");
  entry.set_message("A nota é pessoal.");
  ASSERT_TRUE(ValidateEvaluatorConfig(config).ok()) << ValidateEvaluatorConfig(config);
  ConfigErrors errors;
  const MessageCatalogs catalogs =
      MessageCatalogs::Compile(config.catalogs(), AllFindingCodes(), &errors);
  const LocaleChain chain = catalogs.Resolve("pt-BR");
  EXPECT_EQ(*catalogs.Find(chain, catalogs.Number("personal-note.personal")).message.literal(),
            "A nota é pessoal.");
  EXPECT_EQ(
      *catalogs.Find(chain, catalogs.Number("personal-note.known-personal")).message.literal(),
      "The note is personal.");
}

// The error of `config` with one entry of catalog `locale` changed by `edit`.
std::string ErrorWith(const std::string& locale, const std::string& code,
                      void (*edit)(v1::CatalogEntry*)) {
  v1::EvaluatorConfig config = DefaultEvaluatorConfig();
  for (v1::MessageCatalog& catalog : *config.mutable_catalogs()) {
    if (catalog.locale() != locale) continue;
    for (v1::CatalogEntry& entry : *catalog.mutable_entries()) {
      if (entry.code() == code) edit(&entry);
    }
  }
  return std::string(ValidateEvaluatorConfig(config).message());
}

TEST(CatalogTest, BadCatalogsAreRefusedWithLocaleCodeAndReason) {
  EXPECT_EQ(ErrorWith("de", "note-length.over-limit",
                      [](v1::CatalogEntry* e) { e->set_message("Zu lang: {length"); }),
            "catalogs[de].entries[note-length.over-limit].message: does not parse as ICU "
            "MessageFormat (U_UNMATCHED_BRACES at offset 0)");
  EXPECT_EQ(ErrorWith("fr", "note-length.over-limit",
                      [](v1::CatalogEntry* e) { e->set_advice("Au plus {width}."); }),
            "catalogs[fr].entries[note-length.over-limit].advice: {width} is not a parameter "
            "of this code (it has: length, limit, tier)");
  EXPECT_EQ(ErrorWith("es", "personal-note.personal",
                      [](v1::CatalogEntry* e) { e->set_code("personal-note.nonsense"); }),
            "catalogs[es].entries[3].code: no rule emits \"personal-note.nonsense\"");
  EXPECT_EQ(ErrorWith("en", "after-interview.hired",
                      [](v1::CatalogEntry* e) { e->set_code("personal-note.personal"); }),
            "catalogs[en].entries[personal-note.personal]: another entry of this catalog has "
            "this code; catalogs[en]: has no entry for after-interview.hired");
  EXPECT_EQ(
      ErrorWith("ja", "weekly-limit.reached", [](v1::CatalogEntry* e) { e->set_message("{0}件"); }),
      "catalogs[ja].entries[weekly-limit.reached].message: {0}: arguments must be named "
      "(this code's parameters: sent, limit)");
  EXPECT_EQ(ErrorWith("de", "weekly-limit.reached",
                      [](v1::CatalogEntry* e) { e->set_message("{sent, number} Einladungen"); }),
            "catalogs[de].entries[weekly-limit.reached].message: {sent, ...}: only {name}, "
            "plural, selectordinal and select arguments are supported");
  EXPECT_EQ(ErrorWith("en", "weekly-limit.reached",
                      [](v1::CatalogEntry* e) {
                        e->set_message("{sent, plural, few {#} other {#}} invitations");
                      }),
            "catalogs[en].entries[weekly-limit.reached].message: plural category 'few' does "
            "not exist in en (it has: one, other)");
  EXPECT_EQ(ErrorWith("de", "after-interview.hired",
                      [](v1::CatalogEntry* e) { e->set_advice("Glückwunsch."); }),
            "catalogs[de].entries[after-interview.hired].advice: must be empty: the en entry "
            "has no advice");
  EXPECT_EQ(ErrorWith("de", "note-pitch.link", [](v1::CatalogEntry* e) { e->set_message(" "); }),
            "catalogs[de].entries[note-pitch.link].message: must not be blank");

  v1::EvaluatorConfig no_english = DefaultEvaluatorConfig();
  no_english.mutable_catalogs()->DeleteSubrange(0, 1);
  EXPECT_EQ(ValidateEvaluatorConfig(no_english).message(),
            "catalogs: must have an \"en\" catalog with an entry for every code");
  v1::EvaluatorConfig twice = DefaultEvaluatorConfig();
  twice.mutable_catalogs(1)->set_locale("EN");
  EXPECT_EQ(ValidateEvaluatorConfig(twice).message(),
            "catalogs[EN].locale: another catalog has this locale");
}

// The same through a config file, as --check-config loads it.
TEST(CatalogTest, ConfigFileWithABadCatalogIsRefused) {
  absl::StatusOr<v1::EvaluatorConfig> parsed = ParseEvaluatorConfig(
      "catalogs:\n  - locale: en\n    entries:\n      - code: note-pitch.link\n"
      "        message: \"A link.\"\n        advice: \"No links.\"\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(parsed.status().message(),
                               "catalogs[en]: has no entry for personal-note.missing, "))
      << parsed.status();
}

}  // namespace
}  // namespace etiquette
