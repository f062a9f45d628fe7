#pragma once

#include "absl/strings/string_view.h"
#include "evaluator/note_text.h"

namespace etiquette {

// What IdentifyLanguage found: a BCP 47 tag ("de", "ja", "zh-Hans"; a static string) and how
// sure it is, in [0, 1]. An empty tag (confidence 0) when the text is too short or has no
// letters to tell.
struct LanguageGuess {
  absl::string_view language;
  double confidence = 0;
};

// The language of a short text (an invitation note), in well under a microsecond for a typical
// note. Two steps (see docs/language-packs.md for why not CLD2):
//  - the writing system decides where it is specific: kana -> "ja", Han alone -> "zh-Hans" (or
//    "zh-Hant" when traditional-only characters dominate), Hangul -> "ko", Arabic -> "ar",
//    Hebrew -> "he", Thai -> "th", Greek -> "el", Devanagari -> "hi", Cyrillic -> "ru" (lower
//    confidence: uk, bg, sr share it); confidence is the share of letters in that script;
//  - Latin-script text is scored by its function words (articles, pronouns, prepositions:
//    the most frequent words of en, de, fr, es, pt, it, nl), confidence growing with the lead
//    of the best language over the second: 1 - exp(-lead / 2).
// `words` are the text's NoteWords (case-folded).
LanguageGuess IdentifyLanguage(absl::string_view text, WordSpan words);

// The primary language subtag of a BCP 47 tag (a view into it): "de" for "de-DE", "zh" for
// "zh-Hans"; empty for an empty tag.
absl::string_view PrimaryLanguage(absl::string_view tag);

// Longest language tag accepted (RFC 5646 section 4.4.1 asks implementations to support at
// least 35 characters; real locales are far shorter).
inline constexpr size_t kMaxLanguageTagBytes = 35;

// True when `tag` is a well-formed BCP 47 language tag (RFC 5646 section 2.1: language with
// optional extlang, script, region, variants, extensions and private use; or a private-use tag
// "x-..."), ASCII letters, digits and '-' only, at most kMaxLanguageTagBytes. Grandfathered
// tags ("i-klingon") are refused.
bool IsWellFormedLanguageTag(absl::string_view tag);

// True when the two tags name the same language (same primary subtag, ASCII case ignored).
bool SameLanguage(absl::string_view a, absl::string_view b);

}  // namespace etiquette
