#include "evaluator/rules_engine.h"

#include <cmath>

#include "evaluator/config.h"
#include "evaluator/note_fingerprint.h"
#include "evaluator/rules/after_interview.h"
#include "evaluator/rules/note_pitch.h"
#include "evaluator/rules/twitter_only.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using testing::GoodInvitation;
using testing::TestNow;

std::unique_ptr<RulesEngine> Engine(const v1::EvaluatorConfig& config = DefaultEvaluatorConfig()) {
  absl::StatusOr<std::unique_ptr<RulesEngine>> engine = RulesEngine::Create(config);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return std::move(*engine);
}

v1::Verdict Evaluate(const RulesEngine& engine, const v1::Invitation& invitation,
                     const v1::SenderStanding* standing = nullptr) {
  return engine.Evaluate(invitation, TestNow(),
                         standing ? HistoryStatus::kAnswered : HistoryStatus::kNotConfigured,
                         standing);
}

const v1::Finding* FindingOf(const v1::Verdict& verdict, const std::string& rule_id) {
  for (const v1::Finding& finding : verdict.findings()) {
    if (finding.rule_id() == rule_id) return &finding;
  }
  return nullptr;
}

// A stranger, no note: personal-note asks to REVISE.
v1::Invitation NoNote() {
  v1::Invitation invitation = GoodInvitation();
  invitation.clear_note();
  return invitation;
}

TEST(RulesEngineTest, GoodInvitationIsSent) {
  v1::Verdict verdict = Evaluate(*Engine(), GoodInvitation());
  EXPECT_EQ(verdict.decision(), v1::DECISION_SEND);
  EXPECT_EQ(verdict.invitation_id(), "inv-0001");
  EXPECT_EQ(verdict.rules_version(), RulesVersion(DefaultEvaluatorConfig()));
  EXPECT_FALSE(verdict.degraded());
  EXPECT_FALSE(verdict.has_sender_standing());
  for (const v1::Finding& finding : verdict.findings()) {
    EXPECT_NE(finding.severity(), v1::SEVERITY_VIOLATION) << finding.rule_id();
  }
}

TEST(RulesEngineTest, DecisionIsStrongestOutcome) {
  std::unique_ptr<RulesEngine> engine = Engine();
  // REVISE alone.
  EXPECT_EQ(Evaluate(*engine, NoNote()).decision(), v1::DECISION_REVISE);

  // DEFER (after-interview) beats REVISE (personal-note).
  v1::Invitation interview = NoNote();
  v1::HiringEvent& event = *interview.mutable_relationship()->add_hiring_events();
  event.set_stage(v1::HIRING_STAGE_INTERVIEWED);
  event.set_company_id(interview.recipient().company_id());
  *event.mutable_occurred_at() = ToTimestamp(TestNow() - absl::Hours(24 * 10));
  EXPECT_EQ(Evaluate(*engine, interview).decision(), v1::DECISION_DEFER);

  // REQUIRE_EMAIL (sender-restricted) beats DEFER.
  v1::SenderStanding restricted;
  restricted.set_state(v1::STANDING_STATE_RESTRICTED);
  EXPECT_EQ(Evaluate(*engine, interview, &restricted).decision(), v1::DECISION_REQUIRE_EMAIL);

  // BLOCK (recipient-reported) beats everything.
  restricted.mutable_pair()->set_recipient_reported_sender(true);
  EXPECT_EQ(Evaluate(*engine, interview, &restricted).decision(), v1::DECISION_BLOCK);
}

TEST(RulesEngineTest, AdviceDoesNotChangeTheDecision) {
  v1::Invitation invitation = GoodInvitation();
  invitation.set_note(invitation.note() + " Happy to show you a demo.");
  v1::Verdict verdict = Evaluate(*Engine(), invitation);
  const v1::Finding* pitch = FindingOf(verdict, "note-pitch");
  ASSERT_NE(pitch, nullptr);
  EXPECT_EQ(pitch->severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(verdict.decision(), v1::DECISION_SEND);
}

TEST(RulesEngineTest, ShadowRuleReportsButChangesNothing) {
  v1::EvaluatorConfig config = DefaultEvaluatorConfig();
  config.mutable_rules()->mutable_personal_note()->set_mode(v1::RULE_MODE_SHADOW);
  std::unique_ptr<RulesEngine> shadow = Engine(config);
  v1::Verdict verdict = Evaluate(*shadow, NoNote());
  const v1::Finding* finding = FindingOf(verdict, "personal-note");
  ASSERT_NE(finding, nullptr);
  EXPECT_TRUE(finding->shadow());
  EXPECT_EQ(finding->outcome(), v1::DECISION_REVISE);
  EXPECT_EQ(verdict.decision(), v1::DECISION_SEND);

  // Shadow also keeps the likelihood as if the rule were off.
  config.mutable_rules()->mutable_personal_note()->set_mode(v1::RULE_MODE_OFF);
  std::unique_ptr<RulesEngine> off = Engine(config);
  EXPECT_DOUBLE_EQ(Evaluate(*shadow, GoodInvitation()).acceptance_likelihood(),
                   Evaluate(*off, GoodInvitation()).acceptance_likelihood());
  EXPECT_LT(Evaluate(*off, GoodInvitation()).acceptance_likelihood(),
            Evaluate(*Engine(), GoodInvitation()).acceptance_likelihood());
}

// The engine matches every rule's note patterns in one pass (NoteShapes); each rule then finds
// what it finds on its own, matching its own patterns.
TEST(RulesEngineTest, TheOnePassOverTheNoteFindsWhatEachRuleFindsAlone) {
  std::unique_ptr<RulesEngine> engine = Engine();
  const v1::EvaluatorConfig config = DefaultEvaluatorConfig();
  const v1::RulesConfig& r = config.rules();
  const NotePitchRule pitch(r.note_pitch(), config.likelihood().weights().pitch());
  const AfterInterviewRule interview(r.after_interview());
  const TwitterOnlyRule twitter(r.twitter_only(), config.likelihood().weights().one_way_twitter());
  const auto code_of = [](const google::protobuf::RepeatedPtrField<v1::Finding>& findings) {
    return findings.empty() ? std::string() : findings[0].code();
  };
  const auto engine_code = [](const v1::Verdict& verdict, const std::string& rule_id) {
    const v1::Finding* finding = FindingOf(verdict, rule_id);
    return finding == nullptr ? std::string() : finding->code();
  };
  int found = 0;
  for (const char* note : {
           "Hi Jordan, I help companies like yours scale revenue.",
           "Hi Jordan, thank you for interviewing me yesterday.",
           "Hi Jordan, thanks for interviewing me, I accepted the offer!",
           "Hi Jordan, we follow each other on Twitter.",
           "Hi Jordan, we follow each other on Twitter; can we hop on a quick call?",
           "Hi Jordan, we met at the Berlin payments meetup.",
       }) {
    const v1::Invitation invitation = testing::StrangerWithNoTies(note);
    const v1::Verdict verdict = Evaluate(*engine, invitation);
    for (const auto& [rule, id] : {std::pair<const Rule*, std::string>{&pitch, "note-pitch"},
                                   {&interview, "after-interview"},
                                   {&twitter, "twitter-only"}}) {
      const std::string alone = code_of(testing::RunRule(*rule, invitation).findings);
      EXPECT_EQ(engine_code(verdict, id), alone) << note << ": " << id;
      found += !alone.empty();
    }
  }
  EXPECT_EQ(found, 5);  // the notes do hold what the rules look for
}

// Issue 16's two notes: a mail-merge template with its placeholders unfilled and a sales
// opener both greet the recipient by name, yet neither is a personal note.
TEST(RulesEngineTest, ANoteWithAnEnforcedFlawIsNotCalledPersonal) {
  std::unique_ptr<RulesEngine> engine = Engine();
  const v1::Verdict personal = Evaluate(*engine, GoodInvitation());
  ASSERT_NE(FindingOf(personal, "personal-note"), nullptr);
  EXPECT_EQ(FindingOf(personal, "personal-note")->severity(), v1::SEVERITY_POSITIVE);

  v1::Invitation templated = GoodInvitation();
  templated.set_note("Hi Jordan, I saw your post on [topic] and would love to connect.");
  v1::Verdict verdict = Evaluate(*engine, templated);
  EXPECT_EQ(verdict.decision(), v1::DECISION_REVISE);
  ASSERT_NE(FindingOf(verdict, "note-placeholder"), nullptr);
  EXPECT_EQ(FindingOf(verdict, "note-placeholder")->params().at("placeholder"), "[topic]");
  EXPECT_EQ(FindingOf(verdict, "personal-note"), nullptr);

  v1::Invitation sales = GoodInvitation();
  sales.set_note("Hi Jordan, I help companies like yours scale revenue, would love to chat!");
  verdict = Evaluate(*engine, sales);
  EXPECT_EQ(verdict.decision(), v1::DECISION_SEND);
  ASSERT_NE(FindingOf(verdict, "note-pitch"), nullptr);
  EXPECT_EQ(FindingOf(verdict, "note-pitch")->code(), "note-pitch.sales-language");
  EXPECT_EQ(FindingOf(verdict, "personal-note"), nullptr);

  // A colleague's note is held to the same.
  v1::Invitation colleague = GoodInvitation();
  colleague.mutable_relationship()->set_familiarity(v1::FAMILIARITY_COLLEAGUE);
  const v1::Verdict colleague_personal = Evaluate(*engine, colleague);
  ASSERT_NE(FindingOf(colleague_personal, "personal-note"), nullptr);
  EXPECT_EQ(FindingOf(colleague_personal, "personal-note")->severity(), v1::SEVERITY_POSITIVE);
  colleague.set_note(colleague.note() + " Happy to show you a demo.");
  verdict = Evaluate(*engine, colleague);
  ASSERT_NE(FindingOf(verdict, "note-pitch"), nullptr);
  EXPECT_EQ(FindingOf(verdict, "note-pitch")->code(), "note-pitch.sales-language");
  EXPECT_EQ(FindingOf(verdict, "personal-note"), nullptr);

  // A link alone is flagged, and the note stays personal: it may point at the talk's slides.
  v1::Invitation slides = GoodInvitation();
  slides.set_note(slides.note() + " My slides: https://example.com/retries.pdf");
  verdict = Evaluate(*engine, slides);
  ASSERT_NE(FindingOf(verdict, "note-pitch"), nullptr);
  EXPECT_EQ(FindingOf(verdict, "note-pitch")->code(), "note-pitch.link");
  ASSERT_NE(FindingOf(verdict, "personal-note"), nullptr);
  EXPECT_EQ(FindingOf(verdict, "personal-note")->severity(), v1::SEVERITY_POSITIVE);
  // A link with sales language is both: the link is the finding, and the note is no longer
  // called personal.
  slides.set_note(slides.note() + " Book a call with me.");
  verdict = Evaluate(*engine, slides);
  ASSERT_NE(FindingOf(verdict, "note-pitch"), nullptr);
  EXPECT_EQ(FindingOf(verdict, "note-pitch")->code(), "note-pitch.link");
  EXPECT_EQ(FindingOf(verdict, "personal-note"), nullptr);
}

// Only an enforced flaw counts: a rule in SHADOW reports and changes nothing, one that is OFF
// finds nothing.
TEST(RulesEngineTest, AShadowOrOffFlawLeavesTheNotePersonal) {
  v1::Invitation sales = GoodInvitation();
  sales.set_note("Hi Jordan, I help companies like yours scale revenue, would love to chat!");
  v1::Invitation templated = GoodInvitation();
  templated.set_note("Hi Jordan, I saw your post on [topic] and would love to connect.");
  for (const v1::RuleMode mode : {v1::RULE_MODE_SHADOW, v1::RULE_MODE_OFF}) {
    v1::EvaluatorConfig config = DefaultEvaluatorConfig();
    config.mutable_rules()->mutable_note_pitch()->set_mode(mode);
    config.mutable_rules()->mutable_note_placeholder()->set_mode(mode);
    std::unique_ptr<RulesEngine> engine = Engine(config);
    for (const v1::Invitation& invitation : {sales, templated}) {
      const v1::Verdict verdict = Evaluate(*engine, invitation);
      ASSERT_NE(FindingOf(verdict, "personal-note"), nullptr) << mode << invitation.note();
      EXPECT_EQ(FindingOf(verdict, "personal-note")->severity(), v1::SEVERITY_POSITIVE);
      EXPECT_EQ(verdict.decision(), v1::DECISION_SEND);
    }
    const v1::Verdict sales_verdict = Evaluate(*engine, sales);
    const v1::Verdict templated_verdict = Evaluate(*engine, templated);
    const v1::Finding* pitch = FindingOf(sales_verdict, "note-pitch");
    const v1::Finding* placeholder = FindingOf(templated_verdict, "note-placeholder");
    if (mode == v1::RULE_MODE_SHADOW) {
      ASSERT_NE(pitch, nullptr);
      EXPECT_TRUE(pitch->shadow());
      ASSERT_NE(placeholder, nullptr);
      EXPECT_TRUE(placeholder->shadow());
    } else {
      EXPECT_EQ(pitch, nullptr);
      EXPECT_EQ(placeholder, nullptr);
    }
  }
}

// The note sent to everyone: near-identical to advice_at (5) of the sender's recent notes to
// strangers. Enforced, it is not called personal; in its default SHADOW it changes nothing.
TEST(RulesEngineTest, ANoteSentToEveryoneIsNotCalledPersonalWhenTemplateBlastIsEnforced) {
  v1::SenderStanding standing;
  standing.set_state(v1::STANDING_STATE_GOOD);
  standing.set_near_identical_notes_last_7d(5);
  const v1::Verdict shadow = Evaluate(*Engine(), GoodInvitation(), &standing);
  ASSERT_NE(FindingOf(shadow, "template-blast"), nullptr);
  EXPECT_TRUE(FindingOf(shadow, "template-blast")->shadow());
  ASSERT_NE(FindingOf(shadow, "personal-note"), nullptr);
  EXPECT_EQ(FindingOf(shadow, "personal-note")->severity(), v1::SEVERITY_POSITIVE);

  v1::EvaluatorConfig config = DefaultEvaluatorConfig();
  config.mutable_rules()->mutable_template_blast()->set_mode(v1::RULE_MODE_ENFORCE);
  std::unique_ptr<RulesEngine> enforced = Engine(config);
  const v1::Verdict blast = Evaluate(*enforced, GoodInvitation(), &standing);
  ASSERT_NE(FindingOf(blast, "template-blast"), nullptr);
  EXPECT_EQ(FindingOf(blast, "template-blast")->code(), "template-blast.advice");
  EXPECT_EQ(FindingOf(blast, "personal-note"), nullptr);
  EXPECT_LT(blast.acceptance_likelihood(), shadow.acceptance_likelihood());

  // One note fewer than advice_at: a personal note again.
  standing.set_near_identical_notes_last_7d(4);
  const v1::Verdict below = Evaluate(*enforced, GoodInvitation(), &standing);
  EXPECT_EQ(FindingOf(below, "template-blast"), nullptr);
  ASSERT_NE(FindingOf(below, "personal-note"), nullptr);
  EXPECT_EQ(FindingOf(below, "personal-note")->severity(), v1::SEVERITY_POSITIVE);
}

TEST(RulesEngineTest, OffRuleIsNotEvaluated) {
  v1::EvaluatorConfig config = DefaultEvaluatorConfig();
  config.mutable_rules()->mutable_personal_note()->set_mode(v1::RULE_MODE_OFF);
  v1::Verdict verdict = Evaluate(*Engine(config), NoNote());
  EXPECT_EQ(FindingOf(verdict, "personal-note"), nullptr);
  EXPECT_EQ(verdict.decision(), v1::DECISION_SEND);
}

TEST(RulesEngineTest, LikelihoodStartsAtTheBaseRate) {
  // Turn off every rule and feature: what is left is the base rate.
  v1::EvaluatorConfig config = DefaultEvaluatorConfig();
  const google::protobuf::Descriptor* rules = config.rules().GetDescriptor();
  for (int i = 0; i < rules->field_count(); ++i) {
    google::protobuf::Message* rule = config.mutable_rules()->GetReflection()->MutableMessage(
        config.mutable_rules(), rules->field(i));
    rule->GetReflection()->SetEnumValue(rule, rule->GetDescriptor()->FindFieldByName("mode"),
                                        v1::RULE_MODE_OFF);
  }
  v1::Verdict verdict = Evaluate(*Engine(config), GoodInvitation());
  EXPECT_TRUE(verdict.findings().empty());
  EXPECT_NEAR(verdict.acceptance_likelihood(), 0.31, 1e-9);
}

TEST(RulesEngineTest, LikelihoodRisesWithTiesAndFallsWithPitch) {
  std::unique_ptr<RulesEngine> engine = Engine();
  const double good = Evaluate(*engine, GoodInvitation()).acceptance_likelihood();

  v1::Invitation colleague = GoodInvitation();
  colleague.mutable_relationship()->set_familiarity(v1::FAMILIARITY_COLLEAGUE);
  colleague.mutable_relationship()->set_mutual_connections(12);
  EXPECT_GT(Evaluate(*engine, colleague).acceptance_likelihood(), good);

  v1::Invitation pitch = GoodInvitation();
  pitch.set_note(pitch.note() + " Book a call: https://example.com/pricing");
  EXPECT_LT(Evaluate(*engine, pitch).acceptance_likelihood(), good);

  v1::Invitation bare = NoNote();
  bare.mutable_sender()->set_has_photo(false);
  bare.mutable_sender()->clear_headline();
  const double likelihood = Evaluate(*engine, bare).acceptance_likelihood();
  EXPECT_LT(likelihood, good);
  EXPECT_GE(likelihood, 0.0);
  EXPECT_LE(likelihood, 1.0);
}

TEST(RulesEngineTest, WarnedSenderLowersLikelihood) {
  std::unique_ptr<RulesEngine> engine = Engine();
  v1::SenderStanding good;
  good.set_state(v1::STANDING_STATE_GOOD);
  v1::SenderStanding warned;
  warned.set_state(v1::STANDING_STATE_WARNED);
  EXPECT_LT(Evaluate(*engine, GoodInvitation(), &warned).acceptance_likelihood(),
            Evaluate(*engine, GoodInvitation(), &good).acceptance_likelihood());
}

TEST(RulesEngineTest, StandingIsCopiedIntoTheVerdict) {
  v1::SenderStanding standing;
  standing.set_sender_id("member-sender");
  standing.set_state(v1::STANDING_STATE_GOOD);
  v1::Verdict verdict = Evaluate(*Engine(), GoodInvitation(), &standing);
  EXPECT_TRUE(verdict.has_sender_standing());
  EXPECT_EQ(verdict.sender_standing().sender_id(), "member-sender");
}

TEST(RulesEngineTest, UnavailableHistoryDegradesTheVerdict) {
  v1::Verdict verdict =
      Engine()->Evaluate(GoodInvitation(), TestNow(), HistoryStatus::kUnavailable, nullptr);
  EXPECT_TRUE(verdict.degraded());
  const v1::Finding* finding = FindingOf(verdict, "history-unavailable");
  ASSERT_NE(finding, nullptr);
  EXPECT_EQ(finding->severity(), v1::SEVERITY_INFO);
  EXPECT_EQ(verdict.decision(), v1::DECISION_SEND);
}

TEST(RulesEngineTest, ListRulesShowsEveryRuleWithModeAndParameters) {
  v1::EvaluatorConfig config = DefaultEvaluatorConfig();
  config.mutable_rules()->mutable_twitter_only()->set_mode(v1::RULE_MODE_SHADOW);
  v1::ListRulesResponse rules = Engine(config)->ListRules();
  EXPECT_EQ(rules.rules_version(), RulesVersion(config));
  std::vector<std::string> ids;
  for (const v1::RuleInfo& rule : rules.rules()) {
    ids.push_back(rule.rule_id());
    EXPECT_FALSE(rule.description().empty()) << rule.rule_id();
  }
  EXPECT_THAT(ids, ::testing::ElementsAre("personal-note", "note-length", "note-pitch",
                                          "after-interview", "profile-complete", "group-activity",
                                          "twitter-only", "note-language", "note-placeholder",
                                          "template-blast", "recipient-reported", "already-pending",
                                          "sender-restricted", "reinvite-cooldown", "weekly-limit",
                                          "sender-standing", "history-unavailable"));
  EXPECT_EQ(rules.rules(1).parameters().at("free_limit"), "200");
  EXPECT_EQ(rules.rules(1).parameters().at("premium_limit"), "300");
  EXPECT_EQ(rules.rules(1).mode(), v1::RULE_MODE_ENFORCE);
  EXPECT_EQ(rules.rules(6).mode(), v1::RULE_MODE_SHADOW);
  EXPECT_EQ(rules.rules(2).parameters().at("flag_links"), "true");
  EXPECT_EQ(rules.rules(2).parameters().at("pitch_terms").substr(0, 20), "buy; discount; prici");
  EXPECT_EQ(rules.rules(0).parameters().count("mode"), 0u);
}

TEST(RulesEngineTest, VerdictCarriesTheNoteFingerprintOfANoteToAStranger) {
  const auto engine = Engine(DefaultEvaluatorConfig());
  v1::Invitation invitation = testing::GoodInvitation();
  invitation.mutable_relationship()->set_familiarity(v1::FAMILIARITY_STRANGER);
  const v1::Verdict verdict =
      engine->Evaluate(invitation, testing::TestNow(), HistoryStatus::kNotConfigured, nullptr);
  EXPECT_NE(verdict.note_fingerprint(), 0u);
  EXPECT_EQ(verdict.note_fingerprint(), NoteFingerprint(invitation));
  v1::Invitation colleague = invitation;
  colleague.mutable_relationship()->set_familiarity(v1::FAMILIARITY_COLLEAGUE);
  EXPECT_EQ(engine->Evaluate(colleague, testing::TestNow(), HistoryStatus::kNotConfigured, nullptr)
                .note_fingerprint(),
            0u);
  v1::Invitation no_note = invitation;
  no_note.clear_note();
  EXPECT_EQ(engine->Evaluate(no_note, testing::TestNow(), HistoryStatus::kNotConfigured, nullptr)
                .note_fingerprint(),
            0u);
}

TEST(RulesEngineTest, InvalidConfigIsRefused) {
  v1::EvaluatorConfig config = DefaultEvaluatorConfig();
  config.mutable_rules()->mutable_note_length()->set_free_limit(0);
  EXPECT_EQ(RulesEngine::Create(config).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace etiquette
