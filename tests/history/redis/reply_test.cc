// history/redis/reply.h: the readers of array items and the one classification of a reply
// (redirect, NOSCRIPT, transient, other error) with the status each error maps to. Replies are
// hand-built from RESP text by hiredis's own reader, as from a socket; no server.

#include "history/redis/reply.h"

#include <hiredis/hiredis.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace etiquette::redis {
namespace {

using ::testing::HasSubstr;

// A reply parsed from RESP text.
Reply Parse(const std::string& resp) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, resp.data(), resp.size());
  void* reply = nullptr;
  const int status = redisReaderGetReply(reader, &reply);
  redisReaderFree(reader);
  EXPECT_EQ(status, REDIS_OK) << resp;
  EXPECT_NE(reply, nullptr) << "incomplete RESP: " << resp;
  return Reply(static_cast<redisReply*>(reply));
}

Reply Error(const std::string& message) { return Parse(absl::StrCat("-", message, "\r\n")); }

TEST(RedisReplyTest, ItemsOfAnArray) {
  const Reply array = Parse("*3\r\n:42\r\n$5\r\nhello\r\n$-1\r\n");
  absl::StatusOr<int64_t> integer = IntegerAt(array.get(), 0);
  ASSERT_TRUE(integer.ok()) << integer.status();
  EXPECT_EQ(*integer, 42);
  absl::StatusOr<std::string> text = StringAt(array.get(), 1);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "hello");

  EXPECT_EQ(IntegerAt(array.get(), 1).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(StringAt(array.get(), 0).status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(StringAt(array.get(), 2).status().message(),
              HasSubstr("unexpected reply from redis: item 2 not string"));
  EXPECT_EQ(ReplyText(array->element[1]), "hello");
}

TEST(RedisReplyTest, ValuesAreValues) {
  for (const char* resp : {"+OK\r\n", ":1\r\n", "$3\r\nabc\r\n", "*0\r\n", "$-1\r\n"}) {
    const Reply reply = Parse(resp);
    EXPECT_EQ(Classify(reply.get(), "h").kind, ReplyKind::kValue) << resp;
  }
  // A string that reads like an error is still a value.
  const Reply text = Parse("$22\r\nMOVED 1 127.0.0.1:7000\r\n");
  EXPECT_EQ(Classify(text.get(), "h").kind, ReplyKind::kValue);
}

TEST(RedisReplyTest, RedirectionsCarrySlotAndEndpoint) {
  const ReplyClass moved = Classify(Error("MOVED 3999 10.0.0.2:7001").get(), "10.0.0.1");
  ASSERT_EQ(moved.kind, ReplyKind::kRedirect);
  EXPECT_EQ(moved.redirect.kind, ClusterRedirect::Kind::kMoved);
  EXPECT_EQ(moved.redirect.slot, 3999);
  EXPECT_EQ(moved.redirect.to.host, "10.0.0.2");
  EXPECT_EQ(moved.redirect.to.port, 7001);

  // Redis 7 with an unknown endpoint: the host of the node that answered.
  const ReplyClass ask = Classify(Error("ASK 12 :7002").get(), "10.0.0.1");
  ASSERT_EQ(ask.kind, ReplyKind::kRedirect);
  EXPECT_EQ(ask.redirect.kind, ClusterRedirect::Kind::kAsk);
  EXPECT_EQ(ask.redirect.slot, 12);
  EXPECT_EQ(ask.redirect.to.host, "10.0.0.1");
  EXPECT_EQ(ask.redirect.to.port, 7002);

  // Not parseable as a redirection: an error like any other.
  for (const char* message : {"MOVED", "MOVED x 1.2.3.4:5", "MOVED 16384 h:1", "ASK 1 h"}) {
    EXPECT_EQ(Classify(Error(message).get(), "h").kind, ReplyKind::kError) << message;
  }
}

TEST(RedisReplyTest, EachErrorHasOneKindAndOneStatus) {
  struct Case {
    std::string message;
    ReplyKind kind;
    absl::StatusCode code;
  };
  const Case cases[] = {
      {"NOSCRIPT No matching script. Please use EVAL.", ReplyKind::kNoScript,
       absl::StatusCode::kInternal},
      {"TRYAGAIN Multiple keys request during rehashing of slot", ReplyKind::kTryAgain,
       absl::StatusCode::kUnavailable},
      {"CLUSTERDOWN The cluster is down", ReplyKind::kClusterDown, absl::StatusCode::kUnavailable},
      {"LOADING Redis is loading the dataset in memory", ReplyKind::kBusy,
       absl::StatusCode::kUnavailable},
      {"BUSY Redis is busy running a script.", ReplyKind::kBusy, absl::StatusCode::kUnavailable},
      {"MASTERDOWN Link with MASTER is down", ReplyKind::kBusy, absl::StatusCode::kUnavailable},
      {"ERR unknown command", ReplyKind::kError, absl::StatusCode::kInternal},
      {"WRONGTYPE Operation against a key holding the wrong kind of value", ReplyKind::kError,
       absl::StatusCode::kInternal},
      // A redirection nobody followed (one Redis, not a cluster) is wrong, not transient.
      {"MOVED 1 127.0.0.1:7000", ReplyKind::kRedirect, absl::StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    const Reply reply = Error(c.message);
    const ReplyKind kind = Classify(reply.get(), "h").kind;
    EXPECT_EQ(kind, c.kind) << c.message;
    EXPECT_EQ(IsTransient(kind), c.code == absl::StatusCode::kUnavailable) << c.message;
    const absl::Status status = ErrorReplyStatus(reply.get());
    EXPECT_EQ(status.code(), c.code) << c.message;
    EXPECT_THAT(status.message(), HasSubstr(c.message));
  }
}

TEST(RedisReplyTest, StatusesSayWhatFailed) {
  EXPECT_EQ(Unavailable("timed out"), absl::UnavailableError("redis unavailable: timed out"));
  EXPECT_EQ(BadReply("PING"), absl::InternalError("unexpected reply from redis: PING"));
  EXPECT_EQ(ErrorReplyStatus(Error("ERR x").get()), absl::InternalError("redis error: ERR x"));
}

}  // namespace
}  // namespace etiquette::redis
