// RedisHistoryStore on a real Redis Cluster (tests/support/redis_cluster.h; each test starts
// its own 3 masters): keys land on the master of their slot, one script call per RPC on that
// master, BatchGetFacts one pipeline per master, scripts loaded per master, MOVED and ASK
// followed while a slot moves under continuous writes (redis-cli --cluster reshard, and by hand)
// with nothing acknowledged lost, and a master killed and restarted from its append-only file.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "history/redis/key_slot.h"
#include "history/redis_history_store.h"
#include "history/redis_scripts.h"
#include "history/redis_url.h"
#include "history/rekey_pass.h"
#include "tests/support/await.h"
#include "tests/support/redis_cluster.h"
#include "tests/support/redis_server.h"
#include "tests/support/stored_invitations.h"

namespace etiquette::testing {
namespace {

using redis::kRedisClusterSlots;
using redis::RedisKeySlot;

using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kPoll = absl::Milliseconds(10);

// 2026-06-01T12:00:00Z: every write of these tests happens "now", at T0.
absl::Time T0() { return absl::FromUnixSeconds(1780315200); }

std::string Key(const std::string& sender, const char* suffix = "h") {
  return absl::StrCat("etq:{", sender, "}:", suffix);
}

// Invitations recorded as sent that `node` holds for `sender`, read with the layout's own
// script (history/redis_scripts.h; EVAL_RO so that a READONLY replica answers too); -1 on error.
int64_t SentInvitationsOn(RedisCluster& cluster, int node, const std::string& sender) {
  absl::StatusOr<std::string> reply =
      cluster.Command(node, {"EVAL_RO", StoredInvitationsScript(), "1", Key(sender)});
  EXPECT_TRUE(reply.ok()) << reply.status();
  int64_t sent = -1;
  if (reply.ok() && !absl::SimpleAtoi(reply->substr(0, reply->find('\n')), &sent)) sent = -1;
  return sent;
}

// The first `count` sender ids "<prefix><n>" whose keys hash to `slot`.
std::vector<std::string> SendersInSlot(int slot, int count, const std::string& prefix) {
  std::vector<std::string> senders;
  for (int n = 0; static_cast<int>(senders.size()) < count && n < 50'000'000; ++n) {
    std::string sender = absl::StrCat(prefix, n);
    if (RedisKeySlot(sender) == slot) senders.push_back(std::move(sender));
  }
  return senders;
}

// Polls `condition` every 10 ms for at most `timeout`.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(kPoll);
  }
  return true;
}

// Records invitations for its senders from background threads until stopped, the way a client
// that retries does: a new id per invitation, the same id again until the store acknowledges
// it. Checks every answer: OK, not a duplicate unless an earlier attempt of that id failed,
// and counting exactly the ids acknowledged so far plus this one; or UNAVAILABLE. Anything
// else is a problem (a wrong answer).
class Writer {
 public:
  Writer(HistoryStore& store, std::vector<std::vector<std::string>> senders_per_thread)
      : store_(store), senders_per_thread_(std::move(senders_per_thread)) {}
  ~Writer() { Stop(); }

  void Start() {
    for (const std::vector<std::string>& senders : senders_per_thread_) {
      threads_.emplace_back([this, senders] { Run(senders); });
    }
  }
  // Each thread finishes the invitation it is on (until acknowledged, or 30 s) and stops.
  void Stop() {
    stop_.store(true);
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
  }

  int64_t acked() const { return acked_.load(); }
  int64_t attempts() const { return attempts_.load(); }
  int64_t unavailable() const { return unavailable_.load(); }
  // After Stop.
  const std::map<std::string, uint32_t>& acked_per_sender() const { return acked_per_sender_; }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  void Run(const std::vector<std::string>& senders) {
    std::map<std::string, uint32_t> count;
    bool failed = false;
    while (!stop_.load() && !failed) {
      for (const std::string& sender : senders) {
        const uint32_t n = count[sender] + 1;
        const std::string invitation = absl::StrCat("inv-", n);
        const absl::Time give_up = absl::Now() + absl::Seconds(30);
        bool retried = false;
        for (;;) {
          absl::StatusOr<WriteResult> result = Blocking(store_).RecordInvitation(
              sender, invitation, absl::StrCat("rk-", n), T0(), T0());
          attempts_.fetch_add(1);
          if (result.ok()) {
            if (result->duplicate && !retried) {
              Problem(absl::StrCat(sender, " ", invitation, ": duplicate at the first attempt"));
            }
            if (result->facts.invitations_in_volume_window != n) {
              Problem(absl::StrCat(sender, " ", invitation, ": counts ",
                                   result->facts.invitations_in_volume_window, ", expected ", n));
            }
            count[sender] = n;
            acked_.fetch_add(1);
            break;
          }
          if (!absl::IsUnavailable(result.status())) {
            Problem(absl::StrCat(sender, " ", invitation, ": ", result.status().ToString()));
            failed = true;
            break;
          }
          unavailable_.fetch_add(1);
          retried = true;
          if (absl::Now() >= give_up) {
            Problem(absl::StrCat(sender, " ", invitation,
                                 ": not acknowledged in 30 s, last: ", result.status().ToString()));
            failed = true;
            break;
          }
        }
        if (failed) break;
      }
    }
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [sender, n] : count) acked_per_sender_[sender] = n;
  }

  void Problem(std::string problem) {
    std::lock_guard<std::mutex> lock(mutex_);
    problems_.push_back(std::move(problem));
  }

  HistoryStore& store_;
  const std::vector<std::vector<std::string>> senders_per_thread_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> acked_{0};
  std::atomic<int64_t> attempts_{0};
  std::atomic<int64_t> unavailable_{0};
  std::mutex mutex_;
  std::map<std::string, uint32_t> acked_per_sender_;  // guarded by mutex_
  std::vector<std::string> problems_;                 // guarded by mutex_
};

class RedisClusterStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisCluster>> started = RedisCluster::Start(3);
    ASSERT_TRUE(started.ok()) << started.status();
    cluster_ = *std::move(started);
  }

  RedisCluster& cluster() { return *cluster_; }

  std::unique_ptr<RedisHistoryStore> NewStore(absl::Duration timeout = absl::Seconds(2)) {
    absl::StatusOr<RedisOptions> options = ParseRedisUrl(cluster_->url());
    EXPECT_TRUE(options.ok()) << options.status();
    options->timeout = timeout;
    options->write_timeout = options->timeout;
    return std::make_unique<RedisHistoryStore>(*options, StorePolicy());
  }

  // The node that owns the slot of `sender`'s keys (-1 on error).
  int Owner(const std::string& sender) {
    absl::StatusOr<int> owner = cluster_->OwnerOf(RedisKeySlot(Key(sender)));
    EXPECT_TRUE(owner.ok()) << owner.status();
    return owner.value_or(-1);
  }

  // The first sender "<prefix><n>" owned by `node`.
  std::string SenderOn(int node, const std::string& prefix) {
    for (int n = 0; n < 1000; ++n) {
      std::string sender = absl::StrCat(prefix, n);
      if (Owner(sender) == node) return sender;
    }
    ADD_FAILURE() << "no sender " << prefix << "* on node " << node;
    return prefix;
  }

  // The first recipient key "<prefix><n>" whose index (RedisHistoryStore::IndexKeyOf) is on
  // `node`.
  std::string RecipientOn(int node, const std::string& prefix) {
    for (int n = 0; n < 1000; ++n) {
      std::string recipient = absl::StrCat(prefix, n);
      absl::StatusOr<int> owner =
          cluster_->OwnerOf(RedisKeySlot(RedisHistoryStore::IndexKeyOf(recipient)));
      if (owner.ok() && *owner == node) return recipient;
    }
    ADD_FAILURE() << "no recipient " << prefix << "* on node " << node;
    return prefix;
  }

  // Keys on `node` that are recipients' indexes (etq:{r:...}:s).
  int64_t IndexesOn(int node) {
    return Integer(node, {"EVAL", "return #redis.call('KEYS', 'etq:{r:*')", "0"});
  }

  int64_t Integer(int node, const std::vector<std::string>& args) {
    absl::StatusOr<int64_t> value = cluster_->IntegerCommand(node, args);
    EXPECT_TRUE(value.ok()) << args[0] << ": " << value.status();
    return value.value_or(-1);
  }

  int64_t SentOn(int node, const std::string& sender) {
    return SentInvitationsOn(*cluster_, node, sender);
  }

  int64_t Calls(int node, const std::string& command) {
    absl::StatusOr<int64_t> calls = cluster_->CommandCalls(node, command);
    EXPECT_TRUE(calls.ok()) << calls.status();
    return calls.value_or(-1);
  }

  int64_t Stat(int node, const std::string& field) {
    absl::StatusOr<int64_t> value = cluster_->InfoInteger(node, "stats", field);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.value_or(-1);
  }

  std::string Command(int node, const std::vector<std::string>& args) {
    absl::StatusOr<std::string> reply = cluster_->Command(node, args);
    EXPECT_TRUE(reply.ok()) << args[0] << " on node " << node << ": " << reply.status();
    return reply.value_or("");
  }

  // The lowest slot `node` owns.
  int LowestSlotOf(int node) {
    int lowest = kRedisClusterSlots;
    for (absl::string_view line : absl::StrSplit(Command(node, {"CLUSTER", "SLOTS"}), '\n')) {
      std::vector<std::string> fields = absl::StrSplit(line, ' ');
      int first = 0, port = 0;
      if (fields.size() == 3 && absl::SimpleAtoi(fields[0], &first) &&
          absl::SimpleAtoi(fields[2], &port) && port == cluster_->port(node)) {
        lowest = std::min(lowest, first);
      }
    }
    return lowest;
  }

  // The manual slot migration of the Redis Cluster specification, in steps.
  void OpenMigration(int slot, int from, int to) {
    EXPECT_EQ(
        Command(to, {"CLUSTER", "SETSLOT", absl::StrCat(slot), "IMPORTING", cluster_->id(from)}),
        "OK");
    EXPECT_EQ(
        Command(from, {"CLUSTER", "SETSLOT", absl::StrCat(slot), "MIGRATING", cluster_->id(to)}),
        "OK");
  }
  // MIGRATE of `keys` (atomically, together) from `from` to `to`.
  void Migrate(int from, int to, const std::vector<std::string>& keys) {
    std::vector<std::string> args = {
        "MIGRATE", "127.0.0.1", absl::StrCat(cluster_->port(to)), "", "0", "5000", "KEYS"};
    args.insert(args.end(), keys.begin(), keys.end());
    EXPECT_EQ(Command(from, args), "OK");
  }
  // Up to `count` keys `from` still has in `slot`.
  std::vector<std::string> KeysInSlot(int from, int slot, int count) {
    const std::string keys =
        Command(from, {"CLUSTER", "GETKEYSINSLOT", absl::StrCat(slot), absl::StrCat(count)});
    return absl::StrSplit(keys, '\n', absl::SkipEmpty());
  }
  void CloseMigration(int slot, int from, int to) {
    for (int node : {to, from, 3 - from - to}) {
      EXPECT_EQ(Command(node, {"CLUSTER", "SETSLOT", absl::StrCat(slot), "NODE", cluster_->id(to)}),
                "OK");
    }
  }
  void MoveSlot(int slot, int from, int to) {
    OpenMigration(slot, from, to);
    for (std::vector<std::string> keys = KeysInSlot(from, slot, 100); !keys.empty();
         keys = KeysInSlot(from, slot, 100)) {
      Migrate(from, to, keys);
    }
    CloseMigration(slot, from, to);
    ASSERT_TRUE(cluster_->WaitUntilOk().ok());
  }

  // After a writer: every acknowledged invitation is counted, by `store` and by a new store
  // (a fresh slot map), and its keys are on `owner`.
  void ExpectEveryAcknowledgedWriteCounted(HistoryStore& store, const Writer& writer,
                                           const std::vector<std::string>& senders, int owner) {
    std::unique_ptr<RedisHistoryStore> fresh = NewStore();
    for (const std::string& sender : senders) {
      auto acked = writer.acked_per_sender().find(sender);
      ASSERT_NE(acked, writer.acked_per_sender().end()) << sender << " was never written";
      for (HistoryStore* reader : {&store, static_cast<HistoryStore*>(fresh.get())}) {
        absl::StatusOr<SenderFacts> facts = Blocking(reader).GetFacts(sender, "", T0());
        ASSERT_TRUE(facts.ok()) << facts.status();
        EXPECT_EQ(facts->invitations_in_volume_window, acked->second) << sender;
      }
      if (owner >= 0) {
        EXPECT_EQ(SentOn(owner, sender), acked->second) << sender;
      }
    }
  }

  std::unique_ptr<RedisCluster> cluster_;
};

// --- Placement -------------------------------------------------------------------------------

TEST_F(RedisClusterStoreTest, SendersSpreadOverEveryMasterAndLandOnTheirSlotsOwner) {
  std::unique_ptr<RedisHistoryStore> store = NewStore();
  constexpr int kSenders = 60;
  std::vector<int> senders_on(cluster().size(), 0);
  std::vector<FactsQuery> queries;
  for (int i = 0; i < kSenders; ++i) {
    const std::string sender = absl::StrCat("m-spread-", i);
    absl::StatusOr<WriteResult> written =
        Blocking(store).RecordInvitation(sender, "inv-1", "rk-1", T0(), T0());
    ASSERT_TRUE(written.ok()) << written.status();
    queries.push_back({sender, "rk-1"});

    // Redis's own slot of each key is ours, and the key is on that slot's master only.
    for (const std::string& key : RedisHistoryStore::SenderKeys(sender)) {
      EXPECT_EQ(Integer(0, {"CLUSTER", "KEYSLOT", key}), RedisKeySlot(key)) << key;
    }
    const int owner = Owner(sender);
    ASSERT_GE(owner, 0);
    ++senders_on[owner];
    EXPECT_EQ(Integer(owner, {"EXISTS", Key(sender)}), 1) << sender;  // h (and x)
    for (int node = 0; node < cluster().size(); ++node) {
      if (node == owner) continue;
      absl::StatusOr<std::string> elsewhere = cluster().Command(node, {"EXISTS", Key(sender)});
      EXPECT_THAT(elsewhere.status().ToString(), HasSubstr("MOVED")) << sender;
    }
  }
  int64_t keys = 0;
  for (int node = 0; node < cluster().size(); ++node) {
    std::cout << "node " << node << ": " << senders_on[node] << " senders\n";
    EXPECT_GT(senders_on[node], 0) << "no sender on node " << node;
    // h and x of each sender; besides them, only recipients' indexes (rk-1's: one).
    EXPECT_EQ(Integer(node, {"DBSIZE"}) - IndexesOn(node), 2 * senders_on[node]) << "node " << node;
    keys += Integer(node, {"DBSIZE"});
  }
  EXPECT_EQ(keys, 2 * kSenders + 1);

  absl::StatusOr<std::vector<SenderFacts>> facts = Blocking(store).BatchGetFacts(queries, T0());
  ASSERT_TRUE(facts.ok()) << facts.status();
  ASSERT_EQ(facts->size(), queries.size());
  for (const SenderFacts& one : *facts) {
    EXPECT_EQ(one.invitations_in_volume_window, 1u);
    EXPECT_TRUE(one.pending);
  }
}

// --- One script call per RPC, on the sender's master ---------------------------------------

TEST_F(RedisClusterStoreTest, EveryRpcIsOneScriptCallOnTheSendersMaster) {
  std::unique_ptr<RedisHistoryStore> store = NewStore();
  std::vector<std::string> senders;
  for (int node = 0; node < cluster().size(); ++node) senders.push_back(SenderOn(node, "m-one-"));
  // Each sender's recipients have their indexes on the sender's own master (a pair write is
  // then two script calls there: the index, then the write; see RunPairWriteAsync).
  std::vector<std::string> recipients;
  for (int node = 0; node < cluster().size(); ++node) {
    recipients.push_back(RecipientOn(node, "rk-one-"));
  }
  // Warm up: the map is learned and every script is loaded on every master.
  for (int node = 0; node < cluster().size(); ++node) {
    const std::string& sender = senders[node];
    const std::string& rk = recipients[node];
    ASSERT_TRUE(Blocking(store).RecordInvitation(sender, "inv-0", rk, T0(), T0()).ok());
    ASSERT_TRUE(
        Blocking(store)
            .RecordResponse(sender, "inv-0", rk, v1::INVITATION_RESPONSE_ACCEPTED, T0(), T0())
            .ok());
    ASSERT_TRUE(Blocking(store).GetFacts(sender, "", T0()).ok());
    ASSERT_TRUE(Blocking(store).Release(sender, "warm-up", T0()).ok());
    ASSERT_TRUE(Blocking(store).Forget(SenderOn(node, "m-gone-")).ok());
  }
  ASSERT_TRUE(store->Ping().ok());

  for (int owner = 0; owner < cluster().size(); ++owner) {
    const std::string& sender = senders[owner];
    const std::string& rk = recipients[owner];
    const std::vector<std::pair<std::string, std::function<absl::Status()>>> rpcs = {
        {"RecordInvitation",
         [&] {
           return Blocking(store).RecordInvitation(sender, "inv-n", rk, T0(), T0()).status();
         }},
        {"RecordResponse",
         [&] {
           return Blocking(store)
               .RecordResponse(sender, "inv-n", rk, v1::INVITATION_RESPONSE_REPORTED_SPAM, T0(),
                               T0())
               .status();
         }},
        {"GetFacts", [&] { return Blocking(store).GetFacts(sender, rk, T0()).status(); }},
        {"Release", [&] { return Blocking(store).Release(sender, "operator", T0()).status(); }},
        {"Forget", [&] { return Blocking(store).Forget(sender); }},
    };
    for (const auto& [name, rpc] : rpcs) {
      std::vector<int64_t> evalsha(cluster().size()), reads(cluster().size()),
          slots(cluster().size());
      for (int node = 0; node < cluster().size(); ++node) {
        evalsha[node] = Calls(node, "evalsha");
        slots[node] = Calls(node, "cluster|slots");
        reads[node] = Stat(node, "total_reads_processed");
      }
      ASSERT_TRUE(rpc().ok()) << name;
      for (int node = 0; node < cluster().size(); ++node) {
        const int64_t read = Stat(node, "total_reads_processed") - reads[node];
        // The owner: one EVALSHA, read at once (plus the INFO's own read); the others: nothing
        // but the INFO. No slot map refresh on the happy path. A pair write is two round trips
        // (the recipient's index first: another slot), and so is Forget (the member out of
        // its recipient's index), here both on the owner.
        const bool two = name == "RecordInvitation" || name == "RecordResponse" || name == "Forget";
        EXPECT_EQ(Calls(node, "evalsha") - evalsha[node], node == owner ? (two ? 2 : 1) : 0)
            << name << " node " << node;
        EXPECT_EQ(read, node == owner ? (two ? 3 : 2) : 1) << name << " node " << node;
        EXPECT_EQ(Calls(node, "cluster|slots"), slots[node]) << name << " node " << node;
      }
    }
  }
  for (int node = 0; node < cluster().size(); ++node) {
    // One per script used per master: all but forget_pair (no ForgetMember of a recipient).
    EXPECT_EQ(Calls(node, "script|load"), 6) << "one per script per master, node " << node;
    EXPECT_EQ(Calls(node, "asking"), 0);
  }
}

TEST_F(RedisClusterStoreTest, BatchGetFactsIsOnePipelinedRoundTripPerMaster) {
  std::unique_ptr<RedisHistoryStore> store = NewStore();
  constexpr int kSenders = 30;
  std::vector<FactsQuery> queries;
  std::vector<int> queries_on(cluster().size(), 0);
  for (int i = 0; i < kSenders; ++i) {
    const std::string sender = absl::StrCat("m-batch-", i);
    for (int j = 0; j <= i % 3; ++j) {
      ASSERT_TRUE(
          Blocking(store)
              .RecordInvitation(sender, absl::StrCat("inv-", j), absl::StrCat("rk-", j), T0(), T0())
              .ok());
    }
    queries.push_back({sender, i % 2 == 0 ? "rk-0" : ""});
    ++queries_on[Owner(sender)];
  }
  for (int node = 0; node < cluster().size(); ++node) {
    ASSERT_TRUE(
        Blocking(store).GetFacts(SenderOn(node, "m-warm-"), "", T0()).ok());  // scripts loaded
  }

  std::vector<int64_t> evalsha(cluster().size()), reads(cluster().size());
  for (int node = 0; node < cluster().size(); ++node) {
    evalsha[node] = Calls(node, "evalsha");
    reads[node] = Stat(node, "total_reads_processed");
  }
  absl::StatusOr<std::vector<SenderFacts>> facts = Blocking(store).BatchGetFacts(queries, T0());
  ASSERT_TRUE(facts.ok()) << facts.status();
  for (int node = 0; node < cluster().size(); ++node) {
    // The node read its whole pipeline at once (plus the INFO's own read).
    EXPECT_EQ(Stat(node, "total_reads_processed") - reads[node], 2) << "node " << node;
    EXPECT_GT(queries_on[node], 0);
    EXPECT_EQ(Calls(node, "evalsha") - evalsha[node], queries_on[node]) << "node " << node;
  }
  ASSERT_EQ(facts->size(), static_cast<size_t>(kSenders));
  for (int i = 0; i < kSenders; ++i) {  // in query order
    EXPECT_EQ((*facts)[i].invitations_in_volume_window, static_cast<uint32_t>(i % 3 + 1)) << i;
    EXPECT_EQ((*facts)[i].pending, i % 2 == 0) << i;
  }
}

TEST_F(RedisClusterStoreTest, ScriptsAreLoadedOnEachMasterAndAgainAfterNoscript) {
  std::unique_ptr<RedisHistoryStore> store = NewStore();
  std::vector<std::string> senders;
  for (int node = 0; node < cluster().size(); ++node) {
    senders.push_back(SenderOn(node, "m-noscript-"));
    EXPECT_EQ(Calls(node, "script|load"), 0);
  }
  // Each sender writes to recipients whose index is on its own master: record_invitation and
  // index are loaded there.
  for (int node = 0; node < cluster().size(); ++node) {
    ASSERT_TRUE(
        Blocking(store)
            .RecordInvitation(senders[node], "inv-1", RecipientOn(node, "rk-1-"), T0(), T0())
            .ok());
  }
  for (int node = 0; node < cluster().size(); ++node) {
    EXPECT_EQ(Calls(node, "script|load"), 2) << "record_invitation, index on node " << node;
  }
  // One master forgets its scripts (a restart, SCRIPT FLUSH): only it loads them again, and
  // nothing is recorded twice.
  const int flushed = 1;
  ASSERT_EQ(Command(flushed, {"SCRIPT", "FLUSH"}), "OK");
  for (int node = 0; node < cluster().size(); ++node) {
    absl::StatusOr<WriteResult> second = Blocking(store).RecordInvitation(
        senders[node], "inv-2", RecipientOn(node, "rk-2-"), T0(), T0());
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_FALSE(second->duplicate);
    EXPECT_EQ(second->facts.invitations_in_volume_window, 2u);
  }
  for (int node = 0; node < cluster().size(); ++node) {
    EXPECT_EQ(Calls(node, "script|load"), node == flushed ? 4 : 2) << "node " << node;
    EXPECT_EQ(SentOn(node, senders[node]), 2);
  }
  // The same in a batch: get_facts is loaded everywhere, then one master forgets it.
  for (const std::string& sender : senders)
    ASSERT_TRUE(Blocking(store).GetFacts(sender, "", T0()).ok());
  ASSERT_EQ(Command(flushed, {"SCRIPT", "FLUSH"}), "OK");
  std::vector<FactsQuery> queries;
  for (int node = 0; node < cluster().size(); ++node) {
    queries.push_back({senders[node], RecipientOn(node, "rk-1-")});
  }
  absl::StatusOr<std::vector<SenderFacts>> batch = Blocking(store).BatchGetFacts(queries, T0());
  ASSERT_TRUE(batch.ok()) << batch.status();
  for (const SenderFacts& facts : *batch) {
    EXPECT_EQ(facts.invitations_in_volume_window, 2u);
    EXPECT_TRUE(facts.pending);  // inv-1 to rk-1, unanswered
  }
  for (int node = 0; node < cluster().size(); ++node) {
    EXPECT_EQ(Calls(node, "script|load"), node == flushed ? 6 : 3) << "node " << node;
  }
}

// Concurrent batches spanning every master, each query list in another node order, with fewer
// connections than threads: no call holds a connection while it waits for another node (each
// would otherwise wait on the other until the timeout).
TEST_F(RedisClusterStoreTest, ConcurrentBatchesAcrossMastersNeverWaitOnEachOther) {
  absl::StatusOr<RedisOptions> options = ParseRedisUrl(cluster().url());
  ASSERT_TRUE(options.ok()) << options.status();
  options->connections = 1;
  options->timeout = absl::Seconds(2);
  options->write_timeout = options->timeout;
  RedisHistoryStore store(*options, StorePolicy());
  std::vector<std::string> senders;
  for (int node = 0; node < cluster().size(); ++node) {
    senders.push_back(SenderOn(node, "m-conc-"));
    ASSERT_TRUE(Blocking(store).RecordInvitation(senders.back(), "inv-1", "rk-1", T0(), T0()).ok());
  }
  constexpr int kThreads = 12;
  constexpr int kCalls = 40;
  std::atomic<int> ok{0};
  std::mutex mutex;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<FactsQuery> queries;
      for (size_t k = 0; k < senders.size(); ++k) {
        queries.push_back({senders[(t + k) % senders.size()], ""});
      }
      if (t % 2 == 1) std::swap(queries[0], queries[1]);
      for (int call = 0; call < kCalls; ++call) {
        absl::StatusOr<std::vector<SenderFacts>> facts =
            Blocking(store).BatchGetFacts(queries, T0());
        if (facts.ok() && facts->size() == queries.size() &&
            (*facts)[0].invitations_in_volume_window == 1) {
          ok.fetch_add(1);
        } else {
          std::lock_guard<std::mutex> lock(mutex);
          failures.push_back(facts.status().ToString());
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kThreads * kCalls);
  EXPECT_THAT(failures, ::testing::IsEmpty());
}

// --- A slot that moves ------------------------------------------------------------------------

// Key rotation on a cluster (docs/key-rotation.md): senders and recipients' indexes spread over
// the masters; after the pass nothing is left under the old key id on any master, and every pair
// reads the same under the new key alone.
TEST_F(RedisClusterStoreTest, RekeyPassMovesEveryPairAcrossMasters) {
  std::unique_ptr<RedisHistoryStore> store = NewStore();
  BlockingStore blocking(*store);
  const RecipientHasher a = *RecipientHasher::Create("cluster-rotation-secret-a");
  const RecipientHasher both = *RecipientHasher::Create(
      std::vector<std::string>{"cluster-rotation-secret-b", "cluster-rotation-secret-a"});
  const RecipientHasher b = *RecipientHasher::Create("cluster-rotation-secret-b");
  const absl::Time now = absl::FromUnixSeconds(1780315200);
  std::string ids;
  for (int r = 0; r < 6; ++r) absl::StrAppend(&ids, "m-rot-", r, "\n");
  for (int s = 0; s < 12; ++s) {
    const std::string sender = absl::StrCat("c-rot-s", s);
    for (int r = s % 6; r < s % 6 + 3; ++r) {
      const std::string recipient = absl::StrCat("m-rot-", r % 6);
      const std::string invitation = absl::StrCat(sender, "-", recipient);
      ASSERT_TRUE(blocking.RecordInvitation(sender, invitation, a.Keys(recipient), now, now).ok());
      if (r % 2 == 0) {
        ASSERT_TRUE(blocking
                        .RecordResponse(sender, invitation, a.Keys(recipient),
                                        v1::INVITATION_RESPONSE_REPORTED_SPAM, now, now)
                        .ok());
      }
    }
  }
  const std::string old_pattern = absl::StrCat("etq:{r:", a.KeyIds()[0], ":*");
  auto left_under_a = [&] {
    int64_t left = 0;
    for (int node = 0; node < 3; ++node) {
      left += Integer(node, {"EVAL", "return #redis.call('KEYS', ARGV[1])", "0", old_pattern});
    }
    return left;
  };
  ASSERT_EQ(left_under_a(), 6);
  std::istringstream members(ids);
  absl::StatusOr<RekeyPassStats> stats = RunRekeyPass(*store, both, members);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->members_with_data, 6u);
  EXPECT_EQ(stats->pairs_moved, 36u);
  EXPECT_EQ(left_under_a(), 0);
  for (int s = 0; s < 12; ++s) {
    const std::string sender = absl::StrCat("c-rot-s", s);
    for (int r = s % 6; r < s % 6 + 3; ++r) {
      const std::string recipient = absl::StrCat("m-rot-", r % 6);
      absl::StatusOr<SenderFacts> facts = blocking.GetFacts(sender, b.Keys(recipient), now);
      ASSERT_TRUE(facts.ok()) << facts.status();
      EXPECT_EQ(facts->recipient_reported_sender, r % 2 == 0) << sender << " " << recipient;
      EXPECT_EQ(facts->pending, r % 2 != 0) << sender << " " << recipient;
    }
  }
}

TEST_F(RedisClusterStoreTest, MovedSlotIsFollowedAndTheMapLearnsIt) {
  std::unique_ptr<RedisHistoryStore> store = NewStore();
  const std::string sender = SenderOn(0, "m-moved-");
  const int slot = RedisKeySlot(sender);
  ASSERT_TRUE(Blocking(store).RecordInvitation(sender, "inv-1", "rk-1", T0(), T0()).ok());
  MoveSlot(slot, 0, 2);
  ASSERT_EQ(Owner(sender), 2);

  const int64_t moved_before = Stat(0, "total_error_replies");
  absl::StatusOr<WriteResult> second =
      Blocking(store).RecordInvitation(sender, "inv-2", "rk-2", T0(), T0());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->duplicate);
  EXPECT_EQ(second->facts.invitations_in_volume_window, 2u);
  EXPECT_EQ(Stat(0, "total_error_replies") - moved_before, 1) << "one MOVED from the old owner";
  EXPECT_EQ(SentOn(2, sender), 2);

  // The map learned it: no more MOVED.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Blocking(store).GetFacts(sender, "", T0()).ok());
  }
  EXPECT_EQ(Stat(0, "total_error_replies") - moved_before, 1);
}

TEST_F(RedisClusterStoreTest, ReshardWhileWritingLosesNothing) {
  std::unique_ptr<RedisHistoryStore> store = NewStore(absl::Milliseconds(500));
  const int from = 0;
  const int to = 1;
  // redis-cli --cluster reshard takes a source's slots from its lowest one.
  const int slot = LowestSlotOf(from);
  std::vector<std::string> moving = SendersInSlot(slot, 4, "m-reshard-");
  ASSERT_EQ(moving.size(), 4u);
  const std::vector<std::string> staying = {SenderOn(from, "m-stay-a-"), SenderOn(2, "m-stay-b-")};
  Writer writer(*store, {{moving[0], moving[1], staying[0]}, {moving[2], moving[3], staying[1]}});
  writer.Start();
  ASSERT_TRUE(WaitFor([&] { return writer.acked() >= 60; }, absl::Seconds(30)));
  const int64_t errors_before = Stat(from, "total_error_replies");

  absl::StatusOr<std::string> resharded =
      cluster().RedisCli({"--cluster", "reshard", absl::StrCat("127.0.0.1:", cluster().port(from)),
                          "--cluster-from", cluster().id(from), "--cluster-to", cluster().id(to),
                          "--cluster-slots", "1", "--cluster-yes"});
  const int64_t at_move = writer.acked();
  ASSERT_TRUE(resharded.ok()) << resharded.status();
  EXPECT_TRUE(WaitFor([&] { return writer.acked() >= at_move + 60; }, absl::Seconds(30)));
  writer.Stop();

  // The old owner redirected the store (MOVED, and ASK or TRYAGAIN during the move).
  const int64_t redirected = Stat(from, "total_error_replies") - errors_before;
  std::cout << "writes: " << writer.acked() << " acknowledged (" << at_move
            << " before the reshard ended), " << writer.attempts() << " attempts, "
            << writer.unavailable() << " UNAVAILABLE; " << redirected
            << " error replies (redirections) from the old owner\n";
  EXPECT_GE(redirected, 1);
  EXPECT_THAT(writer.problems(), ::testing::IsEmpty());
  ASSERT_TRUE(cluster().WaitUntilOk().ok());
  for (int node = 0; node < cluster().size(); ++node) {
    absl::StatusOr<int> owner = cluster().OwnerOf(slot, node);
    ASSERT_TRUE(owner.ok()) << owner.status();
    EXPECT_EQ(*owner, to) << "slot " << slot << " as node " << node << " sees it";
  }
  ExpectEveryAcknowledgedWriteCounted(*store, writer, moving, to);
  ExpectEveryAcknowledgedWriteCounted(*store, writer, staying, -1);
}

TEST_F(RedisClusterStoreTest, SlotMigratedByHandWhileWritingFollowsAskAndLosesNothing) {
  std::unique_ptr<RedisHistoryStore> store = NewStore(absl::Milliseconds(500));
  const std::string first = SenderOn(0, "m-ask-");
  const int slot = RedisKeySlot(first);
  const int from = 0;
  const int to = 2;
  std::vector<std::string> senders = SendersInSlot(slot, 4, "m-ask-");
  ASSERT_EQ(senders.size(), 4u);
  // `full` has all its keys, so that the target can serve it under ASKING while the slot is
  // half-moved (a script whose keys are not all on one node gets TRYAGAIN instead): enough
  // invitations for big mode (10 days old: outside the volume window), a response of each
  // kind, a release.
  const std::string full = senders[0];
  constexpr int kOld = redis_scripts::kSmallFields + 1;
  for (int i = 0; i < kOld; ++i) {
    const std::string n = absl::StrCat(i);
    ASSERT_TRUE(
        Blocking(store)
            .RecordInvitation(full, "old-" + n, "rk-old-" + n, T0() - absl::Hours(240), T0())
            .ok());
  }
  // With a note fingerprint: the sender has every kind of key (n too).
  ASSERT_TRUE(Await<WriteResult>([&](StoreDone<WriteResult> done) {
                store->RecordInvitation(full, "f-1", "rk-1", T0(), 0x5eed, T0(),
                                        absl::InfiniteFuture(), std::move(done));
              }).ok());
  ASSERT_TRUE(Blocking(store)
                  .RecordResponse(full, "f-1", "rk-1", v1::INVITATION_RESPONSE_ACCEPTED, T0(), T0())
                  .ok());
  ASSERT_TRUE(
      Blocking(store)
          .RecordResponse(full, "f-2", "rk-2", v1::INVITATION_RESPONSE_WITHDRAWN, T0(), T0())
          .ok());
  ASSERT_TRUE(
      Blocking(store)
          .RecordResponse(full, "f-3", "rk-3", v1::INVITATION_RESPONSE_REPORTED_SPAM, T0(), T0())
          .ok());
  ASSERT_TRUE(Blocking(store).Release(full, "ticket 1", T0()).ok());
  std::vector<std::string> full_keys = RedisHistoryStore::SenderKeys(full);
  std::vector<std::string> exists = {"EXISTS"};
  exists.insert(exists.end(), full_keys.begin(), full_keys.end());
  ASSERT_EQ(Integer(from, exists), static_cast<int64_t>(full_keys.size()));

  Writer writer(*store, {{senders[1], senders[2]}, {senders[3]}});
  writer.Start();
  ASSERT_TRUE(WaitFor([&] { return writer.acked() >= 40; }, absl::Seconds(30)));

  OpenMigration(slot, from, to);
  Migrate(from, to, full_keys);
  // Every key of `full` is on `to`, the slot is still `from`'s: `from` answers ASK, and only
  // ASKING gets the script run on `to`.
  const int64_t asking_before = Calls(to, "asking");
  absl::StatusOr<WriteResult> asked =
      Blocking(store).RecordInvitation(full, "f-4", "rk-4", T0(), T0());
  ASSERT_TRUE(asked.ok()) << asked.status();
  EXPECT_FALSE(asked->duplicate);
  EXPECT_EQ(asked->facts.invitations_in_volume_window, 2u);
  EXPECT_EQ(asked->facts.offense_count, 0u);
  EXPECT_EQ(asked->facts.reason, "ticket 1");
  EXPECT_GE(Calls(to, "asking") - asking_before, 1);
  ASSERT_EQ(Command(to, {"ASKING"}), "OK");
  EXPECT_EQ(SentOn(to, full), kOld + 2);

  // The rest, a few keys at a time, each batch after the writer tried again.
  for (std::vector<std::string> keys = KeysInSlot(from, slot, 2); !keys.empty();
       keys = KeysInSlot(from, slot, 2)) {
    Migrate(from, to, keys);
    const int64_t attempts = writer.attempts();
    ASSERT_TRUE(WaitFor([&] { return writer.attempts() > attempts; }, absl::Seconds(10)));
  }
  CloseMigration(slot, from, to);
  const int64_t at_move = writer.acked();
  ASSERT_TRUE(cluster().WaitUntilOk().ok());
  EXPECT_TRUE(WaitFor([&] { return writer.acked() >= at_move + 40; }, absl::Seconds(30)));
  writer.Stop();

  std::cout << "writes: " << writer.acked() << " acknowledged (" << at_move
            << " before the migration ended), " << writer.attempts() << " attempts, "
            << writer.unavailable() << " UNAVAILABLE\n";
  EXPECT_THAT(writer.problems(), ::testing::IsEmpty());
  EXPECT_EQ(Owner(full), to);
  ExpectEveryAcknowledgedWriteCounted(*store, writer, {senders[1], senders[2], senders[3]}, to);
  absl::StatusOr<SenderFacts> facts = Blocking(store).GetFacts(full, "rk-3", T0());
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(facts->invitations_in_volume_window, 2u);
  EXPECT_TRUE(facts->recipient_reported_sender);
  EXPECT_EQ(facts->withdrawn_at, absl::InfinitePast());  // rk-3 reported, rk-2 withdrew
}

// --- A master down, and back ----------------------------------------------------------------

TEST_F(RedisClusterStoreTest, KilledMasterAnswersUnavailableInTimeThenRecoversFromItsAof) {
  constexpr absl::Duration kTimeout = absl::Milliseconds(200);
  const absl::Duration kFailBound = kTimeout + absl::Milliseconds(300);  // a loaded machine
  std::unique_ptr<RedisHistoryStore> store = NewStore(kTimeout);
  const int victim = 1;
  const std::string sender = SenderOn(victim, "m-kill-");
  const std::string other = SenderOn(0, "m-live-");
  for (int i = 1; i <= 5; ++i) {
    absl::StatusOr<WriteResult> written = Blocking(store).RecordInvitation(
        sender, absl::StrCat("inv-", i), absl::StrCat("rk-", i), T0(), T0());
    ASSERT_TRUE(written.ok()) << written.status();
  }
  ASSERT_TRUE(Blocking(store).RecordInvitation(other, "inv-1", "rk-1", T0(), T0()).ok());
  ASSERT_TRUE(store->Ping().ok());

  ASSERT_TRUE(cluster().Kill(victim).ok());
  const std::vector<std::pair<std::string, std::function<absl::Status()>>> rpcs = {
      {"RecordInvitation",
       [&] {
         return Blocking(store).RecordInvitation(sender, "inv-down", "rk-d", T0(), T0()).status();
       }},
      {"GetFacts", [&] { return Blocking(store).GetFacts(sender, "", T0()).status(); }},
      {"BatchGetFacts",
       [&] {
         return Blocking(store).BatchGetFacts({{other, ""}, {sender, ""}}, T0()).status();
       }},
      {"Release", [&] { return Blocking(store).Release(sender, "r", T0()).status(); }},
      {"Ping", [&] { return store->Ping(); }},
  };
  for (int round = 0; round < 3; ++round) {
    for (const auto& [name, rpc] : rpcs) {
      const absl::Time start = absl::Now();
      const absl::Status status = rpc();
      const absl::Duration elapsed = absl::Now() - start;
      EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << name << ": " << status;
      EXPECT_THAT(std::string(status.message()), HasSubstr("redis unavailable")) << name;
      EXPECT_LT(elapsed, kFailBound) << name;
    }
  }

  // Back from its append-only file, on the same address: the store finds it by itself.
  ASSERT_TRUE(cluster().Restart(victim).ok());
  absl::StatusOr<SenderFacts> facts;
  const absl::Time restarted = absl::Now();
  ASSERT_TRUE(WaitFor(
      [&] {
        facts = Blocking(store).GetFacts(sender, "", T0());
        EXPECT_TRUE(facts.ok() || absl::IsUnavailable(facts.status())) << facts.status();
        return facts.ok();
      },
      absl::Seconds(30)))
      << facts.status();
  std::cout << "the store answered again " << absl::FormatDuration(absl::Now() - restarted)
            << " after the master restarted\n";
  EXPECT_EQ(facts->invitations_in_volume_window, 5u) << "every acknowledged write survived";
  ASSERT_TRUE(cluster().WaitUntilOk().ok());
  ASSERT_TRUE(store->Ping().ok());
  absl::StatusOr<WriteResult> after =
      Blocking(store).RecordInvitation(sender, "inv-6", "rk-6", T0(), T0());
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->facts.invitations_in_volume_window, 6u);
  absl::StatusOr<WriteResult> live =
      Blocking(store).RecordInvitation(other, "inv-2", "rk-2", T0(), T0());
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_EQ(live->facts.invitations_in_volume_window, 2u);
}

// A real failover: 3 masters with a replica each; a master dies, its replica is promoted,
// and the store finds the new master by itself (connection errors -> stale map -> CLUSTER
// SLOTS from a live node).
TEST(RedisClusterFailoverTest, PromotedReplicaTakesOverTheCallsAndTheData) {
  absl::StatusOr<std::unique_ptr<RedisCluster>> started = RedisCluster::Start(3, "", 1);
  ASSERT_TRUE(started.ok()) << started.status();
  RedisCluster& cluster = **started;
  absl::StatusOr<RedisOptions> options = ParseRedisUrl(cluster.url());
  ASSERT_TRUE(options.ok()) << options.status();
  options->timeout = absl::Milliseconds(300);
  options->write_timeout = options->timeout;
  RedisHistoryStore store(*options, StorePolicy());

  const std::string sender = "m-failover";
  const int slot = RedisKeySlot(sender);
  absl::StatusOr<int> master = cluster.OwnerOf(slot);
  ASSERT_TRUE(master.ok()) << master.status();
  int replica = -1;
  for (int node = 0; node < cluster.size(); ++node) {
    absl::StatusOr<std::string> role = cluster.Command(node, {"ROLE"});
    ASSERT_TRUE(role.ok()) << role.status();
    std::vector<std::string> fields = absl::StrSplit(*role, '\n');
    if (fields.size() >= 3 && fields[0] == "slave" &&
        fields[2] == absl::StrCat(cluster.port(*master))) {
      replica = node;
    }
  }
  ASSERT_GE(replica, 0) << "no replica of node " << *master;
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(
        Blocking(store)
            .RecordInvitation(sender, absl::StrCat("inv-", i), absl::StrCat("rk-", i), T0(), T0())
            .ok());
  }
  // Replication is asynchronous (a failover may lose the last writes a master acknowledged):
  // the test waits until the replica has them all.
  ASSERT_TRUE(cluster.Command(replica, {"READONLY"}).ok());
  ASSERT_TRUE(
      WaitFor([&] { return SentInvitationsOn(cluster, replica, sender) == 5; }, absl::Seconds(10)));

  ASSERT_TRUE(cluster.Kill(*master).ok());
  const absl::Time killed = absl::Now();
  const absl::Status down = Blocking(store).GetFacts(sender, "", T0()).status();
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable) << down;
  EXPECT_LT(absl::Now() - killed, absl::Milliseconds(600));
  absl::StatusOr<SenderFacts> facts;
  ASSERT_TRUE(WaitFor(
      [&] {
        facts = Blocking(store).GetFacts(sender, "", T0());
        EXPECT_TRUE(facts.ok() || absl::IsUnavailable(facts.status())) << facts.status();
        return facts.ok();
      },
      absl::Seconds(30)))
      << facts.status();
  std::cout << "the store answered again " << absl::FormatDuration(absl::Now() - killed)
            << " after the master was killed\n";
  EXPECT_EQ(facts->invitations_in_volume_window, 5u);
  absl::StatusOr<int> owner = cluster.OwnerOf(slot, replica);
  ASSERT_TRUE(owner.ok()) << owner.status();
  EXPECT_EQ(*owner, replica) << "the replica was promoted";
  absl::StatusOr<WriteResult> after =
      Blocking(store).RecordInvitation(sender, "inv-6", "rk-6", T0(), T0());
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->facts.invitations_in_volume_window, 6u);
  EXPECT_TRUE(WaitFor([&] { return store.Ping().ok(); }, absl::Seconds(10)));
}

// --- Without a 3-master cluster -------------------------------------------------------------

TEST(RedisClusterStoreSetupTest, TheConstructorOpensNoConnection) {
  // A seed that listens but never accepts: a connection attempt would wait in its backlog,
  // where poll() sees it. No timing involved.
  const int seed = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(seed, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(seed, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(seed, 16), 0);
  ASSERT_EQ(getsockname(seed, reinterpret_cast<sockaddr*>(&address), &length), 0);
  absl::StatusOr<RedisOptions> options =
      ParseRedisUrl(absl::StrCat("redis-cluster://127.0.0.1:", ntohs(address.sin_port)));
  ASSERT_TRUE(options.ok()) << options.status();
  {
    RedisHistoryStore store(*options, StorePolicy());
    pollfd pending{seed, POLLIN, 0};
    EXPECT_EQ(poll(&pending, 1, 0), 0) << "the constructor connected to the seed";
  }
  close(seed);
}

TEST(RedisClusterStoreSetupTest, DeadSeedsAnswerUnavailableQuickly) {
  absl::StatusOr<RedisOptions> options = ParseRedisUrl("redis-cluster://127.0.0.1:1,127.0.0.1:2");
  ASSERT_TRUE(options.ok()) << options.status();
  options->timeout = absl::Milliseconds(100);
  options->write_timeout = options->timeout;
  RedisHistoryStore store(*options, StorePolicy());
  for (int i = 0; i < 3; ++i) {
    const absl::Time start = absl::Now();
    const absl::Status status =
        Blocking(store).RecordInvitation("m-dead", "inv-1", "rk-1", T0(), T0()).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr("redis unavailable"));
    EXPECT_LT(absl::Now() - start, absl::Milliseconds(400));
    EXPECT_EQ(store.Ping().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(Blocking(store).BatchGetFacts({{"m-a", ""}, {"m-b", ""}}, T0()).status().code(),
              absl::StatusCode::kUnavailable);
  }
}

TEST(RedisClusterStoreSetupTest, PasswordFromTheUrlOnASingleNodeCluster) {
  // One master with cluster mode on and every slot assigned is a valid cluster (the deploy
  // test stands one in for production's).
  absl::StatusOr<std::unique_ptr<RedisCluster>> cluster = RedisCluster::Start(1, "s3cret99");
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  absl::StatusOr<RedisOptions> options = ParseRedisUrl((*cluster)->url());
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->password, "s3cret99");
  {
    RedisHistoryStore store(*options, StorePolicy());
    absl::StatusOr<WriteResult> written =
        Blocking(store).RecordInvitation("m-pw", "inv-1", "rk-1", T0(), T0());
    ASSERT_TRUE(written.ok()) << written.status();
    EXPECT_EQ(written->facts.invitations_in_volume_window, 1u);
    EXPECT_TRUE(store.Ping().ok());
  }
  options->password = "wrong-password";
  RedisHistoryStore wrong(*options, StorePolicy());
  const absl::Status status = Blocking(wrong).GetFacts("m-pw", "", T0()).status();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("wrong-password")));
}

TEST(RedisClusterStoreSetupTest, AClusterUrlOnAPlainRedisIsAnError) {
  absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<RedisOptions> options =
      ParseRedisUrl(absl::StrCat("redis-cluster://127.0.0.1:", (*server)->port()));
  ASSERT_TRUE(options.ok()) << options.status();
  RedisHistoryStore store(*options, StorePolicy());
  const absl::Status status = Blocking(store).GetFacts("m-x", "", T0()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("cluster support disabled"));
}

}  // namespace
}  // namespace etiquette::testing
