// The HistoryStore contract suite against RedisHistoryStore on a real 3-master Redis Cluster
// (redis-cluster:// URL): one cluster for the whole binary (started on first use), every
// master flushed before every test's store.

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "history/redis_history_store.h"
#include "history/redis_url.h"
#include "tests/history/history_store_contract.h"
#include "tests/support/redis_cluster.h"

namespace etiquette::testing {
namespace {

// Started once, killed at exit (static destruction).
RedisCluster* SharedCluster() {
  static const std::unique_ptr<RedisCluster> cluster = [] {
    absl::StatusOr<std::unique_ptr<RedisCluster>> started = RedisCluster::Start(3);
    if (!started.ok()) {
      ADD_FAILURE() << "cannot start a redis cluster: " << started.status();
      return std::unique_ptr<RedisCluster>();
    }
    return *std::move(started);
  }();
  return cluster.get();
}

std::unique_ptr<HistoryStore> NewClusterStore(const StorePolicy& policy) {
  RedisCluster* cluster = SharedCluster();
  RedisOptions options;
  if (cluster == nullptr) {
    options.cluster_seeds = {{"127.0.0.1", 1}};  // nothing listens: every call fails
  } else {
    const absl::Status flushed = cluster->FlushAll();
    EXPECT_TRUE(flushed.ok()) << flushed;
    absl::StatusOr<RedisOptions> parsed = ParseRedisUrl(cluster->url());
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    if (parsed.ok()) options = *parsed;
    EXPECT_TRUE(options.cluster());
  }
  // The contract is about semantics, not latency (see redis_store_contract_test.cc).
  options.timeout = absl::Seconds(5);
  options.write_timeout = options.timeout;
  return std::make_unique<RedisHistoryStore>(options, policy);
}

INSTANTIATE_TEST_SUITE_P(RedisCluster, HistoryStoreContractTest,
                         ::testing::Values(StoreFactory(NewClusterStore)));

}  // namespace
}  // namespace etiquette::testing
