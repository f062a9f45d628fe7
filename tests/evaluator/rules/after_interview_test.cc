#include "evaluator/rules/after_interview.h"

#include <string>

#include "absl/time/time.h"
#include "common/proto_time.h"
#include "evaluator/config.h"
#include "gtest/gtest.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using ::etiquette::testing::GoodInvitation;
using ::etiquette::testing::RunRule;
using ::etiquette::testing::TestNow;

constexpr char kRecipientsCompany[] = "co-globex";  // GoodInvitation's recipient works here
constexpr char kOtherCompany[] = "co-umbrella";

// Adds a hiring step `days_ago` days before the invitation's sent_at (TestNow()).
void AddEvent(v1::Invitation* invitation, v1::HiringStage stage, const std::string& company,
              absl::Duration ago) {
  v1::HiringEvent& event = *invitation->mutable_relationship()->add_hiring_events();
  event.set_stage(stage);
  event.set_company_id(company);
  *event.mutable_occurred_at() = ToTimestamp(TestNow() - ago);
}

absl::Duration Days(int days) { return absl::Hours(24) * days; }

class AfterInterviewRuleTest : public ::testing::Test {
 protected:
  AfterInterviewRuleTest() : rule_(DefaultEvaluatorConfig().rules().after_interview()) {}
  const AfterInterviewRule rule_;
};

TEST_F(AfterInterviewRuleTest, IdAndMode) {
  EXPECT_EQ(rule_.id(), "after-interview");
  EXPECT_EQ(rule_.mode(), v1::RULE_MODE_ENFORCE);
}

TEST_F(AfterInterviewRuleTest, NoHiringHistoryIsSilent) {
  const RuleResult result = RunRule(rule_, GoodInvitation());
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

// "Do not send a request after a job interview or if you have just submitted a resume."
TEST_F(AfterInterviewRuleTest, InterviewedAtRecipientsCompanyDefers) {
  v1::Invitation invitation = GoodInvitation();
  AddEvent(&invitation, v1::HIRING_STAGE_INTERVIEWED, kRecipientsCompany, Days(3));
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_DEFER);
  EXPECT_FALSE(result.findings[0].advice().empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(AfterInterviewRuleTest, JustSubmittedResumeDefers) {
  v1::Invitation invitation = GoodInvitation();
  AddEvent(&invitation, v1::HIRING_STAGE_APPLIED, kRecipientsCompany, absl::Minutes(5));
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_DEFER);
}

TEST_F(AfterInterviewRuleTest, StepAtTheInvitationsOwnTimeDefers) {
  v1::Invitation invitation = GoodInvitation();
  AddEvent(&invitation, v1::HIRING_STAGE_INTERVIEW_SCHEDULED, kRecipientsCompany,
           absl::ZeroDuration());
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_DEFER);
}

class AfterInterviewStageTest : public ::testing::TestWithParam<v1::HiringStage> {};

TEST_P(AfterInterviewStageTest, NonHiredStepWithinLookbackAtRecipientsCompanyDefers) {
  const AfterInterviewRule rule(DefaultEvaluatorConfig().rules().after_interview());
  v1::Invitation invitation = GoodInvitation();
  AddEvent(&invitation, GetParam(), kRecipientsCompany, Days(30));
  const RuleResult result = RunRule(rule, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_DEFER);
  EXPECT_EQ(result.logit, 0.0);
}

TEST_P(AfterInterviewStageTest, NonHiredStepOlderThanLookbackIsIgnored) {
  const AfterInterviewRule rule(DefaultEvaluatorConfig().rules().after_interview());
  v1::Invitation invitation = GoodInvitation();
  AddEvent(&invitation, GetParam(), kRecipientsCompany, Days(181));
  const RuleResult result = RunRule(rule, invitation);
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_P(AfterInterviewStageTest, NonHiredStepAtAnotherCompanyIsIgnored) {
  const AfterInterviewRule rule(DefaultEvaluatorConfig().rules().after_interview());
  v1::Invitation invitation = GoodInvitation();
  AddEvent(&invitation, GetParam(), kOtherCompany, Days(30));
  EXPECT_TRUE(RunRule(rule, invitation).findings.empty());
}

INSTANTIATE_TEST_SUITE_P(NonHiredStages, AfterInterviewStageTest,
                         ::testing::Values(v1::HIRING_STAGE_APPLIED,
                                           v1::HIRING_STAGE_INTERVIEW_SCHEDULED,
                                           v1::HIRING_STAGE_INTERVIEWED, v1::HIRING_STAGE_OFFERED,
                                           v1::HIRING_STAGE_REJECTED, v1::HIRING_STAGE_WITHDREW),
                         [](const ::testing::TestParamInfo<v1::HiringStage>& info) {
                           return v1::HiringStage_Name(info.param);
                         });

TEST_F(AfterInterviewRuleTest, InterviewExactly180DaysAgoStillDefers) {
  v1::Invitation invitation = GoodInvitation();
  AddEvent(&invitation, v1::HIRING_STAGE_INTERVIEWED, kRecipientsCompany, Days(180));
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_DEFER);
}

TEST_F(AfterInterviewRuleTest, InterviewJustOver180DaysAgoIsIgnored) {
  v1::Invitation invitation = GoodInvitation();
  AddEvent(&invitation, v1::HIRING_STAGE_INTERVIEWED, kRecipientsCompany,
           Days(180) + absl::Seconds(1));
  EXPECT_TRUE(RunRule(rule_, invitation).findings.empty());
}

TEST_F(AfterInterviewRuleTest, InterviewAtAnotherCompanyDoesNotMatterWhenHiredElsewhere) {
  v1::Invitation invitation = GoodInvitation();
  AddEvent(&invitation, v1::HIRING_STAGE_INTERVIEWED, kOtherCompany, Days(10));
  AddEvent(&invitation, v1::HIRING_STAGE_HIRED, kOtherCompany, Days(5));
  EXPECT_TRUE(RunRule(rule_, invitation).findings.empty());
}

// "Only send the request if you actually get the job."
TEST_F(AfterInterviewRuleTest, HiredThereIsPositive) {
  v1::Invitation invitation = GoodInvitation();
  AddEvent(&invitation, v1::HIRING_STAGE_APPLIED, kRecipientsCompany, Days(60));
  AddEvent(&invitation, v1::HIRING_STAGE_INTERVIEWED, kRecipientsCompany, Days(45));
  AddEvent(&invitation, v1::HIRING_STAGE_OFFERED, kRecipientsCompany, Days(35));
  AddEvent(&invitation, v1::HIRING_STAGE_HIRED, kRecipientsCompany, Days(30));
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_POSITIVE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(AfterInterviewRuleTest, HiredThereListedOutOfOrderIsPositive) {
  v1::Invitation invitation = GoodInvitation();  // hiring events come "in any order"
  AddEvent(&invitation, v1::HIRING_STAGE_HIRED, kRecipientsCompany, Days(20));
  AddEvent(&invitation, v1::HIRING_STAGE_INTERVIEWED, kRecipientsCompany, Days(40));
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_POSITIVE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
}

TEST_F(AfterInterviewRuleTest, LongAgoHireAloneIsPositive) {
  v1::Invitation invitation = GoodInvitation();
  AddEvent(&invitation, v1::HIRING_STAGE_HIRED, kRecipientsCompany, Days(3 * 365));
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_POSITIVE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
}

TEST_F(AfterInterviewRuleTest, HiredAtAnotherCompanyIsSilent) {
  v1::Invitation invitation = GoodInvitation();
  AddEvent(&invitation, v1::HIRING_STAGE_HIRED, kOtherCompany, Days(30));
  EXPECT_TRUE(RunRule(rule_, invitation).findings.empty());
}

TEST_F(AfterInterviewRuleTest, AppliedAgainAfterOldHireDefers) {
  v1::Invitation invitation = GoodInvitation();
  AddEvent(&invitation, v1::HIRING_STAGE_HIRED, kRecipientsCompany, Days(3 * 365));
  AddEvent(&invitation, v1::HIRING_STAGE_APPLIED, kRecipientsCompany, Days(10));
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_DEFER);
}

TEST_F(AfterInterviewRuleTest, RejectedAfterHireWithinLookbackDefers) {
  v1::Invitation invitation = GoodInvitation();
  AddEvent(&invitation, v1::HIRING_STAGE_HIRED, kRecipientsCompany, Days(100));
  AddEvent(&invitation, v1::HIRING_STAGE_REJECTED, kRecipientsCompany, Days(20));
  const RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_DEFER);
}

// The header: "a HIRED that is the latest step there is a positive sign". Here the latest step
// at the recipient's company is a rejection (too old to defer), so the old hire is not the
// latest step and nothing should be reported.
TEST_F(AfterInterviewRuleTest, HireFollowedByOldRejectionIsNotPositive) {
  v1::Invitation invitation = GoodInvitation();
  AddEvent(&invitation, v1::HIRING_STAGE_HIRED, kRecipientsCompany, Days(3 * 365));
  AddEvent(&invitation, v1::HIRING_STAGE_REJECTED, kRecipientsCompany, Days(200));
  const RuleResult result = RunRule(rule_, invitation);
  EXPECT_TRUE(result.findings.empty())
      << "got severity " << v1::Severity_Name(result.findings[0].severity());
}

TEST_F(AfterInterviewRuleTest, RecipientWithoutCompanyIdIsSilent) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_recipient()->clear_company_id();
  AddEvent(&invitation, v1::HIRING_STAGE_INTERVIEWED, "", Days(3));
  AddEvent(&invitation, v1::HIRING_STAGE_INTERVIEWED, kRecipientsCompany, Days(3));
  AddEvent(&invitation, v1::HIRING_STAGE_HIRED, "", Days(1));
  const RuleResult result = RunRule(rule_, invitation);
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST_F(AfterInterviewRuleTest, UsesTheConfiguredLookback) {
  v1::AfterInterviewConfig config = DefaultEvaluatorConfig().rules().after_interview();
  config.set_lookback_days(30);
  const AfterInterviewRule rule(config);
  v1::Invitation recent = GoodInvitation();
  AddEvent(&recent, v1::HIRING_STAGE_INTERVIEWED, kRecipientsCompany, Days(30));
  ASSERT_EQ(RunRule(rule, recent).findings.size(), 1u);
  v1::Invitation older = GoodInvitation();
  AddEvent(&older, v1::HIRING_STAGE_INTERVIEWED, kRecipientsCompany, Days(31));
  EXPECT_TRUE(RunRule(rule, older).findings.empty());
}

TEST_F(AfterInterviewRuleTest, LookbackCountsFromTheInvitationsSentAt) {
  v1::Invitation invitation = GoodInvitation();
  AddEvent(&invitation, v1::HIRING_STAGE_INTERVIEWED, kRecipientsCompany, Days(100));
  // Sent 100 days after TestNow(): the interview is 200 days old by then.
  *invitation.mutable_sent_at() = ToTimestamp(TestNow() + Days(100));
  EXPECT_TRUE(RunRule(rule_, invitation).findings.empty());
}

// The platform does not see an application made on the company's own site: a note that says
// it is the same signal. GoodInvitation has no hiring event.
v1::Invitation WithNote(const char* note) {
  v1::Invitation invitation = GoodInvitation();
  invitation.set_note(note);
  return invitation;
}

class AfterInterviewNoteTest : public AfterInterviewRuleTest,
                               public ::testing::WithParamInterface<const char*> {};

TEST_P(AfterInterviewNoteTest, ANoteSayingTheSenderAppliedOrWasInterviewedDefers) {
  const RuleResult result = RunRule(rule_, WithNote(GetParam()));
  ASSERT_EQ(result.findings.size(), 1u) << GetParam();
  EXPECT_EQ(result.findings[0].code(), "after-interview.note-says");
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_DEFER);
  EXPECT_EQ(result.findings[0].message(),
            "The note says the sender applied or was interviewed, and not that they got the job.");
  EXPECT_FALSE(result.findings[0].advice().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Languages, AfterInterviewNoteTest,
    ::testing::Values(
        "Hi Marcus, thank you for interviewing me yesterday. I enjoyed our conversation.",
        "Hi Marcus, I just applied for the Senior Engineer position on your team.",
        "Thanks again for the interview for the backend role last week!",
        "I have submitted my resume and would love to connect.",
        "Hallo Frau Weber, vielen Dank für das Vorstellungsgespräch am Montag.",
        "Ich habe mich auf die Stelle in Ihrem Team beworben.",
        "Bonjour, j'ai postulé au poste de développeur dans votre équipe.",
        "Merci pour l'entretien d'embauche de mardi.", "Hola Ana, gracias por entrevistarme ayer.",
        "Olá Maria, candidatei-me à vaga na sua equipa.",
        "Ciao Luca, grazie per il colloquio di lavoro di ieri.",
        "Hoi Daan, bedankt voor het sollicitatiegesprek van gisteren."));

class AfterInterviewNoteNearMissTest : public AfterInterviewRuleTest,
                                       public ::testing::WithParamInterface<const char*> {};

TEST_P(AfterInterviewNoteNearMissTest, ANoteWithoutAJobApplicationOrWithTheJobIsSilent) {
  const RuleResult result = RunRule(rule_, WithNote(GetParam()));
  EXPECT_TRUE(result.findings.empty()) << GetParam() << ": " << result.findings[0].code();
}

INSTANTIATE_TEST_SUITE_P(
    Languages, AfterInterviewNoteNearMissTest,
    ::testing::Values(
        "Loved your interview on the Payments podcast; I work on idempotency too.",
        "I interviewed you for my newsletter last year, great to see your new role.",
        "Thanks for interviewing me last month, I accepted the offer and start on Monday!",
        "Vielen Dank für das Vorstellungsgespräch, ich freue mich über Ihre Zusage.",
        "We met at the payments meetup in Berlin last week."));

TEST_F(AfterInterviewRuleTest, AHiringEventAtTheCompanyIsFoundOnceWhateverTheNoteSays) {
  v1::Invitation invitation = WithNote("Thank you for interviewing me yesterday.");
  AddEvent(&invitation, v1::HIRING_STAGE_INTERVIEWED, kRecipientsCompany, Days(1));
  RuleResult result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].code(), "after-interview.hiring-process");

  invitation.mutable_relationship()->clear_hiring_events();
  AddEvent(&invitation, v1::HIRING_STAGE_HIRED, kRecipientsCompany, Days(1));
  result = RunRule(rule_, invitation);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].code(), "after-interview.hired");
}

TEST_F(AfterInterviewRuleTest, WithoutNotePatternsOnlyHiringEventsCount) {
  v1::AfterInterviewConfig config = DefaultEvaluatorConfig().rules().after_interview();
  config.clear_note_patterns();
  const AfterInterviewRule rule(config);
  EXPECT_TRUE(RunRule(rule, WithNote("Thank you for interviewing me yesterday.")).findings.empty());
}

}  // namespace
}  // namespace etiquette
