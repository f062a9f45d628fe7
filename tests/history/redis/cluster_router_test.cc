// history/redis/cluster_router.h against a real 3-master Redis Cluster (tests/support/
// redis_cluster.h), shared by the tests of the suite (none changes it): the slot map learned on
// first use, MOVED amending it, stale maps refreshed, seeds that cannot give a map.

#include "history/redis/cluster_router.h"

#include <map>
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
#include "history/redis/pipelined_connection.h"
#include "history/redis/reply.h"
#include "history/redis_url.h"
#include "tests/support/redis_cluster.h"
#include "tests/support/redis_server.h"

namespace etiquette::redis {
namespace {

using ::etiquette::testing::RedisCluster;
using ::etiquette::testing::RedisServer;
using ::testing::HasSubstr;

constexpr absl::Duration kPatient = absl::Seconds(5);

class ClusterRouterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<RedisCluster>> started = RedisCluster::Start(3);
    ASSERT_TRUE(started.ok()) << started.status();
    cluster_ = started->release();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(cluster_, nullptr) << "the cluster did not start"; }

  static RedisOptions Options() {
    absl::StatusOr<RedisOptions> options = ParseRedisUrl(cluster_->url());
    EXPECT_TRUE(options.ok()) << options.status();
    options->timeout = absl::Seconds(1);
    return *options;
  }
  // The port of the master that owns `slot`, as the cluster says.
  static int OwnerPort(int slot) {
    absl::StatusOr<int> owner = cluster_->OwnerOf(slot);
    EXPECT_TRUE(owner.ok()) << owner.status();
    return owner.ok() ? cluster_->port(*owner) : -1;
  }

  static RedisCluster* cluster_;
};

RedisCluster* ClusterRouterTest::cluster_ = nullptr;

TEST_F(ClusterRouterTest, LearnsTheMapOnFirstUseAndRoutesEachSlotToItsMaster) {
  ClusterRouter router(Options());
  EXPECT_EQ(router.FreshNodeForSlot(0), nullptr);  // nothing asked yet
  for (int slot : {0, 5000, 5461, 10000, 16383}) {
    absl::StatusOr<std::shared_ptr<Node>> node = router.NodeForSlot(slot, absl::Now() + kPatient);
    ASSERT_TRUE(node.ok()) << node.status();
    EXPECT_EQ((*node)->endpoint().port, OwnerPort(slot)) << slot;
    EXPECT_EQ(router.FreshNodeForSlot(slot), *node) << slot;
  }
  absl::StatusOr<std::vector<std::shared_ptr<Node>>> masters =
      router.Masters(absl::Now() + kPatient);
  ASSERT_TRUE(masters.ok()) << masters.status();
  std::set<int> ports;
  for (const std::shared_ptr<Node>& master : *masters) ports.insert(master->endpoint().port);
  EXPECT_EQ(ports, (std::set<int>{cluster_->port(0), cluster_->port(1), cluster_->port(2)}));
}

TEST_F(ClusterRouterTest, MovedAmendsTheMapUntilARefreshSaysOtherwise) {
  ClusterRouter router(Options());
  constexpr int kSlot = 42;
  absl::StatusOr<std::shared_ptr<Node>> owner = router.NodeForSlot(kSlot, absl::Now() + kPatient);
  ASSERT_TRUE(owner.ok()) << owner.status();
  RedisEndpoint elsewhere = (*owner)->endpoint();
  elsewhere.port =
      (*owner)->endpoint().port == cluster_->port(0) ? cluster_->port(1) : cluster_->port(0);

  // A MOVED this cluster never said: the map takes it at once, and is stale.
  router.Moved(kSlot, elsewhere);
  EXPECT_EQ(router.FreshNodeForSlot(kSlot), nullptr);
  EXPECT_EQ(router.NodeAt(elsewhere)->endpoint().port, elsewhere.port);
  EXPECT_EQ(router.NodeAt(elsewhere), router.NodeAt(elsewhere));  // one node per endpoint

  // The next refresh (at most every kMapRefreshInterval) puts the slot back where it is.
  const absl::Time give_up = absl::Now() + kPatient;
  std::shared_ptr<Node> routed;
  while (absl::Now() < give_up) {
    absl::StatusOr<std::shared_ptr<Node>> node = router.NodeForSlot(kSlot, give_up);
    ASSERT_TRUE(node.ok()) << node.status();
    routed = *node;
    if (routed == *owner) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(routed, *owner);
  EXPECT_EQ(router.FreshNodeForSlot(kSlot), *owner);
}

TEST_F(ClusterRouterTest, AStaleMapIsRefreshedBeforeRouting) {
  ClusterRouter router(Options());
  ASSERT_TRUE(router.NodeForSlot(7, absl::Now() + kPatient).ok());
  ASSERT_NE(router.FreshNodeForSlot(7), nullptr);
  router.MarkStale();  // a connection failed, or CLUSTERDOWN
  EXPECT_EQ(router.FreshNodeForSlot(7), nullptr);
  const absl::Time give_up = absl::Now() + kPatient;
  while (router.FreshNodeForSlot(7) == nullptr && absl::Now() < give_up) {
    ASSERT_TRUE(router.NodeForSlot(7, give_up).ok());
    if (router.FreshNodeForSlot(7) == nullptr) absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_NE(router.FreshNodeForSlot(7), nullptr);
  EXPECT_EQ(router.FreshNodeForSlot(7)->endpoint().port, OwnerPort(7));
}

TEST_F(ClusterRouterTest, NoSeedAnsweringIsUnavailableWithinTheDeadline) {
  RedisOptions options = Options();
  options.cluster_seeds = {{"127.0.0.1", 1}, {"127.0.0.1", 2}};
  options.timeout = absl::Milliseconds(100);
  ClusterRouter router(options);
  const absl::Time start = absl::Now();
  absl::StatusOr<std::shared_ptr<Node>> node =
      router.NodeForSlot(0, start + absl::Milliseconds(300));
  EXPECT_EQ(node.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(router.Masters(absl::Now() + absl::Milliseconds(300)).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(ClusterRouterTest, ASeedWithoutClusterSupportIsAConfigurationError) {
  absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  RedisOptions options = Options();
  options.cluster_seeds = {{"127.0.0.1", (*server)->port()}};
  ClusterRouter router(options);
  absl::StatusOr<std::shared_ptr<Node>> node = router.NodeForSlot(0, absl::Now() + kPatient);
  EXPECT_EQ(node.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(node.status().message(), HasSubstr("cluster support disabled"));
}

}  // namespace
}  // namespace etiquette::redis

namespace etiquette::redis {
namespace {

// PING on `node`'s read connection.
absl::Status PingNode(Node& node) {
  Lease lease(node.connection(Lane::kReads), absl::Now() + kPatient);
  lease.Append({"PING"});
  absl::StatusOr<Reply> reply = lease.Next();
  return reply.ok() ? absl::OkStatus() : reply.status();
}

// --redis_node_map (a cluster behind a TLS sidecar): a node the map names is dialled at its
// mapped address; a node it leaves out is never dialled (UNAVAILABLE, naming the flag); the
// seed is dialled as given.
TEST_F(ClusterRouterTest, NodeMapDialsMappedNodesThereAndNeverTheOthers) {
  absl::StatusOr<RedisOptions> options =
      ParseRedisUrl(absl::StrCat("redis-cluster://127.0.0.1:", cluster_->port(0)));
  ASSERT_TRUE(options.ok()) << options.status();
  options->timeout = absl::Seconds(1);
  // Node 0 as itself; node 1 at a port where nothing listens (the dial goes where the map
  // says); node 2 left out.
  const int nowhere = ::etiquette::testing::FreeTcpPort();
  ASSERT_TRUE(ApplyRedisNodeMap(
                  absl::StrCat("127.0.0.1:", cluster_->port(0), "=127.0.0.1:", cluster_->port(0),
                               ",127.0.0.1:", cluster_->port(1), "=127.0.0.1:", nowhere),
                  *options)
                  .ok());
  ClusterRouter router(*options);
  std::map<int, absl::Status> by_port;
  for (int slot : {0, 8000, 16383}) {  // one slot of each master
    absl::StatusOr<std::shared_ptr<Node>> node = router.NodeForSlot(slot, absl::Now() + kPatient);
    ASSERT_TRUE(node.ok()) << node.status();
    by_port[(*node)->endpoint().port] = PingNode(**node);
  }
  ASSERT_EQ(by_port.size(), 3u);
  EXPECT_TRUE(by_port[cluster_->port(0)].ok()) << by_port[cluster_->port(0)];
  EXPECT_EQ(by_port[cluster_->port(1)].code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(by_port[cluster_->port(1)].message()),
              HasSubstr(absl::StrCat("127.0.0.1:", nowhere)));
  EXPECT_EQ(by_port[cluster_->port(2)].code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(by_port[cluster_->port(2)].message()),
              HasSubstr("not in --redis_node_map"));
}

}  // namespace
}  // namespace etiquette::redis
