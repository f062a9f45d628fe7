#include "evaluator/rules/note_pitch.h"

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace etiquette {
namespace {

// True when `text` contains "http://" or "https://" in any ASCII case. Finds "://" first, so
// the usual note is one memchr-speed pass and no copy.
bool ContainsHttpLink(absl::string_view text) {
  constexpr absl::string_view kSeparator = "://";
  for (size_t at = text.find(kSeparator); at != absl::string_view::npos;
       at = text.find(kSeparator, at + 1)) {
    const absl::string_view before = text.substr(0, at);
    if (absl::EndsWithIgnoreCase(before, "http") || absl::EndsWithIgnoreCase(before, "https")) {
      return true;
    }
  }
  return false;
}

}  // namespace

NotePitchRule::NotePitchRule(v1::NotePitchConfig config, double pitch_weight)
    : ConfiguredRule("note-pitch",
                     "The note does not sell: no sales language (pitch_terms, pitch_patterns, and "
                     "the language packs' pitch_terms and pitch_patterns) and, with flag_links, no "
                     "http(s) links.",
                     std::move(config)),
      pitch_weight_(pitch_weight),
      pitch_terms_(config_.pitch_terms()),
      pitch_patterns_(config_.pitch_patterns()) {}

NotePitch NotePitchRule::Detect(const RuleContext& context) const {
  NotePitch found;
  found.link = config_.flag_links() && ContainsHttpLink(context.invitation.note());
  found.sales_language =
      pitch_terms_.FoundIn(context.note_words) ||
      (context.note_shapes != nullptr ? context.note_shapes->pitch
                                      : pitch_patterns_.FoundIn(context.note_words));
  for (size_t i = 0; !found.sales_language && i < context.packs.size(); ++i) {
    found.sales_language = context.packs[i]->pitch_terms.FoundIn(context.note_words) ||
                           context.packs[i]->pitch_patterns.FoundIn(context.note_words);
  }
  return found;
}

void NotePitchRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  const NotePitch found =
      context.note_flaws != nullptr ? context.note_flaws->pitch : Detect(context);
  if (!found.link && !found.sales_language) return;
  // One finding: the link when there is one (the more specific advice).
  result->Add(v1::SEVERITY_ADVICE, v1::DECISION_SEND, found.link ? link_ : sales_language_);
  result->logit += pitch_weight_;
}

}  // namespace etiquette
