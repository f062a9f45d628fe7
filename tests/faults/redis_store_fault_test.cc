// The Redis store while Redis is down, stalled (SIGSTOP), restarted from its append-only file or
// behind a replica, against a real redis-server per test: every call answers UNAVAILABLE within
// a bound (the timeout plus a margin for a loaded machine: a figure, hence here and not in the
// behaviour suite), writes outlast stalls that fail reads, nothing acknowledged is lost.

#include "tests/history/redis_history_store_fixture.h"

namespace etiquette::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

// How long a failing call may take: the timeout plus a margin for a loaded machine.
constexpr absl::Duration kFailBound = absl::Seconds(1);

// The store's timeout in these tests: short, so that the bounds below are short.
constexpr absl::Duration kTimeout = absl::Milliseconds(100);

// The fixture with a store that gives up after kTimeout.
class RedisStoreFaultTest : public RedisHistoryStoreTest {
 protected:
  absl::Duration StoreTimeout() const override { return kTimeout; }
};

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

TEST_F(RedisStoreFaultTest, KilledRedisAnswersUnavailableQuickly) {
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
TEST_F(RedisStoreFaultTest, StoreConnectsOnFirstCallNotWhenConstructed) {
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

TEST_F(RedisStoreFaultTest, StoreOnADeadPortAnswersUnavailable) {
  const int port = FreeTcpPort();
  ASSERT_GT(port, 0);
  RedisOptions options;
  options.port = port;  // nothing listens there
  options.timeout = kTimeout;
  options.write_timeout = options.timeout;
  RedisHistoryStore store(options, policy_);
  ExpectEveryRpcUnavailable(store, "m-nowhere");
}

TEST_F(RedisStoreFaultTest, StoppedRedisTimesOutAsUnavailableAndRecovers) {
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
TEST_F(RedisStoreFaultTest, WriteOutlastsAStallThatFailsReads) {
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
TEST_F(RedisStoreFaultTest, WriteToAStoppedRedisAnswersUnavailableAtItsBound) {
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
TEST_F(RedisStoreFaultTest, WaitForAReplicaAcknowledgesOnlyWritesTheReplicaHas) {
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

TEST_F(RedisStoreFaultTest, AcknowledgedWritesSurviveAKillAndTheStoreRecovers) {
  // About durability, not latency: no call may time out before the kill on a loaded machine.
  store_ = std::make_unique<RedisHistoryStore>(Options(kPatientTimeout), policy_);
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

}  // namespace
}  // namespace etiquette::testing
