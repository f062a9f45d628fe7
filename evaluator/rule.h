#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "etiquette/v1/evaluator.pb.h"
#include "etiquette/v1/history.pb.h"
#include "etiquette/v1/invitation.pb.h"
#include "evaluator/language_packs.h"
#include "evaluator/message_catalog.h"
#include "evaluator/note_text.h"
#include "google/protobuf/message.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace etiquette {

// Whether the history service took part in this evaluation.
enum class HistoryStatus {
  kNotConfigured,  // standalone evaluator: history rules stay silent
  kAnswered,       // RuleContext::standing is set
  kUnavailable,    // configured but did not answer in time: the verdict is degraded
};

// Familiarity UNSPECIFIED or STRANGER: the sender has no relationship with the recipient.
bool IsStranger(const v1::Relationship& relationship);

// What note-pitch finds in a note.
struct NotePitch {
  bool link = false;            // an http(s) link (with flag_links)
  bool sales_language = false;  // sales words or a pitch pattern
};

// The flaws of a note that more than one rule weighs, found once per evaluation by the engine
// with note-placeholder's, note-pitch's and template-blast's own detection (nothing for a rule
// that is OFF). A note with an enforced flaw is not called personal by personal-note: a
// mail-merge template, a sales opener or the note sent to everyone is not a reason to connect,
// even when it greets the recipient by name.
struct NoteFlaws {
  absl::string_view placeholder;  // the first unfilled placeholder ("[Name]"), or empty
  NotePitch pitch;
  bool template_blast = false;  // near-identical to advice_at or more of the sender's notes
  // Only an enforced rule's finding changes another rule's (SHADOW changes nothing).
  bool placeholder_enforced = false;
  bool pitch_enforced = false;
  bool template_blast_enforced = false;

  // A link alone is not one: a personal note may point at the talk's slides.
  bool AnyEnforced() const {
    return (placeholder_enforced && !placeholder.empty()) ||
           (pitch_enforced && pitch.sales_language) || (template_blast_enforced && template_blast);
  }
};

// Which of the rules' note patterns (note-pitch's grammar) occur in the note. The engine finds
// them for every rule in one pass over the note's words (PitchPatterns::GroupsFoundIn): a pass
// costs about the same for one list as for four.
struct NoteShapes {
  bool pitch = false;           // note-pitch's pitch_patterns
  bool interview = false;       // after-interview's note_patterns
  bool hired = false;           // after-interview's hired_patterns
  bool twitter_follow = false;  // twitter-only's follow_patterns
};

// Everything a rule may look at. The invitation has passed ValidateInvitation.
struct RuleContext {
  const v1::Invitation& invitation;
  // NoteWords(invitation.note(), kMaxNoteWords).words(), split once for all rules; the views live
  // as long as the context.
  WordSpan note_words;
  absl::Time sent_at;
  // Familiarity UNSPECIFIED or STRANGER: the sender has no relationship with the recipient.
  bool stranger;
  HistoryStatus history;
  const v1::SenderStanding* standing;  // non-null exactly when history == kAnswered
  // With kUnavailable: hold the invitation (DEFER) instead of judging it without history.
  bool history_fail_closed;
  // The note's words back to back (NoteWords::joined()), for names in text without spaces.
  absl::string_view note_joined = {};
  // The note's language as identified (IdentifyLanguage), BCP 47, and how sure; empty / 0 when
  // unknown.
  absl::string_view note_language = {};
  double note_language_confidence = 0;
  // The language packs that apply to this note (LanguagePacks::Select); may be empty.
  absl::Span<const PhrasePack* const> packs = {};
  // Set by the engine before any rule runs. Null when a rule runs on its own (tests): the rules
  // that find these flaws then look themselves, and personal-note sees none.
  const NoteFlaws* note_flaws = nullptr;
  // Set by the engine before any rule runs. Null when a rule runs on its own (tests): the rules
  // then match their own patterns.
  const NoteShapes* note_shapes = nullptr;
};

// What one rule found. The engine fills in rule_id and shadow, and drops the logit
// contribution of a rule that is not enforced.
struct RuleResult {
  // The findings of a rule run on its own (tests); see `out`.
  google::protobuf::RepeatedPtrField<v1::Finding> findings;
  // Where Add puts findings when set (the engine: the verdict's own list, so that no finding is
  // built twice); null: `findings`.
  google::protobuf::RepeatedPtrField<v1::Finding>* out = nullptr;
  // Added to the likelihood model's logit (see LikelihoodConfig).
  double logit = 0;

  // Where message and advice come from. The engine sets them once per evaluation (catalogs,
  // locales) and before each rule (code_base: the number of the rule's first code); left null,
  // findings get the compiled-in catalogs' English (a rule run on its own, in tests).
  const MessageCatalogs* catalogs = nullptr;
  LocaleChain locales;
  uint32_t code_base = 0;

  // A finding with `code` (one the rule declared) and its parameters' values, one per name in
  // code.params, in that order, as text (numbers as digits); message and advice are the code's
  // catalog entry rendered with them.
  void Add(v1::Severity severity, v1::Decision outcome, const FindingCode& code,
           std::initializer_list<absl::AlphaNum> params = {});
};

// One etiquette rule. Rules are immutable after construction and shared across threads.
class Rule {
 public:
  virtual ~Rule() = default;
  // Stable id, shown in findings and ListRules ("personal-note").
  virtual absl::string_view id() const = 0;
  virtual absl::string_view description() const = 0;
  virtual v1::RuleMode mode() const = 0;
  // The rule's config message; every field but `mode` is listed as a parameter.
  virtual const google::protobuf::Message& config() const = 0;
  virtual void Evaluate(const RuleContext& context, RuleResult* result) const = 0;

  // Every code the rule can emit (Finding.code), in declaration order (FindingCode::index).
  absl::Span<const FindingCode* const> codes() const { return code_list_; }

 protected:
  // Declares the code "<rule_id>.<what>" with its parameters' names; call it from the rule's
  // member initialisers and keep the reference (stable) for RuleResult::Add.
  const FindingCode& DeclareCode(absl::string_view rule_id, absl::string_view what,
                                 std::vector<std::string> params = {});

 private:
  std::vector<std::unique_ptr<FindingCode>> codes_;
  std::vector<const FindingCode*> code_list_;
};

// The usual shape of a rule: an id, a description and a config message with a `mode` field.
template <typename Config>
class ConfiguredRule : public Rule {
 public:
  ConfiguredRule(absl::string_view id, absl::string_view description, Config config)
      : id_(id), description_(description), config_(std::move(config)) {}
  absl::string_view id() const override { return id_; }
  absl::string_view description() const override { return description_; }
  v1::RuleMode mode() const override { return config_.mode(); }
  const google::protobuf::Message& config() const override { return config_; }

 protected:
  const absl::string_view id_;
  const absl::string_view description_;
  const Config config_;

  // DeclareCode for this rule: Code("over-limit", {"length", "limit"}).
  const FindingCode& Code(absl::string_view what, std::vector<std::string> params = {}) {
    return DeclareCode(id_, what, std::move(params));
  }
};

}  // namespace etiquette
