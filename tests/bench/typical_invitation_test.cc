// The invitations the benchmarks judge (bench/typical_invitation.h) get the verdicts their
// comments promise, so that a figure measures what the README says it measures: the typical
// invitation in English, German and Japanese is sent with the same two POSITIVE findings, and
// the over-limit German note adds note-length's finding.
#include "bench/typical_invitation.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "etiquette/v1/evaluator.pb.h"
#include "evaluator/config.h"
#include "evaluator/rules_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace etiquette::bench {
namespace {

using ::testing::ElementsAre;

constexpr int64_t kNowUnixS = 1'780'315'200;

v1::Verdict Judge(const char* note, const std::string& locale) {
  absl::StatusOr<std::unique_ptr<RulesEngine>> engine =
      RulesEngine::Create(DefaultEvaluatorConfig());
  EXPECT_TRUE(engine.ok()) << engine.status();
  v1::Invitation invitation = TypicalInvitation(kNowUnixS);
  invitation.set_note(note);
  if (!locale.empty()) {
    invitation.mutable_sender()->set_locale(locale);
    invitation.mutable_recipient()->set_locale(locale);
  }
  return (*engine)->Evaluate(invitation, absl::FromUnixSeconds(kNowUnixS),
                             HistoryStatus::kNotConfigured, nullptr);
}

std::vector<std::string> Codes(const v1::Verdict& verdict) {
  std::vector<std::string> codes;
  for (const v1::Finding& finding : verdict.findings()) codes.push_back(finding.code());
  return codes;
}

TEST(TypicalInvitationTest, EnglishIsSentWithTwoPositiveFindings) {
  const v1::Verdict verdict = Judge(kTypicalNote, "");
  EXPECT_EQ(verdict.decision(), v1::DECISION_SEND);
  EXPECT_EQ(verdict.note_language(), "en");
  EXPECT_THAT(Codes(verdict), ElementsAre("personal-note.personal", "group-activity.active"));
}

TEST(TypicalInvitationTest, GermanIsSentWithTheSameFindingsInGerman) {
  const v1::Verdict verdict = Judge(kTypicalGermanNote, "de-DE");
  EXPECT_EQ(verdict.decision(), v1::DECISION_SEND);
  EXPECT_EQ(verdict.note_language(), "de");
  EXPECT_THAT(Codes(verdict), ElementsAre("personal-note.personal", "group-activity.active"));
  EXPECT_EQ(verdict.findings(0).message(),
            "Die Nachricht ist persönlich und nennt einen Grund für die Vernetzung.");
}

TEST(TypicalInvitationTest, JapaneseIsSentWithTwoPositiveFindings) {
  const v1::Verdict verdict = Judge(kTypicalJapaneseNote, "ja-JP");
  EXPECT_EQ(verdict.decision(), v1::DECISION_SEND);
  EXPECT_EQ(verdict.note_language(), "ja");
  EXPECT_THAT(Codes(verdict), ElementsAre("personal-note.personal", "group-activity.active"));
}

TEST(TypicalInvitationTest, GermanOverLimitAddsTheNoteLengthFinding) {
  const v1::Verdict verdict = Judge(kGermanNoteOverLimit, "de-DE");
  EXPECT_EQ(verdict.decision(), v1::DECISION_REVISE);
  EXPECT_THAT(Codes(verdict), ElementsAre("personal-note.personal", "note-length.over-limit",
                                          "group-activity.active"));
}

}  // namespace
}  // namespace etiquette::bench
