// history/redis/pipelined_connection.h against a real redis-server per test: replies in order,
// many callers on one connection, asynchronous exchanges, deadlines, a paused or restarted
// server, WAIT for replicas, AUTH and SELECT.

#include "history/redis/pipelined_connection.h"

#include <hiredis/hiredis.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "history/redis_url.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/redis_server.h"

namespace etiquette::redis {
namespace {

using ::etiquette::testing::RedisServer;
using ::etiquette::testing::RedisServerTest;
using ::testing::HasSubstr;

// Generous: these tests are about what happens, not how fast, except where they say so.
constexpr absl::Duration kPatient = absl::Seconds(5);
constexpr absl::Duration kShort = absl::Milliseconds(200);

class RedisPipelinedConnectionTest : public RedisServerTest<> {
 protected:
  RedisOptions Options() {
    return RedisServerTest::Options(kPatient, RedisOptions().write_timeout);
  }

  // One command on `connection`, waited for; its reply as text (errors as their status).
  static absl::StatusOr<std::string> One(Connection& connection,
                                         const std::vector<std::string>& args,
                                         absl::Duration bound = kPatient) {
    Lease lease(connection, absl::Now() + bound);
    lease.Append(args);
    absl::StatusOr<Reply> reply = lease.Next();
    if (!reply.ok()) return reply.status();
    if ((*reply)->type == REDIS_REPLY_ERROR) return ErrorReplyStatus(reply->get());
    if ((*reply)->type == REDIS_REPLY_INTEGER) return absl::StrCat((*reply)->integer);
    return std::string(ReplyText(reply->get()));
  }
};

TEST_F(RedisPipelinedConnectionTest, RepliesComeBackInOrder) {
  Connection connection(Options(), 0);
  Lease lease(connection, absl::Now() + kPatient);
  lease.Append({"SET", "k", "v"});
  lease.Append({"GET", "k"});
  lease.Flush();  // one exchange of two commands ...
  lease.Append({"INCR", "n"});
  lease.Append({"ECHO"}, {});  // ... and one of two more, one of them wrong
  const std::vector<std::string> tail = {"a", "b"};
  lease.Append({"RPUSH", "list"}, {&tail});

  absl::StatusOr<Reply> set = lease.Next();
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(ReplyText(set->get()), "OK");
  absl::StatusOr<Reply> get = lease.Next();
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(ReplyText(get->get()), "v");
  absl::StatusOr<Reply> incr = lease.Next();
  ASSERT_TRUE(incr.ok()) << incr.status();
  EXPECT_EQ((*incr)->integer, 1);
  absl::StatusOr<Reply> echo = lease.Next();
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ((*echo)->type, REDIS_REPLY_ERROR);  // wrong number of arguments
  absl::StatusOr<Reply> rpush = lease.Next();
  ASSERT_TRUE(rpush.ok()) << rpush.status();
  EXPECT_EQ((*rpush)->integer, 2);
  EXPECT_EQ(lease.Next().status().code(), absl::StatusCode::kInternal);  // nothing left to read
}

TEST_F(RedisPipelinedConnectionTest, ManyCallersShareOneConnection) {
  Connection connection(Options(), 0);
  ASSERT_TRUE(One(connection, {"PING"}).ok());
  absl::StatusOr<int64_t> before = server().InfoInteger("stats", "total_connections_received");
  ASSERT_TRUE(before.ok()) << before.status();
  constexpr int kThreads = 8;
  constexpr int kCalls = 200;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const std::string text = absl::StrCat(t, "-", i);
        absl::StatusOr<std::string> echoed = One(connection, {"ECHO", text});
        if (!echoed.ok() || *echoed != text) ++wrong;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  // No new connection for any of them.
  absl::StatusOr<int64_t> after = server().InfoInteger("stats", "total_connections_received");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(*after, *before);
}

TEST_F(RedisPipelinedConnectionTest, SendHandsTheRepliesToACallback) {
  Connection connection(Options(), 0);
  std::promise<absl::StatusOr<std::vector<Reply>>> result;
  Lease lease(connection, absl::Now() + kPatient);
  lease.Append({"ECHO", "one"});
  lease.Append({"ECHO", "two"});
  lease.Send([&result](absl::StatusOr<std::vector<Reply>> replies) {
    result.set_value(std::move(replies));
  });
  std::future<absl::StatusOr<std::vector<Reply>>> future = result.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  absl::StatusOr<std::vector<Reply>> replies = future.get();
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 2u);
  EXPECT_EQ(ReplyText((*replies)[0].get()), "one");
  EXPECT_EQ(ReplyText((*replies)[1].get()), "two");
}

TEST_F(RedisPipelinedConnectionTest, AnExchangePastItsDeadlineIsNotSent) {
  Connection connection(Options(), 0);
  ASSERT_TRUE(One(connection, {"PING"}).ok());
  absl::StatusOr<std::string> late = One(connection, {"SET", "late", "1"}, -absl::Seconds(1));
  EXPECT_EQ(late.status().code(), absl::StatusCode::kUnavailable);
  absl::StatusOr<std::string> exists = server().Command({"EXISTS", "late"});
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_EQ(*exists, "0");
}

TEST_F(RedisPipelinedConnectionTest, APausedServerTimesOutThenTheConnectionRecovers) {
  RedisOptions options = Options();
  options.timeout = kShort;
  Connection connection(options, 0);
  ASSERT_TRUE(One(connection, {"PING"}, kShort).ok());
  ASSERT_TRUE(server().Pause().ok());
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> paused = One(connection, {"PING"}, kShort);
  const absl::Duration elapsed = absl::Now() - start;
  ASSERT_TRUE(server().Resume().ok());
  EXPECT_EQ(paused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(paused.status().message(), HasSubstr("no reply in time"));
  EXPECT_LT(elapsed, absl::Seconds(2));
  // The connection that timed out was dropped (its reply may still come): a new one answers.
  absl::StatusOr<std::string> after = One(connection, {"ECHO", "after"});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(*after, "after");
}

TEST_F(RedisPipelinedConnectionTest, ARestartedServerIsReconnectedTo) {
  Connection connection(Options(), 0);
  ASSERT_TRUE(One(connection, {"SET", "k", "v"}).ok());
  ASSERT_TRUE(server().Kill().ok());
  EXPECT_EQ(One(connection, {"PING"}, kShort).status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(server().Restart().ok());
  // The first call after the restart succeeds: an idle connection the server closed is not
  // reused.
  absl::StatusOr<std::string> get = One(connection, {"GET", "k"});
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(*get, "v");  // appendfsync always: the write survived the SIGKILL
}

TEST_F(RedisPipelinedConnectionTest, WritesWaitForReplicas) {
  RedisOptions options = Options();
  options.timeout = absl::Milliseconds(300);
  Connection waiting(options, /*wait_replicas=*/1);
  // No replica: the write is on the master, not acknowledged.
  absl::StatusOr<std::string> set = One(waiting, {"SET", "w", "1"}, absl::Milliseconds(300));
  EXPECT_EQ(set.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(set.status().message(),
              HasSubstr("0 of the 1 replicas required acknowledged the write in time"));
  absl::StatusOr<std::string> written = server().Command({"GET", "w"});
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(*written, "1");
  absl::StatusOr<int64_t> waits = server().CommandCalls("wait");
  ASSERT_TRUE(waits.ok()) << waits.status();
  EXPECT_EQ(*waits, 1);

  Connection plain(options, 0);
  ASSERT_TRUE(One(plain, {"SET", "w", "2"}).ok());
  waits = server().CommandCalls("wait");
  ASSERT_TRUE(waits.ok()) << waits.status();
  EXPECT_EQ(*waits, 1);
}

TEST_F(RedisPipelinedConnectionTest, AuthAndSelectOnConnect) {
  ASSERT_TRUE(server().Command({"CONFIG", "SET", "requirepass", "s3cret"}).ok());
  server().set_password("s3cret");

  RedisOptions wrong = Options();
  wrong.password = "nope";
  Connection refused(wrong, 0);
  absl::StatusOr<std::string> ping = One(refused, {"PING"});
  EXPECT_EQ(ping.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(ping.status().message(), HasSubstr("AUTH refused"));
  EXPECT_THAT(ping.status().message(), ::testing::Not(HasSubstr("nope")));

  RedisOptions right = Options();
  right.password = "s3cret";
  right.db = 3;
  Connection selected(right, 0);
  ASSERT_TRUE(One(selected, {"SET", "in3", "x"}).ok());
  absl::StatusOr<std::string> in_db0 = server().Command({"EXISTS", "in3"});
  ASSERT_TRUE(in_db0.ok()) << in_db0.status();
  EXPECT_EQ(*in_db0, "0");
  absl::StatusOr<std::string> in_db3 = One(selected, {"GET", "in3"});
  ASSERT_TRUE(in_db3.ok()) << in_db3.status();
  EXPECT_EQ(*in_db3, "x");
}

TEST_F(RedisPipelinedConnectionTest, NothingListeningIsUnavailable) {
  RedisOptions options = Options();
  options.port = 1;  // nothing listens there
  options.timeout = kShort;
  Connection connection(options, 0);
  absl::StatusOr<std::string> ping = One(connection, {"PING"}, kShort);
  EXPECT_EQ(ping.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(ping.status().message(), HasSubstr("connect to 127.0.0.1:1"));
}

}  // namespace
}  // namespace etiquette::redis
