#include "evaluator/rules/personal_note.h"

#include <algorithm>

#include "evaluator/note_text.h"

namespace etiquette {
namespace {

// A sign-off counts only near the end: at most this many words (a name) may follow it.
constexpr size_t kMaxWordsAfterSignoff = 4;
// Sign-offs longer than this many words are never found.
constexpr size_t kMaxSignoffWords = 3;

}  // namespace

PersonalNoteRule::PersonalNoteRule(v1::PersonalNoteConfig config, double personal_note_weight)
    : ConfiguredRule("personal-note",
                     "A note that says why the sender wants to connect, when the two have never "
                     "met; no note, a blank one or the stock text is a violation.",
                     std::move(config)),
      personal_note_weight_(personal_note_weight),
      stock_notes_(config_.stock_notes()),
      greetings_(config_.greetings()),
      signoffs_(config_.signoffs()),
      reason_cues_(config_.reason_cues()) {}

WordSpan PersonalNoteRule::CoreWords(WordSpan words, absl::string_view first_name) const {
  size_t begin = 0;
  if (!words.empty()) {
    // Only greetings that start with the first word can match; the first of them in config
    // order wins (configured longest-first where it matters).
    for (uint32_t i : greetings_.StartingWith(words.front())) {
      const WordSpan greeting = greetings_.phrase(i);
      if (PhraseAt(words, 0, greeting)) {
        begin = greeting.size();
        if (!first_name.empty() && begin < words.size() && words[begin] == first_name) ++begin;
        break;
      }
    }
  }
  // The sign-off is the earliest one that leaves at most kMaxWordsAfterSignoff words after
  // it, so "all the best, Alex" is cut at "all", not at "best".
  size_t end = words.size();
  const size_t tail = kMaxWordsAfterSignoff + kMaxSignoffWords;
  for (size_t at = std::max(begin, words.size() > tail ? words.size() - tail : 0);
       at < words.size() && end == words.size(); ++at) {
    for (uint32_t i : signoffs_.StartingWith(words[at])) {
      const WordSpan signoff = signoffs_.phrase(i);
      if (PhraseAt(words, at, signoff) &&
          words.size() - at - signoff.size() <= kMaxWordsAfterSignoff) {
        end = at;
        break;
      }
    }
  }
  return words.subspan(begin, std::max(begin, end) - begin);
}

bool PersonalNoteRule::MentionsRecipient(WordSpan words, const v1::Invitation& invitation,
                                         absl::string_view first_name) const {
  if (first_name.size() >= 2 && std::find(words.begin(), words.end(), first_name) != words.end()) {
    return true;
  }
  if (reason_cues_.FoundIn(words)) return true;
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
  return Classify(invitation, NoteWords(invitation.note(), kMaxNoteWords).words());
}

PersonalNoteRule::NoteKind PersonalNoteRule::Classify(const v1::Invitation& invitation,
                                                      WordSpan words) const {
  const NoteWords recipient_name(invitation.recipient().full_name());
  const absl::string_view first_name =
      recipient_name.words().empty() ? absl::string_view() : recipient_name.words().front();
  const WordSpan core = CoreWords(words, first_name);
  if (core.empty()) return NoteKind::kBlank;
  for (size_t i = 0; i < stock_notes_.size(); ++i) {
    const WordSpan stock = stock_notes_.phrase(i);
    // The edit distance is at least the difference in length: skip the quadratic comparison
    // when that alone keeps the similarity under the threshold.
    const size_t longer = std::max(core.size(), stock.size());
    const size_t shorter = std::min(core.size(), stock.size());
    if (1.0 - static_cast<double>(longer - shorter) / longer < config_.stock_similarity()) {
      continue;
    }
    if (WordSimilarity(core, stock) >= config_.stock_similarity()) return NoteKind::kStock;
  }
  return MentionsRecipient(words, invitation, first_name) ? NoteKind::kPersonal
                                                          : NoteKind::kImpersonal;
}

void PersonalNoteRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  const NoteKind kind = Classify(context.invitation, context.note_words);
  if (!context.stranger) {
    if (kind == NoteKind::kBlank || kind == NoteKind::kStock) {
      result->Add(v1::SEVERITY_INFO, v1::DECISION_SEND,
                  "No personal note, but the sender already knows the recipient.",
                  "A line about how you know each other still helps.");
    } else if (kind == NoteKind::kPersonal) {
      result->Add(v1::SEVERITY_POSITIVE, v1::DECISION_SEND, "The note is personal.");
      result->logit += personal_note_weight_;
    }
    return;
  }
  switch (kind) {
    case NoteKind::kBlank:
      result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_REVISE,
                  "No note to someone the sender has never met.",
                  "Add a short note that says why you want to connect; without one the "
                  "recipient may click \"I don't know this person\".");
      break;
    case NoteKind::kStock:
      result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_REVISE,
                  "The note is the stock invitation text, to someone the sender has never met.",
                  "Replace the default text with a few words of your own about why you want to "
                  "connect.");
      break;
    case NoteKind::kImpersonal:
      result->Add(v1::SEVERITY_ADVICE, v1::DECISION_SEND,
                  "The note gives no reason to connect and mentions nothing of the recipient.",
                  "Say why you want to connect: where you met, what you both work on, or what "
                  "of theirs you read.");
      break;
    case NoteKind::kPersonal:
      result->Add(v1::SEVERITY_POSITIVE, v1::DECISION_SEND,
                  "The note is personal and gives a reason to connect.");
      result->logit += personal_note_weight_;
      break;
  }
}

}  // namespace etiquette
