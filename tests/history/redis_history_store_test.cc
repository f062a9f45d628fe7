// What only the Redis store promises, against a real redis-server per test: key layout (hash
// tags, TTLs), one script call per RPC, NOSCRIPT recovery, behaviour while Redis is down, slow
// or restarted from its append-only file.

#include "history/redis_history_store.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "history/recipient_hasher.h"
#include "history/redis_url.h"
#include "tests/support/redis_server.h"

namespace etiquette::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

constexpr absl::Duration kTimeout = absl::Milliseconds(100);
// How long a failing call may take: the timeout plus a margin for a loaded machine.
constexpr absl::Duration kFailBound = absl::Seconds(1);

absl::Time T0() { return absl::FromUnixSeconds(1780315200); }  // 2026-06-01T12:00:00Z
absl::Duration Days(int64_t days) { return absl::Hours(24 * days); }

class RedisHistoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    absl::StatusOr<RedisOptions> options = ParseRedisUrl(server_->url());
    ASSERT_TRUE(options.ok()) << options.status();
    options->timeout = kTimeout;
    store_ = std::make_unique<RedisHistoryStore>(*options, policy_);
  }

  RedisServer& server() { return *server_; }
  RedisHistoryStore& store() { return *store_; }

  std::string Command(const std::vector<std::string>& args) {
    absl::StatusOr<std::string> reply = server_->Command(args);
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

  int64_t Counter(const std::string& command) {
    absl::StatusOr<int64_t> calls = server_->CommandCalls(command);
    EXPECT_TRUE(calls.ok()) << calls.status();
    return calls.ok() ? *calls : -1;
  }

  int64_t Stat(const std::string& field) {
    absl::StatusOr<int64_t> value = server_->InfoInteger("stats", field);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : -1;
  }

  // --- Workload helpers (fail the test on error) ---

  WriteResult Invite(const std::string& sender, const std::string& invitation,
                     const std::string& recipient, absl::Time at) {
    absl::StatusOr<WriteResult> result =
        store().RecordInvitation(sender, invitation, recipient, at, at);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : WriteResult();
  }

  WriteResult Respond(const std::string& sender, const std::string& invitation,
                      const std::string& recipient, v1::InvitationResponse response,
                      absl::Time at) {
    absl::StatusOr<WriteResult> result =
        store().RecordResponse(sender, invitation, recipient, response, at, at);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : WriteResult();
  }

  SenderFacts Facts(const std::string& sender, const std::string& recipient, absl::Time at) {
    absl::StatusOr<SenderFacts> facts = store().GetFacts(sender, recipient, at);
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
  // ignored), a response to an unknown invitation, reports and a restriction.
  void MixedWorkload(const std::string& sender, absl::Time at) {
    Invite(sender, "inv-p", "rk-p", at);
    Invite(sender, "inv-a", "rk-a", at);
    Respond(sender, "inv-a", "rk-a", v1::INVITATION_RESPONSE_ACCEPTED, at);
    Invite(sender, "inv-w", "rk-w", at);
    Respond(sender, "inv-w", "rk-w", v1::INVITATION_RESPONSE_WITHDRAWN, at);
    Invite(sender, "inv-i", "rk-i", at);
    Respond(sender, "inv-i", "rk-i", v1::INVITATION_RESPONSE_IGNORED, at);
    Respond(sender, "inv-unknown", "rk-u", v1::INVITATION_RESPONSE_ACCEPTED, at);
    Restrict(sender, 1, at + absl::Minutes(1));
  }

  StorePolicy policy_;
  std::unique_ptr<RedisServer> server_;
  std::unique_ptr<RedisHistoryStore> store_;
};

// --- Key layout -----------------------------------------------------------------------------

TEST_F(RedisHistoryStoreTest, EveryKeyCarriesItsSendersHashTagAndATtl) {
  const std::vector<std::string> senders = {"m-alex", "m-sam", "m.jo:1"};
  for (const std::string& sender : senders) MixedWorkload(sender, T0());

  const std::vector<std::string> keys = AllKeys();
  ASSERT_FALSE(keys.empty());
  std::map<std::string, std::vector<std::string>> by_sender;
  for (const std::string& key : keys) {
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
    if (absl::EndsWith(key, ":rep")) {
      EXPECT_LE(ttl, absl::ToInt64Milliseconds(policy_.reported_pair_retention)) << key;
      EXPECT_GT(ttl, absl::ToInt64Milliseconds(policy_.retention)) << key;
    } else {
      EXPECT_LE(ttl, absl::ToInt64Milliseconds(policy_.retention)) << key;
      EXPECT_GT(ttl, absl::ToInt64Milliseconds(policy_.retention - absl::Minutes(1))) << key;
    }
  }
  // The workload touched every kind of key, so the checks above covered them all.
  for (const std::string& sender : senders) {
    EXPECT_THAT(by_sender[sender], UnorderedElementsAreArray(RedisHistoryStore::SenderKeys(sender)))
        << sender;
  }
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
  absl::StatusOr<SenderFacts> released = store().Release(jailed, "appeal", T0() + Days(50));
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
  const std::string sender = "m-prune";
  for (int i = 0; i < 10; ++i) {
    const std::string n = absl::StrCat(i);
    Invite(sender, "inv-" + n, "rk-" + n, T0());
    if (i % 2 == 0) {
      Respond(sender, "inv-" + n, "rk-" + n, v1::INVITATION_RESPONSE_ACCEPTED, T0());
    }
  }
  Respond(sender, "inv-9", "rk-9", v1::INVITATION_RESPONSE_WITHDRAWN, T0());
  Respond(sender, "inv-x", "rk-x", v1::INVITATION_RESPONSE_IGNORED, T0());  // unknown id
  const std::string prefix = absl::StrCat("etq:{", sender, "}:");
  EXPECT_EQ(CommandInteger({"ZCARD", prefix + "sent"}), 10);
  EXPECT_EQ(CommandInteger({"ZCARD", prefix + "acc"}), 5);
  EXPECT_EQ(CommandInteger({"ZCARD", prefix + "wd"}), 1);
  EXPECT_EQ(CommandInteger({"ZCARD", prefix + "resp"}), 1);

  // 15 days on: accepted entries left the acceptance window.
  Invite(sender, "inv-15d", "rk-15d", T0() + Days(15));
  EXPECT_EQ(CommandInteger({"EXISTS", prefix + "acc"}), 0);
  EXPECT_EQ(CommandInteger({"ZCARD", prefix + "sent"}), 11);
  // 22 days on: the cool-down is over.
  Invite(sender, "inv-22d", "rk-22d", T0() + Days(22));
  EXPECT_EQ(CommandInteger({"EXISTS", prefix + "wd"}), 0);
  // 91 days on: the old invitations are gone, ids and all (only pending marks stay).
  Invite(sender, "inv-91d", "rk-91d", T0() + Days(91));
  EXPECT_EQ(CommandInteger({"ZCARD", prefix + "sent"}), 3);
  EXPECT_EQ(CommandInteger({"EXISTS", prefix + "resp"}), 0);
  EXPECT_EQ(Command({"HEXISTS", prefix + "inv", "inv-0"}), "0");
  EXPECT_EQ(Command({"HEXISTS", prefix + "inv", "inv-x"}), "0");
  EXPECT_EQ(Command({"HEXISTS", prefix + "inv", "inv-15d"}), "1");
  EXPECT_TRUE(Facts(sender, "rk-1", T0() + Days(91)).pending);  // never answered
}

TEST_F(RedisHistoryStoreTest, MemoryOfAnActiveSender) {
  // 20 invitations and 5 responses, recipient keys as RecipientHasher makes them.
  absl::StatusOr<RecipientHasher> hasher =
      RecipientHasher::Create("a-test-secret-of-32-bytes-long!");
  ASSERT_TRUE(hasher.ok()) << hasher.status();
  const std::string sender = "m-active";
  const v1::InvitationResponse responses[] = {
      v1::INVITATION_RESPONSE_ACCEPTED, v1::INVITATION_RESPONSE_ACCEPTED,
      v1::INVITATION_RESPONSE_IGNORED, v1::INVITATION_RESPONSE_WITHDRAWN,
      v1::INVITATION_RESPONSE_REPORTED_UNKNOWN};
  for (int i = 0; i < 20; ++i) {
    const std::string invitation = absl::StrCat("inv-", 1000 + i);
    const std::string recipient = hasher->Key(absl::StrCat("m-recipient-", i));
    ASSERT_EQ(recipient.size(), 22u);
    Invite(sender, invitation, recipient, T0() + absl::Minutes(i));
    if (i < 5) Respond(sender, invitation, recipient, responses[i], T0() + absl::Hours(1));
  }
  int64_t total = 0;
  std::string detail;
  for (const std::string& key : KeysOf(sender)) {
    const int64_t bytes = CommandInteger({"MEMORY", "USAGE", key, "SAMPLES", "0"});
    absl::StrAppend(&detail, " ", key.substr(key.rfind(':') + 1), "=", bytes);
    total += bytes;
  }
  std::cout << "MEMORY USAGE of a sender with 20 invitations and 5 responses: " << total
            << " bytes:" << detail << "\n";
  RecordProperty("memory_usage_bytes", static_cast<int>(total));
  EXPECT_LT(total, 3000) << detail;  // a regression guard, not the target
}

// --- One script call per RPC ------------------------------------------------------------------

// A call whose caller has already given up (its deadline passed) is dropped before Redis sees
// it: nothing is sent, nothing is recorded, and the answer is UNAVAILABLE.
TEST_F(RedisHistoryStoreTest, CallPastTheCallersDeadlineIsNeverSent) {
  const std::string sender = "m-deadline";
  ASSERT_TRUE(store().RecordInvitation(sender, "inv-1", "rk-1", T0(), T0()).ok());
  const int64_t evalsha_before = Counter("evalsha");
  absl::StatusOr<WriteResult> late = Await<WriteResult>([&](StoreDone<WriteResult> done) {
    store().RecordInvitationAsync(sender, "inv-2", "rk-2", T0(), T0(),
                                  absl::Now() - absl::Milliseconds(1), std::move(done));
  });
  EXPECT_EQ(late.status().code(), absl::StatusCode::kUnavailable) << late.status();
  EXPECT_EQ(Counter("evalsha"), evalsha_before);
  absl::StatusOr<SenderFacts> facts = store().GetFacts(sender, "", T0());
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(facts->invitations_in_volume_window, 1u);
}

TEST_F(RedisHistoryStoreTest, EveryRpcIsExactlyOneScriptCall) {
  const std::string sender = "m-calls";
  // First use loads the scripts (SCRIPT LOAD); from then on nothing but EVALSHA.
  MixedWorkload(sender, T0());
  ASSERT_TRUE(store().Release(sender, "warm-up", T0() + absl::Hours(1)).ok());
  ASSERT_TRUE(store().Forget("m-other").ok());
  ASSERT_TRUE(store().GetFacts(sender, "", T0()).ok());
  const int64_t loads = Counter("script|load");
  EXPECT_EQ(loads, 5);  // one per script, ever

  const absl::Time at = T0() + absl::Hours(2);
  // (name, call) pairs; each must be one EVALSHA and no other command.
  const std::vector<std::pair<std::string, std::function<absl::Status()>>> rpcs = {
      {"RecordInvitation",
       [&] { return store().RecordInvitation(sender, "inv-n", "rk-n", at, at).status(); }},
      {"RecordInvitation (duplicate)",
       [&] { return store().RecordInvitation(sender, "inv-n", "rk-n", at, at).status(); }},
      {"RecordResponse",
       [&] {
         return store()
             .RecordResponse(sender, "inv-n", "rk-n", v1::INVITATION_RESPONSE_REPORTED_SPAM, at, at)
             .status();
       }},
      {"GetFacts", [&] { return store().GetFacts(sender, "rk-n", at).status(); }},
      {"GetFacts (no pair)", [&] { return store().GetFacts(sender, "", at).status(); }},
      {"Release", [&] { return store().Release(sender, "operator", at).status(); }},
      {"Forget", [&] { return store().Forget(sender); }},
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
  ASSERT_TRUE(store().GetFacts("m-warm", "", T0()).ok());  // scripts loaded

  const int64_t evalsha_before = Counter("evalsha");
  const int64_t loads_before = Counter("script|load");
  const int64_t reads_before = Stat("total_reads_processed");
  absl::StatusOr<std::vector<SenderFacts>> facts = store().BatchGetFacts(queries, T0());
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
      store().BatchGetFacts({{sender, "rk-1"}, {sender, ""}, {"m-none", ""}}, T0());
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ((*batch)[1].invitations_in_volume_window, 2u);
  EXPECT_TRUE((*batch)[0].pending);
  // The retry did not record anything twice.
  EXPECT_EQ(CommandInteger({"ZCARD", absl::StrCat("etq:{", sender, "}:sent")}), 2);
}

// --- Redis down, slow, restarted ----------------------------------------------------------------

// Runs every RPC once; each must answer UNAVAILABLE within kFailBound.
void ExpectEveryRpcUnavailable(HistoryStore& store, const std::string& sender) {
  const absl::Time at = T0();
  const std::vector<std::pair<std::string, std::function<absl::Status()>>> rpcs = {
      {"RecordInvitation",
       [&] { return store.RecordInvitation(sender, "inv-down", "rk-down", at, at).status(); }},
      {"RecordResponse",
       [&] {
         return store
             .RecordResponse(sender, "inv-down", "rk-down", v1::INVITATION_RESPONSE_ACCEPTED, at,
                             at)
             .status();
       }},
      {"GetFacts", [&] { return store.GetFacts(sender, "rk-down", at).status(); }},
      {"BatchGetFacts",
       [&] {
         return store.BatchGetFacts({{sender, ""}, {"m-x", "rk"}}, at).status();
       }},
      {"Release", [&] { return store.Release(sender, "r", at).status(); }},
      {"Forget", [&] { return store.Forget(sender); }},
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

TEST_F(RedisHistoryStoreTest, StoreOnADeadPortConstructsAtOnceAndAnswersUnavailable) {
  const int port = FreeTcpPort();
  ASSERT_GT(port, 0);
  RedisOptions options;
  options.port = port;  // nothing listens there
  options.timeout = kTimeout;
  const absl::Time start = absl::Now();
  RedisHistoryStore store(options, policy_);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(50));
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
          store().RecordInvitation(sender, "inv-" + n, "rk-" + n, at, at);
      if (!sent.ok()) {
        failure = sent.status();
        return;
      }
      invited.push_back(i);
      if (i % 2 == 0) {
        absl::StatusOr<WriteResult> response = store().RecordResponse(
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
    facts = store().GetFacts(sender, "", now);
  } while (!facts.ok() && absl::Now() < deadline);
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_LE(tries, 2);

  EXPECT_GE(facts->invitations_in_volume_window, invited.size());
  EXPECT_LE(facts->invitations_in_volume_window, static_cast<uint32_t>(attempted));
  EXPECT_GE(facts->accepted_in_acceptance_window, accepted.size());
  // Each acknowledged write, asked again, is a duplicate: it is there.
  for (int i : invited) {
    const std::string n = absl::StrCat(i);
    absl::StatusOr<WriteResult> again =
        store().RecordInvitation(sender, "inv-" + n, "rk-" + n, T0() + absl::Milliseconds(i), now);
    ASSERT_TRUE(again.ok()) << again.status();
    ASSERT_TRUE(again->duplicate) << "acknowledged invitation " << i << " was lost";
  }
  for (int i : accepted) {
    const std::string n = absl::StrCat(i);
    absl::StatusOr<WriteResult> again = store().RecordResponse(
        sender, "inv-" + n, "rk-" + n, v1::INVITATION_RESPONSE_ACCEPTED, now, now);
    ASSERT_TRUE(again.ok()) << again.status();
    ASSERT_TRUE(again->duplicate) << "acknowledged response " << i << " was lost";
  }
}

// --- Errors, ids, credentials ---------------------------------------------------------------

TEST_F(RedisHistoryStoreTest, RedisErrorRepliesAreInternal) {
  ASSERT_EQ(Command({"SET", "etq:{m-broken}:sent", "not a zset"}), "OK");
  absl::StatusOr<SenderFacts> facts = store().GetFacts("m-broken", "", T0());
  EXPECT_EQ(facts.status().code(), absl::StatusCode::kInternal) << facts.status();
  EXPECT_THAT(std::string(facts.status().message()), HasSubstr("WRONGTYPE"));
  // The connection is still good for the next call.
  EXPECT_TRUE(store().GetFacts("m-fine", "", T0()).ok());
}

TEST_F(RedisHistoryStoreTest, ForgetRemovesEveryKeyOfTheSenderOnly) {
  MixedWorkload("m-forget", T0());
  MixedWorkload("m-keep", T0());
  ASSERT_EQ(KeysOf("m-forget").size(), 7u);
  const std::vector<std::string> kept = KeysOf("m-keep");
  ASSERT_TRUE(store().Forget("m-forget").ok());
  EXPECT_THAT(KeysOf("m-forget"), ::testing::IsEmpty());
  EXPECT_EQ(KeysOf("m-keep"), kept);
  EXPECT_EQ(AllKeys(), kept);
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
    EXPECT_EQ(KeysOf(sender).size(), 7u) << sender;
    absl::StatusOr<std::vector<SenderFacts>> batch =
        store().BatchGetFacts({{sender, "rk-r1"}}, T0() + absl::Hours(1));
    ASSERT_TRUE(batch.ok()) << batch.status();
    EXPECT_TRUE((*batch)[0].recipient_reported_sender) << sender;
  }
  // Neither sender sees the other's data ("m.a" is not a prefix problem either).
  EXPECT_EQ(Facts("m.a", "rk-p", T0()).invitations_in_volume_window, 0u);
  ASSERT_TRUE(store().Forget(dotted).ok());
  EXPECT_TRUE(KeysOf(dotted).empty());
  EXPECT_EQ(KeysOf(longest).size(), 7u);
}

TEST_F(RedisHistoryStoreTest, SenderIdsThatCouldEscapeTheirKeysAreRefused) {
  for (const std::string& sender : {std::string(""), std::string(65, 'x'), std::string("a}b"),
                                    std::string("a{b"), std::string("a b"), std::string("a*")}) {
    EXPECT_EQ(store().RecordInvitation(sender, "inv-1", "rk-1", T0(), T0()).status().code(),
              absl::StatusCode::kInvalidArgument)
        << sender;
    EXPECT_EQ(store().GetFacts(sender, "", T0()).status().code(),
              absl::StatusCode::kInvalidArgument)
        << sender;
    EXPECT_EQ(store().BatchGetFacts({{"m-ok", ""}, {sender, ""}}, T0()).status().code(),
              absl::StatusCode::kInvalidArgument)
        << sender;
    EXPECT_EQ(store().Forget(sender).code(), absl::StatusCode::kInvalidArgument) << sender;
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
  RedisHistoryStore refused(*wrong, policy_);
  const absl::Status ping = refused.Ping();
  EXPECT_EQ(ping.code(), absl::StatusCode::kUnavailable) << ping;
  EXPECT_THAT(std::string(ping.message()), Not(HasSubstr("Wrong-Pass")));

  absl::StatusOr<RedisOptions> right =
      ParseRedisUrl(absl::StrCat("redis://:Sesame-42@127.0.0.1:", server().port(), "/3"));
  ASSERT_TRUE(right.ok()) << right.status();
  right->timeout = kTimeout;
  RedisHistoryStore store(*right, policy_);
  ASSERT_TRUE(store.Ping().ok());
  absl::StatusOr<WriteResult> invited = store.RecordInvitation("m-db", "inv-1", "rk-1", T0(), T0());
  ASSERT_TRUE(invited.ok()) << invited.status();
  const std::string keyspace = Command({"INFO", "keyspace"});
  EXPECT_THAT(keyspace, HasSubstr("db3:keys=2"));  // inv and sent
  EXPECT_THAT(keyspace, Not(HasSubstr("db0:")));
}

}  // namespace
}  // namespace etiquette::testing
