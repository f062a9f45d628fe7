// RedisHistoryStore's observer hook: every operation timed by name, errors by kind,
// restrictions started; against a real redis-server.
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "history/history_metrics.h"
#include "history/redis_history_store.h"
#include "history/redis_url.h"
#include "tests/common/metrics_test_util.h"
#include "tests/support/await.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/redis_server.h"

namespace etiquette::testing {
namespace {

constexpr char kCallSeconds[] = "etiquette_history_redis_call_seconds";
constexpr char kErrors[] = "etiquette_history_redis_errors_total";
constexpr char kRestrictions[] = "etiquette_history_restrictions_started_total";

absl::Time T0() { return absl::FromUnixSeconds(1780315200); }

class RedisMetricsTest : public RedisServerTest<> {
 protected:
  void SetUp() override {
    RedisServerTest::SetUp();
    if (HasFatalFailure()) return;
    registry_ = std::make_shared<prometheus::Registry>();
    metrics_ = std::make_unique<HistoryMetrics>(registry_);
    observer_ = std::make_unique<HistoryMetricsRedisObserver>(*metrics_);
    store_ = std::make_unique<RedisHistoryStore>(Options(absl::Milliseconds(100)), StorePolicy(),
                                                 observer_.get());
  }

  int64_t Calls(const std::string& operation) {
    return SampleCountOf(*registry_, kCallSeconds, {{"operation", operation}});
  }

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<HistoryMetrics> metrics_;
  std::unique_ptr<HistoryMetricsRedisObserver> observer_;
  std::unique_ptr<RedisHistoryStore> store_;
};

TEST_F(RedisMetricsTest, OperationsRestrictionsAndErrorsAreReported) {
  // Five distinct reporters: the fifth report starts a restriction (default policy).
  for (int i = 0; i < 5; ++i) {
    const absl::Time at = T0() + absl::Minutes(i);
    const std::string n = absl::StrCat(i);
    ASSERT_TRUE(Blocking(store_).RecordInvitation("s1", "inv-" + n, "rk-" + n, at, at).ok());
    absl::StatusOr<WriteResult> written = Blocking(store_).RecordResponse(
        "s1", "inv-" + n, "rk-" + n, v1::INVITATION_RESPONSE_REPORTED_SPAM, at, at);
    ASSERT_TRUE(written.ok()) << written.status();
    EXPECT_EQ(written->restriction_started, i == 4);
  }
  // A sixth report while restricted starts nothing.
  const absl::Time later = T0() + absl::Minutes(10);
  ASSERT_TRUE(Blocking(store_).RecordInvitation("s1", "inv-5", "rk-5", later, later).ok());
  ASSERT_TRUE(Blocking(store_)
                  .RecordResponse("s1", "inv-5", "rk-5", v1::INVITATION_RESPONSE_REPORTED_SPAM,
                                  later, later)
                  .ok());
  // A response refused by the script (another recipient) is timed, but is not a Redis error.
  EXPECT_EQ(
      Blocking(store_)
          .RecordResponse("s1", "inv-5", "rk-other", v1::INVITATION_RESPONSE_ACCEPTED, later, later)
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(Blocking(store_).GetFacts("s1", "rk-1", later).ok());
  ASSERT_TRUE(Blocking(store_).BatchGetFacts({{"s1", ""}, {"s2", ""}}, later).ok());
  ASSERT_TRUE(Blocking(store_).Release("s1", "ticket", later).ok());
  ASSERT_TRUE(store_->Ping().ok());
  ASSERT_TRUE(Blocking(store_).Forget("s1").ok());
  // Refused before any Redis call: not reported.
  EXPECT_FALSE(Blocking(store_).GetFacts("bad id", "", later).ok());

  EXPECT_EQ(Calls("record_invitation"), 6);
  EXPECT_EQ(Calls("record_response"), 7);
  EXPECT_EQ(Calls("get_facts"), 1);
  EXPECT_EQ(Calls("batch_get_facts"), 1);
  EXPECT_EQ(Calls("release"), 1);
  EXPECT_EQ(Calls("ping"), 1);
  EXPECT_EQ(Calls("forget"), 1);
  EXPECT_EQ(ValueOf(*registry_, kRestrictions, {}), 1);
  EXPECT_TRUE(ValuesOf(*registry_, kErrors).empty());

  // Redis gone: the calls fail UNAVAILABLE and are counted as such.
  ASSERT_TRUE(server().Kill().ok());
  EXPECT_EQ(Blocking(store_).GetFacts("s1", "", later).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->Ping().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ValuesOf(*registry_, kErrors),
            (std::map<LabelSet, double>{{{{"operation", "get_facts"}, {"kind", "unavailable"}}, 1},
                                        {{{"operation", "ping"}, {"kind", "unavailable"}}, 1}}));
  EXPECT_EQ(Calls("get_facts"), 2);
}

TEST_F(RedisMetricsTest, AStoreWithoutObserverBehavesTheSame) {
  absl::StatusOr<RedisOptions> options = ParseRedisUrl(server().url());
  ASSERT_TRUE(options.ok());
  RedisHistoryStore plain(*options, StorePolicy());
  ASSERT_TRUE(Blocking(plain).RecordInvitation("s9", "inv-9", "rk-9", T0(), T0()).ok());
  absl::StatusOr<SenderFacts> facts = Blocking(plain).GetFacts("s9", "rk-9", T0());
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_TRUE(facts->pending);
  EXPECT_EQ(Calls("record_invitation"), -1);  // nothing reported anywhere
}

}  // namespace
}  // namespace etiquette::testing
