// redis-cluster:// URLs (history/redis_url.h): seeds, password, no database.

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "history/redis_url.h"

namespace etiquette {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RedisClusterUrlTest, SeedsInOrder) {
  absl::StatusOr<RedisOptions> options =
      ParseRedisUrl("redis-cluster://10.0.0.1:7000,redis-b.internal:7001,[::1]:7002");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->cluster());
  ASSERT_EQ(options->cluster_seeds.size(), 3u);
  EXPECT_EQ(options->cluster_seeds[0].host, "10.0.0.1");
  EXPECT_EQ(options->cluster_seeds[0].port, 7000);
  EXPECT_EQ(options->cluster_seeds[1].host, "redis-b.internal");
  EXPECT_EQ(options->cluster_seeds[1].port, 7001);
  EXPECT_EQ(options->cluster_seeds[2].host, "::1");
  EXPECT_EQ(options->cluster_seeds[2].port, 7002);
  // host and port name the first seed (for logs); no password, db 0, the defaults.
  EXPECT_EQ(options->host, "10.0.0.1");
  EXPECT_EQ(options->port, 7000);
  EXPECT_EQ(options->password, "");
  EXPECT_EQ(options->db, 0);
  EXPECT_EQ(options->timeout, absl::Milliseconds(100));
  EXPECT_EQ(options->connections, 2);
}

TEST(RedisClusterUrlTest, OneSeedPasswordAndCase) {
  absl::StatusOr<RedisOptions> options =
      ParseRedisUrl("REDIS-CLUSTER://:p%40ss@b@h1:6379,h2:6379/");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->cluster());
  EXPECT_EQ(options->password, "p@ss@b");
  ASSERT_EQ(options->cluster_seeds.size(), 2u);
  EXPECT_EQ(options->cluster_seeds[1].host, "h2");

  absl::StatusOr<RedisOptions> one = ParseRedisUrl("redis-cluster://redis:6379");
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->cluster_seeds.size(), 1u);
  EXPECT_EQ(one->cluster_seeds[0].host, "redis");
}

TEST(RedisClusterUrlTest, AclUser) {
  absl::StatusOr<RedisOptions> options =
      ParseRedisUrl("redis-cluster://etiquette-history:pw@h1:1,h2:2");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->user, "etiquette-history");
  EXPECT_EQ(options->password, "pw");
  EXPECT_EQ(options->cluster_seeds.size(), 2u);
}

TEST(RedisClusterUrlTest, NodeMap) {
  absl::StatusOr<RedisOptions> options = ParseRedisUrl("redis-cluster://127.0.0.1:7000");
  ASSERT_TRUE(options.ok()) << options.status();
  ASSERT_TRUE(
      ApplyRedisNodeMap("r0.internal:6379=127.0.0.1:7000,[fd00::1]:6379=[::1]:7001", *options)
          .ok());
  ASSERT_EQ(options->node_map.size(), 2u);
  EXPECT_EQ(options->node_map["r0.internal:6379"].port, 7000);
  EXPECT_EQ(options->node_map["[fd00::1]:6379"].host, "::1");
  EXPECT_TRUE(ApplyRedisNodeMap("", *options).ok());
  for (const std::string bad : {
           "r0:6379",                                  // no '='
           "r0:6379=127.0.0.1:7000=x",                 // two '='
           "r0:6379=10.0.0.1:7000",                    // not loopback: the password in clear
           "r0=127.0.0.1:7000",                        // no port
           "r0:6379=127.0.0.1:1,r0:6379=127.0.0.1:2",  // twice
       }) {
    RedisOptions fresh = *ParseRedisUrl("redis-cluster://127.0.0.1:7000");
    const absl::Status status = ApplyRedisNodeMap(bad, fresh);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(status.message()), HasSubstr("--redis_node_map")) << bad;
  }
  RedisOptions single = *ParseRedisUrl("redis://127.0.0.1:6379");
  EXPECT_EQ(ApplyRedisNodeMap("r0:6379=127.0.0.1:7000", single).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RedisClusterUrlTest, PlainRedisUrlsAreNotClusters) {
  absl::StatusOr<RedisOptions> options = ParseRedisUrl("redis://:pw@h:1/3");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_FALSE(options->cluster());
  EXPECT_TRUE(options->cluster_seeds.empty());
  EXPECT_FALSE(RedisOptions().cluster());
}

TEST(RedisClusterUrlTest, BadClusterUrlsAreInvalidArgument) {
  for (const std::string url : {
           "redis-cluster://",            // no seeds
           "redis-cluster:///",           // no seeds
           "redis-cluster://h1:1,,h2:2",  // empty entry
           "redis-cluster://h1:1,",       // trailing comma
           "redis-cluster://,h1:1",       // leading comma
           "redis-cluster://h1:1,h2",     // a seed without port
           "redis-cluster://h1:1,h2:0",   // port out of range
           "redis-cluster://h1:1/0",      // a database
           "redis-cluster://h1:1/2",      // a database
           "redis-cluster://h1:1?x=1",    // query string
           "redis-cluster://user@h1:1",   // ACL user without a password
           "redis-cluster://:@h1:1",      // empty password
           "redis-cluster://h 1:1",       // space
           "redis-cluster://[::1:1",      // bracket
           "rediss-cluster://h1:1",       // unknown scheme
           "redis+cluster://h1:1",        // unknown scheme
       }) {
    absl::StatusOr<RedisOptions> options = ParseRedisUrl(url);
    EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument) << "url: " << url;
    if (!options.ok()) {
      EXPECT_THAT(std::string(options.status().message()), HasSubstr("redis-cluster://")) << url;
    }
  }
  EXPECT_THAT(std::string(ParseRedisUrl("redis-cluster://h:1/0").status().message()),
              HasSubstr("no database"));
  EXPECT_THAT(std::string(ParseRedisUrl("redis-cluster://h:1,,h:2").status().message()),
              HasSubstr("empty entry"));
}

TEST(RedisClusterUrlTest, MessagesNeverContainThePassword) {
  for (const std::string url : {
           "redis-cluster://:TopSecret99@h:1,",
           "redis-cluster://:TopSecret99@h:1/0",
           "redis-cluster://:TopSecret99@h",
           "redis-cluster://:TopSecret99%zz@h:1",
       }) {
    absl::StatusOr<RedisOptions> options = ParseRedisUrl(url);
    ASSERT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_THAT(std::string(options.status().message()), Not(HasSubstr("TopSecret99"))) << url;
  }
}

}  // namespace
}  // namespace etiquette
