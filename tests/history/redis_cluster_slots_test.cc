// The Redis Cluster slot routing of history/redis/{key_slot,cluster_slots,reply}.h: key hash slots
// (known vectors from the Redis Cluster specification and CLUSTER KEYSLOT), CLUSTER SLOTS replies,
// MOVED / ASK messages and the slot map. No sockets: replies are parsed from RESP text by hiredis's
// reader.

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "history/redis/cluster_slots.h"
#include "history/redis/key_slot.h"
#include "history/redis/node.h"
#include "history/redis/reply.h"
#include "history/redis_history_store.h"

namespace etiquette {
namespace {

using redis::ClusterRedirect;
using redis::EndpointName;
using redis::kRedisClusterSlots;
using redis::ParseClusterRedirect;
using redis::ParseClusterSlots;
using redis::RedisCrc16;
using redis::RedisKeySlot;
using redis::SlotMap;
using redis::SlotRange;

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// A reply parsed from RESP text, as hiredis would build it from a socket.
ReplyPtr Parse(const std::string& resp) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, resp.data(), resp.size());
  void* reply = nullptr;
  const int status = redisReaderGetReply(reader, &reply);
  redisReaderFree(reader);
  EXPECT_EQ(status, REDIS_OK) << resp;
  EXPECT_NE(reply, nullptr) << "incomplete RESP: " << resp;
  return ReplyPtr(static_cast<redisReply*>(reply));
}

std::string Bulk(const std::string& text) {
  return absl::StrCat("$", text.size(), "\r\n", text, "\r\n");
}

// One CLUSTER SLOTS entry: first, last, master [host, port, id], and one replica.
std::string Entry(int first, int last, const std::string& host, int port) {
  return absl::StrCat("*4\r\n:", first, "\r\n:", last, "\r\n",  //
                      "*3\r\n", Bulk(host), ":", port, "\r\n", Bulk(std::string(40, 'a')), "*3\r\n",
                      Bulk("10.0.0.9"), ":", port + 1000, "\r\n", Bulk(std::string(40, 'b')));
}

// --- CRC16 and key slots ------------------------------------------------------------------------

TEST(RedisKeySlotTest, Crc16IsXmodem) {
  EXPECT_EQ(RedisCrc16("123456789"), 0x31C3);  // the check value of CRC16/XMODEM
  EXPECT_EQ(RedisCrc16(""), 0);
}

TEST(RedisKeySlotTest, KnownSlots) {
  // CLUSTER KEYSLOT foo = 12182 (the Redis documentation's example), somekey = 11058.
  EXPECT_EQ(RedisKeySlot("foo"), 12182);
  EXPECT_EQ(RedisKeySlot("somekey"), 11058);
  EXPECT_EQ(RedisKeySlot("123456789"), 0x31C3 % 16384);
  EXPECT_EQ(RedisKeySlot(""), 0);
}

TEST(RedisKeySlotTest, HashTagsPickTheSlot) {
  EXPECT_EQ(RedisKeySlot("{user1000}.following"), RedisKeySlot("{user1000}.followers"));
  EXPECT_EQ(RedisKeySlot("{user1000}.following"), RedisKeySlot("user1000"));
  EXPECT_EQ(RedisKeySlot("{foo}"), 12182);
  // Only the first '{' and the first '}' after it count ...
  EXPECT_EQ(RedisKeySlot("foo{bar}{zap}"), RedisKeySlot("bar"));
  EXPECT_EQ(RedisKeySlot("foo{{bar}}zap"), RedisKeySlot("{bar"));
  // ... and an empty or unterminated tag hashes the whole key.
  EXPECT_EQ(RedisKeySlot("foo{}{bar}"), RedisCrc16("foo{}{bar}") % 16384);
  EXPECT_NE(RedisKeySlot("foo{}{bar}"), RedisKeySlot("bar"));
  EXPECT_EQ(RedisKeySlot("{bar"), RedisCrc16("{bar") % 16384);
  EXPECT_EQ(RedisKeySlot("bar}"), RedisCrc16("bar}") % 16384);
}

TEST(RedisKeySlotTest, EveryKeyOfASenderIsInTheSendersSlot) {
  for (const std::string sender : {"m-alex", "m-sam", "a", "x.y:z-1_2"}) {
    const int slot = RedisKeySlot(sender);
    for (const std::string& key : RedisHistoryStore::SenderKeys(sender)) {
      EXPECT_EQ(RedisKeySlot(key), slot) << key;
    }
  }
}

TEST(RedisKeySlotTest, SlotsAreSpreadAndInRange) {
  std::vector<int> per_quarter(4, 0);
  for (int i = 0; i < 4000; ++i) {
    const int slot = RedisKeySlot(absl::StrCat("m-", i));
    ASSERT_GE(slot, 0);
    ASSERT_LT(slot, kRedisClusterSlots);
    ++per_quarter[slot / 4096];
  }
  for (int count : per_quarter) EXPECT_GT(count, 800);
}

// --- CLUSTER SLOTS
// --------------------------------------------------------------------------------

TEST(ClusterSlotsTest, ParsesMastersAndIgnoresReplicas) {
  ReplyPtr reply = Parse(absl::StrCat("*3\r\n", Entry(0, 5460, "10.0.0.1", 7000),
                                      Entry(5461, 10922, "10.0.0.2", 7001),
                                      Entry(10923, 16383, "10.0.0.3", 7002)));
  absl::StatusOr<std::vector<SlotRange>> ranges = ParseClusterSlots(reply.get(), "seed");
  ASSERT_TRUE(ranges.ok()) << ranges.status();
  ASSERT_EQ(ranges->size(), 3u);
  EXPECT_EQ((*ranges)[1].first, 5461);
  EXPECT_EQ((*ranges)[1].last, 10922);
  EXPECT_EQ((*ranges)[1].master.host, "10.0.0.2");
  EXPECT_EQ((*ranges)[1].master.port, 7001);
}

TEST(ClusterSlotsTest, UnknownEndpointIsTheQueriedHost) {
  // Redis 7 announces a node whose endpoint it does not know as "?" (or empty, or nil).
  ReplyPtr reply = Parse(absl::StrCat("*3\r\n", Entry(0, 1, "?", 7000), Entry(2, 3, "", 7001),
                                      "*3\r\n:4\r\n:5\r\n*2\r\n$-1\r\n:7002\r\n"));
  absl::StatusOr<std::vector<SlotRange>> ranges = ParseClusterSlots(reply.get(), "redis-a");
  ASSERT_TRUE(ranges.ok()) << ranges.status();
  ASSERT_EQ(ranges->size(), 3u);
  for (const SlotRange& range : *ranges) EXPECT_EQ(range.master.host, "redis-a");
}

TEST(ClusterSlotsTest, MalformedRepliesAreInternal) {
  for (const std::string& resp : {
           std::string("+OK\r\n"), std::string("*1\r\n:1\r\n"),
           std::string("*1\r\n*2\r\n:0\r\n:1\r\n"),
           absl::StrCat("*1\r\n", Entry(5, 4, "h", 1)),               // last < first
           absl::StrCat("*1\r\n", Entry(0, 16384, "h", 1)),           // past the last slot
           absl::StrCat("*1\r\n", Entry(0, 1, "h", 70000)),           // port
           std::string("*1\r\n*3\r\n:0\r\n:1\r\n*1\r\n$1\r\nh\r\n"),  // no port
       }) {
    ReplyPtr reply = Parse(resp);
    absl::StatusOr<std::vector<SlotRange>> ranges = ParseClusterSlots(reply.get(), "h");
    EXPECT_EQ(ranges.status().code(), absl::StatusCode::kInternal) << resp;
  }
  EXPECT_EQ(ParseClusterSlots(nullptr, "h").status().code(), absl::StatusCode::kInternal);
}

// --- MOVED and ASK
// --------------------------------------------------------------------------------

TEST(ClusterRedirectTest, MovedAndAsk) {
  std::optional<ClusterRedirect> moved = ParseClusterRedirect("MOVED 3999 127.0.0.1:6381", "x");
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->kind, ClusterRedirect::Kind::kMoved);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->to.host, "127.0.0.1");
  EXPECT_EQ(moved->to.port, 6381);

  std::optional<ClusterRedirect> ask = ParseClusterRedirect("ASK 0 redis-b.internal:7001", "x");
  ASSERT_TRUE(ask.has_value());
  EXPECT_EQ(ask->kind, ClusterRedirect::Kind::kAsk);
  EXPECT_EQ(ask->slot, 0);
  EXPECT_EQ(ask->to.host, "redis-b.internal");
  EXPECT_EQ(ask->to.port, 7001);
}

TEST(ClusterRedirectTest, Ipv6AndUnknownHosts) {
  std::optional<ClusterRedirect> ipv6 = ParseClusterRedirect("MOVED 16383 ::1:7000", "x");
  ASSERT_TRUE(ipv6.has_value());
  EXPECT_EQ(ipv6->to.host, "::1");
  EXPECT_EQ(ipv6->to.port, 7000);
  std::optional<ClusterRedirect> bracketed = ParseClusterRedirect("ASK 1 [fe80::1]:7000", "x");
  ASSERT_TRUE(bracketed.has_value());
  EXPECT_EQ(bracketed->to.host, "fe80::1");
  // ":port" (endpoint unknown to Redis): the node that answered.
  std::optional<ClusterRedirect> unknown = ParseClusterRedirect("MOVED 7 :7002", "10.1.2.3");
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->to.host, "10.1.2.3");
  EXPECT_EQ(unknown->to.port, 7002);
}

TEST(ClusterRedirectTest, OtherErrorsAreNotRedirections) {
  for (const char* message :
       {"NOSCRIPT No matching script", "TRYAGAIN Multiple keys request during rehashing of slot",
        "CLUSTERDOWN The cluster is down", "MOVED", "MOVED x 1.2.3.4:5", "MOVED 16384 h:1",
        "MOVED 1 h", "MOVED 1 h:0", "ASK 1 h:99999", "ERR MOVED 1 h:1", "moved 1 h:1"}) {
    EXPECT_FALSE(ParseClusterRedirect(message, "x").has_value()) << message;
  }
}

// --- The slot map
// ---------------------------------------------------------------------------------

TEST(SlotMapTest, FromRangesRoutesEverySlot) {
  const SlotMap map =
      SlotMap::FromRanges({{0, 5460, {"a", 1}}, {5461, 10922, {"b", 2}}, {10923, 16383, {"c", 3}}});
  ASSERT_EQ(map.nodes().size(), 3u);
  EXPECT_EQ(map.assigned_slots(), kRedisClusterSlots);
  EXPECT_EQ(map.nodes()[map.NodeOf(0)].host, "a");
  EXPECT_EQ(map.nodes()[map.NodeOf(5460)].host, "a");
  EXPECT_EQ(map.nodes()[map.NodeOf(5461)].host, "b");
  EXPECT_EQ(map.nodes()[map.NodeOf(16383)].port, 3);
  EXPECT_EQ(map.nodes()[map.NodeOfKey("foo")].host, "c");  // slot 12182
  EXPECT_EQ(map.NodeOfKey("{user1000}.following"), map.NodeOfKey("{user1000}.followers"));
}

TEST(SlotMapTest, UnassignedSlotsAndMovedSlots) {
  SlotMap map = SlotMap::FromRanges({{0, 99, {"a", 1}}, {200, 299, {"a", 1}}});
  EXPECT_EQ(map.assigned_slots(), 200);
  EXPECT_EQ(map.nodes().size(), 1u);
  EXPECT_EQ(map.NodeOf(100), -1);
  EXPECT_EQ(map.NodeOf(16383), -1);
  EXPECT_EQ(SlotMap().NodeOf(0), -1);
  EXPECT_EQ(SlotMap().assigned_slots(), 0);

  map.Assign(150, {"b", 2});  // MOVED to a new node
  EXPECT_EQ(map.assigned_slots(), 201);
  ASSERT_EQ(map.nodes().size(), 2u);
  EXPECT_EQ(map.nodes()[map.NodeOf(150)].host, "b");
  map.Assign(0, {"b", 2});  // MOVED to a known node
  EXPECT_EQ(map.nodes().size(), 2u);
  EXPECT_EQ(map.NodeOf(0), map.NodeOf(150));
  EXPECT_EQ(map.nodes()[map.NodeOf(1)].host, "a");
  EXPECT_EQ(map.assigned_slots(), 201);
}

TEST(SlotMapTest, LaterRangesWinAndEmptiedNodesAreDropped) {
  const SlotMap map = SlotMap::FromRanges({{0, 9, {"a", 1}}, {0, 16383, {"b", 2}}});
  ASSERT_EQ(map.nodes().size(), 1u);
  EXPECT_EQ(map.nodes()[0].host, "b");
  EXPECT_EQ(map.NodeOf(5), 0);
}

TEST(SlotMapTest, EndpointNames) {
  EXPECT_EQ(EndpointName({"10.0.0.1", 7000}), "10.0.0.1:7000");
  EXPECT_EQ(EndpointName({"::1", 7000}), "[::1]:7000");
}

}  // namespace
}  // namespace etiquette
