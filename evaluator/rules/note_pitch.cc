#include "evaluator/rules/note_pitch.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "evaluator/note_text.h"

namespace etiquette {

NotePitchRule::NotePitchRule(v1::NotePitchConfig config, double pitch_weight)
    : ConfiguredRule("note-pitch",
                     "The note does not sell: no sales language (pitch_terms) and, with "
                     "flag_links, no http(s) links.",
                     std::move(config)),
      pitch_weight_(pitch_weight) {
  for (const std::string& term : config_.pitch_terms()) {
    auto words = NormalizedWords(term);
    if (!words.empty()) pitch_terms_.push_back(std::move(words));
  }
}

void NotePitchRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  const std::string& note = context.invitation.note();
  bool link = false;
  if (config_.flag_links()) {
    const std::string lower = absl::AsciiStrToLower(note);
    link = absl::StrContains(lower, "http://") || absl::StrContains(lower, "https://");
  }
  bool sales = false;
  if (!link && !pitch_terms_.empty()) {
    const std::vector<std::string>& words = context.note_words;
    for (const auto& term : pitch_terms_) {
      if (ContainsPhrase(words, term)) {
        sales = true;
        break;
      }
    }
  }
  if (!link && !sales) return;
  result->Add(v1::SEVERITY_ADVICE, v1::DECISION_SEND,
              link ? "The note contains a link." : "The note uses sales language.",
              "Don't pitch in an invitation: connect first, and keep offers and links for "
              "later, if the recipient asks.");
  result->logit += pitch_weight_;
}

}  // namespace etiquette
