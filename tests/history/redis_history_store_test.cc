// What only the Redis store promises, against a real redis-server per test: key layout (hash
// tags, TTLs), one script call per RPC, NOSCRIPT recovery, errors, ids and credentials. Its
// behaviour while Redis is down, slow or restarted (timing bounds) is in
// tests/faults/redis_store_fault_test.cc.

#include "tests/history/redis_history_store_fixture.h"

namespace etiquette::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

// --- Key layout -----------------------------------------------------------------------------

TEST_F(RedisHistoryStoreTest, EveryKeyCarriesItsSendersHashTagAndATtl) {
  const std::vector<std::string> senders = {"m-alex", "m-sam", "m.jo:1"};
  const std::string small = "m-alex";  // the others go big
  for (const std::string& sender : senders) MixedWorkload(sender, T0(), sender != small);

  const std::vector<std::string> keys = AllKeys();
  ASSERT_FALSE(keys.empty());
  std::map<std::string, std::vector<std::string>> by_sender;
  const int64_t index_retention =
      absl::ToInt64Milliseconds(RedisHistoryStore::IndexRetention(policy_));
  int indexes = 0;
  for (const std::string& key : keys) {
    if (absl::StartsWith(key, "etq:{r:")) {
      // A recipient's index: in the recipient's own slot, kept IndexRetention.
      ++indexes;
      EXPECT_TRUE(absl::EndsWith(key, "}:s")) << key;
      EXPECT_EQ(key.size(), std::string("etq:{r:}:s").size() + 16) << key;
      const int64_t ttl = CommandInteger({"PTTL", key});
      EXPECT_LE(ttl, index_retention) << key;
      EXPECT_GT(ttl, index_retention - 60000) << key;
      continue;
    }
    bool owned = false;
    for (const std::string& sender : senders) {
      if (absl::StartsWith(key, absl::StrCat("etq:{", sender, "}:"))) {
        by_sender[sender].push_back(key);
        owned = true;
      }
    }
    EXPECT_TRUE(owned) << key << " carries no sender's hash tag";
    // Redis Cluster hashes what is between the first '{' and the next '}': the sender id,
    // so all of a sender's keys share one slot.
    const size_t open = key.find('{');
    const size_t close = key.find('}', open);
    ASSERT_NE(close, std::string::npos) << key;
    const std::string tag = key.substr(open + 1, close - open - 1);
    EXPECT_TRUE(std::find(senders.begin(), senders.end(), tag) != senders.end()) << key;

    const int64_t ttl = CommandInteger({"PTTL", key});
    EXPECT_GT(ttl, 0) << key;
    if (absl::EndsWith(key, ":r")) {
      // Its newest report + ReporterRetention (reports at T0, the writes' now).
      EXPECT_LE(ttl, absl::ToInt64Milliseconds(policy_.reported_pair_retention)) << key;
      EXPECT_GT(ttl, absl::ToInt64Milliseconds(policy_.retention)) << key;
    } else if (absl::EndsWith(key, ":n")) {
      // Note fingerprints: until the newest leaves the volume window (here written at T0).
      EXPECT_LE(ttl, absl::ToInt64Milliseconds(policy_.volume_window)) << key;
      EXPECT_GT(ttl, absl::ToInt64Milliseconds(policy_.volume_window - absl::Minutes(1))) << key;
    } else if (absl::EndsWith(key, ":x")) {
      EXPECT_LE(ttl, 2 * index_retention) << key;
      EXPECT_GT(ttl, 2 * index_retention - 60000) << key;
    } else {
      EXPECT_LE(ttl, absl::ToInt64Milliseconds(policy_.retention)) << key;
      EXPECT_GT(ttl, absl::ToInt64Milliseconds(policy_.retention - absl::Minutes(1))) << key;
    }
  }
  EXPECT_GT(indexes, 0);
  // The workload touched every kind of key, so the checks above covered them all; a small
  // sender has no index.
  for (const std::string& sender : senders) {
    std::vector<std::string> expected = RedisHistoryStore::SenderKeys(sender);
    if (sender == small) expected.erase(expected.begin() + 1);  // t
    EXPECT_THAT(by_sender[sender], UnorderedElementsAreArray(expected)) << sender;
  }
}

// --- Retention (README, "Retention"; issue 13) -------------------------------------------------

TEST_F(RedisHistoryStoreTest, RetentionReportersKeyTtlIsSetByReportsOnly) {
  // TTLs are relative to the call's `now` (Redis's clock is not used), so the test moves `now`.
  const std::string sender = "m-ret-r";
  const std::string r_key = absl::StrCat("etq:{", sender, "}:r");
  const int64_t retention = absl::ToInt64Milliseconds(ReporterRetention(policy_));
  const int64_t day = absl::ToInt64Milliseconds(Days(1));
  Invite(sender, "inv-1", "rk-1", T0());
  // A report at T0, recorded 50 days later: r lives until T0 + ReporterRetention.
  ASSERT_TRUE(Blocking(store())
                  .RecordResponse(sender, "inv-1", "rk-1", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN,
                                  T0(), T0() + Days(50))
                  .ok());
  EXPECT_LE(CommandInteger({"PTTL", r_key}), retention - 50 * day);
  EXPECT_GT(CommandInteger({"PTTL", r_key}), retention - 50 * day - 60000);
  // An unrelated write 60 days on does not refresh it: the entry keeps its own clock.
  Invite(sender, "inv-2", "rk-2", T0() + Days(60));
  EXPECT_LE(CommandInteger({"PTTL", r_key}), retention - 50 * day);
  // A new report extends it to that report's retention.
  Respond(sender, "inv-2", "rk-2", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, T0() + Days(60));
  EXPECT_GT(CommandInteger({"PTTL", r_key}), retention - 60000);
}

TEST_F(RedisHistoryStoreTest, RetentionIndexAndRecipientsOfTheSenderExpire) {
  const std::string index = RedisHistoryStore::IndexKeyOf("rk-1");
  const std::string x_key = "etq:{m-ret-a}:x";
  const absl::Duration keep = RedisHistoryStore::IndexRetention(policy_);
  Invite("m-ret-a", "inv-a", "rk-1", T0());
  EXPECT_NE(Command({"ZSCORE", index, "m-ret-a"}), "(nil)");
  EXPECT_GT(CommandInteger({"PTTL", index}), absl::ToInt64Milliseconds(keep) - 60000);
  EXPECT_LE(CommandInteger({"PTTL", x_key}), 2 * absl::ToInt64Milliseconds(keep));
  EXPECT_GT(CommandInteger({"PTTL", x_key}), 2 * absl::ToInt64Milliseconds(keep) - 60000);
  // Another sender writes about rk-1 IndexRetention later: m-ret-a's entry goes.
  Invite("m-ret-b", "inv-b", "rk-1", T0() + keep + absl::Milliseconds(1));
  EXPECT_EQ(Command({"ZSCORE", index, "m-ret-a"}), "(nil)");
  EXPECT_NE(Command({"ZSCORE", index, "m-ret-b"}), "(nil)");
  // The sender's own x outlives it (2 * IndexRetention), then its next write drops the pair.
  Invite("m-ret-a", "inv-a2", "rk-2", T0() + keep + absl::Milliseconds(1));
  EXPECT_EQ(CommandInteger({"ZCARD", x_key}), 2);
  Invite("m-ret-a", "inv-a3", "rk-3", T0() + 2 * keep + absl::Milliseconds(1));
  EXPECT_EQ(Command({"ZSCORE", x_key, absl::HexStringToBytes(redis_scripts::ShortName("rk-1"))}),
            "(nil)");
}

TEST_F(RedisHistoryStoreTest, IdsAndRecipientKeysNeverReachRedisInTheClear) {
  // SLOWLOG with every command logged: what MONITOR and the slow log would show.
  ASSERT_EQ(Command({"CONFIG", "SET", "slowlog-log-slower-than", "0"}), "OK");
  ASSERT_EQ(Command({"CONFIG", "SET", "slowlog-max-len", "10000"}), "OK");
  Invite("m-clear", "inv-SECRET-ID", "rk-SECRET-KEY", T0());
  Respond("m-clear", "inv-SECRET-ID", "rk-SECRET-KEY", v1::INVITATION_RESPONSE_REPORTED_SPAM, T0());
  Facts("m-clear", "rk-SECRET-KEY", T0());
  ASSERT_TRUE(Blocking(store()).ForgetMember("m-someone", "rk-SECRET-KEY").ok());
  const std::string log = Command({"SLOWLOG", "GET", "10000"});
  EXPECT_THAT(log, HasSubstr("EVALSHA"));
  EXPECT_THAT(log, Not(HasSubstr("SECRET")));
}

TEST_F(RedisHistoryStoreTest, OnlyAnIndefiniteRestrictionKeepsItsStateWithoutTtl) {
  const std::string jailed = "m-jailed";
  const std::string state_key = absl::StrCat("etq:{", jailed, "}:state");
  Restrict(jailed, 1, T0());
  EXPECT_GT(CommandInteger({"PTTL", state_key}), 0);  // 7 days: expires like the rest
  Restrict(jailed, 10, T0() + Days(8));
  EXPECT_GT(CommandInteger({"PTTL", state_key}), 0);  // 30 days
  const WriteResult third = Restrict(jailed, 20, T0() + Days(40));
  ASSERT_EQ(third.facts.restriction_end, absl::InfiniteFuture());

  // The documented exception: the indefinite restriction must outlive any quiet period.
  EXPECT_EQ(CommandInteger({"PTTL", state_key}), -1);
  // Further writes keep it so, and every other key still has a TTL.
  Invite(jailed, "inv-later", "rk-later", T0() + Days(41));
  EXPECT_EQ(CommandInteger({"PTTL", state_key}), -1);
  for (const std::string& key : AllKeys()) {
    if (key != state_key) {
      EXPECT_GT(CommandInteger({"PTTL", key}), 0) << key;
    }
  }

  // Release gives the TTL back.
  absl::StatusOr<SenderFacts> released =
      Blocking(store()).Release(jailed, "appeal", T0() + Days(50));
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(released->restriction_end, T0() + Days(50));
  const int64_t ttl = CommandInteger({"PTTL", state_key});
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, absl::ToInt64Milliseconds(policy_.retention));
  for (const std::string& key : AllKeys()) {
    EXPECT_GT(CommandInteger({"PTTL", key}), 0) << key;
  }
}

TEST_F(RedisHistoryStoreTest, WritesPruneWhatNoWindowCounts) {
  const std::string small = "m-prune";
  const std::string big = "m-prune-big";
  StartBig(big);
  for (const std::string& sender : {small, big}) {
    for (int i = 0; i < 10; ++i) {
      const std::string n = absl::StrCat(i);
      Invite(sender, "inv-" + n, "rk-" + n, T0());
      if (i % 2 == 0) {
        Respond(sender, "inv-" + n, "rk-" + n, v1::INVITATION_RESPONSE_ACCEPTED, T0());
      }
    }
    Respond(sender, "inv-9", "rk-9", v1::INVITATION_RESPONSE_WITHDRAWN, T0());
    Respond(sender, "inv-x", "rk-x", v1::INVITATION_RESPONSE_IGNORED, T0());  // unknown id
  }
  const std::string index = RedisHistoryStore::SenderKeys(big)[1];
  auto expect = [&](const std::string& sender, int64_t sent, int64_t accepted, int64_t responded,
                    int64_t withdrawals, int64_t marks) {
    const Stored stored = StoredOf(sender);
    EXPECT_EQ(stored.sent, sent) << sender;
    EXPECT_EQ(stored.accepted, accepted) << sender;
    EXPECT_EQ(stored.responded, responded) << sender;
    EXPECT_EQ(stored.withdrawals, withdrawals) << sender;
    EXPECT_EQ(stored.marks, marks) << sender;
    EXPECT_EQ(stored.big, sender == big) << sender;
  };
  // Small: pending marks are flag bits. Big: "p" fields (inv-1, 3, 5, 7), and the index has
  // 10 sent + 5 accepted + 1 withdrawal + 1 known only from a response.
  expect(small, 10, 5, 1, 1, 0);
  expect(big, 10, 5, 1, 1, 4);
  EXPECT_EQ(CommandInteger({"ZCARD", index}), 17);

  // 15 days on: accepted entries left the acceptance window (the records stay).
  for (const std::string& sender : {small, big})
    Invite(sender, "inv-15d", "rk-15d", T0() + Days(15));
  expect(small, 11, 5, 1, 1, 0);
  expect(big, 11, 5, 1, 1, 5);
  EXPECT_EQ(CommandInteger({"ZCARD", index}), 13);
  // 22 days on: the cool-down is over.
  for (const std::string& sender : {small, big})
    Invite(sender, "inv-22d", "rk-22d", T0() + Days(22));
  expect(small, 12, 5, 1, 0, 0);
  expect(big, 12, 5, 1, 0, 6);
  EXPECT_EQ(CommandInteger({"ZCARD", index}), 13);
  // 91 days on: the old invitations are gone, ids and all, with the pending marks they held.
  for (const std::string& sender : {small, big}) {
    Invite(sender, "inv-91d", "rk-91d", T0() + Days(91));
    EXPECT_FALSE(Facts(sender, "rk-1", T0() + Days(91)).pending) << sender;  // never answered
    EXPECT_FALSE(Facts(sender, "rk-0", T0() + Days(91)).pending) << sender;
    // A pruned id is new again.
    EXPECT_FALSE(Invite(sender, "inv-0", "rk-0", T0() + Days(91)).duplicate) << sender;
  }
  expect(small, 4, 0, 0, 0, 0);
  expect(big, 4, 0, 0, 0, 4);  // inv-15d, inv-22d, inv-91d, inv-0
  EXPECT_EQ(CommandInteger({"ZCARD", index}), 4);
}

TEST_F(RedisHistoryStoreTest, MemoryOfAnActiveSender) {
  // The recipe of bench/run.sh: 20 senders each get 20 invitations and 5 responses (2
  // accepted, 1 ignored, 1 withdrawn, 1 reported), recipient keys as RecipientHasher makes them;
  // the MEMORY USAGE of every key of a sender, averaged. The keys carry their key id (the index
  // keys' names have it, key rotation).
  absl::StatusOr<RecipientHasher> hasher =
      RecipientHasher::Create("a-test-secret-of-32-bytes-long!");
  ASSERT_TRUE(hasher.ok()) << hasher.status();
  constexpr int kSenders = 20;
  const v1::InvitationResponse responses[] = {
      v1::INVITATION_RESPONSE_ACCEPTED, v1::INVITATION_RESPONSE_ACCEPTED,
      v1::INVITATION_RESPONSE_IGNORED, v1::INVITATION_RESPONSE_WITHDRAWN,
      v1::INVITATION_RESPONSE_REPORTED_UNKNOWN};
  int64_t total = 0;
  std::map<std::string, int64_t> by_kind;
  for (int s = 0; s < kSenders; ++s) {
    const std::string sender = absl::StrCat("m-mem00000-", s);
    for (int i = 0; i < 20; ++i) {
      const std::string invitation = absl::StrCat("inv-", sender, "-", i);
      const RecipientKeys recipient = hasher->Keys(absl::StrCat("m-rcpt-", s, "-", i));
      ASSERT_EQ(recipient.first().size(), 22u);
      // Each with a note fingerprint (issue 16: the key n, 20 fingerprints).
      InviteWithNote(sender, invitation, recipient, 0x9e3779b97f4a7c15 * (s * 20 + i + 1),
                     T0() + absl::Minutes(i));
    }
    for (int i = 0; i < 5; ++i) {
      Respond(sender, absl::StrCat("inv-", sender, "-", i),
              hasher->Keys(absl::StrCat("m-rcpt-", s, "-", i)), responses[i],
              T0() + absl::Hours(1));
    }
    for (const std::string& key : KeysOf(sender)) {
      const int64_t bytes = CommandInteger({"MEMORY", "USAGE", key, "SAMPLES", "0"});
      by_kind[key.substr(key.rfind(':') + 1)] += bytes;
      total += bytes;
    }
  }
  // The recipients' indexes (erasure, issue 13): one key per recipient, here one entry each.
  int64_t indexes = 0;
  for (const std::string& key : AllKeys()) {
    if (absl::StartsWith(key, "etq:{r:")) {
      indexes += CommandInteger({"MEMORY", "USAGE", key, "SAMPLES", "0"});
    }
  }
  by_kind["index"] = indexes;
  total += indexes;
  std::string detail;
  for (const auto& [kind, bytes] : by_kind)
    absl::StrAppend(&detail, " ", kind, "=", bytes / kSenders);
  std::cout << "MEMORY USAGE of a sender with 20 invitations and 5 responses: " << total / kSenders
            << " bytes:" << detail << "\n";
  RecordProperty("memory_usage_bytes", static_cast<int>(total / kSenders));
  // 1 KB before the recipients' indexes and the senders' x (erasure, issue 13): h ~710, r ~100,
  // x ~520, the indexes ~2,080 (20 keys of ~104 bytes); then the note fingerprints (issue 16:
  // at most 1 KB with 20 of them; 20 * 14 bytes and the key's own overhead).
  EXPECT_LE(by_kind["n"], 400 * kSenders) << detail;
  EXPECT_GT(by_kind["n"], 20 * 14 * kSenders) << detail;
  EXPECT_LE(total, (3584 + 400) * kSenders) << detail;
}

TEST_F(RedisHistoryStoreTest, AHundredThousandUnansweredInvitationsStayUnderTheCap) {
  // One bot, 100,000 invitations nobody answers, one a second (all inside every window),
  // through the store, 500 in flight at a time: the cap (policy_.max_records_per_sender, the
  // default) keeps the newest, and the sender's keys stay small.
  const std::string sender = "m-bot";
  constexpr int kInvitations = 100000;
  constexpr int kInFlight = 500;
  const absl::Time now = T0() + absl::Seconds(kInvitations);
  for (int first = 0; first < kInvitations; first += kInFlight) {
    std::vector<std::future<absl::StatusOr<WriteResult>>> calls;
    for (int i = first; i < first + kInFlight; ++i) {
      auto promise = std::make_shared<std::promise<absl::StatusOr<WriteResult>>>();
      calls.push_back(promise->get_future());
      store().RecordInvitation(
          sender, absl::StrCat("inv-", i), absl::StrCat("rk-", i), T0() + absl::Seconds(i), now,
          absl::InfiniteFuture(),
          [promise](absl::StatusOr<WriteResult> result) { promise->set_value(std::move(result)); });
    }
    for (auto& call : calls) {
      const absl::StatusOr<WriteResult> result = call.get();
      ASSERT_TRUE(result.ok()) << result.status();
    }
  }
  const uint32_t cap = RecordsCap(policy_);
  const Stored stored = StoredOf(sender);
  EXPECT_EQ(stored.sent, int64_t{cap});
  EXPECT_EQ(stored.marks, int64_t{cap});
  int64_t bytes = 0;
  for (const std::string& key : KeysOf(sender)) {
    bytes += CommandInteger({"MEMORY", "USAGE", key, "SAMPLES", "0"});
  }
  // The recipients' indexes that name it: x keeps 2 * cap + 8 pairs, and a pair dropped from x
  // leaves its index (track() in prelude_writes.lua), so at most that many.
  int64_t indexes = 0;
  int64_t index_bytes = 0;
  for (const std::string& key : AllKeys()) {
    if (!absl::StartsWith(key, "etq:{r:")) continue;
    ++indexes;
    index_bytes += CommandInteger({"MEMORY", "USAGE", key, "SAMPLES", "0"});
  }
  EXPECT_LE(indexes, 2 * int64_t{cap} + 8);
  EXPECT_EQ(CommandInteger({"ZCARD", absl::StrCat("etq:{", sender, "}:x")}), indexes);
  std::cout << "MEMORY USAGE of a sender at the cap (" << cap << "): " << bytes << " bytes, and "
            << indexes << " recipients' indexes: " << index_bytes << " bytes\n";
  RecordProperty("memory_usage_at_cap_bytes", static_cast<int>(bytes + index_bytes));
  // 300 bytes a record (about 125 KB) before x and the indexes (erasure, issue 13).
  EXPECT_LT(bytes + index_bytes, int64_t{cap} * 800);

  // The newest are kept, the oldest went first; reads stay index lookups: a read at the cap
  // runs a few commands inside its script, none of them a walk over the sender's records.
  const std::map<std::string, int64_t> before = CommandCounts();
  const SenderFacts facts = Facts(sender, absl::StrCat("rk-", kInvitations - 1), now);
  const std::map<std::string, int64_t> read = CommandsSince(before);
  EXPECT_EQ(facts.invitations_in_volume_window, cap);
  EXPECT_TRUE(facts.pending);
  EXPECT_TRUE(Facts(sender, absl::StrCat("rk-", kInvitations - cap), now).pending);
  EXPECT_FALSE(Facts(sender, absl::StrCat("rk-", kInvitations - cap - 1), now).pending);
  EXPECT_FALSE(Facts(sender, "rk-0", now).pending);
  int64_t commands = 0;
  for (const auto& [command, calls] : read) {
    commands += calls;
    EXPECT_THAT(command, Not(AnyOf("hgetall", "hvals", "hkeys", "hscan", "zrange", "scan", "keys",
                                   "smembers", "lrange")))
        << calls << " calls";
  }
  EXPECT_LE(commands, 16) << absl::StrJoin(read, ", ", absl::PairFormatter("="));
}

// Keeps the memory ratio Ping reports.
class MemoryObserver final : public RedisStoreObserver {
 public:
  void OnRedisCall(const char*, absl::Duration, const absl::Status&) override {}
  void OnRestrictionStarted() override {}
  void OnRedisMemory(double used_ratio) override { ratio = used_ratio; }
  std::atomic<double> ratio{-1};
};

TEST_F(RedisHistoryStoreTest, PingWatchesRedisMemoryAndWarnsOnceEachWay) {
  MemoryObserver observer;
  RedisHistoryStore watched(Options(absl::Seconds(5)), policy_, &observer);
  auto sink = std::make_shared<CapturingSink>();
  spdlog::default_logger()->sinks().push_back(sink);
  auto set_max = [&](double share_of_used) {
    int64_t used = 0;
    for (absl::string_view line : absl::StrSplit(Command({"INFO", "memory"}), '\n')) {
      if (absl::ConsumePrefix(&line, "used_memory:")) {
        ASSERT_TRUE(absl::SimpleAtoi(absl::StripTrailingAsciiWhitespace(line), &used));
      }
    }
    ASSERT_GT(used, 0);
    Command(
        {"CONFIG", "SET", "maxmemory", absl::StrCat(static_cast<int64_t>(used / share_of_used))});
  };
  auto warnings = [&] {
    int n = 0;
    for (const std::string& line : sink->Lines()) n += absl::StrContains(line, "redis memory at");
    return n;
  };
  Command({"CONFIG", "SET", "maxmemory", "0"});
  ASSERT_TRUE(watched.Ping().ok());
  EXPECT_EQ(observer.ratio, 0.0);  // no maxmemory: no ratio
  set_max(0.5);
  ASSERT_TRUE(watched.Ping().ok());
  EXPECT_GT(observer.ratio, 0.3);
  EXPECT_LT(observer.ratio, 0.7);
  EXPECT_EQ(warnings(), 0);
  set_max(0.9);
  ASSERT_TRUE(watched.Ping().ok());
  EXPECT_GT(observer.ratio, kRedisMemoryWarningRatio);
  ASSERT_TRUE(watched.Ping().ok());
  EXPECT_EQ(warnings(), 1);  // once, not once per Ping
  set_max(0.5);
  ASSERT_TRUE(watched.Ping().ok());
  EXPECT_LT(observer.ratio, kRedisMemoryWarningRatio);
  EXPECT_THAT(sink->Text(), HasSubstr("redis memory back at"));
  EXPECT_EQ(warnings(), 1);
  spdlog::default_logger()->sinks().pop_back();
  Command({"CONFIG", "SET", "maxmemory", "0"});
}

TEST(RedisMemoryUsedRatioTest, ParsesInfoMemory) {
  EXPECT_DOUBLE_EQ(MemoryUsedRatio("# Memory\r\nused_memory:800\r\nused_memory_human:800B\r\n"
                                   "maxmemory:1000\r\nmaxmemory_human:1000B\r\n"),
                   0.8);
  EXPECT_EQ(MemoryUsedRatio("used_memory:800\r\nmaxmemory:0\r\n"), 0.0);
  EXPECT_EQ(MemoryUsedRatio(""), 0.0);
}

TEST_F(RedisHistoryStoreTest, ForgetUnlinks) {
  Invite("m-unlink", "inv-1", "rk-1", T0());
  ASSERT_TRUE(Blocking(store()).Forget("m-unlink").ok());
  EXPECT_THAT(Command({"INFO", "commandstats"}), HasSubstr("cmdstat_unlink:calls=1,"));
  EXPECT_THAT(Command({"INFO", "commandstats"}), Not(HasSubstr("cmdstat_del:")));
  EXPECT_TRUE(KeysOf("m-unlink").empty());
}

TEST_F(RedisHistoryStoreTest, BigSenderReadsAreIndexLookups) {
  // A sender far past small mode: facts come from ZCOUNTs and lookups, with no pass over its
  // invitations, in reads and in writes alike.
  const std::string sender = "m-heavy";
  constexpr int kInvitations = 600;
  for (int i = 0; i < kInvitations; ++i) {
    const std::string n = absl::StrCat(i);
    // Sent T0 + 1h minus 0 to 29 days, 20 a day.
    Invite(sender, "inv-" + n, "rk-" + n, T0() + absl::Hours(1) - Days(i % 30));
  }
  for (int i = 0; i < kInvitations; i += 3) {
    const std::string n = absl::StrCat(i);
    Respond(sender, "inv-" + n, "rk-" + n, v1::INVITATION_RESPONSE_ACCEPTED, T0() + absl::Hours(2));
  }
  Respond(sender, "inv-1", "rk-1", v1::INVITATION_RESPONSE_WITHDRAWN, T0() + absl::Hours(2));
  ASSERT_TRUE(StoredOf(sender).big);

  const absl::Time at = T0() + absl::Hours(3);
  ASSERT_EQ(Command({"CONFIG", "RESETSTAT"}), "OK");
  const SenderFacts facts = Facts(sender, "rk-1", at);
  const SenderFacts pending = Facts(sender, "rk-2", at);
  Invite(sender, "inv-new", "rk-new", at);
  Respond(sender, "inv-4", "rk-4", v1::INVITATION_RESPONSE_REPORTED_SPAM, at);
  for (const char* scan : {"hgetall", "hvals", "hkeys", "hscan", "zrange", "zscan"}) {
    EXPECT_EQ(Counter(scan), 0) << scan;
  }
  // Sent 0..29 days before T0 + 1h, 20 of each day: 7 days -> 7 * 20 (day 7 is T0 - 6d 23h),
  // 14 days -> 14 * 20; every third accepted.
  EXPECT_EQ(facts.invitations_in_volume_window, 7u * 20);
  EXPECT_EQ(facts.sent_in_acceptance_window, 14u * 20);
  uint32_t accepted = 0;
  for (int i = 0; i < kInvitations; i += 3) accepted += i % 30 < 14 ? 1 : 0;
  EXPECT_EQ(facts.accepted_in_acceptance_window, accepted);
  EXPECT_EQ(facts.withdrawn_at, T0() + absl::Hours(2));
  EXPECT_FALSE(facts.pending);
  EXPECT_TRUE(pending.pending);

  int64_t bytes = 0;
  for (const std::string& key : KeysOf(sender)) {
    bytes += CommandInteger({"MEMORY", "USAGE", key, "SAMPLES", "0"});
  }
  std::cout << "MEMORY USAGE of a big sender with " << kInvitations + 1 << " invitations: " << bytes
            << " bytes\n";
}

TEST_F(RedisHistoryStoreTest, SmallSenderReadsUseTheCountsOfTheLastWrite) {
  // A small sender's write leaves its window counts for reads (history/redis_scripts.h): a read
  // that can use them does not pass over the sender's invitations; one that cannot (a pair
  // whose mark is a flag bit, time past the counts' validity, other windows) does, and all of
  // them answer right.
  const std::string sender = "m-cached";
  for (int i = 0; i < 20; ++i) {
    const std::string n = absl::StrCat(i);
    Invite(sender, "inv-" + n, "rk-" + n, T0() - Days(i % 10));
  }
  Respond(sender, "inv-0", "rk-0", v1::INVITATION_RESPONSE_ACCEPTED, T0());
  ASSERT_FALSE(StoredOf(sender).big);
  auto passes = [&](const std::string& recipient, absl::Time at) {
    EXPECT_EQ(Command({"CONFIG", "RESETSTAT"}), "OK");
    const SenderFacts facts = Facts(sender, recipient, at);
    return std::make_pair(Counter("hvals"), facts);
  };

  auto [cached, facts] = passes("rk-new", T0() + absl::Hours(1));
  EXPECT_EQ(cached, 0);
  EXPECT_EQ(facts.invitations_in_volume_window, 14u);  // sent 0..6 days before T0
  EXPECT_EQ(facts.sent_in_acceptance_window, 20u);
  EXPECT_EQ(facts.accepted_in_acceptance_window, 1u);
  EXPECT_FALSE(facts.pending);
  EXPECT_EQ(passes("", T0() + absl::Hours(1)).first, 0);

  // rk-3's mark is a flag bit of inv-3's record: the read passes over h.
  auto [marked, pending] = passes("rk-3", T0() + absl::Hours(1));
  EXPECT_EQ(marked, 1);
  EXPECT_TRUE(pending.pending);
  EXPECT_EQ(pending.invitations_in_volume_window, 14u);

  // The invitations sent 6 days before T0 leave the volume window at T0 + 1 day: the counts
  // of the last write no longer hold.
  auto [later, moved] = passes("rk-new", T0() + Days(1));
  EXPECT_EQ(later, 1);
  EXPECT_EQ(moved.invitations_in_volume_window, 12u);

  // Nor a read before the last write (at T0): inv-7 and inv-17, sent 7 days before T0, count.
  auto [past, earlier] = passes("rk-new", T0() - absl::Hours(1));
  EXPECT_EQ(past, 1);
  EXPECT_EQ(earlier.invitations_in_volume_window, 16u);

  // Past 24 pairs whose mark is a flag bit, the filter takes every pair.
  const std::string busy = "m-cached-busy";
  for (int i = 0; i < 30; ++i) {
    const std::string n = absl::StrCat(i);
    Invite(busy, "inv-" + n, "rk-" + n, T0());
  }
  ASSERT_FALSE(StoredOf(busy).big);
  EXPECT_EQ(Command({"CONFIG", "RESETSTAT"}), "OK");
  EXPECT_EQ(Facts(busy, "", T0()).invitations_in_volume_window, 30u);
  EXPECT_EQ(Counter("hvals"), 0);
  const SenderFacts fresh = Facts(busy, "rk-new", T0());
  EXPECT_EQ(Counter("hvals"), 1);
  EXPECT_EQ(fresh.invitations_in_volume_window, 30u);
  EXPECT_FALSE(fresh.pending);

  // Other windows (a reload): the counts are of the old ones.
  StorePolicy policy = policy_;
  policy.volume_window = Days(2);
  store().SetPolicy(policy);
  auto [reloaded, shorter] = passes("rk-new", T0() + absl::Hours(1));
  EXPECT_EQ(reloaded, 1);
  EXPECT_EQ(shorter.invitations_in_volume_window, 4u);  // sent 0 and 1 day before T0
  EXPECT_EQ(shorter.sent_in_acceptance_window, 20u);
}

// --- Small and big mode answer alike --------------------------------------------------------

// A store and the sender that a random workload goes to.
struct Target {
  std::string name;
  HistoryStore* store;
  std::string sender;
};

void ExpectSameFacts(const SenderFacts& want, const SenderFacts& got, const std::string& what) {
  EXPECT_EQ(got.reports_in_window, want.reports_in_window) << what;
  EXPECT_EQ(got.spam_reports_in_window, want.spam_reports_in_window) << what;
  EXPECT_EQ(got.invitations_in_volume_window, want.invitations_in_volume_window) << what;
  EXPECT_EQ(got.sent_in_acceptance_window, want.sent_in_acceptance_window) << what;
  EXPECT_EQ(got.accepted_in_acceptance_window, want.accepted_in_acceptance_window) << what;
  EXPECT_EQ(got.offense_count, want.offense_count) << what;
  EXPECT_EQ(got.restriction_start, want.restriction_start) << what;
  EXPECT_EQ(got.restriction_end, want.restriction_end) << what;
  EXPECT_EQ(got.reason, want.reason) << what;
  EXPECT_EQ(got.recipient_reported_sender, want.recipient_reported_sender) << what;
  EXPECT_EQ(got.withdrawn_at, want.withdrawn_at) << what;
  EXPECT_EQ(got.pending, want.pending) << what;
}

// The shape of a random workload: invitation ids inv-<k> come from a window of `invitations`
// consecutive k that slides by `slide` over the run (old pairs fall quiet); inv-<k> goes to
// rk-<k / per_recipient> (now and then to another recipient of the window); times move forward
// over `span`; event times are at or after T0 unless `old_events`.
struct Workload {
  uint32_t seed;
  int steps;
  int invitations;
  int per_recipient;
  int slide;
  absl::Duration span;
  bool old_events;
};

// Applies `workload` to every target and expects each target to answer each call as the first
// one does.
void ExpectTargetsAgree(const std::vector<Target>& targets, const Workload& workload) {
  const int steps = workload.steps;
  const absl::Duration span = workload.span;
  const bool old_events = workload.old_events;
  std::mt19937 rng(workload.seed);
  auto below = [&rng](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  const absl::Time end = T0() + span;
  // Steps of up to 1.5 times the mean, now and then a leap of up to 5 times.
  const int64_t mean_ms = absl::ToInt64Milliseconds(span) / steps;
  absl::Time now = T0();
  for (int step = 0; step < steps; ++step) {
    const int64_t leap = below(10) == 0 ? 5 : 1;
    now += absl::Milliseconds(static_cast<int64_t>(rng() % (leap * mean_ms * 3 / 2 + 1)));
    now = std::min(now, end);
    // An event time: up to `days` before now (not before T0 unless old_events), or later.
    auto event_time = [&](int days) {
      if (below(20) == 0) return now + absl::Hours(1);
      const absl::Time at = now - absl::Minutes(below(days * 24 * 60 + 1));
      return old_events ? at : std::max(at, T0());
    };
    const int base = workload.slide * step / steps;
    const int k = base + below(workload.invitations);
    const std::string invitation = absl::StrCat("inv-", k);
    const int other = base + below(workload.invitations);
    const std::string recipient =
        absl::StrCat("rk-", (below(10) == 0 ? other : k) / workload.per_recipient);
    const int op = below(100);
    const absl::Time sent_at = event_time(20);
    const absl::Time responded_at = event_time(3);
    const auto response = static_cast<v1::InvitationResponse>(1 + below(5));
    const std::string asked = below(4) == 0 ? "" : recipient;

    absl::StatusOr<WriteResult> first_write;
    absl::StatusOr<SenderFacts> first_read;
    for (size_t t = 0; t < targets.size(); ++t) {
      const Target& target = targets[t];
      absl::StatusOr<WriteResult> write = absl::UnknownError("not a write");
      absl::StatusOr<SenderFacts> read = absl::UnknownError("not a read");
      if (op < 40) {
        write = Blocking(target.store)
                    .RecordInvitation(target.sender, invitation, recipient, sent_at, now);
      } else if (op < 75) {
        write =
            Blocking(target.store)
                .RecordResponse(target.sender, invitation, recipient, response, responded_at, now);
      } else if (op < 97) {
        read = Blocking(target.store).GetFacts(target.sender, asked, now);
      } else {
        read = Blocking(target.store).Release(target.sender, absl::StrCat("review ", step), now);
      }
      if (t == 0) {
        first_write = std::move(write);
        first_read = std::move(read);
        continue;
      }
      const std::string where =
          absl::StrCat("step ", step, " (op ", op, ", ", invitation, " ", recipient, ") at ",
                       absl::FormatTime(now), ": ", target.name, " vs ", targets[0].name);
      ASSERT_EQ(write.status().code(), first_write.status().code()) << where << write.status();
      ASSERT_EQ(read.status().code(), first_read.status().code()) << where << read.status();
      if (write.ok()) {
        EXPECT_EQ(write->duplicate, first_write->duplicate) << where;
        EXPECT_EQ(write->restriction_started, first_write->restriction_started) << where;
        ExpectSameFacts(first_write->facts, write->facts, where);
      }
      if (read.ok()) ExpectSameFacts(*first_read, *read, where);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

TEST_F(RedisHistoryStoreTest, SmallAndBigModeAnswerAsTheInMemoryStore) {
  // 25 invitation ids to 9 recipients: at most 43 fields, so the small sender stays small.
  // Events are never older than T0 and the run is shorter than the longest window, so that
  // nothing is pruned (InMemoryHistoryStore prunes a little differently).
  InMemoryHistoryStore memory(policy_);
  StartBig("d-big");
  ExpectTargetsAgree({{"in-memory", &memory, "d-mem"},
                      {"redis small", &store(), "d-small"},
                      {"redis big", &store(), "d-big"}},
                     {1, 1500, 25, 3, 0, Days(85), false});
  EXPECT_FALSE(StoredOf("d-small").big);
  EXPECT_TRUE(StoredOf("d-big").big);
  EXPECT_GT(StoredOf("d-small").sent, 10);
}

TEST_F(RedisHistoryStoreTest, SmallAndBigModeAnswerAlikeOverMonthsOfPruning) {
  // Over a year, with old events: pruning, pending marks that go with their invitations,
  // cool-downs; the in-memory store prunes as the scripts do.
  InMemoryHistoryStore memory(policy_);
  StartBig("p-big");
  ExpectTargetsAgree({{"redis small", &store(), "p-small"},
                      {"redis big", &store(), "p-big"},
                      {"in-memory", &memory, "p-mem"}},
                     {2, 1500, 12, 2, 40, Days(400), true});
  EXPECT_FALSE(StoredOf("p-small").big);
  EXPECT_EQ(StoredOf("p-small").marks, 0) << "a pending mark outlived its invitation";
}

TEST_F(RedisHistoryStoreTest, ASenderThatGoesBigAnswersAsOneThatWasBigAllAlong) {
  // 150 invitation ids to 30 recipients: "g-grow" goes big along the way.
  StartBig("g-big");
  ExpectTargetsAgree({{"redis big", &store(), "g-big"}, {"redis growing", &store(), "g-grow"}},
                     {3, 1500, 150, 5, 100, Days(200), true});
  EXPECT_TRUE(StoredOf("g-grow").big);
}

// --- One script call per RPC ------------------------------------------------------------------

// A call whose caller has already given up (its deadline passed) is dropped before Redis sees
// it: nothing is sent, nothing is recorded, and the answer is UNAVAILABLE.
TEST_F(RedisHistoryStoreTest, CallPastTheCallersDeadlineIsNeverSent) {
  const std::string sender = "m-deadline";
  ASSERT_TRUE(Blocking(store()).RecordInvitation(sender, "inv-1", "rk-1", T0(), T0()).ok());
  const int64_t evalsha_before = Counter("evalsha");
  absl::StatusOr<WriteResult> late = Await<WriteResult>([&](StoreDone<WriteResult> done) {
    store().RecordInvitation(sender, "inv-2", "rk-2", T0(), T0(),
                             absl::Now() - absl::Milliseconds(1), std::move(done));
  });
  EXPECT_EQ(late.status().code(), absl::StatusCode::kUnavailable) << late.status();
  EXPECT_EQ(Counter("evalsha"), evalsha_before);
  absl::StatusOr<SenderFacts> facts = Blocking(store()).GetFacts(sender, "", T0());
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(facts->invitations_in_volume_window, 1u);
}

TEST_F(RedisHistoryStoreTest, EveryRpcIsExactlyOneScriptCall) {
  const std::string sender = "m-calls";
  // First use loads the scripts (SCRIPT LOAD); from then on nothing but EVALSHA.
  MixedWorkload(sender, T0());
  ASSERT_TRUE(Blocking(store()).Release(sender, "warm-up", T0() + absl::Hours(1)).ok());
  ASSERT_TRUE(Blocking(store()).RecordInvitation("m-warm", "inv-w", "rk-warm", T0(), T0()).ok());
  ASSERT_TRUE(Blocking(store()).ForgetMember("m-nobody", "rk-warm").ok());
  ASSERT_TRUE(Blocking(store()).GetFacts(sender, "", T0()).ok());
  const int64_t loads = Counter("script|load");
  EXPECT_EQ(loads, 7);  // one per script, ever

  const absl::Time at = T0() + absl::Hours(2);
  // (name, call) pairs; each must be one EVALSHA and no other command.
  const std::vector<std::pair<std::string, std::function<absl::Status()>>> rpcs = {
      {"RecordInvitation",
       [&] {
         return Blocking(store()).RecordInvitation(sender, "inv-n", "rk-n", at, at).status();
       }},
      {"RecordInvitation (duplicate)",
       [&] {
         return Blocking(store()).RecordInvitation(sender, "inv-n", "rk-n", at, at).status();
       }},
      {"RecordResponse",
       [&] {
         return Blocking(store())
             .RecordResponse(sender, "inv-n", "rk-n", v1::INVITATION_RESPONSE_REPORTED_SPAM, at, at)
             .status();
       }},
      {"GetFacts", [&] { return Blocking(store()).GetFacts(sender, "rk-n", at).status(); }},
      {"GetFacts (no pair)", [&] { return Blocking(store()).GetFacts(sender, "", at).status(); }},
      {"Release", [&] { return Blocking(store()).Release(sender, "operator", at).status(); }},
  };
  for (const auto& [name, rpc] : rpcs) {
    const int64_t evalsha_before = Counter("evalsha");
    const int64_t reads_before = Stat("total_reads_processed");
    ASSERT_TRUE(rpc().ok()) << name;
    const int64_t reads_after = Stat("total_reads_processed");
    EXPECT_EQ(Counter("evalsha") - evalsha_before, 1) << name;
    // One read of the store's request, plus the second INFO's own: one round trip.
    EXPECT_EQ(reads_after - reads_before, 2) << name;
  }
  // ForgetMember: round 1, the member's keys and its index read (2 EVALSHA); round 2, the
  // member out of the index of its one recipient, rk-1, and the pair at the one sender of its
  // index (2); round 3, that sender out of its index (1).
  ASSERT_TRUE(Blocking(store()).RecordInvitation("m-one", "inv-1", "rk-1", at, at).ok());
  ASSERT_TRUE(Blocking(store()).RecordInvitation("m-other", "inv-o", "rk-forgotten", at, at).ok());
  const int64_t evalsha_before = Counter("evalsha");
  const int64_t reads_before = Stat("total_reads_processed");
  ASSERT_TRUE(Blocking(store()).ForgetMember("m-one", "rk-forgotten").ok());
  EXPECT_EQ(Counter("evalsha") - evalsha_before, 5);
  // Three round trips and the INFO's own read (a pipeline of two may take two reads).
  EXPECT_GE(Stat("total_reads_processed") - reads_before, 4);
  EXPECT_LE(Stat("total_reads_processed") - reads_before, 6);
  EXPECT_EQ(Counter("script|load"), loads);
  // (commandstats also counts the commands scripts run.) No transactions, no server clock.
  EXPECT_EQ(Counter("multi"), 0);
  EXPECT_EQ(Counter("watch"), 0);
  EXPECT_EQ(Counter("time"), 0);
}

TEST_F(RedisHistoryStoreTest, BatchGetFactsIsOnePipelinedRoundTrip) {
  constexpr int kSenders = 20;
  std::vector<FactsQuery> queries;
  for (int i = 0; i < kSenders; ++i) {
    const std::string sender = absl::StrCat("m-batch-", i);
    for (int j = 0; j <= i % 3; ++j) {
      Invite(sender, absl::StrCat("inv-", j), absl::StrCat("rk-", j), T0());
    }
    queries.push_back({sender, i % 2 == 0 ? "rk-0" : ""});
  }
  ASSERT_TRUE(Blocking(store()).GetFacts("m-warm", "", T0()).ok());  // scripts loaded

  const int64_t evalsha_before = Counter("evalsha");
  const int64_t loads_before = Counter("script|load");
  const int64_t reads_before = Stat("total_reads_processed");
  absl::StatusOr<std::vector<SenderFacts>> facts = Blocking(store()).BatchGetFacts(queries, T0());
  const int64_t reads_after = Stat("total_reads_processed");
  ASSERT_TRUE(facts.ok()) << facts.status();
  ASSERT_EQ(facts->size(), static_cast<size_t>(kSenders));
  for (int i = 0; i < kSenders; ++i) {
    EXPECT_EQ((*facts)[i].invitations_in_volume_window, static_cast<uint32_t>(i % 3 + 1)) << i;
    EXPECT_EQ((*facts)[i].pending, i % 2 == 0) << i;
  }
  EXPECT_EQ(Counter("evalsha") - evalsha_before, kSenders);
  EXPECT_EQ(Counter("script|load"), loads_before);
  // The server read the whole pipeline at once (plus the second INFO): one round trip, not
  // one per query.
  EXPECT_EQ(reads_after - reads_before, 2);
}

TEST_F(RedisHistoryStoreTest, ScriptsAreLoadedAgainAfterNoscript) {
  const std::string sender = "m-noscript";
  Invite(sender, "inv-1", "rk-1", T0());
  ASSERT_EQ(Command({"SCRIPT", "FLUSH"}), "OK");

  const WriteResult second = Invite(sender, "inv-2", "rk-2", T0());
  EXPECT_FALSE(second.duplicate);
  EXPECT_EQ(second.facts.invitations_in_volume_window, 2u);
  ASSERT_EQ(Command({"SCRIPT", "FLUSH"}), "OK");
  EXPECT_EQ(Facts(sender, "rk-1", T0()).invitations_in_volume_window, 2u);
  ASSERT_EQ(Command({"SCRIPT", "FLUSH"}), "OK");
  absl::StatusOr<std::vector<SenderFacts>> batch =
      Blocking(store()).BatchGetFacts({{sender, "rk-1"}, {sender, ""}, {"m-none", ""}}, T0());
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ((*batch)[1].invitations_in_volume_window, 2u);
  EXPECT_TRUE((*batch)[0].pending);
  // The retry did not record anything twice.
  EXPECT_EQ(StoredOf(sender).sent, 2);
}

// --- Errors, ids, credentials ---------------------------------------------------------------

TEST_F(RedisHistoryStoreTest, RedisErrorRepliesAreInternal) {
  ASSERT_EQ(Command({"SET", RedisHistoryStore::SenderKeys("m-broken")[0], "not a hash"}), "OK");
  absl::StatusOr<SenderFacts> facts = Blocking(store()).GetFacts("m-broken", "", T0());
  EXPECT_EQ(facts.status().code(), absl::StatusCode::kInternal) << facts.status();
  EXPECT_THAT(std::string(facts.status().message()), HasSubstr("WRONGTYPE"));
  // The connection is still good for the next call.
  EXPECT_TRUE(Blocking(store()).GetFacts("m-fine", "", T0()).ok());
}

TEST_F(RedisHistoryStoreTest, ForgetRemovesEveryKeyOfTheSenderOnly) {
  MixedWorkload("m-forget", T0());
  MixedWorkload("m-keep", T0());
  ASSERT_EQ(KeysOf("m-forget").size(), RedisHistoryStore::SenderKeys("m-forget").size());
  const std::vector<std::string> kept = KeysOf("m-keep");
  ASSERT_TRUE(Blocking(store()).Forget("m-forget").ok());
  EXPECT_THAT(KeysOf("m-forget"), ::testing::IsEmpty());
  EXPECT_EQ(KeysOf("m-keep"), kept);
  // Besides m-keep's keys, only recipients' indexes, none of which names m-forget any more.
  for (const std::string& key : AllKeys()) {
    if (absl::StartsWith(key, "etq:{m-keep}:")) continue;
    ASSERT_TRUE(absl::StartsWith(key, "etq:{r:")) << key;
    EXPECT_EQ(Command({"ZSCORE", key, "m-forget"}), "(nil)") << key;
    EXPECT_NE(Command({"ZSCORE", key, "m-keep"}), "(nil)") << key;
  }
}

TEST_F(RedisHistoryStoreTest, LongestSenderIdAndIdsWithColonsAndDots) {
  const std::string longest(64, 'x');
  const std::string dotted = "m.a:b-c_d.e:f";
  for (const std::string& sender : {longest, dotted}) {
    MixedWorkload(sender, T0());
    const SenderFacts facts = Facts(sender, "rk-p", T0() + absl::Hours(1));
    EXPECT_EQ(facts.offense_count, 1u) << sender;
    EXPECT_TRUE(facts.pending) << sender;
    EXPECT_EQ(facts.accepted_in_acceptance_window, 1u) << sender;
    EXPECT_EQ(KeysOf(sender).size(), RedisHistoryStore::SenderKeys(sender).size()) << sender;
    absl::StatusOr<std::vector<SenderFacts>> batch =
        Blocking(store()).BatchGetFacts({{sender, "rk-r1"}}, T0() + absl::Hours(1));
    ASSERT_TRUE(batch.ok()) << batch.status();
    EXPECT_TRUE((*batch)[0].recipient_reported_sender) << sender;
  }
  // Neither sender sees the other's data ("m.a" is not a prefix problem either).
  EXPECT_EQ(Facts("m.a", "rk-p", T0()).invitations_in_volume_window, 0u);
  ASSERT_TRUE(Blocking(store()).Forget(dotted).ok());
  EXPECT_TRUE(KeysOf(dotted).empty());
  EXPECT_EQ(KeysOf(longest).size(), RedisHistoryStore::SenderKeys(longest).size());
}

TEST_F(RedisHistoryStoreTest, SenderIdsThatCouldEscapeTheirKeysAreRefused) {
  for (const std::string& sender : {std::string(""), std::string(65, 'x'), std::string("a}b"),
                                    std::string("a{b"), std::string("a b"), std::string("a*")}) {
    EXPECT_EQ(
        Blocking(store()).RecordInvitation(sender, "inv-1", "rk-1", T0(), T0()).status().code(),
        absl::StatusCode::kInvalidArgument)
        << sender;
    EXPECT_EQ(Blocking(store()).GetFacts(sender, "", T0()).status().code(),
              absl::StatusCode::kInvalidArgument)
        << sender;
    EXPECT_EQ(Blocking(store()).BatchGetFacts({{"m-ok", ""}, {sender, ""}}, T0()).status().code(),
              absl::StatusCode::kInvalidArgument)
        << sender;
    EXPECT_EQ(Blocking(store()).Forget(sender).code(), absl::StatusCode::kInvalidArgument)
        << sender;
  }
  EXPECT_TRUE(AllKeys().empty());
}

TEST_F(RedisHistoryStoreTest, PasswordAndDatabaseFromTheUrl) {
  ASSERT_EQ(Command({"CONFIG", "SET", "requirepass", "Sesame-42"}), "OK");
  server().set_password("Sesame-42");

  absl::StatusOr<RedisOptions> wrong =
      ParseRedisUrl(absl::StrCat("redis://:Wrong-Pass@127.0.0.1:", server().port(), "/3"));
  ASSERT_TRUE(wrong.ok()) << wrong.status();
  wrong->timeout = kPatientTimeout;
  wrong->write_timeout = wrong->timeout;
  RedisHistoryStore refused(*wrong, policy_);
  const absl::Status ping = refused.Ping();
  EXPECT_EQ(ping.code(), absl::StatusCode::kUnavailable) << ping;
  EXPECT_THAT(std::string(ping.message()), Not(HasSubstr("Wrong-Pass")));

  absl::StatusOr<RedisOptions> right =
      ParseRedisUrl(absl::StrCat("redis://:Sesame-42@127.0.0.1:", server().port(), "/3"));
  ASSERT_TRUE(right.ok()) << right.status();
  right->timeout = kPatientTimeout;
  right->write_timeout = right->timeout;
  RedisHistoryStore store(*right, policy_);
  ASSERT_TRUE(store.Ping().ok());
  absl::StatusOr<WriteResult> invited =
      Blocking(store).RecordInvitation("m-db", "inv-1", "rk-1", T0(), T0());
  ASSERT_TRUE(invited.ok()) << invited.status();
  const std::string keyspace = Command({"INFO", "keyspace"});
  EXPECT_THAT(keyspace, HasSubstr("db3:keys=3"));  // h, x, rk-1's index
  EXPECT_THAT(keyspace, Not(HasSubstr("db0:")));
}

}  // namespace
}  // namespace etiquette::testing
