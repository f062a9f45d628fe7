#include "evaluator/config.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/config_errors.h"
#include "common/config_version.h"
#include "common/status.h"
#include "common/yaml_proto.h"
#include "evaluator/language_id.h"
#include "evaluator/message_catalog.h"
#include "evaluator/pitch_patterns.h"
#include "evaluator/rules_engine.h"

namespace etiquette {
namespace {

using v1::RuleMode;

constexpr int kMaxLanguagePacks = 64;

template <typename List>
void SetList(List* field, std::initializer_list<const char*> values) {
  field->Clear();
  for (const char* value : values) field->Add(value);
}

// Checks that only the evaluator's config has.
class ErrorList : public ConfigErrors {
 public:
  void Mode(const std::string& rule, RuleMode mode) {
    if (mode == v1::RULE_MODE_UNSPECIFIED) {
      Add(absl::StrCat("rules.", rule, ".mode"), "must be one of ENFORCE, SHADOW, OFF");
    }
  }
  template <typename List>
  void NoBlankEntries(const std::string& path, const List& list, bool required) {
    if (required && list.empty()) Add(path, "must not be empty");
    for (int i = 0; i < list.size(); ++i) {
      if (absl::StripAsciiWhitespace(list.Get(i)).empty()) {
        Add(absl::StrCat(path, "[", i, "]"), "must not be blank");
      }
    }
  }
  // Each entry in note-pitch's pattern grammar (PitchPatterns::Check), else its reason.
  template <typename List>
  void Patterns(const std::string& path, const List& list) {
    for (int i = 0; i < list.size(); ++i) {
      if (absl::Status s = PitchPatterns::Check(list.Get(i)); !s.ok()) {
        Add(absl::StrCat(path, "[", i, "]"), s.message());
      }
    }
  }
  void Weight(const std::string& name, double value) {
    if (!std::isfinite(value) || std::abs(value) > 10) {
      Add(absl::StrCat("likelihood.weights.", name), "must be between -10 and 10");
    }
  }
};

}  // namespace

v1::EvaluatorConfig DefaultEvaluatorConfig() {
  v1::EvaluatorConfig config;
  v1::RulesConfig& rules = *config.mutable_rules();

  v1::PersonalNoteConfig& note = *rules.mutable_personal_note();
  note.set_mode(v1::RULE_MODE_ENFORCE);
  SetList(note.mutable_stock_notes(),
          {"I'd like to add you to my professional network on LinkedIn.",
           "I would like to add you to my professional network on LinkedIn.",
           "I'd like to add you to my professional network.",
           "I'd like to add you to my LinkedIn network.", "I'd like to join your LinkedIn network.",
           "I'd like to join your professional network on LinkedIn.",
           "I'd like to connect with you on LinkedIn.", "Let's connect on LinkedIn.",
           "Please accept my invitation to connect."});
  note.set_stock_similarity(0.85);
  SetList(note.mutable_greetings(),
          {"hi there", "hello there", "hi", "hello", "hey", "dear", "greetings", "good morning",
           "good afternoon", "good evening"});
  SetList(note.mutable_signoffs(),
          {"best regards", "kind regards", "warm regards", "regards", "best wishes", "best",
           "thanks", "thank you", "cheers", "sincerely", "all the best"});
  SetList(note.mutable_reason_cues(),
          {"because",     "met",         "meet",         "enjoyed your",
           "we both",     "both",        "saw your",     "read your",
           "heard you",   "your talk",   "your article", "your post",
           "your work",   "your team",   "introduced",   "referred",
           "recommended", "worked with", "work with",    "mutual",
           "fellow",      "alumni",      "alumnus",      "conference",
           "meetup",      "webinar",     "same group",   "interested in your",
           "loved your",  "admire"});

  v1::NoteLengthConfig& length = *rules.mutable_note_length();
  length.set_mode(v1::RULE_MODE_ENFORCE);
  length.set_premium_limit(300);
  length.set_free_limit(200);
  length.set_unit(v1::LENGTH_UNIT_CODE_POINTS);

  v1::NotePitchConfig& pitch = *rules.mutable_note_pitch();
  pitch.set_mode(v1::RULE_MODE_ENFORCE);
  SetList(pitch.mutable_pitch_terms(),
          {"buy", "discount", "pricing", "demo", "free trial", "our product", "our products",
           "our service", "our platform", "our solution", "book a call", "schedule a call",
           "quick call", "special offer", "limited time", "promo code", "sign up", "purchase"});
  pitch.set_flag_links(true);
  // The pitches public guides tell senders not to make in a connection request: offers
  // ("I help companies like yours..."), a call or demo asked for in the first message, a
  // calendar link, prices and discounts. Grammar in NotePitchConfig.pitch_patterns.
  SetList(pitch.mutable_pitch_patterns(),
          {"companies|businesses|brands|firms|organizations|organisations|startups|agencies|"
           "teams|founders|leaders|professionals|clients like yours|you",
           "help|helps|helped ... companies|businesses|brands|firms|organizations|"
           "organisations|startups|agencies|clients|founders|ceos",
           "increase|boost|scale|grow|double|triple|10x your? revenue|sales|leads|pipeline|roi|"
           "conversions|traffic|bookings|mrr|arr",
           "more leads|clients|customers|appointments|sales|revenue",
           "hop|jump|get on a|an? quick|short|brief|#? min|mins|minute|minutes? "
           "call|chat|zoom|meeting|demo",
           "book|schedule|set|grab|arrange|have up? a|an quick|short|brief|#? "
           "min|mins|minute|minutes? call|zoom|meeting|demo",
           "love|happy|keen|open|free|available to|for a|an? quick|short|brief|#? "
           "min|mins|minute|minutes? chat|call|zoom|meeting|demo",
           "min|mins|minute|minutes of your time",
           "have #|a? few? min|mins|minute|minutes",
           "your calendar|availability",
           "calendly|savvycal|chilipiper|tidycal|zcal|acuityscheduling",
           "cal com",
           "meetings hubspot",
           "# off",
           "# percent off",
           "price|prices|priced|pricing",
           "discount|discounts|discounted",
           "special deal|price|rate|offer",
           "# a|per month|year|seat|user|license|licence",
           "money back",
           "no cost|charge"});

  rules.mutable_after_interview()->set_mode(v1::RULE_MODE_ENFORCE);
  rules.mutable_after_interview()->set_lookback_days(180);
  // A note that says the sender applied or was interviewed, in the languages of the packs but
  // ja and zh-Hans (a pattern element is one word, theirs are character pairs). Only phrases of
  // a job: "our interview" may be a podcast's. Apostrophes are dropped: "l'entretien" is
  // "lentretien".
  SetList(
      rules.mutable_after_interview()->mutable_note_patterns(),
      {"interviewing|interviewed me", "job|hiring interview|interviews",
       "interview|interviews for the|a|your ... role|position|job|opening|internship",
       "applied|apply|applying for|to ... "
       "role|position|job|opening|vacancy|internship|roles|positions|jobs|openings",
       "submitted|sent my resume|cv|application|résumé",
       "application|applications|candidacy for the|a|your ... role|position|job|opening|internship",
       "vorstellungsgespräch|vorstellungsgespräche|bewerbungsgespräch|bewerbungsgespräche|"
       "jobinterview|beworben",
       "bewerbung|bewerbungen als|für|auf|um", "postulé|candidaté|candidatei|gesolliciteerd",
       "entretien|entretiens|lentretien ... embauche|dembauche",
       "candidature|candidatura|postulación pour|para|per|al|au|à|a|alla",
       "entrevista|entrevistas de trabajo|empleo|emprego|trabalho", "entrevistarme|entrevistou",
       "colloquio|colloqui di lavoro", "sollicitatie|sollicitatiegesprek|sollicitatiegesprekken"});
  SetList(rules.mutable_after_interview()->mutable_hired_patterns(),
          {"accepted|accepting the|your|an offer", "got|landed the|this job|offer|role|position",
           "my first day", "hired me", "zusage", "ersten arbeitstag",
           "accepté|acepté|aceitei|accettato ... offre|oferta|proposta|offerta",
           "premier|primer|primeiro|primo jour|día|dia|giorno", "aangenomen", "eerste werkdag"});
  rules.mutable_profile_complete()->set_mode(v1::RULE_MODE_ENFORCE);
  rules.mutable_group_activity()->set_mode(v1::RULE_MODE_ENFORCE);
  rules.mutable_group_activity()->set_min_activity_90d(3);
  rules.mutable_twitter_only()->set_mode(v1::RULE_MODE_ENFORCE);
  // A note that gives a follow on Twitter (or X) as the tie, in the languages of the packs
  // (ja and zh-Hans have none: a pattern element is one word, and theirs are character pairs).
  // French and Italian need the pronoun ("je suis" is also "I am"), English an object
  // ("following our chat" is not a follow).
  SetList(rules.mutable_twitter_only()->mutable_follow_patterns(),
          {"follow|follows|following|followed you|each|your|me|one|us ... on? twitter|x",
           "twitter|x follower|followers|follow|following|connection|connections|friends|mutuals",
           "connected|mutuals on twitter|x", "folge|folgen|folgst|folgt ... auf? twitter|x",
           "auf twitter|x ... gefolgt|vernetzt|verbunden",
           "vous|te|nous|tu suis|suivons|suit|suivez|suivre ... sur? twitter|x",
           "abonné|abonnée|abonnés|abonnées ... twitter|x",
           "sigo|seguimos|sigues|segue|segues|seguem|seguidor|seguidora|seguidores ... en|no|na? "
           "twitter|x",
           "ti|vi|ci seguo|seguiamo|segui|segue ... su? twitter|x",
           "volg|volgen|volgt|gevolgd|volger|volgers ... op? twitter|x"});
  rules.mutable_recipient_reported()->set_mode(v1::RULE_MODE_ENFORCE);
  rules.mutable_already_pending()->set_mode(v1::RULE_MODE_ENFORCE);
  rules.mutable_sender_restricted()->set_mode(v1::RULE_MODE_ENFORCE);
  rules.mutable_reinvite_cooldown()->set_mode(v1::RULE_MODE_ENFORCE);
  rules.mutable_weekly_limit()->set_mode(v1::RULE_MODE_ENFORCE);
  rules.mutable_weekly_limit()->set_max_invitations_7d(100);
  rules.mutable_sender_standing()->set_mode(v1::RULE_MODE_ENFORCE);
  rules.mutable_history_unavailable()->set_mode(v1::RULE_MODE_ENFORCE);

  v1::NotePlaceholderConfig& placeholder = *rules.mutable_note_placeholder();
  placeholder.set_mode(v1::RULE_MODE_ENFORCE);
  SetList(placeholder.mutable_delimiters(), {"[]", "{{}}", "{}", "<>", "%%"});
  // The merge fields of common outreach tools' templates (first name, company, ...) and the
  // fill-in-the-blank words of the note templates public guides publish ("[your area]").
  SetList(placeholder.mutable_placeholder_terms(), {"name",         "first name",
                                                    "firstname",    "last name",
                                                    "lastname",     "full name",
                                                    "fname",        "company",
                                                    "companyname",  "organization",
                                                    "organisation", "title",
                                                    "job title",    "jobtitle",
                                                    "position",     "role",
                                                    "industry",     "topic",
                                                    "area",         "field",
                                                    "city",         "location",
                                                    "school",       "university",
                                                    "event",        "mutual connection",
                                                    "recipient",    "prospect",
                                                    "insert",       "link",
                                                    "website",      "your",
                                                    "their",        "x"});
  placeholder.set_max_chars(40);

  v1::LikelihoodConfig& likelihood = *config.mutable_likelihood();
  likelihood.set_base_rate(0.31);
  v1::LikelihoodWeights& weights = *likelihood.mutable_weights();
  weights.set_personal_note(0.6);
  weights.set_has_photo(0.5);
  weights.set_has_headline(0.3);
  weights.set_active_group(0.5);
  weights.set_mutual_connections(0.25);
  weights.set_mutual_connections_cap(500);
  weights.set_existing_relationship(1.5);
  weights.set_one_way_twitter(-0.5);
  weights.set_pitch(-0.7);
  weights.set_warned_sender(-0.6);

  v1::NoteLanguageConfig& language = *rules.mutable_note_language();
  language.set_mode(v1::RULE_MODE_SHADOW);
  language.set_min_confidence(0.8);

  // template-blast: see TemplateBlastConfig for where the thresholds come from.
  v1::TemplateBlastConfig& blast = *rules.mutable_template_blast();
  blast.set_mode(v1::RULE_MODE_SHADOW);
  blast.set_advice_at(5);
  blast.set_defer_at(25);

  // Parsed once: every default config shares the same packs.
  static const v1::EvaluatorConfig* const packs = [] {
    auto* parsed = new v1::EvaluatorConfig();
    if (!MergeYamlIntoMessage(kDefaultLanguagePacksYaml, parsed).ok()) std::abort();
    return parsed;
  }();
  *config.mutable_language_packs() = packs->language_packs();
  // The catalogs are the shipped file's: one source for the running default and the file.
  static const v1::EvaluatorConfig* const shipped = [] {
    auto* parsed = new v1::EvaluatorConfig();
    if (!MergeYamlIntoMessage(kDefaultEvaluatorYaml, parsed).ok()) std::abort();
    return parsed;
  }();
  *config.mutable_catalogs() = shipped->catalogs();
  return config;
}

absl::Status ValidateEvaluatorConfig(const v1::EvaluatorConfig& config) {
  ErrorList e;
  const v1::RulesConfig& rules = config.rules();
  e.Mode("personal_note", rules.personal_note().mode());
  e.NoBlankEntries("rules.personal_note.stock_notes", rules.personal_note().stock_notes(), true);
  const double similarity = rules.personal_note().stock_similarity();
  if (!(similarity > 0 && similarity <= 1)) {
    e.Add("rules.personal_note.stock_similarity", "must be greater than 0 and at most 1");
  }
  e.NoBlankEntries("rules.personal_note.greetings", rules.personal_note().greetings(), false);
  e.NoBlankEntries("rules.personal_note.signoffs", rules.personal_note().signoffs(), false);
  e.NoBlankEntries("rules.personal_note.reason_cues", rules.personal_note().reason_cues(), true);

  e.Mode("note_length", rules.note_length().mode());
  e.Positive("rules.note_length.premium_limit", rules.note_length().premium_limit());
  e.Positive("rules.note_length.free_limit", rules.note_length().free_limit());
  e.AtMost("rules.note_length.premium_limit", rules.note_length().premium_limit(), 8000);
  e.AtMost("rules.note_length.free_limit", rules.note_length().free_limit(), 8000);

  e.Mode("note_pitch", rules.note_pitch().mode());
  e.NoBlankEntries("rules.note_pitch.pitch_terms", rules.note_pitch().pitch_terms(), false);
  e.Patterns("rules.note_pitch.pitch_patterns", rules.note_pitch().pitch_patterns());

  e.Mode("after_interview", rules.after_interview().mode());
  e.Positive("rules.after_interview.lookback_days", rules.after_interview().lookback_days());
  e.AtMost("rules.after_interview.lookback_days", rules.after_interview().lookback_days(), 3650);
  e.Patterns("rules.after_interview.note_patterns", rules.after_interview().note_patterns());
  e.Patterns("rules.after_interview.hired_patterns", rules.after_interview().hired_patterns());

  e.Mode("profile_complete", rules.profile_complete().mode());
  e.Mode("group_activity", rules.group_activity().mode());
  e.Positive("rules.group_activity.min_activity_90d", rules.group_activity().min_activity_90d());
  e.Mode("twitter_only", rules.twitter_only().mode());
  e.Patterns("rules.twitter_only.follow_patterns", rules.twitter_only().follow_patterns());
  e.Mode("recipient_reported", rules.recipient_reported().mode());
  e.Mode("already_pending", rules.already_pending().mode());
  e.Mode("sender_restricted", rules.sender_restricted().mode());
  e.Mode("reinvite_cooldown", rules.reinvite_cooldown().mode());
  e.Mode("weekly_limit", rules.weekly_limit().mode());
  e.Positive("rules.weekly_limit.max_invitations_7d", rules.weekly_limit().max_invitations_7d());
  e.Mode("sender_standing", rules.sender_standing().mode());
  e.Mode("history_unavailable", rules.history_unavailable().mode());

  const v1::NotePlaceholderConfig& placeholder = rules.note_placeholder();
  e.Mode("note_placeholder", placeholder.mode());
  for (int i = 0; i < placeholder.delimiters_size(); ++i) {
    const std::string& pair = placeholder.delimiters(i);
    const bool symbols = std::none_of(pair.begin(), pair.end(), [](char c) {
      return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
             absl::ascii_isspace(static_cast<unsigned char>(c)) ||
             static_cast<unsigned char>(c) >= 0x80;
    });
    if (pair.size() < 2 || pair.size() > 8 || pair.size() % 2 != 0 || !symbols) {
      e.Add(absl::StrCat("rules.note_placeholder.delimiters[", i, "]"),
            "must be an opening and a closing delimiter of equal length, 2 to 8 ASCII symbols "
            "in all");
    }
  }
  e.NoBlankEntries("rules.note_placeholder.placeholder_terms", placeholder.placeholder_terms(),
                   false);
  e.Positive("rules.note_placeholder.max_chars", placeholder.max_chars());
  e.AtMost("rules.note_placeholder.max_chars", placeholder.max_chars(), 100);

  const v1::TemplateBlastConfig& blast = rules.template_blast();
  e.Mode("template_blast", blast.mode());
  e.Positive("rules.template_blast.advice_at", blast.advice_at());
  e.AtMost("rules.template_blast.advice_at", blast.advice_at(), 1000);
  if (blast.defer_at() < blast.advice_at()) {
    e.Add("rules.template_blast.defer_at", "must be at least advice_at");
  }
  e.AtMost("rules.template_blast.defer_at", blast.defer_at(), 1000);

  const double base_rate = config.likelihood().base_rate();
  if (!(base_rate > 0 && base_rate < 1)) {
    e.Add("likelihood.base_rate", "must be greater than 0 and less than 1");
  }
  const v1::LikelihoodWeights& w = config.likelihood().weights();
  e.Weight("personal_note", w.personal_note());
  e.Weight("has_photo", w.has_photo());
  e.Weight("has_headline", w.has_headline());
  e.Weight("active_group", w.active_group());
  e.Weight("mutual_connections", w.mutual_connections());
  e.Weight("existing_relationship", w.existing_relationship());
  e.Weight("one_way_twitter", w.one_way_twitter());
  e.Weight("pitch", w.pitch());
  e.Weight("warned_sender", w.warned_sender());
  e.Positive("likelihood.weights.mutual_connections_cap", w.mutual_connections_cap());

  e.Mode("note_language", rules.note_language().mode());
  const double min_confidence = rules.note_language().min_confidence();
  if (!(min_confidence > 0 && min_confidence <= 1)) {
    e.Add("rules.note_language.min_confidence", "must be greater than 0 and at most 1");
  }

  if (config.language_packs_size() > kMaxLanguagePacks) {
    e.Add("language_packs", absl::StrCat("at most ", kMaxLanguagePacks, " packs"));
  }
  std::vector<std::string> languages;
  for (int i = 0; i < config.language_packs_size(); ++i) {
    const v1::LanguagePack& pack = config.language_packs(i);
    const std::string path = absl::StrCat("language_packs[", i, "]");
    if (!IsWellFormedLanguageTag(pack.language())) {
      e.Add(path + ".language", "must be a well-formed BCP 47 language tag");
    }
    const std::string folded = absl::AsciiStrToLower(pack.language());
    if (std::find(languages.begin(), languages.end(), folded) != languages.end()) {
      e.Add(path + ".language", "another pack has this language");
    }
    languages.push_back(folded);
    e.NoBlankEntries(path + ".stock_notes", pack.stock_notes(), false);
    e.NoBlankEntries(path + ".greetings", pack.greetings(), false);
    e.NoBlankEntries(path + ".signoffs", pack.signoffs(), false);
    e.NoBlankEntries(path + ".reason_cues", pack.reason_cues(), false);
    e.NoBlankEntries(path + ".pitch_terms", pack.pitch_terms(), false);
    e.NoBlankEntries(path + ".name_suffixes", pack.name_suffixes(), false);
    e.Patterns(path + ".pitch_patterns", pack.pitch_patterns());
  }
  // Compiled and thrown away: the engine compiles its own.
  MessageCatalogs::Compile(config.catalogs(), AllFindingCodes(), &e);
  return e.ToStatus();
}

absl::StatusOr<v1::EvaluatorConfig> ParseEvaluatorConfig(const std::string& yaml_text) {
  v1::EvaluatorConfig config = DefaultEvaluatorConfig();
  if (absl::Status s = MergeYamlIntoMessage(yaml_text, &config); !s.ok()) return s;
  if (absl::Status s = ValidateEvaluatorConfig(config); !s.ok()) return s;
  return config;
}

absl::StatusOr<v1::EvaluatorConfig> LoadEvaluatorConfigFile(const std::string& path) {
  v1::EvaluatorConfig config = DefaultEvaluatorConfig();
  absl::Status status =
      MergeYamlFileIntoMessage(path, &config, [](const google::protobuf::Message& merged) {
        return ValidateEvaluatorConfig(static_cast<const v1::EvaluatorConfig&>(merged));
      });
  if (!status.ok()) return status;
  return config;
}

std::string RulesVersion(const v1::EvaluatorConfig& config) { return ConfigVersion(config); }

}  // namespace etiquette
