// The HistoryStore contract suite against RedisHistoryStore and a real redis-server: one
// server for the whole binary (started on first use), flushed before every test's store.

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "history/redis_history_store.h"
#include "history/redis_url.h"
#include "tests/history/history_store_contract.h"
#include "tests/support/redis_server.h"

namespace etiquette::testing {
namespace {

// Started once, killed at exit (static destruction).
RedisServer* SharedServer() {
  static const std::unique_ptr<RedisServer> server = [] {
    absl::StatusOr<std::unique_ptr<RedisServer>> started = RedisServer::Start();
    if (!started.ok()) {
      ADD_FAILURE() << "cannot start redis-server: " << started.status();
      return std::unique_ptr<RedisServer>();
    }
    return *std::move(started);
  }();
  return server.get();
}

std::unique_ptr<HistoryStore> NewRedisStore(const StorePolicy& policy) {
  RedisServer* server = SharedServer();
  RedisOptions options;
  if (server == nullptr) {
    options.port = 1;  // nothing listens: every call fails, the tests report it
  } else {
    const absl::Status flushed = server->FlushAll();
    EXPECT_TRUE(flushed.ok()) << flushed;
    absl::StatusOr<RedisOptions> parsed = ParseRedisUrl(server->url());
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    if (parsed.ok()) options = *parsed;
  }
  // The contract is about semantics, not latency: a generous bound keeps a loaded machine
  // (ConcurrentWritesAreAtomic runs 8 threads on 4 connections) from failing it.
  options.timeout = absl::Seconds(5);
  return std::make_unique<RedisHistoryStore>(options, policy);
}

INSTANTIATE_TEST_SUITE_P(Redis, HistoryStoreContractTest,
                         ::testing::Values(StoreFactory(NewRedisStore)));

}  // namespace
}  // namespace etiquette::testing
