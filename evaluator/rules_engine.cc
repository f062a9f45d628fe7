#include "evaluator/rules_engine.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "common/config_errors.h"
#include "evaluator/config.h"
#include "evaluator/language_id.h"
#include "evaluator/note_fingerprint.h"
#include "evaluator/note_text.h"
#include "evaluator/rules/after_interview.h"
#include "evaluator/rules/group_activity.h"
#include "evaluator/rules/history_rules.h"
#include "evaluator/rules/note_language.h"
#include "evaluator/rules/note_length.h"
#include "evaluator/rules/note_pitch.h"
#include "evaluator/rules/note_placeholder.h"
#include "evaluator/rules/personal_note.h"
#include "evaluator/rules/profile_complete.h"
#include "evaluator/rules/template_blast.h"
#include "evaluator/rules/twitter_only.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "google/protobuf/text_format.h"

namespace etiquette {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::string ValueText(const Message& message, const FieldDescriptor* field, int index) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    return index < 0 ? reflection->GetString(message, field)
                     : reflection->GetRepeatedString(message, field, index);
  }
  std::string out;
  google::protobuf::TextFormat::Printer().PrintFieldValueToString(message, field, index, &out);
  return out;
}

// One field of a rule's config as text: strings as they are, other scalars as protobuf's text
// format prints them, lists joined by "; ".
std::string ParameterText(const Message& message, const FieldDescriptor* field) {
  if (!field->is_repeated()) return ValueText(message, field, -1);
  std::string out;
  const int size = message.GetReflection()->FieldSize(message, field);
  for (int i = 0; i < size; ++i) out += (i > 0 ? "; " : "") + ValueText(message, field, i);
  return out;
}

double Logit(double p) { return std::log(p / (1 - p)); }

template <typename Texts>
std::vector<std::string> ToVector(const Texts& texts) {
  return std::vector<std::string>(texts.begin(), texts.end());
}

// The rules' note patterns, one group each, in NoteShapes' order.
std::vector<std::vector<std::string>> NoteShapeGroups(const v1::RulesConfig& r) {
  return {ToVector(r.note_pitch().pitch_patterns()), ToVector(r.after_interview().note_patterns()),
          ToVector(r.after_interview().hired_patterns()),
          ToVector(r.twitter_only().follow_patterns())};
}

// What GroupsFoundIn found, by NoteShapeGroups' groups.
NoteShapes ToNoteShapes(uint32_t found) {
  NoteShapes shapes;
  shapes.pitch = (found & 1) != 0;
  shapes.interview = (found & 2) != 0;
  shapes.hired = (found & 4) != 0;
  shapes.twitter_follow = (found & 8) != 0;
  return shapes;
}

}  // namespace

std::vector<std::unique_ptr<Rule>> BuildRules(const v1::EvaluatorConfig& config) {
  const v1::RulesConfig& r = config.rules();
  const v1::LikelihoodWeights& w = config.likelihood().weights();
  std::vector<std::unique_ptr<Rule>> rules;
  // Evaluation and ListRules order: content rules first, then the history-backed ones.
  rules.push_back(std::make_unique<PersonalNoteRule>(r.personal_note(), w.personal_note()));
  rules.push_back(std::make_unique<NoteLengthRule>(r.note_length()));
  rules.push_back(std::make_unique<NotePitchRule>(r.note_pitch(), w.pitch()));
  rules.push_back(std::make_unique<AfterInterviewRule>(r.after_interview()));
  rules.push_back(
      std::make_unique<ProfileCompleteRule>(r.profile_complete(), w.has_photo(), w.has_headline()));
  rules.push_back(std::make_unique<GroupActivityRule>(r.group_activity(), w.active_group()));
  rules.push_back(std::make_unique<TwitterOnlyRule>(r.twitter_only(), w.one_way_twitter()));
  rules.push_back(std::make_unique<NoteLanguageRule>(r.note_language()));
  rules.push_back(std::make_unique<NotePlaceholderRule>(r.note_placeholder()));
  rules.push_back(std::make_unique<TemplateBlastRule>(r.template_blast()));
  rules.push_back(std::make_unique<RecipientReportedRule>(r.recipient_reported()));
  rules.push_back(std::make_unique<AlreadyPendingRule>(r.already_pending()));
  rules.push_back(std::make_unique<SenderRestrictedRule>(r.sender_restricted()));
  rules.push_back(std::make_unique<ReinviteCooldownRule>(r.reinvite_cooldown()));
  rules.push_back(std::make_unique<WeeklyLimitRule>(r.weekly_limit()));
  rules.push_back(std::make_unique<SenderStandingRule>(r.sender_standing(), w.warned_sender()));
  rules.push_back(std::make_unique<HistoryUnavailableRule>(r.history_unavailable()));
  return rules;
}

namespace {

std::vector<const FindingCode*> CodesOf(const std::vector<std::unique_ptr<Rule>>& rules) {
  std::vector<const FindingCode*> codes;
  for (const std::unique_ptr<Rule>& rule : rules) {
    codes.insert(codes.end(), rule->codes().begin(), rule->codes().end());
  }
  return codes;
}

}  // namespace

absl::Span<const FindingCode* const> AllFindingCodes() {
  // The default rules live as long as the process (held by a static, so that leak checkers see
  // them reachable): their codes are what the span points to.
  static const std::vector<std::unique_ptr<Rule>>* const rules =
      new std::vector<std::unique_ptr<Rule>>(BuildRules(DefaultEvaluatorConfig()));
  static const std::vector<const FindingCode*>* const codes =
      new std::vector<const FindingCode*>(CodesOf(*rules));
  return *codes;
}

const MessageCatalogs& DefaultMessageCatalogs() {
  static const MessageCatalogs* const catalogs = [] {
    ConfigErrors errors;
    auto* compiled = new MessageCatalogs(
        MessageCatalogs::Compile(DefaultEvaluatorConfig().catalogs(), AllFindingCodes(), &errors));
    if (!errors.ToStatus().ok()) std::abort();  // DefaultsAreValid tests this
    return compiled;
  }();
  return *catalogs;
}

absl::StatusOr<std::unique_ptr<RulesEngine>> RulesEngine::Create(v1::EvaluatorConfig config) {
  if (absl::Status s = ValidateEvaluatorConfig(config); !s.ok()) return s;
  std::vector<std::unique_ptr<Rule>> rules = BuildRules(config);
  ConfigErrors errors;
  MessageCatalogs catalogs = MessageCatalogs::Compile(config.catalogs(), CodesOf(rules), &errors);
  if (absl::Status s = errors.ToStatus(); !s.ok()) return s;
  return std::unique_ptr<RulesEngine>(
      new RulesEngine(std::move(config), std::move(rules), std::move(catalogs)));
}

RulesEngine::RulesEngine(v1::EvaluatorConfig config, std::vector<std::unique_ptr<Rule>> rules,
                         MessageCatalogs catalogs)
    : config_(std::move(config)),
      rules_version_(RulesVersion(config_)),
      base_logit_(Logit(config_.likelihood().base_rate())),
      packs_(config_.language_packs()),
      rules_(std::move(rules)),
      catalogs_(std::move(catalogs)),
      note_shapes_(NoteShapeGroups(config_.rules())) {
  uint32_t base = 0;
  for (const std::unique_ptr<Rule>& rule : rules_) {
    code_base_.push_back(base);
    base += static_cast<uint32_t>(rule->codes().size());
    if (const auto* placeholder = dynamic_cast<const NotePlaceholderRule*>(rule.get())) {
      placeholder_rule_ = placeholder;
    }
    if (const auto* pitch = dynamic_cast<const NotePitchRule*>(rule.get())) pitch_rule_ = pitch;
    if (const auto* blast = dynamic_cast<const TemplateBlastRule*>(rule.get())) {
      template_blast_rule_ = blast;
    }
  }
}

v1::Verdict RulesEngine::Evaluate(const v1::Invitation& invitation, absl::Time sent_at,
                                  HistoryStatus history, const v1::SenderStanding* standing,
                                  bool history_fail_closed) const {
  v1::Verdict verdict;
  Evaluate(invitation, sent_at, history, standing, history_fail_closed, &verdict);
  return verdict;
}

void RulesEngine::Evaluate(const v1::Invitation& invitation, absl::Time sent_at,
                           HistoryStatus history, const v1::SenderStanding* standing,
                           bool history_fail_closed, v1::Verdict* out) const {
  v1::Verdict& verdict = *out;
  const v1::Relationship& relationship = invitation.relationship();
  const bool stranger = IsStranger(relationship);
  const NoteWords note_words(invitation.note(), kMaxNoteWords);
  const LanguageGuess language = IdentifyLanguage(invitation.note(), note_words.words());
  const PackSet packs = packs_.Select(language.language, invitation.sender().locale());
  NoteFlaws flaws;
  RuleContext context{invitation,
                      note_words.words(),
                      sent_at,
                      stranger,
                      history,
                      standing,
                      history_fail_closed,
                      note_words.joined(),
                      language.language,
                      language.confidence,
                      packs};
  const NoteShapes shapes = ToNoteShapes(note_shapes_.GroupsFoundIn(note_words.words()));
  context.note_shapes = &shapes;
  if (placeholder_rule_ != nullptr && placeholder_rule_->mode() != v1::RULE_MODE_OFF) {
    flaws.placeholder = placeholder_rule_->FindPlaceholder(invitation.note());
    flaws.placeholder_enforced = placeholder_rule_->mode() == v1::RULE_MODE_ENFORCE;
  }
  if (pitch_rule_ != nullptr && pitch_rule_->mode() != v1::RULE_MODE_OFF) {
    flaws.pitch = pitch_rule_->Detect(context);
    flaws.pitch_enforced = pitch_rule_->mode() == v1::RULE_MODE_ENFORCE;
  }
  if (template_blast_rule_ != nullptr && template_blast_rule_->mode() != v1::RULE_MODE_OFF) {
    flaws.template_blast = template_blast_rule_->Fires(context);
    flaws.template_blast_enforced = template_blast_rule_->mode() == v1::RULE_MODE_ENFORCE;
  }
  context.note_flaws = &flaws;

  verdict.set_invitation_id(invitation.invitation_id());
  verdict.set_rules_version(rules_version_);
  if (standing != nullptr) *verdict.mutable_sender_standing() = *standing;
  verdict.set_degraded(history == HistoryStatus::kUnavailable);
  if (!language.language.empty()) {
    verdict.set_note_language(std::string(language.language));
    verdict.set_note_language_confidence(language.confidence);
  }
  // Only notes to strangers count towards template-blast (Verdict.note_fingerprint).
  if (stranger) {
    verdict.set_note_fingerprint(
        NoteFingerprint(note_words.words(), note_words.joined(), invitation));
  }

  // Features that belong to no rule.
  const v1::LikelihoodWeights& weights = config_.likelihood().weights();
  double logit = base_logit_;
  if (!stranger) logit += weights.existing_relationship();
  const uint32_t mutual =
      std::min(relationship.mutual_connections(), weights.mutual_connections_cap());
  logit += weights.mutual_connections() * std::log2(1.0 + mutual);

  v1::Decision decision = v1::DECISION_SEND;
  RuleResult result;
  result.catalogs = &catalogs_;
  result.locales = catalogs_.Resolve(invitation.sender().locale());
  google::protobuf::RepeatedPtrField<v1::Finding>& findings = *verdict.mutable_findings();
  result.out = &findings;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const std::unique_ptr<Rule>& rule = rules_[i];
    const v1::RuleMode mode = rule->mode();
    if (mode == v1::RULE_MODE_OFF) continue;
    const int first = findings.size();
    result.logit = 0;
    result.code_base = code_base_[i];
    rule->Evaluate(context, &result);
    const bool shadow = mode == v1::RULE_MODE_SHADOW;
    if (!shadow) logit += result.logit;
    for (int k = first; k < findings.size(); ++k) {
      v1::Finding& finding = findings[k];
      finding.set_rule_id(std::string(rule->id()));
      finding.set_shadow(shadow);
      // Decision values are numbered weakest to strongest.
      if (!shadow && finding.outcome() > decision) decision = finding.outcome();
    }
  }
  verdict.set_decision(decision);
  verdict.set_acceptance_likelihood(1.0 / (1.0 + std::exp(-logit)));
}

v1::ListRulesResponse RulesEngine::ListRules() const {
  v1::ListRulesResponse response;
  response.set_rules_version(rules_version_);
  for (const std::unique_ptr<Rule>& rule : rules_) {
    v1::RuleInfo& info = *response.add_rules();
    info.set_rule_id(std::string(rule->id()));
    info.set_description(std::string(rule->description()));
    info.set_mode(rule->mode());
    const Message& config = rule->config();
    const google::protobuf::Descriptor* descriptor = config.GetDescriptor();
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const FieldDescriptor* field = descriptor->field(i);
      if (field->name() == "mode") continue;
      (*info.mutable_parameters())[field->name()] = ParameterText(config, field);
    }
    for (const FindingCode* code : rule->codes()) {
      info.add_codes(code->code);
      (*info.mutable_code_params())[code->code] = code->params_text;
    }
  }
  return response;
}

}  // namespace etiquette
