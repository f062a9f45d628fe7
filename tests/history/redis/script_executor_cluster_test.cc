// history/redis/script_executor.h on a real 3-master Redis Cluster (one per test): calls for
// every master in one Run, and a slot moved under a caller (MOVED followed), on both paths.

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "history/redis/key_slot.h"
#include "history/redis/script_executor.h"
#include "history/redis_url.h"
#include "tests/support/redis_cluster.h"

namespace etiquette::redis {
namespace {

using ::etiquette::testing::RedisCluster;
using ::testing::HasSubstr;

constexpr char kEcho[] = "return ARGV[1]";

class RedisScriptExecutorClusterTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisCluster>> started = RedisCluster::Start(3);
    ASSERT_TRUE(started.ok()) << started.status();
    cluster_ = *std::move(started);
    absl::StatusOr<std::string> sha = cluster_->Command(0, {"SCRIPT", "LOAD", kEcho});
    ASSERT_TRUE(sha.ok()) << sha.status();
    for (int node = 0; node < cluster_->size(); ++node) {
      ASSERT_TRUE(cluster_->Command(node, {"SCRIPT", "FLUSH"}).ok());
    }
    absl::StatusOr<RedisOptions> options = ParseRedisUrl(cluster_->url());
    ASSERT_TRUE(options.ok()) << options.status();
    options->timeout = absl::Seconds(2);
    options->write_timeout = absl::Seconds(2);
    executor_ = std::make_unique<ScriptExecutor>(
        *options, std::vector<LuaScript>{LuaScript{"echo", kEcho, *sha, true}});
  }

  // Through the path of the test's parameter: RunAsync (true) or Run.
  absl::StatusOr<std::vector<Reply>> Execute(std::vector<ScriptCall> calls) {
    if (!GetParam()) return executor_->Run(calls, absl::Now() + absl::Seconds(2));
    std::promise<absl::StatusOr<std::vector<Reply>>> promise;
    executor_->RunAsync(std::move(calls), absl::InfiniteFuture(),
                        [&promise](absl::StatusOr<std::vector<Reply>> replies) {
                          promise.set_value(std::move(replies));
                        });
    return promise.get_future().get();
  }

  // A key whose slot `node` owns, and that slot.
  std::pair<std::string, int> KeyOn(int node) {
    for (int i = 0;; ++i) {
      std::string key = absl::StrCat("{k", i, "}:x");
      absl::StatusOr<int> owner = cluster_->OwnerOf(RedisKeySlot(key));
      EXPECT_TRUE(owner.ok()) << owner.status();
      if (!owner.ok() || *owner == node) return {key, RedisKeySlot(key)};
    }
  }

  int64_t EvalshaCalls(int node) {
    absl::StatusOr<int64_t> calls = cluster_->CommandCalls(node, "evalsha");
    EXPECT_TRUE(calls.ok()) << calls.status();
    return calls.value_or(-1);
  }

  // The node's INFO commandstats line of EVALSHA.
  std::string EvalshaStats(int node) {
    absl::StatusOr<std::string> info = cluster_->Command(node, {"INFO", "commandstats"});
    EXPECT_TRUE(info.ok()) << info.status();
    for (absl::string_view line : absl::StrSplit(info.value_or(""), absl::ByAnyChar("\r\n"))) {
      if (absl::StartsWith(line, "cmdstat_evalsha:")) return std::string(line);
    }
    return "";
  }

  std::unique_ptr<RedisCluster> cluster_;
  std::unique_ptr<ScriptExecutor> executor_;
};

INSTANTIATE_TEST_SUITE_P(Paths, RedisScriptExecutorClusterTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Async" : "Blocking";
                         });

TEST_P(RedisScriptExecutorClusterTest, EachCallRunsOnTheMasterOfItsSlot) {
  std::vector<ScriptCall> calls;
  for (int node = 0; node < 3; ++node) {
    calls.push_back(ScriptCall{0, {KeyOn(node).first}, {absl::StrCat("on ", node)}});
  }
  absl::StatusOr<std::vector<Reply>> replies = Execute(calls);
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 3u);
  for (int node = 0; node < 3; ++node) {
    EXPECT_EQ(ReplyText((*replies)[node].get()), absl::StrCat("on ", node));
    EXPECT_EQ(EvalshaCalls(node), 1) << node;
  }
}

TEST_P(RedisScriptExecutorClusterTest, AMovedSlotIsFollowed) {
  const auto [key, slot] = KeyOn(0);
  ASSERT_TRUE(Execute({ScriptCall{0, {key}, {"before"}}}).ok());  // the map is learned
  ASSERT_EQ(EvalshaCalls(0), 1);
  // The slot holds no key (echo stores nothing): it can be given to node 1 at once.
  for (int node : {1, 0, 2}) {
    ASSERT_TRUE(
        cluster_->Command(node, {"CLUSTER", "SETSLOT", absl::StrCat(slot), "NODE", cluster_->id(1)})
            .ok());
  }
  ASSERT_TRUE(cluster_->WaitUntilOk().ok());

  absl::StatusOr<std::vector<Reply>> replies = Execute({ScriptCall{0, {key}, {"after"}}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  EXPECT_EQ(ReplyText((*replies)[0].get()), "after");
  // Sent to node 0 first (the map still said so), which answered MOVED without running it;
  // then run on node 1.
  EXPECT_EQ(EvalshaCalls(0), 1);
  EXPECT_THAT(EvalshaStats(0), HasSubstr("rejected_calls=1,"));
  EXPECT_EQ(EvalshaCalls(1), 1);
}

}  // namespace
}  // namespace etiquette::redis
