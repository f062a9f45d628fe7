// The jail model of history/standing.h on its own: no store, no I/O.

#include "history/standing.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "history/config.h"
#include "history/history_store.h"

namespace etiquette::testing {
using namespace ::etiquette::standing;  // NOLINT: the functions under test
namespace {

absl::Time T0() { return absl::FromUnixSeconds(1780315200); }
absl::Duration Days(int64_t days) { return absl::Hours(24 * days); }

TEST(StandingTest, RestrictionIsActiveFromStartUntilBeforeEnd) {
  const absl::Time end = T0() + Days(7);
  EXPECT_FALSE(RestrictionActive(T0(), end, T0() - absl::Milliseconds(1)));
  EXPECT_TRUE(RestrictionActive(T0(), end, T0()));
  EXPECT_TRUE(RestrictionActive(T0(), end, end - absl::Milliseconds(1)));
  EXPECT_FALSE(RestrictionActive(T0(), end, end));
  EXPECT_TRUE(RestrictionActive(T0(), absl::InfiniteFuture(), T0() + Days(10000)));
  EXPECT_FALSE(RestrictionActive(absl::InfinitePast(), absl::InfinitePast(), T0()));
}

TEST(StandingTest, LengthComesFromTheLadderThenIndefinite) {
  const StorePolicy policy;  // 7 days, 30 days
  EXPECT_EQ(RestrictionEnd(policy, 1, T0()), T0() + Days(7));
  EXPECT_EQ(RestrictionEnd(policy, 2, T0()), T0() + Days(30));
  EXPECT_EQ(RestrictionEnd(policy, 3, T0()), absl::InfiniteFuture());
  EXPECT_EQ(RestrictionEnd(policy, 0, T0()), absl::InfiniteFuture());
}

TEST(StandingTest, ReasonSaysReportsAndWholeDays) {
  StorePolicy policy;
  EXPECT_EQ(RestrictionReason(policy), "5 reports in 90 days");
  policy.restrict_reports = 2;
  policy.report_window = absl::Hours(47);
  EXPECT_EQ(RestrictionReason(policy), "2 reports in 1 days");
}

TEST(StandingTest, EscalationStartsARestrictionAtTheThresholdOnly) {
  const StorePolicy policy;
  JailRecord jail;
  EXPECT_FALSE(jail.MaybeStartRestriction(policy, 4, T0()));
  EXPECT_EQ(jail.offense_count, 0u);
  ASSERT_TRUE(jail.MaybeStartRestriction(policy, 5, T0()));
  EXPECT_EQ(jail.offense_count, 1u);
  EXPECT_EQ(jail.restriction_start, T0());
  EXPECT_EQ(jail.restriction_end, T0() + Days(7));
  EXPECT_EQ(jail.clean_slate, T0());
  EXPECT_EQ(jail.reason, "5 reports in 90 days");
  // Not while one is active.
  EXPECT_FALSE(jail.MaybeStartRestriction(policy, 50, T0() + Days(7) - absl::Milliseconds(1)));
  EXPECT_EQ(jail.offense_count, 1u);
  // After it ends, the next one is the ladder's second, then indefinite.
  ASSERT_TRUE(jail.MaybeStartRestriction(policy, 5, T0() + Days(7)));
  EXPECT_EQ(jail.offense_count, 2u);
  EXPECT_EQ(jail.restriction_end, T0() + Days(37));
  ASSERT_TRUE(jail.MaybeStartRestriction(policy, 5, T0() + Days(37)));
  EXPECT_EQ(jail.offense_count, 3u);
  EXPECT_EQ(jail.restriction_end, absl::InfiniteFuture());
}

TEST(StandingTest, ReleaseEndsTheRestrictionAndStartsACleanSlate) {
  const StorePolicy policy;
  JailRecord jail;
  ASSERT_TRUE(jail.MaybeStartRestriction(policy, 5, T0()));
  const absl::Time released = T0() + Days(1);
  jail.Release("appeal", released);
  EXPECT_FALSE(jail.RestrictionActive(released));
  EXPECT_EQ(jail.restriction_end, released);
  EXPECT_EQ(jail.offense_count, 1u);
  EXPECT_EQ(jail.clean_slate, released);
  EXPECT_EQ(jail.reason, "appeal");
  // A release with nothing active leaves the old end alone.
  jail.Release("again", released + Days(100));
  EXPECT_EQ(jail.restriction_end, released);
  EXPECT_EQ(jail.clean_slate, released + Days(100));
}

TEST(StandingTest, ReportFloorIsTheLaterOfWindowAndCleanSlate) {
  const StorePolicy policy;
  JailRecord jail;
  EXPECT_EQ(jail.ReportFloor(policy, T0()), T0() - Days(90));
  jail.clean_slate = T0() - Days(1);
  EXPECT_EQ(jail.ReportFloor(policy, T0()), T0() - Days(1));
}

TEST(StandingTest, StateIsRestrictedThenWarnedThenGood) {
  const v1::HistoryConfig config = DefaultHistoryConfig();
  SenderFacts facts;
  EXPECT_EQ(StateOf(config, facts, T0()).state, v1::STANDING_STATE_GOOD);

  facts.reports_in_window = config.warn_reports();
  SenderState warned = StateOf(config, facts, T0());
  EXPECT_EQ(warned.state, v1::STANDING_STATE_WARNED);
  EXPECT_EQ(warned.reason,
            absl::StrCat(config.warn_reports(), " recipients reported invitations in ",
                         config.report_window_days(), " days"));

  facts.restriction_start = T0();
  facts.restriction_end = T0() + Days(7);
  facts.reason = "5 reports in 90 days";
  SenderState restricted = StateOf(config, facts, T0());
  EXPECT_EQ(restricted.state, v1::STANDING_STATE_RESTRICTED);
  EXPECT_EQ(restricted.reason, "5 reports in 90 days");
  EXPECT_EQ(restricted.restricted_until, T0() + Days(7));
  EXPECT_EQ(StateOf(config, facts, T0() + Days(7)).state, v1::STANDING_STATE_WARNED);

  facts.reports_in_window = 0;
  facts.sent_in_acceptance_window = config.low_acceptance_min_invitations();
  facts.accepted_in_acceptance_window = 0;
  SenderState low = StateOf(config, facts, T0() + Days(7));
  EXPECT_EQ(low.state, v1::STANDING_STATE_WARNED);
  EXPECT_EQ(low.reason.rfind("low acceptance: 0% of ", 0), 0u) << low.reason;
  EXPECT_EQ(AcceptanceRate(facts), 0.0);
}

}  // namespace
}  // namespace etiquette::testing
