#include "evaluator/rules/history_rules.h"

#include <limits>
#include <string>

#include "absl/time/time.h"
#include "common/proto_time.h"
#include "evaluator/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using ::etiquette::testing::GoodInvitation;
using ::etiquette::testing::RunRule;
using ::etiquette::testing::TestNow;

// A sender in good standing, as the history service reports it for GoodInvitation's pair.
v1::SenderStanding GoodStanding() {
  v1::SenderStanding standing;
  standing.set_sender_id("member-sender");
  standing.set_state(v1::STANDING_STATE_GOOD);
  standing.set_invitations_last_7d(12);
  standing.set_acceptance_rate(0.64);
  standing.mutable_pair();  // the pair was asked about and is clean
  return standing;
}

// A standing that trips every history rule at once.
v1::SenderStanding WorstStanding() {
  v1::SenderStanding standing = GoodStanding();
  standing.set_state(v1::STANDING_STATE_RESTRICTED);
  standing.set_reports_in_window(9);
  standing.set_invitations_last_7d(500);
  standing.mutable_pair()->set_recipient_reported_sender(true);
  standing.mutable_pair()->set_pending(true);
  *standing.mutable_pair()->mutable_reinvite_allowed_after() =
      ToTimestamp(TestNow() + absl::Hours(24 * 7));
  return standing;
}

const v1::RulesConfig& Rules() {
  static const v1::EvaluatorConfig* config = new v1::EvaluatorConfig(DefaultEvaluatorConfig());
  return config->rules();
}

double WarnedWeight() { return DefaultEvaluatorConfig().likelihood().weights().warned_sender(); }

// Every history-backed rule except history-unavailable stays silent unless the history
// service answered, however bad the invitation's situation.
template <typename RuleType>
void ExpectSilentWithoutStanding(const RuleType& rule) {
  v1::Invitation invitation = GoodInvitation();
  invitation.set_recipient_email_confirmed(false);
  for (HistoryStatus status : {HistoryStatus::kNotConfigured, HistoryStatus::kUnavailable}) {
    const RuleResult result = RunRule(rule, invitation, nullptr, status);
    EXPECT_TRUE(result.findings.empty()) << "history status " << static_cast<int>(status);
    EXPECT_EQ(result.logit, 0.0);
  }
}

// --- recipient-reported ---

TEST(RecipientReportedRuleTest, IdAndMode) {
  const RecipientReportedRule rule(Rules().recipient_reported());
  EXPECT_EQ(rule.id(), "recipient-reported");
  EXPECT_EQ(rule.mode(), v1::RULE_MODE_ENFORCE);
}

TEST(RecipientReportedRuleTest, SilentWithoutStanding) {
  ExpectSilentWithoutStanding(RecipientReportedRule(Rules().recipient_reported()));
}

// "Without a personalized message, I may hit the 'Report Spam' or 'I Don't Know This Person'
// button": once they have, never invite them again.
TEST(RecipientReportedRuleTest, RecipientWhoReportedTheSenderBlocks) {
  const RecipientReportedRule rule(Rules().recipient_reported());
  v1::SenderStanding standing = GoodStanding();
  standing.mutable_pair()->set_recipient_reported_sender(true);
  const RuleResult result = RunRule(rule, GoodInvitation(), &standing);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_BLOCK);
  EXPECT_FALSE(result.findings[0].advice().empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST(RecipientReportedRuleTest, EmailConfirmationDoesNotLiftTheBlock) {
  const RecipientReportedRule rule(Rules().recipient_reported());
  v1::SenderStanding standing = GoodStanding();
  standing.mutable_pair()->set_recipient_reported_sender(true);
  v1::Invitation invitation = GoodInvitation();
  invitation.set_recipient_email_confirmed(true);
  const RuleResult result = RunRule(rule, invitation, &standing);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_BLOCK);
}

TEST(RecipientReportedRuleTest, CleanPairIsSilent) {
  const RecipientReportedRule rule(Rules().recipient_reported());
  const v1::SenderStanding standing = GoodStanding();
  EXPECT_TRUE(RunRule(rule, GoodInvitation(), &standing).findings.empty());
}

TEST(RecipientReportedRuleTest, ReportsByOtherRecipientsAreNotThisRulesBusiness) {
  const RecipientReportedRule rule(Rules().recipient_reported());
  v1::SenderStanding standing = GoodStanding();
  standing.set_state(v1::STANDING_STATE_WARNED);
  standing.set_reports_in_window(4);
  standing.clear_pair();  // no pair standing asked for
  EXPECT_TRUE(RunRule(rule, GoodInvitation(), &standing).findings.empty());
}

// --- already-pending ---

TEST(AlreadyPendingRuleTest, IdAndMode) {
  const AlreadyPendingRule rule(Rules().already_pending());
  EXPECT_EQ(rule.id(), "already-pending");
  EXPECT_EQ(rule.mode(), v1::RULE_MODE_ENFORCE);
}

TEST(AlreadyPendingRuleTest, SilentWithoutStanding) {
  ExpectSilentWithoutStanding(AlreadyPendingRule(Rules().already_pending()));
}

TEST(AlreadyPendingRuleTest, PendingInvitationToSameRecipientBlocks) {
  const AlreadyPendingRule rule(Rules().already_pending());
  v1::SenderStanding standing = GoodStanding();
  standing.mutable_pair()->set_pending(true);
  const RuleResult result = RunRule(rule, GoodInvitation(), &standing);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_BLOCK);
  EXPECT_EQ(result.logit, 0.0);
}

TEST(AlreadyPendingRuleTest, NothingPendingIsSilent) {
  const AlreadyPendingRule rule(Rules().already_pending());
  const v1::SenderStanding standing = GoodStanding();
  EXPECT_TRUE(RunRule(rule, GoodInvitation(), &standing).findings.empty());
}

// --- sender-restricted ("LinkedIn Jail") ---

TEST(SenderRestrictedRuleTest, IdAndMode) {
  const SenderRestrictedRule rule(Rules().sender_restricted());
  EXPECT_EQ(rule.id(), "sender-restricted");
  EXPECT_EQ(rule.mode(), v1::RULE_MODE_ENFORCE);
}

TEST(SenderRestrictedRuleTest, SilentWithoutStanding) {
  ExpectSilentWithoutStanding(SenderRestrictedRule(Rules().sender_restricted()));
}

// "If that happens a few times, you may get tossed into LinkedIn Jail."
TEST(SenderRestrictedRuleTest, RestrictedSenderMustTypeTheEmailAddress) {
  const SenderRestrictedRule rule(Rules().sender_restricted());
  v1::SenderStanding standing = GoodStanding();
  standing.set_state(v1::STANDING_STATE_RESTRICTED);
  const RuleResult result = RunRule(rule, GoodInvitation(), &standing);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_REQUIRE_EMAIL);
  EXPECT_FALSE(result.findings[0].advice().empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST(SenderRestrictedRuleTest, IndefiniteRestrictionAlsoRequiresEmail) {
  const SenderRestrictedRule rule(Rules().sender_restricted());
  v1::SenderStanding standing = GoodStanding();
  standing.set_state(v1::STANDING_STATE_RESTRICTED);
  *standing.mutable_restricted_until() = ToTimestamp(TestNow() + absl::Hours(24 * 30));
  const RuleResult with_end = RunRule(rule, GoodInvitation(), &standing);
  ASSERT_EQ(with_end.findings.size(), 1u);
  EXPECT_EQ(with_end.findings[0].outcome(), v1::DECISION_REQUIRE_EMAIL);
  standing.clear_restricted_until();
  const RuleResult indefinite = RunRule(rule, GoodInvitation(), &standing);
  ASSERT_EQ(indefinite.findings.size(), 1u);
  EXPECT_EQ(indefinite.findings[0].outcome(), v1::DECISION_REQUIRE_EMAIL);
}

TEST(SenderRestrictedRuleTest, RestrictedSenderWithConfirmedEmailIsInfo) {
  const SenderRestrictedRule rule(Rules().sender_restricted());
  v1::SenderStanding standing = GoodStanding();
  standing.set_state(v1::STANDING_STATE_RESTRICTED);
  v1::Invitation invitation = GoodInvitation();
  invitation.set_recipient_email_confirmed(true);
  const RuleResult result = RunRule(rule, invitation, &standing);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_INFO);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.logit, 0.0);
}

TEST(SenderRestrictedRuleTest, GoodSenderIsSilent) {
  const SenderRestrictedRule rule(Rules().sender_restricted());
  const v1::SenderStanding standing = GoodStanding();
  EXPECT_TRUE(RunRule(rule, GoodInvitation(), &standing).findings.empty());
}

TEST(SenderRestrictedRuleTest, WarnedSenderIsSilent) {
  const SenderRestrictedRule rule(Rules().sender_restricted());
  v1::SenderStanding standing = GoodStanding();
  standing.set_state(v1::STANDING_STATE_WARNED);
  EXPECT_TRUE(RunRule(rule, GoodInvitation(), &standing).findings.empty());
}

TEST(SenderRestrictedRuleTest, ConfirmedEmailWithoutStandingIsSilent) {
  const SenderRestrictedRule rule(Rules().sender_restricted());
  v1::Invitation invitation = GoodInvitation();
  invitation.set_recipient_email_confirmed(true);
  EXPECT_TRUE(RunRule(rule, invitation).findings.empty());
}

// --- reinvite-cooldown ---

TEST(ReinviteCooldownRuleTest, IdAndMode) {
  const ReinviteCooldownRule rule(Rules().reinvite_cooldown());
  EXPECT_EQ(rule.id(), "reinvite-cooldown");
  EXPECT_EQ(rule.mode(), v1::RULE_MODE_ENFORCE);
}

TEST(ReinviteCooldownRuleTest, SilentWithoutStanding) {
  ExpectSilentWithoutStanding(ReinviteCooldownRule(Rules().reinvite_cooldown()));
}

TEST(ReinviteCooldownRuleTest, ReinviteDuringCooldownDefers) {
  const ReinviteCooldownRule rule(Rules().reinvite_cooldown());
  v1::SenderStanding standing = GoodStanding();
  *standing.mutable_pair()->mutable_reinvite_allowed_after() =
      ToTimestamp(TestNow() + absl::Hours(24 * 5));
  const RuleResult result = RunRule(rule, GoodInvitation(), &standing);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_DEFER);
  EXPECT_THAT(result.findings[0].message(), ::testing::HasSubstr("2026-06-06T12:00:00"));
  EXPECT_EQ(result.logit, 0.0);
}

TEST(ReinviteCooldownRuleTest, OneSecondBeforeTheEndStillDefers) {
  const ReinviteCooldownRule rule(Rules().reinvite_cooldown());
  v1::SenderStanding standing = GoodStanding();
  *standing.mutable_pair()->mutable_reinvite_allowed_after() =
      ToTimestamp(TestNow() + absl::Seconds(1));
  const RuleResult result = RunRule(rule, GoodInvitation(), &standing);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_DEFER);
}

TEST(ReinviteCooldownRuleTest, ReinviteExactlyWhenAllowedIsSilent) {
  const ReinviteCooldownRule rule(Rules().reinvite_cooldown());
  v1::SenderStanding standing = GoodStanding();
  *standing.mutable_pair()->mutable_reinvite_allowed_after() = ToTimestamp(TestNow());
  EXPECT_TRUE(RunRule(rule, GoodInvitation(), &standing).findings.empty());
}

TEST(ReinviteCooldownRuleTest, ReinviteAfterCooldownIsSilent) {
  const ReinviteCooldownRule rule(Rules().reinvite_cooldown());
  v1::SenderStanding standing = GoodStanding();
  *standing.mutable_pair()->mutable_reinvite_allowed_after() =
      ToTimestamp(TestNow() - absl::Hours(24));
  EXPECT_TRUE(RunRule(rule, GoodInvitation(), &standing).findings.empty());
}

TEST(ReinviteCooldownRuleTest, NoCooldownIsSilent) {
  const ReinviteCooldownRule rule(Rules().reinvite_cooldown());
  const v1::SenderStanding standing = GoodStanding();
  EXPECT_TRUE(RunRule(rule, GoodInvitation(), &standing).findings.empty());
}

TEST(ReinviteCooldownRuleTest, ComparesWithTheInvitationsSentAt) {
  const ReinviteCooldownRule rule(Rules().reinvite_cooldown());
  v1::SenderStanding standing = GoodStanding();
  *standing.mutable_pair()->mutable_reinvite_allowed_after() =
      ToTimestamp(TestNow() + absl::Hours(24 * 5));
  v1::Invitation invitation = GoodInvitation();
  *invitation.mutable_sent_at() = ToTimestamp(TestNow() + absl::Hours(24 * 6));
  EXPECT_TRUE(RunRule(rule, invitation, &standing).findings.empty());
}

// --- weekly-limit ---

TEST(WeeklyLimitRuleTest, IdAndMode) {
  const WeeklyLimitRule rule(Rules().weekly_limit());
  EXPECT_EQ(rule.id(), "weekly-limit");
  EXPECT_EQ(rule.mode(), v1::RULE_MODE_ENFORCE);
}

TEST(WeeklyLimitRuleTest, SilentWithoutStanding) {
  ExpectSilentWithoutStanding(WeeklyLimitRule(Rules().weekly_limit()));
}

TEST(WeeklyLimitRuleTest, BelowTheLimitIsSilent) {
  const WeeklyLimitRule rule(Rules().weekly_limit());
  v1::SenderStanding standing = GoodStanding();
  standing.set_invitations_last_7d(99);
  EXPECT_TRUE(RunRule(rule, GoodInvitation(), &standing).findings.empty());
}

TEST(WeeklyLimitRuleTest, ReachingTheLimitDefers) {
  const WeeklyLimitRule rule(Rules().weekly_limit());
  v1::SenderStanding standing = GoodStanding();
  standing.set_invitations_last_7d(100);
  const RuleResult result = RunRule(rule, GoodInvitation(), &standing);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_DEFER);
  EXPECT_EQ(result.findings[0].message(),
            "The sender sent 100 invitations in the last 7 days; the weekly limit is 100.");
  EXPECT_EQ(result.logit, 0.0);
}

TEST(WeeklyLimitRuleTest, FarOverTheLimitDefers) {
  const WeeklyLimitRule rule(Rules().weekly_limit());
  v1::SenderStanding standing = GoodStanding();
  standing.set_invitations_last_7d(750);
  const RuleResult result = RunRule(rule, GoodInvitation(), &standing);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_VIOLATION);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_DEFER);
}

TEST(WeeklyLimitRuleTest, UsesTheConfiguredLimit) {
  v1::WeeklyLimitConfig config = Rules().weekly_limit();
  config.set_max_invitations_7d(10);
  const WeeklyLimitRule rule(config);
  v1::SenderStanding standing = GoodStanding();
  standing.set_invitations_last_7d(9);
  EXPECT_TRUE(RunRule(rule, GoodInvitation(), &standing).findings.empty());
  standing.set_invitations_last_7d(10);
  EXPECT_EQ(RunRule(rule, GoodInvitation(), &standing).findings.size(), 1u);
}

// --- sender-standing ---

TEST(SenderStandingRuleTest, IdAndMode) {
  const SenderStandingRule rule(Rules().sender_standing(), WarnedWeight());
  EXPECT_EQ(rule.id(), "sender-standing");
  EXPECT_EQ(rule.mode(), v1::RULE_MODE_ENFORCE);
}

TEST(SenderStandingRuleTest, SilentWithoutStanding) {
  ExpectSilentWithoutStanding(SenderStandingRule(Rules().sender_standing(), WarnedWeight()));
}

TEST(SenderStandingRuleTest, WarnedSenderIsAdviceWithWarnedWeight) {
  const SenderStandingRule rule(Rules().sender_standing(), WarnedWeight());
  v1::SenderStanding standing = GoodStanding();
  standing.set_state(v1::STANDING_STATE_WARNED);
  standing.set_reports_in_window(3);
  standing.set_acceptance_rate(0.124);
  const RuleResult result = RunRule(rule, GoodInvitation(), &standing);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.findings[0].message(),
            "The sender is warned: 3 recent reports, acceptance rate 12%.");
  EXPECT_FALSE(result.findings[0].advice().empty());
  EXPECT_DOUBLE_EQ(result.logit, -0.6);
}

// The standing comes over the network: an acceptance rate outside [0, 1], or not a number, is
// clamped to 0-100% in the message (unclamped, NaN or 1e300 would reach an int conversion,
// which is undefined behaviour; the fuzzer found it).
TEST(SenderStandingRuleTest, HostileAcceptanceRateIsClampedInTheMessage) {
  const SenderStandingRule rule(Rules().sender_standing(), WarnedWeight());
  const struct {
    double rate;
    const char* percent;
  } cases[] = {{-5.0, "0%"},
               {1e300, "100%"},
               {-1e300, "0%"},
               {std::numeric_limits<double>::quiet_NaN(), "0%"},
               {std::numeric_limits<double>::infinity(), "0%"},
               {1.5, "100%"}};
  for (const auto& c : cases) {
    v1::SenderStanding standing = GoodStanding();
    standing.set_state(v1::STANDING_STATE_WARNED);
    standing.set_reports_in_window(3);
    standing.set_acceptance_rate(c.rate);
    const RuleResult result = RunRule(rule, GoodInvitation(), &standing);
    ASSERT_EQ(result.findings.size(), 1u) << c.rate;
    EXPECT_EQ(
        result.findings[0].message(),
        std::string("The sender is warned: 3 recent reports, acceptance rate ") + c.percent + ".")
        << c.rate;
  }
}

TEST(SenderStandingRuleTest, GoodSenderIsSilentAndAddsNoWeight) {
  const SenderStandingRule rule(Rules().sender_standing(), WarnedWeight());
  const v1::SenderStanding standing = GoodStanding();
  const RuleResult result = RunRule(rule, GoodInvitation(), &standing);
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST(SenderStandingRuleTest, RestrictedSenderIsLeftToSenderRestricted) {
  const SenderStandingRule rule(Rules().sender_standing(), WarnedWeight());
  v1::SenderStanding standing = GoodStanding();
  standing.set_state(v1::STANDING_STATE_RESTRICTED);
  const RuleResult result = RunRule(rule, GoodInvitation(), &standing);
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

// --- history-unavailable ---

TEST(HistoryUnavailableRuleTest, IdAndMode) {
  const HistoryUnavailableRule rule(Rules().history_unavailable());
  EXPECT_EQ(rule.id(), "history-unavailable");
  EXPECT_EQ(rule.mode(), v1::RULE_MODE_ENFORCE);
}

TEST(HistoryUnavailableRuleTest, SilentWhenHistoryIsNotConfigured) {
  const HistoryUnavailableRule rule(Rules().history_unavailable());
  const RuleResult result = RunRule(rule, GoodInvitation(), nullptr, HistoryStatus::kNotConfigured);
  EXPECT_TRUE(result.findings.empty());
  EXPECT_EQ(result.logit, 0.0);
}

TEST(HistoryUnavailableRuleTest, UnansweredHistoryIsInfo) {
  const HistoryUnavailableRule rule(Rules().history_unavailable());
  const RuleResult result = RunRule(rule, GoodInvitation(), nullptr, HistoryStatus::kUnavailable);
  ASSERT_EQ(result.findings.size(), 1u);
  EXPECT_EQ(result.findings[0].severity(), v1::SEVERITY_INFO);
  EXPECT_EQ(result.findings[0].outcome(), v1::DECISION_SEND);
  EXPECT_EQ(result.logit, 0.0);
}

TEST(HistoryUnavailableRuleTest, SilentWhenHistoryAnswered) {
  const HistoryUnavailableRule rule(Rules().history_unavailable());
  const v1::SenderStanding standing = WorstStanding();
  EXPECT_TRUE(RunRule(rule, GoodInvitation(), &standing).findings.empty());
}

// --- all of them ---

TEST(HistoryRulesTest, GoodStandingTripsNoHistoryRule) {
  const v1::SenderStanding standing = GoodStanding();
  const v1::Invitation invitation = GoodInvitation();
  EXPECT_TRUE(RunRule(RecipientReportedRule(Rules().recipient_reported()), invitation, &standing)
                  .findings.empty());
  EXPECT_TRUE(RunRule(AlreadyPendingRule(Rules().already_pending()), invitation, &standing)
                  .findings.empty());
  EXPECT_TRUE(RunRule(SenderRestrictedRule(Rules().sender_restricted()), invitation, &standing)
                  .findings.empty());
  EXPECT_TRUE(RunRule(ReinviteCooldownRule(Rules().reinvite_cooldown()), invitation, &standing)
                  .findings.empty());
  EXPECT_TRUE(
      RunRule(WeeklyLimitRule(Rules().weekly_limit()), invitation, &standing).findings.empty());
  EXPECT_TRUE(
      RunRule(SenderStandingRule(Rules().sender_standing(), WarnedWeight()), invitation, &standing)
          .findings.empty());
  EXPECT_TRUE(RunRule(HistoryUnavailableRule(Rules().history_unavailable()), invitation, &standing)
                  .findings.empty());
}

TEST(HistoryRulesTest, WorstStandingTripsEachPairAndSenderRule) {
  const v1::SenderStanding standing = WorstStanding();
  const v1::Invitation invitation = GoodInvitation();
  EXPECT_EQ(RunRule(RecipientReportedRule(Rules().recipient_reported()), invitation, &standing)
                .findings.size(),
            1u);
  EXPECT_EQ(
      RunRule(AlreadyPendingRule(Rules().already_pending()), invitation, &standing).findings.size(),
      1u);
  EXPECT_EQ(RunRule(SenderRestrictedRule(Rules().sender_restricted()), invitation, &standing)
                .findings.size(),
            1u);
  EXPECT_EQ(RunRule(ReinviteCooldownRule(Rules().reinvite_cooldown()), invitation, &standing)
                .findings.size(),
            1u);
  EXPECT_EQ(RunRule(WeeklyLimitRule(Rules().weekly_limit()), invitation, &standing).findings.size(),
            1u);
}

}  // namespace
}  // namespace etiquette
