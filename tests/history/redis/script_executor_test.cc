// history/redis/script_executor.h against a real redis-server: both paths (Run, RunAsync) load
// scripts on first use, survive a flushed script cache (NOSCRIPT: load, then once more), map
// error replies through the one classification, bound reads and writes by their own timeouts,
// and answer UNAVAILABLE when Redis is away.

#include "history/redis/script_executor.h"

#include <hiredis/hiredis.h>

#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "history/redis_url.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/redis_server.h"

namespace etiquette::redis {
namespace {

using ::etiquette::testing::RedisServer;
using ::etiquette::testing::RedisServerTest;
using ::testing::HasSubstr;

enum TestScript { kEcho = 0, kIncr, kTryAgain, kMoved, kWrongType, kScripts };

class RedisScriptExecutorTest : public RedisServerTest<::testing::TestWithParam<bool>> {
 protected:
  void SetUp() override {
    RedisServerTest::SetUp();
    if (HasFatalFailure()) return;
    const std::vector<std::pair<std::string, std::string>> sources = {
        {"echo", "return ARGV[1]"},
        {"incr", "return redis.call('INCRBY', KEYS[1], ARGV[1])"},
        {"try_again", "return redis.error_reply('TRYAGAIN not now')"},
        {"moved", "return redis.error_reply('MOVED 1 127.0.0.1:1')"},
        {"wrong_type", "return redis.call('LPUSH', KEYS[1], 'x')"},
    };
    for (const auto& [name, source] : sources) {
      // Redis's own hash of the text, then its cache emptied again: the executor loads.
      absl::StatusOr<std::string> sha = server().Command({"SCRIPT", "LOAD", source});
      ASSERT_TRUE(sha.ok()) << sha.status();
      scripts_.push_back(LuaScript{name, source, *sha, name == "echo"});
    }
    ASSERT_TRUE(server().Command({"SCRIPT", "FLUSH"}).ok());
    ASSERT_TRUE(server().Command({"CONFIG", "RESETSTAT"}).ok());  // commandstats from 0
    executor_ = NewExecutor(Options());
  }

  RedisOptions Options() { return RedisServerTest::Options(absl::Seconds(2)); }
  std::unique_ptr<ScriptExecutor> NewExecutor(const RedisOptions& options) {
    return std::make_unique<ScriptExecutor>(options, scripts_);
  }

  // Through the path of the test's parameter: RunAsync (true) or Run.
  absl::StatusOr<std::vector<Reply>> Execute(ScriptExecutor& executor,
                                             std::vector<ScriptCall> calls,
                                             absl::Time deadline = absl::InfiniteFuture()) {
    if (!GetParam()) {
      return executor.Run(calls, std::min(deadline, absl::Now() + absl::Seconds(2)));
    }
    std::promise<absl::StatusOr<std::vector<Reply>>> promise;
    executor.RunAsync(std::move(calls), deadline,
                      [&promise](absl::StatusOr<std::vector<Reply>> replies) {
                        promise.set_value(std::move(replies));
                      });
    return promise.get_future().get();
  }
  absl::StatusOr<std::vector<Reply>> Execute(std::vector<ScriptCall> calls) {
    return Execute(*executor_, std::move(calls));
  }

  int64_t Calls(const std::string& command) {
    absl::StatusOr<int64_t> calls = server().CommandCalls(command);
    EXPECT_TRUE(calls.ok()) << calls.status();
    return calls.ok() ? *calls : -1;
  }

  ScriptExecutor& executor() { return *executor_; }

 private:
  std::vector<LuaScript> scripts_;
  std::unique_ptr<ScriptExecutor> executor_;
};

INSTANTIATE_TEST_SUITE_P(Paths, RedisScriptExecutorTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Async" : "Blocking";
                         });

TEST_P(RedisScriptExecutorTest, RunsCallsInOrderLoadingScriptsOnFirstUse) {
  absl::StatusOr<std::vector<Reply>> replies = Execute({
      ScriptCall{kEcho, {"k"}, {"first"}},
      ScriptCall{kIncr, {"n"}, {"5"}},
      ScriptCall{kEcho, {"k"}, {"third"}},
  });
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_EQ(ReplyText((*replies)[0].get()), "first");
  EXPECT_EQ((*replies)[1]->integer, 5);
  EXPECT_EQ(ReplyText((*replies)[2].get()), "third");
  EXPECT_EQ(Calls("script|load"), 2);  // echo and incr, once each
  EXPECT_EQ(Calls("evalsha"), 3);

  // Loaded: the next calls are EVALSHAs only.
  replies = Execute({ScriptCall{kIncr, {"n"}, {"1"}}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  EXPECT_EQ((*replies)[0]->integer, 6);
  EXPECT_EQ(Calls("script|load"), 2);
  EXPECT_EQ(Calls("evalsha"), 4);
}

TEST_P(RedisScriptExecutorTest, AFlushedScriptCacheIsReloadedAndTheCallRunsOnce) {
  ASSERT_TRUE(Execute({ScriptCall{kIncr, {"n"}, {"1"}}}).ok());
  ASSERT_TRUE(server().Command({"SCRIPT", "FLUSH"}).ok());
  absl::StatusOr<std::vector<Reply>> replies = Execute({ScriptCall{kIncr, {"n"}, {"1"}}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  EXPECT_EQ((*replies)[0]->integer, 2);  // ran once: NOSCRIPT means it did not run
  EXPECT_EQ(Calls("script|load"), 2);
  EXPECT_EQ(Calls("evalsha"), 3);  // the first call, the NOSCRIPT, the retry
  EXPECT_EQ(*server().Command({"GET", "n"}), "2");
}

TEST_P(RedisScriptExecutorTest, ErrorRepliesAreClassifiedOnce) {
  // TRYAGAIN from one Redis: transient, not followed (there is no cluster to follow).
  absl::StatusOr<std::vector<Reply>> try_again = Execute({ScriptCall{kTryAgain, {"k"}, {}}});
  EXPECT_EQ(try_again.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(try_again.status().message(), HasSubstr("TRYAGAIN not now"));
  // MOVED from one Redis: not followed, an error.
  absl::StatusOr<std::vector<Reply>> moved = Execute({ScriptCall{kMoved, {"k"}, {}}});
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(moved.status().message(), HasSubstr("redis error: MOVED 1 127.0.0.1:1"));
  // A failing command inside the script: INTERNAL, the whole batch fails.
  ASSERT_TRUE(server().Command({"SET", "string", "x"}).ok());
  absl::StatusOr<std::vector<Reply>> wrong =
      Execute({ScriptCall{kEcho, {"k"}, {"fine"}}, ScriptCall{kWrongType, {"string"}, {}}});
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(wrong.status().message(), HasSubstr("WRONGTYPE"));
  // Each ran once: none of these is retried.
  EXPECT_EQ(Calls("evalsha"), 4);
}

// RunAsync bounds a call by the timeout of its lane (Run by its caller's deadline only).
class RedisScriptExecutorAsyncTest : public RedisScriptExecutorTest {};
INSTANTIATE_TEST_SUITE_P(Paths, RedisScriptExecutorAsyncTest, ::testing::Values(true),
                         [](const ::testing::TestParamInfo<bool>&) { return "Async"; });

TEST_P(RedisScriptExecutorAsyncTest, ReadsAndWritesHaveTheirOwnBounds) {
  RedisOptions options = Options();
  options.timeout = absl::Milliseconds(100);
  options.write_timeout = absl::Milliseconds(1500);
  std::unique_ptr<ScriptExecutor> executor = NewExecutor(options);
  ASSERT_TRUE(Execute(*executor, {ScriptCall{kEcho, {"k"}, {"warm"}}}).ok());
  ASSERT_TRUE(Execute(*executor, {ScriptCall{kIncr, {"n"}, {"1"}}}).ok());
  ASSERT_TRUE(server().Pause().ok());
  absl::Time start = absl::Now();
  absl::StatusOr<std::vector<Reply>> read = Execute(*executor, {ScriptCall{kEcho, {"k"}, {"r"}}});
  const absl::Duration read_took = absl::Now() - start;
  start = absl::Now();
  absl::StatusOr<std::vector<Reply>> write = Execute(*executor, {ScriptCall{kIncr, {"n"}, {"1"}}});
  const absl::Duration write_took = absl::Now() - start;
  ASSERT_TRUE(server().Resume().ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(write.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(read_took, absl::Milliseconds(1000));
  EXPECT_GE(write_took, absl::Milliseconds(1000));
  // The caller's deadline bounds a write too.
  start = absl::Now();
  absl::StatusOr<std::vector<Reply>> late =
      Execute(*executor, {ScriptCall{kIncr, {"n"}, {"1"}}}, absl::Now() - absl::Seconds(1));
  EXPECT_EQ(late.status().code(), absl::StatusCode::kUnavailable);
}

TEST_P(RedisScriptExecutorTest, RedisAwayIsUnavailable) {
  RedisOptions options = Options();
  options.port = 1;  // nothing listens there
  options.timeout = absl::Milliseconds(100);
  options.write_timeout = absl::Milliseconds(100);
  std::unique_ptr<ScriptExecutor> executor = NewExecutor(options);
  EXPECT_EQ(Execute(*executor, {ScriptCall{kEcho, {"k"}, {"x"}}}).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(Execute(*executor, {ScriptCall{kIncr, {"n"}, {"1"}}}).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(executor->Ping().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(this->executor().Ping().ok());
}

TEST_P(RedisScriptExecutorTest, LogsUnreachableAndReachableAgainOnceEach) {
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  sink->set_pattern("%v");
  spdlog::default_logger()->sinks().push_back(sink);
  ASSERT_TRUE(Execute({ScriptCall{kEcho, {"k"}, {"up"}}}).ok());
  ASSERT_TRUE(server().Kill().ok());
  EXPECT_EQ(Execute({ScriptCall{kEcho, {"k"}, {"down"}}}).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(executor().Ping().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(server().Restart().ok());
  ASSERT_TRUE(Execute({ScriptCall{kEcho, {"k"}, {"up again"}}}).ok());
  ASSERT_TRUE(executor().Ping().ok());
  spdlog::default_logger()->sinks().pop_back();

  const std::string name = absl::StrCat("redis 127.0.0.1:", server().port());
  const std::string text = log.str();
  const auto count = [&text](const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(absl::StrCat(name, " unreachable: redis unavailable: ")), 1u) << text;
  EXPECT_EQ(count(absl::StrCat(name, " reachable again")), 1u) << text;
}

}  // namespace
}  // namespace etiquette::redis
