#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "etiquette/v1/evaluator_config.pb.h"
#include "evaluator/note_text.h"
#include "evaluator/pitch_patterns.h"

namespace etiquette {

// One language's phrases, each normalised once (NoteWords) when the config is loaded.
struct PhrasePack {
  template <typename Texts>
  static std::vector<std::string> Joined(const Texts& texts) {
    std::vector<std::string> out;
    for (const auto& text : texts) {
      const NoteWords words(text);
      if (!words.joined().empty()) out.emplace_back(words.joined());
    }
    return out;
  }
  explicit PhrasePack(const v1::LanguagePack& pack)
      : language(pack.language()),
        stock_notes(pack.stock_notes()),
        greetings(pack.greetings()),
        signoffs(pack.signoffs()),
        reason_cues(pack.reason_cues()),
        pitch_terms(pack.pitch_terms()),
        pitch_patterns(pack.pitch_patterns()),
        name_suffixes(Joined(pack.name_suffixes())) {}

  std::string language;  // BCP 47, as configured
  PhraseList stock_notes;
  PhraseList greetings;
  PhraseList signoffs;
  PhraseList reason_cues;
  PhraseList pitch_terms;
  PitchPatterns pitch_patterns;
  std::vector<std::string> name_suffixes;  // normalised, words joined
};

// The packs that apply to one note, at most one per language.
using PackSet = absl::InlinedVector<const PhrasePack*, 4>;

// The config's language packs. Immutable and thread-safe once built.
class LanguagePacks {
 public:
  explicit LanguagePacks(const google::protobuf::RepeatedPtrField<v1::LanguagePack>& packs);

  // The pack for a BCP 47 tag: the one with exactly that tag (ASCII case ignored), else the
  // first whose primary language is the tag's; nullptr when none or the tag is empty.
  const PhrasePack* Find(absl::string_view tag) const;

  // The packs a note is checked against: its detected language's, the sender's locale's and
  // English's, each once, in that order.
  PackSet Select(absl::string_view note_language, absl::string_view sender_locale) const;

  size_t size() const { return packs_.size(); }

 private:
  std::vector<std::unique_ptr<const PhrasePack>> packs_;
  const PhrasePack* english_ = nullptr;
};

}  // namespace etiquette
