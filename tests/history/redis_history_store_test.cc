// What only the Redis store promises, against a real redis-server per test: key layout (hash
// tags, TTLs), one script call per RPC, NOSCRIPT recovery, behaviour while Redis is down, slow
// or restarted from its append-only file.

#include "history/redis_history_store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "history/in_memory_history_store.h"
#include "history/recipient_hasher.h"
#include "history/redis_scripts.h"
#include "history/redis_url.h"
#include "spdlog/spdlog.h"
#include "tests/common/capturing_sink.h"
#include "tests/support/await.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/redis_server.h"
#include "tests/support/stored_invitations.h"

namespace etiquette::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

constexpr absl::Duration kTimeout = absl::Milliseconds(100);
// How long a failing call may take: the timeout plus a margin for a loaded machine.
constexpr absl::Duration kFailBound = absl::Seconds(1);

absl::Time T0() { return absl::FromUnixSeconds(1780315200); }  // 2026-06-01T12:00:00Z
absl::Duration Days(int64_t days) { return absl::Hours(24 * days); }

class RedisHistoryStoreTest : public RedisServerTest<> {
 protected:
  void SetUp() override {
    RedisServerTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<RedisHistoryStore>(Options(kTimeout), policy_);
  }

  // For tests about semantics, not latency, with many calls: a store whose calls may take up to
  // 5 s, so that a loaded machine does not fail them.
  void UsePatientStore() {
    store_ = std::make_unique<RedisHistoryStore>(Options(absl::Seconds(5)), policy_);
  }

  RedisHistoryStore& store() { return *store_; }

  std::string Command(const std::vector<std::string>& args) {
    absl::StatusOr<std::string> reply = server().Command(args);
    EXPECT_TRUE(reply.ok()) << args[0] << ": " << reply.status();
    return reply.ok() ? *reply : "";
  }

  int64_t CommandInteger(const std::vector<std::string>& args) {
    int64_t value = 0;
    const std::string reply = Command(args);
    EXPECT_TRUE(absl::SimpleAtoi(reply, &value)) << args[0] << " answered " << reply;
    return value;
  }

  // Every key in the server, by SCAN.
  std::vector<std::string> AllKeys() {
    std::vector<std::string> keys;
    std::string cursor = "0";
    do {
      const std::vector<std::string> lines =
          absl::StrSplit(Command({"SCAN", cursor, "COUNT", "1000"}), '\n', absl::SkipEmpty());
      if (lines.empty()) break;
      cursor = lines[0];
      keys.insert(keys.end(), lines.begin() + 1, lines.end());
    } while (cursor != "0");
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  std::vector<std::string> KeysOf(const std::string& sender) {
    std::vector<std::string> keys;
    for (const std::string& key : AllKeys()) {
      if (absl::StartsWith(key, absl::StrCat("etq:{", sender, "}:"))) keys.push_back(key);
    }
    return keys;
  }

  // What the sender's h key holds, by the layout's own script (history/redis_scripts.h).
  struct Stored {
    int64_t sent = -1;
    int64_t accepted = -1;
    int64_t responded = -1;  // known only from a response
    int64_t withdrawals = -1;
    int64_t marks = -1;  // pending marks held as "p" fields
    bool big = false;
  };
  Stored StoredOf(const std::string& sender) {
    const std::vector<std::string> lines =
        absl::StrSplit(Command({"EVAL_RO", StoredInvitationsScript(), "1",
                                RedisHistoryStore::SenderKeys(sender)[0]}),
                       '\n');
    Stored stored;
    if (lines.size() != 6) {
      ADD_FAILURE() << "stored invitations of " << sender << ": " << absl::StrJoin(lines, " ");
      return stored;
    }
    int64_t* const fields[] = {&stored.sent, &stored.accepted, &stored.responded,
                               &stored.withdrawals, &stored.marks};
    for (size_t i = 0; i < 5; ++i) EXPECT_TRUE(absl::SimpleAtoi(lines[i], fields[i])) << lines[i];
    stored.big = lines[5] == "1";
    return stored;
  }

  // Puts `sender` in big mode before its first write, as if it had been big and pruned since.
  void StartBig(const std::string& sender) {
    EXPECT_EQ(Command({"HSET", RedisHistoryStore::SenderKeys(sender)[0], "m", "1"}), "1");
  }

  // kSmallFields + 1 invitations at `at`, to recipients rk-fill-<n>: the sender goes big.
  void FillToBig(const std::string& sender, absl::Time at) {
    for (int i = 0; i <= redis_scripts::kSmallFields; ++i) {
      const std::string n = absl::StrCat(i);
      Invite(sender, "inv-fill-" + n, "rk-fill-" + n, at);
    }
    EXPECT_TRUE(StoredOf(sender).big) << sender;
  }

  int64_t Counter(const std::string& command) {
    absl::StatusOr<int64_t> calls = server().CommandCalls(command);
    EXPECT_TRUE(calls.ok()) << calls.status();
    return calls.ok() ? *calls : -1;
  }

  // Calls per command (INFO commandstats, lower case, script-internal calls included).
  std::map<std::string, int64_t> CommandCounts() {
    std::map<std::string, int64_t> counts;
    for (absl::string_view line :
         absl::StrSplit(Command({"INFO", "commandstats"}), absl::ByAnyChar("\r\n"))) {
      if (!absl::ConsumePrefix(&line, "cmdstat_")) continue;
      const size_t colon = line.find(":calls=");
      if (colon == absl::string_view::npos) continue;
      absl::string_view calls = line.substr(colon + 7);
      int64_t value = 0;
      EXPECT_TRUE(absl::SimpleAtoi(calls.substr(0, calls.find(',')), &value)) << line;
      counts[std::string(line.substr(0, colon))] = value;
    }
    return counts;
  }

  // The commands run since `before` (without the INFO calls that measure them).
  std::map<std::string, int64_t> CommandsSince(const std::map<std::string, int64_t>& before) {
    std::map<std::string, int64_t> since;
    for (const auto& [command, calls] : CommandCounts()) {
      const auto it = before.find(command);
      const int64_t delta = calls - (it == before.end() ? 0 : it->second);
      if (delta > 0 && command != "info") since[command] = delta;
    }
    return since;
  }

  int64_t Stat(const std::string& field) {
    absl::StatusOr<int64_t> value = server().InfoInteger("stats", field);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : -1;
  }

  // --- Workload helpers (fail the test on error) ---

  WriteResult Invite(const std::string& sender, const std::string& invitation,
                     const RecipientKeys& recipient, absl::Time at) {
    absl::StatusOr<WriteResult> result =
        Blocking(store()).RecordInvitation(sender, invitation, recipient, at, at);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : WriteResult();
  }

  WriteResult Respond(const std::string& sender, const std::string& invitation,
                      const RecipientKeys& recipient, v1::InvitationResponse response,
                      absl::Time at) {
    absl::StatusOr<WriteResult> result =
        Blocking(store()).RecordResponse(sender, invitation, recipient, response, at, at);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : WriteResult();
  }

  SenderFacts Facts(const std::string& sender, const std::string& recipient, absl::Time at) {
    absl::StatusOr<SenderFacts> facts = Blocking(store()).GetFacts(sender, recipient, at);
    EXPECT_TRUE(facts.ok()) << facts.status();
    return facts.ok() ? *facts : SenderFacts();
  }

  // Five distinct reporters from `at` on, one a minute: starts a restriction at the fifth.
  WriteResult Restrict(const std::string& sender, int first, absl::Time at) {
    WriteResult last;
    for (int i = 0; i < 5; ++i) {
      const std::string n = absl::StrCat(first + i);
      const absl::Time when = at + absl::Minutes(i);
      Invite(sender, "inv-r" + n, "rk-r" + n, when);
      last =
          Respond(sender, "inv-r" + n, "rk-r" + n, v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, when);
    }
    EXPECT_TRUE(last.restriction_started);
    return last;
  }

  // Something in every one of the sender's keys: invitations (pending, accepted, withdrawn,
  // ignored), a response to an unknown invitation, reports and a restriction, and unless `big`
  // is false enough invitations (rk-fill-*) for big mode, whose index is a key of its own.
  void MixedWorkload(const std::string& sender, absl::Time at, bool big = true) {
    Invite(sender, "inv-p", "rk-p", at);
    Invite(sender, "inv-a", "rk-a", at);
    Respond(sender, "inv-a", "rk-a", v1::INVITATION_RESPONSE_ACCEPTED, at);
    Invite(sender, "inv-w", "rk-w", at);
    Respond(sender, "inv-w", "rk-w", v1::INVITATION_RESPONSE_WITHDRAWN, at);
    Invite(sender, "inv-i", "rk-i", at);
    Respond(sender, "inv-i", "rk-i", v1::INVITATION_RESPONSE_IGNORED, at);
    Respond(sender, "inv-unknown", "rk-u", v1::INVITATION_RESPONSE_ACCEPTED, at);
    Restrict(sender, 1, at + absl::Minutes(1));
    if (big) FillToBig(sender, at + absl::Minutes(10));
  }

  StorePolicy policy_;
  std::unique_ptr<RedisHistoryStore> store_;
};

// --- Key layout -----------------------------------------------------------------------------

TEST_F(RedisHistoryStoreTest, EveryKeyCarriesItsSendersHashTagAndATtl) {
  UsePatientStore();
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
  UsePatientStore();
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
  UsePatientStore();
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
      Invite(sender, invitation, recipient, T0() + absl::Minutes(i));
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
  // x ~520, the indexes ~2,080 (20 keys of ~104 bytes).
  EXPECT_LE(total, 3584 * kSenders) << detail;
}

TEST_F(RedisHistoryStoreTest, AHundredThousandUnansweredInvitationsStayUnderTheCap) {
  UsePatientStore();
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
  UsePatientStore();
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
  UsePatientStore();
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
  UsePatientStore();
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
  UsePatientStore();
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
  UsePatientStore();
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
  UsePatientStore();
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

// --- Redis down, slow, restarted ----------------------------------------------------------------

// Runs every RPC once; each must answer UNAVAILABLE within kFailBound.
void ExpectEveryRpcUnavailable(HistoryStore& store, const std::string& sender) {
  const absl::Time at = T0();
  const std::vector<std::pair<std::string, std::function<absl::Status()>>> rpcs = {
      {"RecordInvitation",
       [&] {
         return Blocking(store).RecordInvitation(sender, "inv-down", "rk-down", at, at).status();
       }},
      {"RecordResponse",
       [&] {
         return Blocking(store)
             .RecordResponse(sender, "inv-down", "rk-down", v1::INVITATION_RESPONSE_ACCEPTED, at,
                             at)
             .status();
       }},
      {"GetFacts", [&] { return Blocking(store).GetFacts(sender, "rk-down", at).status(); }},
      {"BatchGetFacts",
       [&] {
         return Blocking(store).BatchGetFacts({{sender, ""}, {"m-x", "rk"}}, at).status();
       }},
      {"Release", [&] { return Blocking(store).Release(sender, "r", at).status(); }},
      {"Forget", [&] { return Blocking(store).Forget(sender); }},
      {"Ping", [&] { return store.Ping(); }},
  };
  for (const auto& [name, rpc] : rpcs) {
    const absl::Time start = absl::Now();
    const absl::Status status = rpc();
    const absl::Duration elapsed = absl::Now() - start;
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << name << ": " << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr("redis unavailable")) << name;
    EXPECT_LT(elapsed, kFailBound) << name;
  }
}

TEST_F(RedisHistoryStoreTest, KilledRedisAnswersUnavailableQuickly) {
  Invite("m-kill", "inv-1", "rk-1", T0());  // pooled connections exist and scripts are loaded
  ASSERT_TRUE(store().Ping().ok());
  ASSERT_TRUE(server().Kill().ok());
  ExpectEveryRpcUnavailable(store(), "m-kill");
  ExpectEveryRpcUnavailable(store(), "m-kill");  // and again, with no connection left
}

// A listening socket that never accepts: the kernel completes a client's handshake into its
// backlog, so "a connection is waiting" tells whether anyone connected, with no clock.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        listen(fd_, 16) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
      return;
    }
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() {
    if (fd_ >= 0) close(fd_);
  }
  int port() const { return port_; }
  // Whether a connection is waiting in the backlog, within `wait`.
  bool ConnectionWaiting(absl::Duration wait) const {
    pollfd readable{fd_, POLLIN, 0};
    return poll(&readable, 1, static_cast<int>(absl::ToInt64Milliseconds(wait))) == 1;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Construction connects to nothing (connections are made by the first call, within its
// deadline), so a history whose Redis is away still starts and answers at once.
TEST_F(RedisHistoryStoreTest, StoreConnectsOnFirstCallNotWhenConstructed) {
  SilentListener listener;
  ASSERT_GT(listener.port(), 0);
  RedisOptions options;
  options.port = listener.port();
  options.timeout = kTimeout;
  options.write_timeout = options.timeout;
  RedisHistoryStore store(options, policy_);
  EXPECT_FALSE(listener.ConnectionWaiting(absl::ZeroDuration()));
  // The first call connects (and then times out: nothing ever answers).
  EXPECT_EQ(store.Ping().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(listener.ConnectionWaiting(absl::Seconds(5)));
}

TEST_F(RedisHistoryStoreTest, StoreOnADeadPortAnswersUnavailable) {
  const int port = FreeTcpPort();
  ASSERT_GT(port, 0);
  RedisOptions options;
  options.port = port;  // nothing listens there
  options.timeout = kTimeout;
  options.write_timeout = options.timeout;
  RedisHistoryStore store(options, policy_);
  ExpectEveryRpcUnavailable(store, "m-nowhere");
}

TEST_F(RedisHistoryStoreTest, StoppedRedisTimesOutAsUnavailableAndRecovers) {
  Invite("m-stop", "inv-1", "rk-1", T0());
  ASSERT_TRUE(server().Pause().ok());  // accepts connections, never answers
  ExpectEveryRpcUnavailable(store(), "m-stop");
  ASSERT_TRUE(server().Resume().ok());

  // The same store recovers by itself.
  absl::Status status;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    status = store().Ping();
  } while (!status.ok() && absl::Now() < deadline);
  ASSERT_TRUE(status.ok()) << status;
  const SenderFacts facts = Facts("m-stop", "rk-1", T0());
  EXPECT_GE(facts.invitations_in_volume_window, 1u);
  EXPECT_TRUE(facts.pending);
}

// A store whose reads give up after kTimeout and whose writes wait up to `write_timeout`.
std::unique_ptr<RedisHistoryStore> StoreWithWriteTimeout(const RedisServer& server,
                                                         absl::Duration write_timeout) {
  absl::StatusOr<RedisOptions> options = ParseRedisUrl(server.url());
  EXPECT_TRUE(options.ok()) << options.status();
  options->timeout = kTimeout;
  options->write_timeout = write_timeout;
  return std::make_unique<RedisHistoryStore>(*options, StorePolicy());
}

// A stall longer than the read timeout (an fsync with appendfsync always, here SIGSTOP): reads
// answer UNAVAILABLE at the read timeout, a write issued before them waits it out and is
// acknowledged once Redis answers.
TEST_F(RedisHistoryStoreTest, WriteOutlastsAStallThatFailsReads) {
  std::unique_ptr<RedisHistoryStore> store = StoreWithWriteTimeout(server(), absl::Seconds(20));
  const std::string sender = "m-stall";
  // Both kinds of connection open, the scripts loaded.
  ASSERT_TRUE(Blocking(store).RecordInvitation(sender, "inv-1", "rk-1", T0(), T0()).ok());
  ASSERT_TRUE(Blocking(store).GetFacts(sender, "", T0()).ok());

  ASSERT_TRUE(server().Pause().ok());
  std::promise<absl::StatusOr<WriteResult>> written;
  std::future<absl::StatusOr<WriteResult>> write = written.get_future();
  store->RecordInvitation(
      sender, "inv-2", "rk-2", T0(), T0(), absl::InfiniteFuture(),
      [&written](absl::StatusOr<WriteResult> result) { written.set_value(std::move(result)); });
  const absl::Time start = absl::Now();
  absl::StatusOr<SenderFacts> read = Blocking(store).GetFacts(sender, "", T0());
  const absl::Duration read_took = absl::Now() - start;
  EXPECT_EQ(read.status().code(), absl::StatusCode::kUnavailable) << read.status();
  EXPECT_LT(read_took, kFailBound);
  // The write has waited longer than the read timeout and is still waiting.
  EXPECT_EQ(write.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  ASSERT_TRUE(server().Resume().ok());

  ASSERT_EQ(write.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  absl::StatusOr<WriteResult> result = write.get();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->duplicate);
  EXPECT_EQ(result->facts.invitations_in_volume_window, 2u);
  EXPECT_EQ(Facts(sender, "", T0()).invitations_in_volume_window, 2u);
}

// Writes are bounded too: by the write timeout, or by the caller's deadline when it is sooner.
TEST_F(RedisHistoryStoreTest, WriteToAStoppedRedisAnswersUnavailableAtItsBound) {
  constexpr absl::Duration kWriteTimeout = absl::Milliseconds(600);
  std::unique_ptr<RedisHistoryStore> store = StoreWithWriteTimeout(server(), kWriteTimeout);
  const std::string sender = "m-stall-bound";
  ASSERT_TRUE(Blocking(store).RecordInvitation(sender, "inv-1", "rk-1", T0(), T0()).ok());
  ASSERT_TRUE(server().Pause().ok());

  absl::Time start = absl::Now();
  absl::StatusOr<WriteResult> bounded =
      Blocking(store).RecordInvitation(sender, "inv-2", "rk-2", T0(), T0());
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(bounded.status().code(), absl::StatusCode::kUnavailable) << bounded.status();
  EXPECT_GE(took, kWriteTimeout - absl::Milliseconds(5));  // not at the read timeout
  EXPECT_LT(took, kWriteTimeout + kFailBound);

  start = absl::Now();
  absl::StatusOr<WriteResult> hurried = Await<WriteResult>([&](StoreDone<WriteResult> done) {
    store->RecordInvitation(sender, "inv-3", "rk-3", T0(), T0(), start + absl::Milliseconds(150),
                            std::move(done));
  });
  took = absl::Now() - start;
  EXPECT_EQ(hurried.status().code(), absl::StatusCode::kUnavailable) << hurried.status();
  EXPECT_GE(took, absl::Milliseconds(145));
  EXPECT_LT(took, kWriteTimeout - absl::Milliseconds(100));
  ASSERT_TRUE(server().Resume().ok());
}

// Makes `replica` a replica of `master` and waits (bounded) until the master's stream reaches
// it: once the initial sync is done, a write on the master shows in the replica's offset. (A
// master holds its stream back after a diskless sync until the replica's first
// acknowledgement, which may take a second.)
absl::Status MakeReplica(RedisServer& replica, RedisServer& master) {
  // Redis 7 waits 5 s by default for more replicas before a diskless full sync.
  absl::StatusOr<std::string> set =
      master.Command({"CONFIG", "SET", "repl-diskless-sync-delay", "0"});
  if (!set.ok()) return set.status();
  absl::StatusOr<std::string> done =
      replica.Command({"REPLICAOF", "127.0.0.1", absl::StrCat(master.port())});
  if (!done.ok()) return done.status();
  for (const absl::Time give_up = absl::Now() + absl::Seconds(10); absl::Now() < give_up;
       absl::SleepFor(absl::Milliseconds(10))) {  // polling a condition, bounded above
    absl::StatusOr<std::string> link = replica.Command({"INFO", "replication"});
    if (!link.ok()) return link.status();
    if (!absl::StrContains(*link, "master_link_status:up")) continue;
    // Synced: each round, one write on the master, then is it on the replica?
    absl::StatusOr<std::string> probe = master.Command({"INCR", "replica-probe"});
    if (!probe.ok()) return probe.status();
    absl::StatusOr<int64_t> written = master.InfoInteger("replication", "master_repl_offset");
    if (!written.ok()) return written.status();
    for (const absl::Time round_end = absl::Now() + absl::Milliseconds(200);
         absl::Now() < round_end; absl::SleepFor(absl::Milliseconds(5))) {
      absl::StatusOr<int64_t> received = replica.InfoInteger("replication", "slave_repl_offset");
      if (!received.ok()) return received.status();
      if (*received >= *written) {
        absl::StatusOr<std::string> removed = master.Command({"DEL", "replica-probe"});
        return removed.ok() ? absl::OkStatus() : removed.status();
      }
    }
  }
  return absl::DeadlineExceededError("the replica did not catch up within 10 s");
}

// --redis_wait_replicas=1: a write is acknowledged only once the replica has it. While the
// replica is stopped, writes answer UNAVAILABLE (reads still work) and their retry counts
// once; when the master dies, the promoted replica has every acknowledged write.
TEST_F(RedisHistoryStoreTest, WaitForAReplicaAcknowledgesOnlyWritesTheReplicaHas) {
  absl::StatusOr<std::unique_ptr<RedisServer>> replica = RedisServer::Start();
  ASSERT_TRUE(replica.ok()) << replica.status();
  ASSERT_TRUE(MakeReplica(**replica, server()).ok());
  constexpr absl::Duration kWriteTimeout = absl::Milliseconds(800);
  absl::StatusOr<RedisOptions> options = ParseRedisUrl(server().url());
  ASSERT_TRUE(options.ok()) << options.status();
  options->timeout = kTimeout;
  options->write_timeout = kWriteTimeout;
  options->wait_replicas = 1;
  RedisHistoryStore store(*options, StorePolicy());
  const std::string sender = "m-replicated";

  absl::StatusOr<WriteResult> first =
      Blocking(store).RecordInvitation(sender, "inv-1", "rk-1", T0(), T0());
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<int64_t> waits = server().CommandCalls("wait");
  ASSERT_TRUE(waits.ok()) << waits.status();
  EXPECT_GE(*waits, 1);

  ASSERT_TRUE((*replica)->Pause().ok());
  const absl::Time start = absl::Now();
  absl::StatusOr<WriteResult> unreplicated =
      Blocking(store).RecordInvitation(sender, "inv-2", "rk-2", T0(), T0());
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(unreplicated.status().code(), absl::StatusCode::kUnavailable) << unreplicated.status();
  EXPECT_THAT(std::string(unreplicated.status().message()),
              HasSubstr("0 of the 1 replicas required acknowledged the write in time"));
  EXPECT_GE(took, kWriteTimeout / 2);
  EXPECT_LT(took, kWriteTimeout + kFailBound);
  // Reads do not wait for replicas.
  absl::StatusOr<SenderFacts> read = Blocking(store).GetFacts(sender, "", T0());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->invitations_in_volume_window, 2u);  // on the master, not acknowledged
  ASSERT_TRUE((*replica)->Resume().ok());

  // The client's retry: the master had it, so it counts once.
  absl::StatusOr<WriteResult> retried =
      Blocking(store).RecordInvitation(sender, "inv-2", "rk-2", T0(), T0());
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_TRUE(retried->duplicate);
  EXPECT_EQ(retried->facts.invitations_in_volume_window, 2u);

  // Failover: the master dies, the replica is promoted and has both acknowledged writes.
  ASSERT_TRUE(server().Kill().ok());
  ASSERT_TRUE((*replica)->Command({"REPLICAOF", "NO", "ONE"}).ok());
  absl::StatusOr<RedisOptions> promoted = ParseRedisUrl((*replica)->url());
  ASSERT_TRUE(promoted.ok()) << promoted.status();
  promoted->timeout = absl::Seconds(5);
  RedisHistoryStore after(*promoted, StorePolicy());
  absl::StatusOr<SenderFacts> facts = Blocking(after).GetFacts(sender, "", T0());
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(facts->invitations_in_volume_window, 2u);
}

TEST_F(RedisHistoryStoreTest, AcknowledgedWritesSurviveAKillAndTheStoreRecovers) {
  const std::string sender = "m-durable";
  // A writer records invitations (and accepts every other one) until Redis dies under it.
  std::atomic<int> acknowledged{0};
  std::vector<int> invited;   // acknowledged RecordInvitation
  std::vector<int> accepted;  // acknowledged RecordResponse
  int attempted = 0;
  absl::Status failure;
  std::thread writer([&] {
    for (int i = 0; i < 1000000; ++i) {
      const std::string n = absl::StrCat(i);
      const absl::Time at = T0() + absl::Milliseconds(i);
      ++attempted;
      absl::StatusOr<WriteResult> sent =
          Blocking(store()).RecordInvitation(sender, "inv-" + n, "rk-" + n, at, at);
      if (!sent.ok()) {
        failure = sent.status();
        return;
      }
      invited.push_back(i);
      if (i % 2 == 0) {
        absl::StatusOr<WriteResult> response = Blocking(store()).RecordResponse(
            sender, "inv-" + n, "rk-" + n, v1::INVITATION_RESPONSE_ACCEPTED, at, at);
        if (!response.ok()) {
          failure = response.status();
          return;
        }
        accepted.push_back(i);
      }
      acknowledged.store(i + 1);
    }
  });
  const absl::Time wait_until = absl::Now() + absl::Seconds(20);
  while (acknowledged.load() < 200 && absl::Now() < wait_until) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_TRUE(server().Kill().ok());  // SIGKILL mid-run
  writer.join();
  ASSERT_GE(invited.size(), 200u) << "the writer was too slow";
  EXPECT_EQ(failure.code(), absl::StatusCode::kUnavailable) << failure;

  ASSERT_TRUE(server().Restart().ok());  // same port and dir: replays the append-only file
  // The same store object reconnects by itself (a retry or two at most).
  const absl::Time now = T0() + absl::Seconds(1000);
  absl::StatusOr<SenderFacts> facts;
  int tries = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    ++tries;
    facts = Blocking(store()).GetFacts(sender, "", now);
  } while (!facts.ok() && absl::Now() < deadline);
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_LE(tries, 2);

  EXPECT_GE(facts->invitations_in_volume_window, invited.size());
  EXPECT_LE(facts->invitations_in_volume_window, static_cast<uint32_t>(attempted));
  EXPECT_GE(facts->accepted_in_acceptance_window, accepted.size());
  // Each acknowledged write, asked again, is a duplicate: it is there.
  for (int i : invited) {
    const std::string n = absl::StrCat(i);
    absl::StatusOr<WriteResult> again = Blocking(store()).RecordInvitation(
        sender, "inv-" + n, "rk-" + n, T0() + absl::Milliseconds(i), now);
    ASSERT_TRUE(again.ok()) << again.status();
    ASSERT_TRUE(again->duplicate) << "acknowledged invitation " << i << " was lost";
  }
  for (int i : accepted) {
    const std::string n = absl::StrCat(i);
    absl::StatusOr<WriteResult> again = Blocking(store()).RecordResponse(
        sender, "inv-" + n, "rk-" + n, v1::INVITATION_RESPONSE_ACCEPTED, now, now);
    ASSERT_TRUE(again.ok()) << again.status();
    ASSERT_TRUE(again->duplicate) << "acknowledged response " << i << " was lost";
  }
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
  UsePatientStore();
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
  UsePatientStore();
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
  wrong->timeout = kTimeout;
  wrong->write_timeout = wrong->timeout;
  RedisHistoryStore refused(*wrong, policy_);
  const absl::Status ping = refused.Ping();
  EXPECT_EQ(ping.code(), absl::StatusCode::kUnavailable) << ping;
  EXPECT_THAT(std::string(ping.message()), Not(HasSubstr("Wrong-Pass")));

  absl::StatusOr<RedisOptions> right =
      ParseRedisUrl(absl::StrCat("redis://:Sesame-42@127.0.0.1:", server().port(), "/3"));
  ASSERT_TRUE(right.ok()) << right.status();
  right->timeout = kTimeout;
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
