#include "evaluator/rules/note_placeholder.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace etiquette {
namespace {

// Placeholders longer than this many words are prose in brackets, not a field name.
constexpr size_t kMaxPlaceholderWords = 4;
// The placeholder as echoed in the advice: at most this many bytes (cut at a code point).
constexpr size_t kMaxEchoBytes = 60;

// Written like a variable: snake_case ("first_name") or camelCase ("firstName"), no spaces.
bool LooksLikeVariable(absl::string_view inner) {
  bool letter = false;
  for (size_t i = 0; i < inner.size(); ++i) {
    const char c = inner[i];
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) return false;
    if (c == '_' && letter && i + 1 < inner.size() &&
        absl::ascii_isalpha(static_cast<unsigned char>(inner[i + 1]))) {
      return true;
    }
    if (absl::ascii_isupper(static_cast<unsigned char>(c)) && i > 0 &&
        absl::ascii_islower(static_cast<unsigned char>(inner[i - 1]))) {
      return true;
    }
    letter = letter || absl::ascii_isalpha(static_cast<unsigned char>(c));
  }
  return false;
}

absl::string_view CutAtCodePoint(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace

NotePlaceholderRule::NotePlaceholderRule(v1::NotePlaceholderConfig config)
    : ConfiguredRule("note-placeholder",
                     "The note has no unfilled template placeholder such as [Name] or "
                     "{firstName} (delimiters, placeholder_terms).",
                     std::move(config)),
      terms_(config_.placeholder_terms()) {
  for (const std::string& pair : config_.delimiters()) {
    const size_t half = pair.size() / 2;
    delimiters_.emplace_back(pair.substr(0, half), pair.substr(half));
  }
  std::stable_sort(delimiters_.begin(), delimiters_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& [open, close] : delimiters_) {
    if (!open.empty() && !absl::StrContains(open_bytes_, open.front())) open_bytes_ += open.front();
  }
}

bool NotePlaceholderRule::IsPlaceholderName(absl::string_view inner) const {
  if (inner.empty() || absl::ascii_isspace(static_cast<unsigned char>(inner.front())) ||
      absl::ascii_isspace(static_cast<unsigned char>(inner.back())) ||
      CountCodePoints(inner) > config_.max_chars() || absl::StrContains(inner, '\n')) {
    return false;
  }
  if (LooksLikeVariable(inner)) return true;
  const NoteWords words(inner, kMaxPlaceholderWords + 1);
  if (words.words().empty() || words.words().size() > kMaxPlaceholderWords) return false;
  return terms_.FoundIn(words.words());
}

absl::string_view NotePlaceholderRule::PlaceholderAt(absl::string_view note, size_t at) const {
  for (const auto& [open, close] : delimiters_) {
    if (note.compare(at, open.size(), open) != 0) continue;
    const size_t inner_begin = at + open.size();
    const size_t close_at = note.find(close, inner_begin);
    if (close_at == absl::string_view::npos) continue;
    const absl::string_view inner = note.substr(inner_begin, close_at - inner_begin);
    if (IsPlaceholderName(inner)) return note.substr(at, close_at + close.size() - at);
    return {};  // the longest opening here decides ("{{x}}" is not read as "{" "{x}")
  }
  return {};
}

absl::string_view NotePlaceholderRule::FindPlaceholder(absl::string_view note) const {
  // One memchr-speed search per distinct opening byte (the usual note has no bracket at all);
  // the earliest placeholder wins.
  absl::string_view first;
  for (const char byte : open_bytes_) {
    const size_t limit = first.empty() ? note.size() : first.data() - note.data();
    for (size_t at = note.find(byte); at < limit; at = note.find(byte, at + 1)) {
      const absl::string_view found = PlaceholderAt(note, at);
      if (!found.empty()) {
        first = found;
        break;
      }
    }
  }
  return first;
}

void NotePlaceholderRule::Evaluate(const RuleContext& context, RuleResult* result) const {
  const absl::string_view found = context.note_flaws != nullptr
                                      ? context.note_flaws->placeholder
                                      : FindPlaceholder(context.invitation.note());
  if (found.empty()) return;
  result->Add(v1::SEVERITY_VIOLATION, v1::DECISION_REVISE, unfilled_,
              {CutAtCodePoint(found, kMaxEchoBytes)});
}

}  // namespace etiquette
