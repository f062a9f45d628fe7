#pragma once

// Fixtures of the tests that run against a real redis-server (tests/support/redis_server.h).
// Header only: it needs history's URL parser, which the test support library does not link.

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "history/redis/redis_options.h"
#include "history/redis_url.h"
#include "tests/support/redis_server.h"

namespace etiquette::testing {

// A fresh redis-server for each test of the fixture, started in SetUp (a fixture that adds its
// own SetUp calls this one first and returns when it failed). `Base`: ::testing::Test or a
// ::testing::TestWithParam<T>.
template <typename Base = ::testing::Test>
class RedisServerTest : public Base {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  RedisServer& server() { return *server_; }

  // Options for this test's server: `timeout` bounds connects and reads, `write_timeout`
  // writes (the same when not given).
  RedisOptions Options(absl::Duration timeout,
                       absl::Duration write_timeout = absl::InfiniteDuration()) {
    absl::StatusOr<RedisOptions> options = ParseRedisUrl(server_->url());
    EXPECT_TRUE(options.ok()) << options.status();
    if (!options.ok()) return RedisOptions();
    options->timeout = timeout;
    options->write_timeout = write_timeout == absl::InfiniteDuration() ? timeout : write_timeout;
    return *options;
  }

 private:
  std::unique_ptr<RedisServer> server_;
};

}  // namespace etiquette::testing
