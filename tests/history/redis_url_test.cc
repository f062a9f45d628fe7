#include "history/redis_url.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace etiquette {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RedisUrlTest, HostAndPort) {
  absl::StatusOr<RedisOptions> options = ParseRedisUrl("redis://127.0.0.1:6380");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->host, "127.0.0.1");
  EXPECT_EQ(options->port, 6380);
  EXPECT_EQ(options->password, "");
  EXPECT_EQ(options->db, 0);
  // Not part of the URL: the defaults.
  EXPECT_EQ(options->timeout, absl::Milliseconds(100));
  EXPECT_EQ(options->connections, 2);
}

TEST(RedisUrlTest, PasswordHostNamePortAndDb) {
  absl::StatusOr<RedisOptions> options = ParseRedisUrl("redis://:s3cret@redis.internal:6379/2");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->host, "redis.internal");
  EXPECT_EQ(options->port, 6379);
  EXPECT_EQ(options->password, "s3cret");
  EXPECT_EQ(options->db, 2);
}

TEST(RedisUrlTest, PercentEncodedPasswordAndRawAt) {
  absl::StatusOr<RedisOptions> encoded = ParseRedisUrl("redis://:p%40ss%2Fw0rd@localhost:1");
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  EXPECT_EQ(encoded->password, "p@ss/w0rd");
  EXPECT_EQ(encoded->port, 1);
  // A raw '@' in the password: the last '@' ends the credentials.
  absl::StatusOr<RedisOptions> raw = ParseRedisUrl("redis://:a@b@localhost:65535/0");
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(raw->password, "a@b");
  EXPECT_EQ(raw->host, "localhost");
  EXPECT_EQ(raw->port, 65535);
}

TEST(RedisUrlTest, AclUserAndPassword) {
  absl::StatusOr<RedisOptions> options =
      ParseRedisUrl("redis://etiquette-history:s3c%3Aret@redis.internal:6379/1");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->user, "etiquette-history");
  EXPECT_EQ(options->password, "s3c:ret");
  EXPECT_EQ(options->host, "redis.internal");
  EXPECT_EQ(options->db, 1);
  // A ':' in the password is its own; one in the user name is escaped.
  absl::StatusOr<RedisOptions> colons = ParseRedisUrl("redis://a%3Ab:c:d@h:1");
  ASSERT_TRUE(colons.ok()) << colons.status();
  EXPECT_EQ(colons->user, "a:b");
  EXPECT_EQ(colons->password, "c:d");
  // No user: the default user.
  absl::StatusOr<RedisOptions> none = ParseRedisUrl("redis://:pw@h:1");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->user, "");
}

TEST(RedisUrlTest, BracketedIpv6AndTrailingSlash) {
  absl::StatusOr<RedisOptions> options = ParseRedisUrl("redis://[::1]:6379/");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->host, "::1");
  EXPECT_EQ(options->port, 6379);
  EXPECT_EQ(options->db, 0);
}

TEST(RedisUrlTest, SchemeIsCaseInsensitive) {
  absl::StatusOr<RedisOptions> options = ParseRedisUrl("REDIS://h:7/15");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->host, "h");
  EXPECT_EQ(options->db, 15);
}

TEST(RedisUrlTest, BadUrlsAreInvalidArgument) {
  for (const std::string url : {
           "",
           "127.0.0.1:6379",                   // no scheme
           "http://127.0.0.1:6379",            // wrong scheme
           "rediss://127.0.0.1:6379",          // TLS
           "redis://",                         // nothing
           "redis://127.0.0.1",                // no port
           "redis://127.0.0.1:",               // empty port
           "redis://:6379",                    // no host
           "redis://127.0.0.1:0",              // port out of range
           "redis://127.0.0.1:65536",          // port out of range
           "redis://127.0.0.1:63a9",           // port not a number
           "redis://127.0.0.1:-1",             // negative port
           "redis://127.0.0.1:6379/x",         // db not a number
           "redis://127.0.0.1:6379/-1",        // negative db
           "redis://127.0.0.1:6379/1/2",       // a path
           "redis://127.0.0.1:6379?db=1",      // query string
           "redis://user@127.0.0.1:6379",      // a user without a password
           "redis://user:@127.0.0.1:6379",     // a user with an empty password
           "redis://u%zz:pw@127.0.0.1:6379",   // bad escape in the user name
           "redis://u%20v:pw@127.0.0.1:6379",  // a space in the user name
           "redis://:@127.0.0.1:6379",         // empty password
           "redis://:a%4@127.0.0.1:6379",      // bad escape
           "redis://[::1:6379",                // unterminated bracket
           "redis://[::1]6379",                // no ':' after the bracket
           "redis://ho st:6379",               // space in the host
       }) {
    absl::StatusOr<RedisOptions> options = ParseRedisUrl(url);
    EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument) << "url: " << url;
    if (!options.ok()) {
      EXPECT_THAT(std::string(options.status().message()), HasSubstr("redis")) << url;
    }
  }
}

TEST(RedisUrlTest, MessagesSayWhatIsWrong) {
  EXPECT_THAT(std::string(ParseRedisUrl("redis://h").status().message()),
              HasSubstr("port is missing"));
  EXPECT_THAT(std::string(ParseRedisUrl("redis://h:99999").status().message()),
              HasSubstr("'99999'"));
  EXPECT_THAT(std::string(ParseRedisUrl("rediss://h:1").status().message()), HasSubstr("TLS"));
  EXPECT_THAT(std::string(ParseRedisUrl("redis://h:1/x").status().message()),
              HasSubstr("database"));
}

TEST(RedisUrlTest, MessagesNeverContainThePassword) {
  for (const std::string url : {
           "redis://:TopSecret99@:6379",       // empty host
           "redis://:TopSecret99@h",           // no port
           "redis://:TopSecret99@h:0",         // bad port
           "redis://:TopSecret99@h:1/nope",    // bad db
           "redis://:TopSecret99%zz@h:1",      // bad escape
           "redis://user:TopSecret99@h",       // user name, no port
           "redis://us%zzer:TopSecret99@h:1",  // bad escape in the user name
           "redis://:TopSecret99@h:1?x=1",     // query
           "redis://:TopSecret99@[::1:1",      // bracket
       }) {
    absl::StatusOr<RedisOptions> options = ParseRedisUrl(url);
    ASSERT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_THAT(std::string(options.status().message()), Not(HasSubstr("TopSecret99"))) << url;
  }
}

}  // namespace
}  // namespace etiquette
