#include "evaluator/rules/personal_note.h"

#include <unicode/utf8.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "evaluator/note_text.h"

namespace etiquette {
namespace {

// A sign-off counts only near the end: at most this many words (a name) may follow it.
constexpr size_t kMaxWordsAfterSignoff = 4;
// Sign-offs longer than this many words are never found.
constexpr size_t kMaxSignoffWords = 3;
// Only the first words of the recipient's name are looked for (a name has a few; the bound
// keeps a hostile 1,000-word name from costing more than a real one).
constexpr size_t kMaxNameWords = 4;
// Nor is a name spelled over more bytes than this at the start of a note.
constexpr size_t kMaxNameBytes = 128;

v1::LanguagePack OwnLists(const v1::PersonalNoteConfig& config) {
  v1::LanguagePack pack;
  *pack.mutable_stock_notes() = config.stock_notes();
  *pack.mutable_greetings() = config.greetings();
  *pack.mutable_signoffs() = config.signoffs();
  *pack.mutable_reason_cues() = config.reason_cues();
  return pack;
}

// The rule's own lists first, then the packs.
PackSet AllPacks(const PhrasePack& own, absl::Span<const PhrasePack* const> packs) {
  PackSet all;
  all.push_back(&own);
  all.insert(all.end(), packs.begin(), packs.end());
  return all;
}

bool IsNameSuffix(absl::string_view word, absl::Span<const PhrasePack* const> packs) {
  for (const PhrasePack* pack : packs) {
    for (const std::string& suffix : pack->name_suffixes) {
      if (word == suffix) return true;
    }
  }
  return false;
}

// True when the word starts with a CJK ideograph or kana (names written without spaces).
bool IsCjk(absl::string_view word) {
  if (word.empty() || static_cast<unsigned char>(word[0]) < 0xE3) return false;
  int32_t i = 0;
  UChar32 c;
  U8_NEXT(word.data(), i, static_cast<int32_t>(word.size()), c);
  return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) || c >= 0x20000;
}

// The first code point of `text` as a view (empty for empty text).
absl::string_view FirstCodePoint(absl::string_view text) {
  if (text.empty()) return text;
  int32_t length = 0;
  UChar32 c;
  U8_NEXT(text.data(), length, static_cast<int32_t>(text.size()), c);
  return text.substr(0, static_cast<size_t>(length));
}

// Chinese and Japanese words are overlapping bigrams of each run of letters (NoteWords): the
// run's text back from words[from, ...): the first word whole, then the last code point of each
// word that overlaps the previous one ("田中", "中さ", "さん" -> "田中さん"), at most `max_bytes`
// of it (<= kMaxNameBytes). On the stack: this runs on every note that opens in CJK.
class SpelledRun {
 public:
  SpelledRun(WordSpan words, size_t from, size_t max_bytes) {
    for (size_t k = from; k < words.size() && size_ < max_bytes; ++k) {
      absl::string_view part = words[k];
      if (k > from) {
        const absl::string_view first = FirstCodePoint(part);
        if (first.empty() || first.size() == part.size() || !absl::EndsWith(text(), first)) break;
        part.remove_prefix(first.size());
      }
      if (size_ + part.size() > sizeof(bytes_)) break;
      std::memcpy(bytes_ + size_, part.data(), part.size());
      size_ += part.size();
      ends_[words_++] = static_cast<uint8_t>(size_);
    }
  }
  absl::string_view text() const { return absl::string_view(bytes_, size_); }
  // How many words it took.
  size_t words() const { return words_; }
  // The byte size of the text once the i-th word is in it.
  size_t end(size_t i) const { return ends_[i]; }

 private:
  char bytes_[kMaxNameBytes + 16];
  uint8_t ends_[kMaxNameBytes + 16];
  size_t size_ = 0;
  size_t words_ = 0;
};

// A CJK recipient name as SkipBigramName looks for it: the whole name and each of its runs
// ("田中太郎", "田中", "太郎"), spelled from its bigrams, and the longest spelling with an
// honorific after it.
struct BigramName {
  BigramName(const NoteWords& name, absl::Span<const PhrasePack* const> packs) {
    spellings.emplace_back(name.joined());
    const WordSpan words = name.words().subspan(0, 2 * kMaxNameWords);
    for (size_t k = 0; k < words.size();) {
      const SpelledRun run(words, k, kMaxNameBytes);
      if (run.words() == 0) break;
      spellings.emplace_back(run.text());
      k += run.words();
    }
    size_t longest_suffix = 0;
    for (const PhrasePack* pack : packs) {
      for (const std::string& suffix : pack->name_suffixes) {
        longest_suffix = std::max(longest_suffix, suffix.size());
      }
    }
    max_bytes = std::min(kMaxNameBytes, name.joined().size() + longest_suffix);
  }
  // True when a spelling starts with the first letter of `word`: most words are rejected here.
  bool MayStartAt(absl::string_view word) const {
    const absl::string_view first = FirstCodePoint(word);
    return std::any_of(spellings.begin(), spellings.end(),
                       [&](const std::string& s) { return absl::StartsWith(s, first); });
  }
  absl::InlinedVector<std::string, 4> spellings;
  size_t max_bytes = 0;  // of a note's run worth spelling
};

// The recipient's name at words[at] in a note split into bigrams: the whole name, or one run of
// it (the family name "田中" of "田中 太郎"), then an honorific ("さん", "先生"), as characters of
// the run that starts there. Returns the index of the first bigram not made of them only (`at`
// when the name is not there).
size_t SkipBigramName(WordSpan words, size_t at, const BigramName& name,
                      absl::Span<const PhrasePack* const> packs) {
  if (at >= words.size() || !name.MayStartAt(words[at])) return at;
  const SpelledRun spelled_run(words, at, name.max_bytes);
  const absl::string_view run = spelled_run.text();
  size_t spelled = 0;  // bytes of `run` that are the name
  for (const std::string& spelling : name.spellings) {
    if (!spelling.empty() && absl::StartsWith(run, spelling)) {
      spelled = std::max(spelled, spelling.size());
    }
  }
  if (spelled == 0) return at;
  for (const PhrasePack* pack : packs) {
    for (const std::string& suffix : pack->name_suffixes) {
      if (absl::StartsWith(run.substr(spelled), suffix)) {
        spelled += suffix.size();
        break;
      }
    }
  }
  // Bigrams wholly inside the name: the run's words up to the one that ends at `spelled` (a
  // one-letter name without an honorific covers no whole bigram).
  size_t covered = 0;
  while (covered < spelled_run.words() && spelled_run.end(covered) <= spelled) ++covered;
  if (covered == 0) return at;
  // A name (with honorific) that ends inside the run leaves the bigram that straddles it: it is
  // skipped too, as it holds a letter of the name.
  const bool straddles = covered < spelled_run.words() && spelled_run.end(covered - 1) == spelled;
  return at + covered + (straddles ? 1 : 0);
}

// Words from `at` that spell the recipient's name (one of its words, or all of them joined:
// "田中", "田中太郎", "jordan"), however the word breaker cut them, and an honorific after it.
// Returns the index after them (`at` when the name is not there).
size_t SkipName(WordSpan words, size_t at, const NoteWords& name,
                absl::Span<const PhrasePack* const> packs) {
  if (name.words().empty()) return at;
  if (at < words.size() && IsCjk(words[at]) && IsCjk(name.words().front())) {
    // The name may be written in parts ("ジョーダン・リー様"): one run after another.
    const BigramName bigram_name(name, packs);
    size_t next = SkipBigramName(words, at, bigram_name, packs);
    for (size_t parts = 1; next > at && next < words.size() && parts < kMaxNameWords; ++parts) {
      const size_t further = SkipBigramName(words, next, bigram_name, packs);
      if (further == next) break;
      next = further;
    }
    return next;
  }
  const WordSpan name_words = name.words().subspan(0, kMaxNameWords);
  size_t matched = at;
  std::string spelled;
  for (size_t k = at;
       k < words.size() && spelled.size() < name.joined().size() && spelled.size() < kMaxNameBytes;
       ++k) {
    spelled.append(words[k].data(), words[k].size());
    bool prefix = absl::StartsWith(name.joined(), spelled);
    if (spelled == name.joined()) matched = k + 1;
    for (absl::string_view word : name_words) {
      if (word == spelled) matched = k + 1;
      prefix = prefix || absl::StartsWith(word, spelled);
    }
    if (!prefix) break;
  }
  if (matched > at && matched < words.size() && IsNameSuffix(words[matched], packs)) ++matched;
  return matched;
}

// The number of words after a dash sign-off at the end of the note ("... on LinkedIn. - Alex
// Doe", "– Alex"): a dash after a space or a line break, followed by at most
// kMaxWordsAfterSignoff words and no sentence. 0 when there is none.
size_t DashSignoffWords(absl::string_view note) {
  static constexpr absl::string_view kDashes[] = {"-", "\xE2\x80\x93", "\xE2\x80\x94", "~"};
  size_t best = absl::string_view::npos;
  size_t dash_length = 0;
  for (absl::string_view dash : kDashes) {
    for (size_t at = note.rfind(dash); at != absl::string_view::npos && at > 0;
         at = at == 0 ? absl::string_view::npos : note.rfind(dash, at - 1)) {
      const char before = note[at - 1];
      if (before == ' ' || before == '\n' || before == '\t' || before == '-') {
        if (best == absl::string_view::npos || at > best) {
          best = at;
          dash_length = dash.size();
        }
        break;
      }
    }
  }
  if (best == absl::string_view::npos) return 0;
  const absl::string_view tail = note.substr(best + dash_length);
  if (tail.find_first_of(".!?:") != absl::string_view::npos &&
      tail.find_first_of(".!?:") + 1 < absl::StripTrailingAsciiWhitespace(tail).size()) {
    return 0;  // a sentence follows the dash, not a name
  }
  const size_t count = NoteWords(tail, kMaxWordsAfterSignoff + 1).words().size();
  return count <= kMaxWordsAfterSignoff ? count : 0;
}

}  // namespace

PersonalNoteRule::PersonalNoteRule(v1::PersonalNoteConfig config, double personal_note_weight)
    : ConfiguredRule("personal-note",
                     "A note that says why the sender wants to connect, when the two have never "
                     "met; no note, a blank one or the stock text (in any language pack, with or "
                     "without the sender's sign-off) is a violation. A note that note-placeholder, "
                     "note-pitch or template-blast flags (enforced) is not called personal.",
                     std::move(config)),
      personal_note_weight_(personal_note_weight),
      own_(OwnLists(config_)) {}

WordSpan PersonalNoteRule::CoreWords(WordSpan words, const NoteWords& recipient_name,
                                     absl::Span<const PhrasePack* const> packs) const {
  size_t begin = 0;
  if (!words.empty()) {
    // Only greetings that start with the first word can match; the first of them in config
    // order wins (configured longest-first where it matters), the packs in order.
    for (const PhrasePack* pack : packs) {
      for (uint32_t i : pack->greetings.StartingWith(words.front())) {
        const WordSpan greeting = pack->greetings.phrase(i);
        if (PhraseAt(words, 0, greeting)) {
          begin = greeting.size();
          break;
        }
      }
      if (begin > 0) break;
    }
    // The recipient's name after the greeting, or opening the note ("田中さん、").
    begin = SkipName(words, begin, recipient_name, packs);
  }
  // The sign-off is the earliest one that leaves at most kMaxWordsAfterSignoff words after
  // it, so "all the best, Alex" is cut at "all", not at "best".
  size_t end = words.size();
  const size_t tail = kMaxWordsAfterSignoff + kMaxSignoffWords;
  for (size_t at = std::max(begin, words.size() > tail ? words.size() - tail : 0);
       at < words.size() && end == words.size(); ++at) {
    for (const PhrasePack* pack : packs) {
      for (uint32_t i : pack->signoffs.StartingWith(words[at])) {
        const WordSpan signoff = pack->signoffs.phrase(i);
        if (PhraseAt(words, at, signoff) &&
            words.size() - at - signoff.size() <= kMaxWordsAfterSignoff) {
          end = at;
          break;
        }
      }
      if (end != words.size()) break;
    }
  }
  return words.subspan(begin, std::max(begin, end) - begin);
}

bool PersonalNoteRule::MentionsRecipient(WordSpan words, absl::string_view joined,
                                         const v1::Invitation& invitation,
                                         const NoteWords& recipient_name,
                                         absl::Span<const PhrasePack* const> packs) const {
  const WordSpan name = recipient_name.words();
  const absl::string_view first_name = name.empty() ? absl::string_view() : name.front();
  if (first_name.size() >= 2 && std::find(words.begin(), words.end(), first_name) != words.end()) {
    return true;
  }
  // A name in Chinese or Japanese: the word breaker may cut it anywhere, so look for it in the
  // note's words joined ("田中さん" holds "田中"); a one-character name only with an honorific
  // after it ("王先生").
  if (!joined.empty()) {
    for (absl::string_view word : name.subspan(0, kMaxNameWords)) {
      if (!IsCjk(word)) continue;
      if (CountCodePoints(word) >= 2 && joined.find(word) != absl::string_view::npos) return true;
      int32_t first_length = 0;
      UChar32 c;
      U8_NEXT(word.data(), first_length, static_cast<int32_t>(word.size()), c);
      const absl::string_view family = word.substr(0, static_cast<size_t>(first_length));
      for (const PhrasePack* pack : packs) {
        for (const std::string& suffix : pack->name_suffixes) {
          for (absl::string_view called : {word, family}) {
            if (joined.find(absl::StrCat(called, suffix)) != absl::string_view::npos) return true;
          }
        }
      }
    }
  }
  for (const PhrasePack* pack : packs) {
    if (pack->reason_cues.FoundIn(words)) return true;
  }
  // The company's and every shared group's name in one pass over the note, whatever their
  // number and length (names come with the request: no name-by-name search).
  PhraseMatcher names;
  names.Add(NoteWords(invitation.recipient().company_name()).words());
  for (const v1::SharedGroup& group : invitation.relationship().shared_groups()) {
    names.Add(NoteWords(group.name()).words());
  }
  names.Build();
  return names.FoundIn(words);
}

PersonalNoteRule::NoteKind PersonalNoteRule::Classify(const v1::Invitation& invitation) const {
  const NoteWords note(invitation.note(), kMaxNoteWords);
  return Classify(invitation, note.words(), note.joined());
}

PersonalNoteRule::NoteKind PersonalNoteRule::Classify(
    const v1::Invitation& invitation, WordSpan words, absl::string_view joined,
    absl::Span<const PhrasePack* const> extra_packs) const {
  const PackSet packs = AllPacks(own_, extra_packs);
  const NoteWords recipient_name(invitation.recipient().full_name());
  WordSpan core = CoreWords(words, recipient_name, packs);
  if (core.empty()) return NoteKind::kBlank;
  // No stock text can be near a core this much longer than the longest of them, even without
  // the sender's name: the usual personal note stops here.
  const NoteWords sender_name(invitation.sender().full_name());
  size_t longest_stock = 0;
  for (const PhrasePack* pack : packs) {
    for (size_t i = 0; i < pack->stock_notes.size(); ++i) {
      longest_stock = std::max(longest_stock, pack->stock_notes.phrase(i).size());
    }
  }
  if (static_cast<double>(core.size()) * config_.stock_similarity() >
      static_cast<double>(longest_stock + sender_name.words().size() + kMaxWordsAfterSignoff)) {
    return MentionsRecipient(words, joined, invitation, recipient_name, packs)
               ? NoteKind::kPersonal
               : NoteKind::kImpersonal;
  }
  // What the stock texts are compared with: the core without a dash sign-off at the end
  // ("- Alex Doe") and without the sender's own name wherever it is.
  if (const size_t signed_off = DashSignoffWords(invitation.note());
      signed_off > 0 && signed_off < core.size() && core.end() == words.end()) {
    core = core.subspan(0, core.size() - signed_off);
  }
  absl::InlinedVector<absl::string_view, 64> without_sender;
  if (!sender_name.words().empty()) {
    const WordSpan own = sender_name.words();
    for (absl::string_view word : core) {
      if (std::find(own.begin(), own.end(), word) == own.end()) without_sender.push_back(word);
    }
    if (without_sender.size() != core.size()) core = without_sender;
  }
  if (core.empty()) return NoteKind::kBlank;
  for (const PhrasePack* pack : packs) {
    for (size_t i = 0; i < pack->stock_notes.size(); ++i) {
      const WordSpan stock = pack->stock_notes.phrase(i);
      // The edit distance is at least the difference in length: skip the quadratic comparison
      // when that alone keeps the similarity under the threshold.
      const size_t longer = std::max(core.size(), stock.size());
      const size_t shorter = std::min(core.size(), stock.size());
      if (1.0 - static_cast<double>(longer - shorter) / longer < config_.stock_similarity()) {
        continue;
      }
      if (WordSimilarity(core, stock) >= config_.stock_similarity()) return NoteKind::kStock;
    }
  }
  return MentionsRecipient(words, joined, invitation, recipient_name, packs)
             ? NoteKind::kPersonal
             : NoteKind::kImpersonal;
}

void PersonalNoteRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  const NoteKind kind =
      Classify(context.invitation, context.note_words, context.note_joined, context.packs);
  // A template with its placeholders unfilled, a sales opener or the note sent to everyone is
  // not personal however it greets the recipient: no POSITIVE finding and no bonus (the flaw's
  // own rule says why).
  const bool flawed = context.note_flaws != nullptr && context.note_flaws->AnyEnforced();
  if (kind == NoteKind::kPersonal && flawed) return;
  if (!context.stranger) {
    if (kind == NoteKind::kBlank || kind == NoteKind::kStock) {
      result->Add(v1::SEVERITY_INFO, v1::DECISION_SEND, known_no_note_);
    } else if (kind == NoteKind::kPersonal) {
      result->Add(v1::SEVERITY_POSITIVE, v1::DECISION_SEND, known_personal_);
      result->logit += personal_note_weight_;
    }
    return;
  }
  switch (kind) {
    case NoteKind::kBlank:
      result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_REVISE, missing_);
      break;
    case NoteKind::kStock:
      result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_REVISE, stock_text_);
      break;
    case NoteKind::kImpersonal:
      result->Add(v1::SEVERITY_ADVICE, v1::DECISION_SEND, no_reason_);
      break;
    case NoteKind::kPersonal:
      result->Add(v1::SEVERITY_POSITIVE, v1::DECISION_SEND, personal_);
      result->logit += personal_note_weight_;
      break;
  }
}

}  // namespace etiquette
