#include "evaluator/language_id.h"

#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace etiquette {
namespace {

// Latin-script languages told apart by function words, in bit order.
constexpr std::array<absl::string_view, 7> kLatinLanguages = {"en", "de", "fr", "es",
                                                              "pt", "it", "nl"};
constexpr size_t kLatinCount = kLatinLanguages.size();

// The most frequent function words of each language (articles, pronouns, prepositions,
// conjunctions, auxiliaries, the usual greetings and thanks), after NoteWords' folding and
// apostrophe removal. Drawn from the Snowball project's stop word lists
// (snowballstem.org/algorithms/*/stop.txt, BSD licence) and cut to words of at most 8 bytes.
struct FunctionWords {
  size_t language;
  const char* const* words;
  size_t count;
};
constexpr const char* kEnglish[] = {
    "the",   "and", "to",    "of",    "i",    "you",  "your",  "in",     "is",  "it",
    "that",  "for", "on",    "with",  "at",   "be",   "this",  "have",   "are", "would",
    "like",  "we",  "my",    "me",    "was",  "will", "as",    "from",   "an",  "our",
    "about", "not", "but",   "can",   "do",   "hi",   "hello", "thanks", "im",  "id",
    "ive",   "its", "youre", "there", "they", "what", "been",  "very",   "also"};
constexpr const char* kGerman[] = {"der",
                                   "die",
                                   "das",
                                   "und",
                                   "ich",
                                   "sie",
                                   "ihr",
                                   "ihre",
                                   "ihren",
                                   "ihrem",
                                   "zu",
                                   "mit",
                                   "den",
                                   "dem",
                                   "ist",
                                   "ein",
                                   "eine",
                                   "einen",
                                   "nicht",
                                   "auf",
                                   "f\xC3\xBCr",
                                   "von",
                                   "wir",
                                   "uns",
                                   "mich",
                                   "mir",
                                   "gerne",
                                   "gern",
                                   "w\xC3\xBCrde",
                                   "sich",
                                   "auch",
                                   "es",
                                   "im",
                                   "bei",
                                   "\xC3\xBC"
                                   "ber",
                                   "hallo",
                                   "liebe",
                                   "lieber",
                                   "gr\xC3\xBC\xC3\x9F"
                                   "e",
                                   "vielen",
                                   "dank",
                                   "dass",
                                   "habe",
                                   "ihnen",
                                   "mein",
                                   "meine",
                                   "sehr",
                                   "wie",
                                   "noch"};
constexpr const char* kFrench[] = {
    "le",  "la",   "les",   "et",  "je",   "vous",    "votre",       "vos",      "de",    "des",
    "du",  "un",   "une",   "est", "que",  "qui",     "pour",        "avec",     "sur",   "dans",
    "pas", "nous", "mon",   "ma",  "mes",  "bonjour", "serait",      "aimerais", "merci", "au",
    "aux", "ce",   "cette", "jai", "suis", "mais",    "tr\xC3\xA8s", "votre",    "ai",    "vu"};
constexpr const char* kSpanish[] = {"el",
                                    "la",
                                    "los",
                                    "las",
                                    "y",
                                    "de",
                                    "que",
                                    "en",
                                    "un",
                                    "una",
                                    "es",
                                    "por",
                                    "para",
                                    "con",
                                    "su",
                                    "sus",
                                    "me",
                                    "mi",
                                    "nos",
                                    "le",
                                    "gustar\xC3\xAD"
                                    "a",
                                    "hola",
                                    "saludos",
                                    "tu",
                                    "tus",
                                    "usted",
                                    "del",
                                    "al",
                                    "muy",
                                    "gracias",
                                    "estoy",
                                    "ser\xC3\xAD"
                                    "a",
                                    "como",
                                    "pero",
                                    "he",
                                    "tu",
                                    "mucho",
                                    "est\xC3\xA1"};
constexpr const char* kPortuguese[] = {"o",
                                       "os",
                                       "a",
                                       "as",
                                       "e",
                                       "de",
                                       "que",
                                       "em",
                                       "um",
                                       "uma",
                                       "\xC3\xA9",
                                       "para",
                                       "com",
                                       "n\xC3\xA3o",
                                       "no",
                                       "na",
                                       "nos",
                                       "do",
                                       "da",
                                       "dos",
                                       "das",
                                       "seu",
                                       "sua",
                                       "voc\xC3\xAA",
                                       "ol\xC3\xA1",
                                       "gostaria",
                                       "obrigado",
                                       "obrigada",
                                       "meu",
                                       "minha",
                                       "abra\xC3\xA7o",
                                       "muito",
                                       "estou",
                                       "sobre",
                                       "mas",
                                       "tamb\xC3\xA9m"};
constexpr const char* kItalian[] = {
    "il",       "lo",    "la",     "gli",    "le",     "e",     "di",  "che",    "un",  "una",
    "\xC3\xA8", "per",   "con",    "non",    "del",    "della", "dei", "mi",     "ti",  "sono",
    "ciao",     "salve", "vorrei", "grazie", "saluti", "suo",   "sua", "tuo",    "tua", "nel",
    "nella",    "anche", "molto",  "ho",     "sul",    "alla",  "al",  "piacere"};
constexpr const char* kDutch[] = {
    "de",   "het", "een",  "en",     "van",         "ik",      "je",      "jij", "u",    "uw",
    "jouw", "is",  "dat",  "die",    "niet",        "met",     "voor",    "op",  "te",   "zijn",
    "wij",  "we",  "mijn", "graag",  "hallo",       "groeten", "bedankt", "ook", "naar", "maar",
    "wil",  "zou", "heb",  "jullie", "kennismaken", "werk",    "heel"};
constexpr FunctionWords kFunctionWords[] = {{0, kEnglish, std::size(kEnglish)},
                                            {1, kGerman, std::size(kGerman)},
                                            {2, kFrench, std::size(kFrench)},
                                            {3, kSpanish, std::size(kSpanish)},
                                            {4, kPortuguese, std::size(kPortuguese)},
                                            {5, kItalian, std::size(kItalian)},
                                            {6, kDutch, std::size(kDutch)}};

constexpr size_t kMaxKeyBytes = 8;

// Open addressing over the packed words (PackShortWord: a word of 1 to kMaxKeyBytes bytes, the
// rest 0, so the key tells the length too): one multiply and usually one probe per note word.
class FunctionWordTable {
 public:
  FunctionWordTable() {
    for (const FunctionWords& list : kFunctionWords) {
      for (size_t i = 0; i < list.count; ++i) {
        const absl::string_view word = list.words[i];
        if (word.empty() || word.size() > kMaxKeyBytes) continue;
        const uint64_t key = PackShortWord(word);
        Slot& slot = Find(key);
        slot.key = key;
        slot.languages |= uint8_t{1} << list.language;
      }
    }
  }
  // Bit i set: the word is a function word of kLatinLanguages[i].
  uint8_t Languages(absl::string_view word) const {
    if (word.empty() || word.size() > kMaxKeyBytes) return 0;
    const uint64_t key = PackShortWord(word);
    for (size_t at = Hash(key);; at = (at + 1) & (kSize - 1)) {
      if (slots_[at].key == key) return slots_[at].languages;
      if (slots_[at].key == 0) return 0;
    }
  }

 private:
  static constexpr size_t kSize = 1024;  // a power of two, well over the words listed
  struct Slot {
    uint64_t key = 0;
    uint8_t languages = 0;
  };
  static size_t Hash(uint64_t key) { return (key * 0x9E3779B97F4A7C15ULL) >> 54; }
  Slot& Find(uint64_t key) {
    for (size_t at = Hash(key);; at = (at + 1) & (kSize - 1)) {
      if (slots_[at].key == key || slots_[at].key == 0) return slots_[at];
    }
  }
  std::array<Slot, kSize> slots_{};
};

const FunctionWordTable& Table() {
  static const FunctionWordTable* const table = new FunctionWordTable();
  return *table;
}

// The first words of a note are enough to tell its language.
constexpr size_t kMaxWordsScored = 40;
constexpr int kEnoughLead = 6;

LanguageGuess ScoreLatin(WordSpan words) {
  std::array<int, kLatinCount> scores{};
  const FunctionWordTable& table = Table();
  size_t scored = 0;
  int top = 0;  // the highest score so far
  for (absl::string_view word : words) {
    if (++scored > kMaxWordsScored) break;
    unsigned languages = table.Languages(word);
    if (languages == 0) continue;
    const int top_before = top;
    for (; languages != 0; languages &= languages - 1) {  // the set bits only
      top = std::max(top, ++scores[static_cast<size_t>(__builtin_ctz(languages))]);
    }
    // A lead of kEnoughLead function words is sure enough (0.95): stop reading. The lead is at
    // most the top score, and it grows only when the top score does, so the runner-up is only
    // looked for when the top score has just grown to at least that.
    if (top == top_before || top < kEnoughLead) continue;
    int first = 0;
    int next = 0;
    for (int score : scores) {
      if (score > first) {
        next = first;
        first = score;
      } else if (score > next) {
        next = score;
      }
    }
    if (first - next >= kEnoughLead) break;
  }
  size_t best = 0;
  for (size_t i = 1; i < kLatinCount; ++i) {
    if (scores[i] > scores[best]) best = i;
  }
  if (scores[best] == 0) return {};
  int second = 0;
  for (size_t i = 0; i < kLatinCount; ++i) {
    if (i != best) second = std::max(second, scores[i]);
  }
  const int lead = scores[best] - second;
  if (lead <= 0) return {};  // a tie: no answer rather than a coin toss
  return {kLatinLanguages[best], std::min(0.99, 1.0 - std::exp(-lead / 2.0))};
}

enum Script : uint8_t {
  kLatin,
  kKana,
  kHan,
  kHangul,
  kArabic,
  kHebrew,
  kCyrillic,
  kGreek,
  kThai,
  kDevanagari,
  kOther,
  kScriptCount
};

Script ScriptOf(UChar32 c) {
  if (c >= 0x3040 && c <= 0x9FFF) {  // first: most code points of a Chinese or Japanese note
    if (c <= 0x30FF || (c >= 0x31F0 && c <= 0x31FF)) return kKana;
    if ((c >= 0x3400 && c <= 0x4DBF) || c >= 0x4E00) return kHan;
    if (c >= 0x3130 && c <= 0x318F) return kHangul;
    return kOther;
  }
  if (c < 0x0250) return kLatin;  // (ASCII letters are counted before this is asked)
  if (c >= 0x0370 && c <= 0x03FF) return kGreek;
  if (c >= 0x0400 && c <= 0x052F) return kCyrillic;
  if (c >= 0x0590 && c <= 0x05FF) return kHebrew;
  if ((c >= 0x0600 && c <= 0x06FF) || (c >= 0x0750 && c <= 0x077F)) return kArabic;
  if (c >= 0x0900 && c <= 0x097F) return kDevanagari;
  if (c >= 0x0E00 && c <= 0x0E7F) return kThai;
  if (c >= 0x1100 && c <= 0x11FF) return kHangul;
  if (c >= 0x1E00 && c <= 0x1EFF) return kLatin;
  if ((c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) ||
      (c >= 0xFF66 && c <= 0xFF9F)) {
    return kKana;
  }
  if ((c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
      (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3FFFF)) {
    return kHan;
  }
  if ((c >= 0x3130 && c <= 0x318F) || (c >= 0xAC00 && c <= 0xD7AF)) return kHangul;
  if (c >= 0xFB1D && c <= 0xFB4F) return kHebrew;
  if ((c >= 0xFB50 && c <= 0xFDFF) || (c >= 0xFE70 && c <= 0xFEFF)) return kArabic;
  if ((c >= 0xFF21 && c <= 0xFF3A) || (c >= 0xFF41 && c <= 0xFF5A)) return kLatin;
  return kOther;
}

// Characters common in Chinese text that exist in one script only (simplified / traditional
// pairs of the most frequent characters).
constexpr absl::string_view kSimplifiedOnly =
    "们个这为学说对时会来国经过还点开关发现与当长问间电见实体务专业谢认识";
constexpr absl::string_view kTraditionalOnly =
    "們個這為學說對時會來國經過還點開關發現與當長問間電見實體務專業謝認識";

bool Contains(absl::string_view haystack, absl::string_view utf8_char) {
  return haystack.find(utf8_char) != absl::string_view::npos;
}

}  // namespace

LanguageGuess IdentifyLanguage(absl::string_view text, WordSpan words) {
  if (IsAscii(text)) return ScoreLatin(words);
  std::array<size_t, kScriptCount> counts{};
  const char* const in = text.data();
  const int32_t length = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < length;) {
    const unsigned char byte = static_cast<unsigned char>(in[i]);
    if (byte < 0x80) {
      counts[kLatin] += absl::ascii_isalpha(byte) ? 1 : 0;
      ++i;
      continue;
    }
    UChar32 c;
    U8_NEXT(in, i, length, c);
    if (c < 0) continue;
    const Script script = ScriptOf(c);
    if (script == kLatin && c < 0xC0) continue;  // Latin-1 punctuation and symbols
    ++counts[script];
  }
  counts[kOther] = 0;  // symbols, emoji and the like tell nothing
  size_t total = 0;
  for (size_t count : counts) total += count;
  if (total == 0) return {};
  // Japanese mixes kana and Han; any kana among Han means Japanese. A CJK character carries
  // about a word, so it weighs three letters against the others (a Japanese note naming
  // "LinkedIn" and signed "Alex Doe" is still Japanese).
  const size_t cjk = counts[kKana] + counts[kHan];
  const size_t others = total - cjk;
  if (cjk * 3 > others) {
    const double share = static_cast<double>(cjk * 3) / static_cast<double>(cjk * 3 + others);
    if (counts[kKana] > 0 && counts[kKana] * 20 >= cjk) return {"ja", share};
    // Chinese: simplified or traditional, by the characters that exist in one script only.
    size_t simplified = 0;
    size_t traditional = 0;
    for (int32_t i = 0; i < length;) {
      const int32_t start = i;
      UChar32 c;
      U8_NEXT(in, i, length, c);
      if (c < 0x3400 || ScriptOf(c) != kHan) continue;
      const absl::string_view character(in + start, static_cast<size_t>(i - start));
      simplified += Contains(kSimplifiedOnly, character) ? 1 : 0;
      traditional += Contains(kTraditionalOnly, character) ? 1 : 0;
    }
    return {traditional > simplified ? "zh-Hant" : "zh-Hans", share};
  }
  size_t dominant = kLatin;
  for (size_t s = 0; s < kScriptCount; ++s) {
    if (counts[s] > counts[dominant]) dominant = s;
  }
  const double share = static_cast<double>(counts[dominant]) / static_cast<double>(total);
  switch (dominant) {
    case kLatin: {
      LanguageGuess guess = ScoreLatin(words);
      guess.confidence *= share;
      return guess;
    }
    case kHangul:
      return {"ko", share};
    case kArabic:
      return {"ar", share * 0.9};  // also Persian, Urdu
    case kHebrew:
      return {"he", share};
    case kCyrillic:
      return {"ru", share * 0.7};  // also Ukrainian, Bulgarian, Serbian...
    case kGreek:
      return {"el", share};
    case kThai:
      return {"th", share};
    case kDevanagari:
      return {"hi", share * 0.8};  // also Marathi, Nepali
    default:
      return {};
  }
}

namespace {

bool AllOf(absl::string_view s, bool (*pred)(unsigned char)) {
  for (char c : s) {
    if (!pred(static_cast<unsigned char>(c))) return false;
  }
  return true;
}
bool IsAlpha(absl::string_view s) { return AllOf(s, absl::ascii_isalpha); }
bool IsDigit(absl::string_view s) { return AllOf(s, absl::ascii_isdigit); }
bool IsAlnum(absl::string_view s) { return AllOf(s, absl::ascii_isalnum); }

}  // namespace

bool IsWellFormedLanguageTag(absl::string_view tag) {
  if (tag.empty() || tag.size() > kMaxLanguageTagBytes) return false;
  std::vector<absl::string_view> subtags;
  for (size_t begin = 0;;) {
    const size_t dash = tag.find('-', begin);
    const absl::string_view subtag = tag.substr(begin, dash - begin);
    if (subtag.empty() || subtag.size() > 8 || !IsAlnum(subtag)) return false;
    subtags.push_back(subtag);
    if (dash == absl::string_view::npos) break;
    begin = dash + 1;
  }
  size_t i = 0;
  if (absl::EqualsIgnoreCase(subtags[0], "x")) return subtags.size() > 1;
  // language: 2*3ALPHA ["-" extlang] / 4ALPHA / 5*8ALPHA
  if (!IsAlpha(subtags[0]) || subtags[0].size() < 2) return false;
  const bool short_language = subtags[0].size() <= 3;
  i = 1;
  // extlang: up to three 3ALPHA subtags after a 2-3 letter language
  for (int n = 0; short_language && n < 3 && i < subtags.size() && subtags[i].size() == 3 &&
                  IsAlpha(subtags[i]);
       ++n) {
    ++i;
  }
  if (i < subtags.size() && subtags[i].size() == 4 && IsAlpha(subtags[i])) ++i;  // script
  if (i < subtags.size() && ((subtags[i].size() == 2 && IsAlpha(subtags[i])) ||
                             (subtags[i].size() == 3 && IsDigit(subtags[i])))) {
    ++i;  // region
  }
  // variants: 5*8alphanum / (DIGIT 3alphanum)
  while (i < subtags.size() && (subtags[i].size() >= 5 ||
                                (subtags[i].size() == 4 &&
                                 absl::ascii_isdigit(static_cast<unsigned char>(subtags[i][0]))))) {
    ++i;
  }
  // extensions: singleton 1*("-" (2*8alphanum))
  while (i < subtags.size() && subtags[i].size() == 1 && !absl::EqualsIgnoreCase(subtags[i], "x")) {
    ++i;
    size_t parts = 0;
    while (i < subtags.size() && subtags[i].size() >= 2) {
      ++i;
      ++parts;
    }
    if (parts == 0) return false;
  }
  // privateuse: "x" 1*("-" (1*8alphanum)) ends the tag
  if (i < subtags.size() && absl::EqualsIgnoreCase(subtags[i], "x")) {
    return i + 1 < subtags.size();
  }
  return i == subtags.size();
}

absl::string_view PrimaryLanguage(absl::string_view tag) {
  const size_t dash = tag.find_first_of("-_");
  return tag.substr(0, dash);
}

bool SameLanguage(absl::string_view a, absl::string_view b) {
  return absl::EqualsIgnoreCase(PrimaryLanguage(a), PrimaryLanguage(b));
}

}  // namespace etiquette
