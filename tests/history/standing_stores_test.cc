// The jail model's scenarios (history/standing.h), one table, run step by step through
// InMemoryHistoryStore and RedisHistoryStore (its Lua, the model's only other copy) against a
// real redis-server: after every step both stores must answer the same facts, field for field,
// and the scenario's expectations must hold. Time is the explicit `now` of each step.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "etiquette/v1/history.pb.h"
#include "gtest/gtest.h"
#include "history/history_store.h"
#include "history/in_memory_history_store.h"
#include "history/redis_history_store.h"
#include "history/redis_url.h"
#include "history/standing.h"
#include "tests/support/await.h"
#include "tests/support/redis_server.h"

namespace etiquette::testing {
namespace {

// 2026-06-01T12:00:00Z.
absl::Time T0() { return absl::FromUnixSeconds(1780315200); }
absl::Duration Days(int64_t days) { return absl::Hours(24 * days); }
constexpr absl::Duration kMs = absl::Milliseconds(1);

// One step of a scenario, at T0() + at (also its `now`).
struct Step {
  enum Kind {
    kReport,   // recipient rk-<n> is invited (an hour before) and reports the sender
    kRelease,  // an operator releases the sender
    kCheck,    // GetFacts only
  } kind;
  absl::Duration at;
  int n = 0;  // kReport: the recipient's number
  // Expectations at this step; unset: not checked.
  std::optional<bool> started = std::nullopt;     // kReport: the write started a restriction
  std::optional<bool> restricted = std::nullopt;  // active at `at`
  std::optional<uint32_t> offenses = std::nullopt;
  std::optional<uint32_t> reports = std::nullopt;  // reports_in_window
  // The restriction's end, from T0(); absl::InfiniteDuration(): indefinite.
  std::optional<absl::Duration> ends = std::nullopt;
  std::optional<std::string> reason = std::nullopt;
};

// `count` reports by rk-<first>.., one a minute from `at`.
std::vector<Step> Reports(int first, int count, absl::Duration at) {
  std::vector<Step> steps;
  for (int i = 0; i < count; ++i) {
    steps.push_back(Step{Step::kReport, at + absl::Minutes(i), first + i});
  }
  return steps;
}

Step Report(int n, absl::Duration at) { return Step{Step::kReport, at, n}; }
Step Release(absl::Duration at) { return Step{Step::kRelease, at}; }
Step Check(absl::Duration at) { return Step{Step::kCheck, at}; }

struct Scenario {
  std::string name;
  StorePolicy policy;
  std::vector<Step> steps;
};

// Appends the steps of `more`, in order.
void Then(std::vector<Step>& steps, const std::vector<Step>& more) {
  steps.insert(steps.end(), more.begin(), more.end());
}

// The facts as one comparable line.
std::string Describe(const SenderFacts& f) {
  auto time = [](absl::Time t) {
    return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
  };
  return absl::StrCat("reports=", f.reports_in_window, " spam=", f.spam_reports_in_window,
                      " volume=", f.invitations_in_volume_window,
                      " sent=", f.sent_in_acceptance_window,
                      " accepted=", f.accepted_in_acceptance_window, " offenses=", f.offense_count,
                      " start=", time(f.restriction_start), " end=", time(f.restriction_end),
                      " reason=\"", f.reason, "\" reported=", f.recipient_reported_sender,
                      " withdrawn=", time(f.withdrawn_at), " pending=", f.pending);
}

std::vector<Scenario> Scenarios() {
  std::vector<Scenario> all;

  {  // Four reports warn nobody into jail; the fifth starts the first restriction.
    Scenario s{"ReportsReachingTheThreshold", StorePolicy(), Reports(1, 4, Days(0))};
    s.steps.back().started = false;
    s.steps.back().reports = 4u;
    Step fifth = Report(5, Days(0) + absl::Minutes(4));
    fifth.started = true;
    fifth.restricted = true;
    fifth.offenses = 1u;
    fifth.reports = 0u;  // the clean slate at the start
    fifth.ends = absl::Minutes(4) + Days(7);
    fifth.reason = "5 reports in 90 days";
    s.steps.push_back(fifth);
    all.push_back(s);
  }

  {  // 7 days, then 30, then indefinite; reports while restricted wait for its end.
    Scenario s{"EscalationLadder", StorePolicy(), Reports(1, 5, Days(0))};
    s.steps.back().ends = absl::Minutes(4) + Days(7);
    std::vector<Step> inside = Reports(6, 5, Days(1));
    inside.back().started = false;
    inside.back().restricted = true;
    inside.back().offenses = 1u;
    inside.back().reports = 5u;
    Then(s.steps, inside);
    Step expired = Check(absl::Minutes(4) + Days(7));
    expired.restricted = false;
    expired.reports = 5u;
    s.steps.push_back(expired);
    Step second = Report(11, Days(8));
    second.started = true;
    second.offenses = 2u;
    second.ends = Days(8 + 30);
    s.steps.push_back(second);
    std::vector<Step> third = Reports(12, 5, Days(40));
    third.back().started = true;
    third.back().offenses = 3u;
    third.back().ends = absl::InfiniteDuration();
    Then(s.steps, third);
    all.push_back(s);
  }

  {  // Past a one-step ladder every offense is indefinite, and stays so.
    Scenario s{"IndefiniteAfterTheLadder", StorePolicy(), Reports(1, 5, Days(0))};
    s.policy.restriction_ladder = {Days(1)};
    s.steps.back().ends = absl::Minutes(4) + Days(1);
    std::vector<Step> second = Reports(6, 5, Days(2));
    second.back().started = true;
    second.back().offenses = 2u;
    second.back().ends = absl::InfiniteDuration();
    Then(s.steps, second);
    Step years = Check(Days(2000));
    years.restricted = true;
    years.offenses = 2u;
    s.steps.push_back(years);
    all.push_back(s);
  }

  {  // A release ends the restriction, keeps the offense, and starts a clean slate: reports
     // before it stop counting; five after it start the ladder's second step.
    Scenario s{"ReleaseAndCleanSlate", StorePolicy(), Reports(1, 5, Days(0))};
    Then(s.steps, Reports(6, 3, Days(1)));
    s.steps.back().reports = 3u;
    Step released = Release(Days(2));
    released.restricted = false;
    released.offenses = 1u;
    released.reports = 0u;
    released.ends = Days(2);
    released.reason = "operator release";
    s.steps.push_back(released);
    std::vector<Step> after = Reports(9, 5, Days(3));
    after[3].reports = 4u;
    after[3].started = false;
    after[4].started = true;
    after[4].offenses = 2u;
    after[4].ends = Days(3) + absl::Minutes(4) + Days(30);
    Then(s.steps, after);
    Step idle = Release(Days(100));  // nothing active: the end stays
    idle.ends = Days(3) + absl::Minutes(4) + Days(30);
    idle.offenses = 2u;
    s.steps.push_back(idle);
    all.push_back(s);
  }

  {  // A restriction ends by time alone, and reports leave the window.
    Scenario s{"Expiry", StorePolicy(), Reports(1, 5, Days(0))};
    const absl::Duration end = absl::Minutes(4) + Days(7);
    Step last = Check(end - kMs);
    last.restricted = true;
    s.steps.push_back(last);
    Step over = Check(end);
    over.restricted = false;
    over.offenses = 1u;
    s.steps.push_back(over);
    Then(s.steps, Reports(6, 3, Days(10)));
    Step counted = Check(Days(10) + absl::Minutes(2) + Days(90) - kMs);
    counted.reports = 1u;
    s.steps.push_back(counted);
    Step gone = Check(Days(10) + absl::Minutes(2) + Days(90));
    gone.reports = 0u;
    s.steps.push_back(gone);
    all.push_back(s);
  }

  {  // Other numbers: two reports in a window of 47 hours ("1 days"), a one-hour ladder.
    Scenario s{"OtherPolicy", StorePolicy(), {}};
    s.policy.restrict_reports = 2;
    s.policy.report_window = absl::Hours(47);
    s.policy.restriction_ladder = {absl::Hours(1)};
    s.steps.push_back(Report(1, Days(0)));
    Step old = Report(2, Days(2));  // the first report is out of the window by then
    old.started = false;
    old.reports = 1u;
    s.steps.push_back(old);
    Step second = Report(3, Days(2) + absl::Minutes(1));
    second.started = true;
    second.ends = Days(2) + absl::Minutes(1) + absl::Hours(1);
    second.reason = "2 reports in 1 days";
    s.steps.push_back(second);
    all.push_back(s);
  }
  return all;
}

class StandingStoresTest : public ::testing::TestWithParam<Scenario> {};

// What a step answers: the facts, and for a write whether it started a restriction.
struct Outcome {
  SenderFacts facts;
  bool started = false;
};

absl::StatusOr<Outcome> Apply(HistoryStore& store, const std::string& sender, const Step& step) {
  BlockingStore blocking(store);
  const absl::Time now = T0() + step.at;
  Outcome outcome;
  switch (step.kind) {
    case Step::kReport: {
      const std::string invitation = absl::StrCat("inv-", step.n);
      const std::string recipient = absl::StrCat("rk-", step.n);
      absl::StatusOr<WriteResult> sent =
          blocking.RecordInvitation(sender, invitation, recipient, now - absl::Hours(1), now);
      if (!sent.ok()) return sent.status();
      absl::StatusOr<WriteResult> reported = blocking.RecordResponse(
          sender, invitation, recipient, v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, now, now);
      if (!reported.ok()) return reported.status();
      outcome.facts = reported->facts;
      outcome.started = reported->restriction_started;
      return outcome;
    }
    case Step::kRelease: {
      absl::StatusOr<SenderFacts> facts = blocking.Release(sender, "operator release", now);
      if (!facts.ok()) return facts.status();
      outcome.facts = *facts;
      return outcome;
    }
    case Step::kCheck: {
      absl::StatusOr<SenderFacts> facts = blocking.GetFacts(sender, "", now);
      if (!facts.ok()) return facts.status();
      outcome.facts = *facts;
      return outcome;
    }
  }
  return absl::InternalError("unknown step");
}

TEST_P(StandingStoresTest, BothStoresAnswerTheSameFacts) {
  const Scenario& scenario = GetParam();
  RedisServer* server = SharedRedisServer();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->FlushAll().ok());
  absl::StatusOr<RedisOptions> options = ParseRedisUrl(server->url());
  ASSERT_TRUE(options.ok()) << options.status();
  options->timeout = absl::Seconds(5);
  options->write_timeout = options->timeout;
  InMemoryHistoryStore memory(scenario.policy);
  RedisHistoryStore redis(*options, scenario.policy);
  const std::string sender = "m-" + scenario.name;

  for (size_t i = 0; i < scenario.steps.size(); ++i) {
    const Step& step = scenario.steps[i];
    SCOPED_TRACE(
        absl::StrCat(scenario.name, " step ", i, " at T0+", absl::FormatDuration(step.at)));
    absl::StatusOr<Outcome> in_memory = Apply(memory, sender, step);
    absl::StatusOr<Outcome> in_redis = Apply(redis, sender, step);
    ASSERT_TRUE(in_memory.ok()) << in_memory.status();
    ASSERT_TRUE(in_redis.ok()) << in_redis.status();
    EXPECT_EQ(Describe(in_memory->facts), Describe(in_redis->facts));
    EXPECT_EQ(in_memory->started, in_redis->started);

    const SenderFacts& facts = in_memory->facts;
    const absl::Time now = T0() + step.at;
    if (step.started) {
      EXPECT_EQ(in_memory->started, *step.started);
    }
    if (step.restricted) {
      EXPECT_EQ(standing::RestrictionActive(facts.restriction_start, facts.restriction_end, now),
                *step.restricted);
    }
    if (step.offenses) {
      EXPECT_EQ(facts.offense_count, *step.offenses);
    }
    if (step.reports) {
      EXPECT_EQ(facts.reports_in_window, *step.reports);
    }
    if (step.ends) {
      EXPECT_EQ(facts.restriction_end, *step.ends == absl::InfiniteDuration()
                                           ? absl::InfiniteFuture()
                                           : T0() + *step.ends);
    }
    if (step.reason) {
      EXPECT_EQ(facts.reason, *step.reason);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, StandingStoresTest, ::testing::ValuesIn(Scenarios()),
                         [](const ::testing::TestParamInfo<Scenario>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace etiquette::testing
