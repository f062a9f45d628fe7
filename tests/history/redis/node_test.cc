// history/redis/node.h against a real redis-server: the connections of each lane, writes
// waiting for replicas and reads not, the scripts loaded, suspicion after a failure, the db of
// a cluster node.

#include "history/redis/node.h"

#include <hiredis/hiredis.h>

#include <memory>
#include <set>
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
#include "tests/support/redis_fixture.h"
#include "tests/support/redis_server.h"

namespace etiquette::redis {
namespace {

using ::etiquette::testing::RedisServer;
using ::etiquette::testing::RedisServerTest;
using ::testing::HasSubstr;

class RedisNodeTest : public RedisServerTest<> {
 protected:
  RedisOptions Options() {
    return RedisServerTest::Options(absl::Milliseconds(300), RedisOptions().write_timeout);
  }
  RedisEndpoint Endpoint() { return RedisEndpoint{"127.0.0.1", server().port()}; }

  static absl::Status Set(Node& node, Lane lane, const std::string& key) {
    Lease lease(node.connection(lane), absl::Now() + absl::Milliseconds(300));
    lease.Append({"SET", key, "1"});
    absl::StatusOr<Reply> reply = lease.Next();
    if (!reply.ok()) return reply.status();
    if ((*reply)->type == REDIS_REPLY_ERROR) return ErrorReplyStatus(reply->get());
    return absl::OkStatus();
  }
};

TEST(RedisEndpointNameTest, HostColonPortWithIpv6InBrackets) {
  EXPECT_EQ(EndpointName({"10.0.0.1", 7000}), "10.0.0.1:7000");
  EXPECT_EQ(EndpointName({"redis.internal", 6379}), "redis.internal:6379");
  EXPECT_EQ(EndpointName({"::1", 7000}), "[::1]:7000");
}

TEST_F(RedisNodeTest, EachLaneHasItsOwnConnections) {
  RedisOptions options = Options();
  options.connections = 3;
  Node node(options, Endpoint());
  EXPECT_EQ(node.name(), absl::StrCat("127.0.0.1:", server().port()));
  std::set<Connection*> reads;
  std::set<Connection*> writes;
  for (int i = 0; i < 30; ++i) {
    reads.insert(&node.connection(Lane::kReads));
    writes.insert(&node.connection(Lane::kWrites));
  }
  // Idle connections are taken in turn: every one of each lane is used.
  EXPECT_EQ(reads.size(), 3u);
  EXPECT_EQ(writes.size(), 3u);
  for (Connection* connection : reads) EXPECT_EQ(writes.count(connection), 0u);

  options.connections = 0;  // at least one
  Node one(options, Endpoint());
  EXPECT_EQ(&one.connection(Lane::kReads), &one.connection(Lane::kReads));
  EXPECT_NE(&one.connection(Lane::kReads), &one.connection(Lane::kWrites));
}

TEST_F(RedisNodeTest, OnlyWritesWaitForReplicas) {
  RedisOptions options = Options();
  options.wait_replicas = 1;  // and the server has none
  Node node(options, Endpoint());
  EXPECT_TRUE(Set(node, Lane::kReads, "read-lane").ok());
  const absl::Status write = Set(node, Lane::kWrites, "write-lane");
  EXPECT_EQ(write.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(write.message(), HasSubstr("replicas required acknowledged"));
}

TEST_F(RedisNodeTest, ConnectsToItsEndpointWithTheOptionsDb) {
  RedisOptions options = Options();
  options.host = "192.0.2.1";  // replaced by the endpoint
  options.port = 1;
  options.db = 2;
  Node node(options, Endpoint());
  ASSERT_TRUE(Set(node, Lane::kWrites, "in-db-2").ok());
  EXPECT_EQ(*server().Command({"EXISTS", "in-db-2"}), "0");

  // A cluster has db 0 only: a cluster node never SELECTs.
  options.cluster_seeds = {Endpoint()};
  Node cluster_node(options, Endpoint());
  ASSERT_TRUE(Set(cluster_node, Lane::kWrites, "in-db-0").ok());
  EXPECT_EQ(*server().Command({"EXISTS", "in-db-0"}), "1");
}

TEST_F(RedisNodeTest, RemembersWhichScriptsItHas) {
  Node node(Options(), Endpoint());
  for (int script = 0; script < Node::kMaxScripts; ++script) EXPECT_FALSE(node.loaded(script));
  node.set_loaded(0, true);
  node.set_loaded(Node::kMaxScripts - 1, true);
  EXPECT_TRUE(node.loaded(0));
  EXPECT_FALSE(node.loaded(1));
  EXPECT_TRUE(node.loaded(Node::kMaxScripts - 1));
  node.set_loaded(0, false);  // NOSCRIPT
  EXPECT_FALSE(node.loaded(0));
  EXPECT_TRUE(node.loaded(Node::kMaxScripts - 1));
}

TEST_F(RedisNodeTest, SuspectForAWhileAfterAFailure) {
  Node node(Options(), Endpoint());
  const absl::Time before = absl::Now();
  EXPECT_FALSE(node.Suspect(before));
  node.NoteFailure();
  const absl::Time now = absl::Now();
  EXPECT_TRUE(node.Suspect(now));
  EXPECT_TRUE(node.Suspect(now + kSuspectFor - absl::Milliseconds(100)));
  EXPECT_FALSE(node.Suspect(now + kSuspectFor + absl::Milliseconds(1)));
}

}  // namespace
}  // namespace etiquette::redis
