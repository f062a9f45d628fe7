// Redis SIGKILLed under load, then restarted (issue 5, "Faults and bad input"); and Redis
// frozen (SIGSTOP) under load, then resumed.
//
// The real etiquette-history (--redis_timeout_ms=100, --redis_write_timeout_ms=300) in front
// of a real redis-server (appendonly, appendfsync always). Several client threads record
// invitations and responses through history's gRPC API, each item with a fresh invitation id; a
// failed call is retried with the same ids, as a real client would, until it is acknowledged.
// Mid-run Redis is SIGKILLed (or SIGSTOPped), stays down ~1.5 s, and is restarted on the same port
// and dir (it reloads its append-only file; or SIGCONTinued). Checked:
//   - every call answers OK or UNAVAILABLE, never anything else; every failed call answers
//     within 1 s (the Redis timeouts plus gRPC), no call takes 2 s (no hangs);
//   - every call that started after the fault and ended before the repair is UNAVAILABLE;
//   - once Redis answers again, history serves again within 1 s, by itself (a read, and a
//     write from the load);
//   - every acknowledged RecordInvitation and RecordResponse is in Redis afterwards, counted
//     per sender through GetStanding and directly in Redis: invitations, reporters, accepted;
//   - retries never double count (counts equal distinct ids, not attempts), and a fresh id is
//     never answered duplicate=true on its first attempt.
// The figures go to stdout ("[figures] redis_sigkill: ...") and to the test's properties.
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "faults/fault_support.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "history/redis_history_store.h"
#include "history/redis_scripts.h"
#include "support/redis_server.h"
#include "support/stored_invitations.h"

namespace etiquette::faults {
namespace {

using testing::RedisServer;
using testing::StoredInvitationsScript;

// History's bounds on Redis reads and writes. Writes get less than the deployed 2 s, so that
// the outage below is several write timeouts long.
constexpr int kRedisTimeoutMs = 100;
constexpr int kRedisWriteTimeoutMs = 300;
constexpr int kThreads = 4;
// Each sender gets this many consecutive items of one thread, then the thread moves to a new
// sender: reports are spread over the whole run, before, during and after the outage.
constexpr int kItemsPerSender = 32;
constexpr absl::Duration kWarmUp = absl::Seconds(1);
constexpr absl::Duration kOutage = absl::Milliseconds(1500);
constexpr absl::Duration kAfterRestart = absl::Milliseconds(1500);
// Client side: a call's deadline (far above the service's own bound, so that a hang shows),
// the pause before a retry, and how long an item may keep failing before the test gives up.
constexpr absl::Duration kCallDeadline = absl::Seconds(5);
constexpr absl::Duration kRetryPause = absl::Milliseconds(20);
constexpr absl::Duration kRetryBound = absl::Seconds(20);
// What is asserted.
constexpr absl::Duration kMaxFailedCall = absl::Seconds(1);
constexpr absl::Duration kMaxAnyCall = absl::Seconds(2);
constexpr absl::Duration kMaxRecovery = absl::Seconds(1);

enum class Kind { kInvitation, kResponse, kProbe };

struct CallRecord {
  absl::Time start;
  absl::Time end;
  grpc::StatusCode code;
  Kind kind;
};

// What one sender's client had acknowledged.
struct SenderTally {
  std::string sender;
  int invitations = 0;     // RecordInvitation acknowledged (distinct ids)
  int reports = 0;         // RecordResponse REPORTED_UNKNOWN acknowledged (distinct recipients)
  int accepted = 0;        // RecordResponse ACCEPTED acknowledged
  int unacknowledged = 0;  // items given up after kRetryBound (the test fails then)
};

struct WorkerResult {
  std::vector<CallRecord> calls;
  std::vector<SenderTally> senders;
  int retried_items = 0;            // items whose first attempt failed
  int duplicate_on_retry = 0;       // ... and whose retry found the failed attempt applied
  int duplicate_first_attempt = 0;  // a fresh id answered duplicate=true: double bookkeeping
  std::string failure;              // first item that could not be acknowledged
};

// The response a thread records for the k-th item of a sender: 8 accepted, 8 ignored, 4
// "I don't know this person" (distinct recipients; the 5th would start a restriction), the
// other 12 left pending.
v1::InvitationResponse ResponseFor(int k) {
  if (k % 4 == 0) return v1::INVITATION_RESPONSE_ACCEPTED;
  if (k % 4 == 2) return v1::INVITATION_RESPONSE_IGNORED;
  if (k % 8 == 3) return v1::INVITATION_RESPONSE_REPORTED_UNKNOWN;
  return v1::INVITATION_RESPONSE_UNSPECIFIED;  // no response
}

class RedisFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    absl::StatusOr<Server> history = StartHistory(dir_.path(), redis_->url(), 0, "history.log",
                                                  kRedisTimeoutMs, kRedisWriteTimeoutMs);
    ASSERT_TRUE(history.ok()) << history.status();
    history_ = *std::move(history);
    stub_ = v1::SenderHistory::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", history_.port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (HasFailure() && history_.process != nullptr) {
      std::cerr << "history log (lines other than info, grouped):\n"
                << NonInfoSummary(history_.process->log_path()) << "\n";
    }
    history_.process.reset();
    redis_.reset();
  }

  // Calls `attempt` (one RPC: returns its status, sets `*duplicate` from the answer) until it
  // succeeds or kRetryBound passed, kRetryPause between attempts. Records every call. True
  // when acknowledged; `*first_try` says whether the first attempt was.
  template <typename Attempt>
  bool UntilAcknowledged(Kind kind, Attempt attempt, WorkerResult* out, bool* first_try,
                         bool* duplicate) {
    const absl::Time give_up = absl::Now() + kRetryBound;
    *first_try = true;
    for (;;) {
      grpc::ClientContext context;
      SetDeadline(context, kCallDeadline);
      const absl::Time start = absl::Now();
      const grpc::Status status = attempt(&context, duplicate);
      out->calls.push_back({start, absl::Now(), status.error_code(), kind});
      if (status.ok()) return true;
      *first_try = false;
      if (absl::Now() >= give_up) return false;
      absl::SleepFor(kRetryPause);
    }
  }

  void Worker(int thread, const std::atomic<bool>& stop, WorkerResult* out) {
    for (int n = 0; !stop.load(); ++n) {
      const int k = n % kItemsPerSender;
      if (k == 0) out->senders.push_back({absl::StrCat("f1-s", thread, "-", n / kItemsPerSender)});
      SenderTally& tally = out->senders.back();
      const std::string invitation = absl::StrCat("f1-t", thread, "-i", n);
      const std::string recipient = absl::StrCat("f1-t", thread, "-r", n);
      bool first_try = true;
      bool duplicate = false;

      v1::RecordInvitationRequest sent;
      sent.set_invitation_id(invitation);
      sent.set_sender_id(tally.sender);
      sent.set_recipient_id(recipient);
      const bool recorded = UntilAcknowledged(
          Kind::kInvitation,
          [&](grpc::ClientContext* context, bool* dup) {
            v1::RecordInvitationResponse response;
            grpc::Status status = stub_->RecordInvitation(context, sent, &response);
            *dup = response.duplicate();
            return status;
          },
          out, &first_try, &duplicate);
      if (!recorded) {
        ++tally.unacknowledged;
        out->failure = absl::StrCat("RecordInvitation ", invitation, " never acknowledged");
        return;
      }
      ++tally.invitations;
      if (!first_try) ++out->retried_items;
      if (first_try && duplicate) ++out->duplicate_first_attempt;
      if (!first_try && duplicate) ++out->duplicate_on_retry;

      const v1::InvitationResponse answer = ResponseFor(k);
      if (answer == v1::INVITATION_RESPONSE_UNSPECIFIED) continue;
      v1::RecordResponseRequest response_request;
      response_request.set_invitation_id(invitation);
      response_request.set_sender_id(tally.sender);
      response_request.set_recipient_id(recipient);
      response_request.set_response(answer);
      const bool answered = UntilAcknowledged(
          Kind::kResponse,
          [&](grpc::ClientContext* context, bool* dup) {
            v1::RecordResponseResponse response;
            grpc::Status status = stub_->RecordResponse(context, response_request, &response);
            *dup = response.duplicate();
            return status;
          },
          out, &first_try, &duplicate);
      if (!answered) {
        ++tally.unacknowledged;
        out->failure = absl::StrCat("RecordResponse ", invitation, " never acknowledged");
        return;
      }
      if (answer == v1::INVITATION_RESPONSE_ACCEPTED) ++tally.accepted;
      if (answer == v1::INVITATION_RESPONSE_REPORTED_UNKNOWN) ++tally.reports;
      if (!first_try) ++out->retried_items;
      if (first_try && duplicate) ++out->duplicate_first_attempt;
      if (!first_try && duplicate) ++out->duplicate_on_retry;
    }
  }

  void RunScenario(const std::string& name, const std::function<absl::Status()>& inject,
                   const std::function<absl::Status()>& heal);

  // A ZCARD in Redis as a number (-1 on error).
  int64_t Zcard(const std::string& key) {
    absl::StatusOr<std::string> reply = redis_->Command({"ZCARD", key});
    int64_t value = -1;
    if (!reply.ok() || !absl::SimpleAtoi(*reply, &value)) return -1;
    return value;
  }

  // What a sender's h key holds, by the layout's own script (history/redis_scripts.h):
  // {sent, accepted, known only from a response, ...}; empty on error.
  std::vector<int64_t> Stored(const std::string& sender) {
    absl::StatusOr<std::string> reply = redis_->Command(
        {"EVAL_RO", StoredInvitationsScript(), "1", RedisHistoryStore::SenderKeys(sender)[0]});
    std::vector<int64_t> values;
    if (!reply.ok()) return values;
    for (absl::string_view line : absl::StrSplit(*reply, '\n')) {
      int64_t value = -1;
      if (!absl::SimpleAtoi(line, &value)) return {};
      values.push_back(value);
    }
    return values;
  }

  TempDir dir_{"etiquette-faults-redis"};
  std::unique_ptr<RedisServer> redis_;
  Server history_;
  std::unique_ptr<v1::SenderHistory::Stub> stub_;
};

// The scenario both tests run: load, `inject` the fault, kOutage, `heal` it (returns once
// Redis answers again), load, then the checks. `name` prefixes the figures.
void RedisFaultTest::RunScenario(const std::string& name,
                                 const std::function<absl::Status()>& inject,
                                 const std::function<absl::Status()>& heal) {
  std::atomic<bool> stop{false};
  std::vector<WorkerResult> results(kThreads);
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([this, t, &stop, &results] { Worker(t, stop, &results[t]); });
  }

  absl::SleepFor(kWarmUp);
  const absl::Time kill_start = absl::Now();
  const absl::Status killed = inject();
  const absl::Time killed_at = absl::Now();
  absl::SleepFor(kOutage);
  const absl::Time restart_start = absl::Now();
  const absl::Status restarted = heal();
  const absl::Time back_at = absl::Now();  // Redis answers again

  // The first call that succeeds once Redis is back (a read: GetStanding of a fresh sender).
  std::vector<CallRecord> probes;
  absl::Time recovered_at = absl::InfiniteFuture();
  while (restarted.ok() && absl::Now() < back_at + absl::Seconds(10)) {
    grpc::ClientContext context;
    SetDeadline(context, kCallDeadline);
    v1::GetStandingRequest request;
    request.set_sender_id("f1-probe");
    v1::GetStandingResponse response;
    const absl::Time start = absl::Now();
    const grpc::Status status = stub_->GetStanding(&context, request, &response);
    probes.push_back({start, absl::Now(), status.error_code(), Kind::kProbe});
    if (status.ok()) {
      recovered_at = absl::Now();
      break;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  absl::SleepFor(kAfterRestart);
  stop = true;
  for (std::thread& worker : workers) worker.join();
  ASSERT_TRUE(killed.ok()) << killed;
  ASSERT_TRUE(restarted.ok()) << restarted;

  // --- Every call: OK or UNAVAILABLE, bounded.
  std::vector<CallRecord> calls = probes;
  for (const WorkerResult& result : results) {
    calls.insert(calls.end(), result.calls.begin(), result.calls.end());
  }
  std::map<grpc::StatusCode, int> codes;
  int ok_before_kill = 0, outage_calls = 0, ok_after_restart = 0, writes_ok_after_restart = 0;
  absl::Duration max_failed = absl::ZeroDuration(), max_outage = absl::ZeroDuration(),
                 max_any = absl::ZeroDuration();
  absl::Time first_write_after_restart = absl::InfiniteFuture();
  for (const CallRecord& call : calls) {
    const absl::Duration took = call.end - call.start;
    ++codes[call.code];
    max_any = std::max(max_any, took);
    EXPECT_TRUE(call.code == grpc::StatusCode::OK || call.code == grpc::StatusCode::UNAVAILABLE)
        << "a call answered " << call.code << " (only OK and UNAVAILABLE are expected)";
    if (call.code != grpc::StatusCode::OK) max_failed = std::max(max_failed, took);
    if (call.code == grpc::StatusCode::OK && call.end < kill_start) ++ok_before_kill;
    if (call.start >= killed_at && call.end <= restart_start) {
      ++outage_calls;
      max_outage = std::max(max_outage, took);
      EXPECT_EQ(call.code, grpc::StatusCode::UNAVAILABLE)
          << "a call made while Redis was down did not answer UNAVAILABLE";
    }
    if (call.code == grpc::StatusCode::OK && call.start >= back_at) ++ok_after_restart;
    if (call.code == grpc::StatusCode::OK && call.kind != Kind::kProbe && call.end >= back_at) {
      ++writes_ok_after_restart;
      first_write_after_restart = std::min(first_write_after_restart, call.end);
    }
  }
  EXPECT_GT(ok_before_kill, 0) << "no load before the kill";
  EXPECT_GE(outage_calls, kThreads) << "the outage was not exercised";
  EXPECT_GT(ok_after_restart, 0) << "no successful call after the restart";
  EXPECT_LT(max_failed, kMaxFailedCall) << "a failed call took too long (hang?)";
  EXPECT_LT(max_any, kMaxAnyCall) << "a call took too long (hang?)";
  const absl::Duration recovery = recovered_at - back_at;
  EXPECT_LT(recovery, kMaxRecovery) << "history did not serve again within 1 s of Redis";
  const absl::Duration write_recovery =
      std::max(absl::ZeroDuration(), first_write_after_restart - back_at);
  EXPECT_LT(write_recovery, kMaxRecovery) << "no write acknowledged within 1 s of Redis";

  // --- Nothing acknowledged was lost, nothing was counted twice.
  int invitations = 0, reports = 0, accepted = 0, senders = 0, retried = 0, dup_retry = 0;
  for (const WorkerResult& result : results) {
    EXPECT_TRUE(result.failure.empty()) << result.failure;
    EXPECT_EQ(result.duplicate_first_attempt, 0)
        << "a fresh invitation id was answered duplicate=true on its first attempt";
    retried += result.retried_items;
    dup_retry += result.duplicate_on_retry;
    for (const SenderTally& tally : result.senders) {
      ++senders;
      invitations += tally.invitations;
      reports += tally.reports;
      accepted += tally.accepted;
      SCOPED_TRACE(tally.sender);
      grpc::ClientContext context;
      SetDeadline(context, kCallDeadline);
      v1::GetStandingRequest request;
      request.set_sender_id(tally.sender);
      v1::GetStandingResponse response;
      const grpc::Status status = stub_->GetStanding(&context, request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      const v1::SenderStanding& standing = response.standing();
      // An item given up on may or may not have been stored; acknowledged ones must be.
      EXPECT_GE(standing.invitations_last_7d(), static_cast<uint32_t>(tally.invitations));
      EXPECT_LE(standing.invitations_last_7d(),
                static_cast<uint32_t>(tally.invitations + tally.unacknowledged));
      EXPECT_EQ(standing.reports_in_window(), static_cast<uint32_t>(tally.reports));
      EXPECT_EQ(standing.spam_reports_in_window(), 0u);
      EXPECT_EQ(standing.offense_count(), 0u);
      EXPECT_EQ(standing.state(),
                tally.reports >= 3 ? v1::STANDING_STATE_WARNED : v1::STANDING_STATE_GOOD);
      if (tally.invitations > 0) {
        EXPECT_DOUBLE_EQ(standing.acceptance_rate(),
                         static_cast<double>(tally.accepted) / tally.invitations);
      }
      // The same, counted in Redis itself.
      const std::vector<int64_t> stored = Stored(tally.sender);
      ASSERT_GE(stored.size(), 3u) << tally.sender;
      EXPECT_EQ(stored[0], standing.invitations_last_7d());
      EXPECT_EQ(stored[1], tally.accepted);
      EXPECT_EQ(Zcard(RedisHistoryStore::SenderKeys(tally.sender)[2]), tally.reports);
      EXPECT_EQ(stored[2], 0) << "a response arrived before its invitation";
    }
  }

  const std::string figures = absl::StrCat(
      "calls=", calls.size(), " ok=", codes[grpc::StatusCode::OK],
      " unavailable=", codes[grpc::StatusCode::UNAVAILABLE], " outage_calls=", outage_calls,
      " outage_call_max_ms=", Ms(max_outage), " failed_call_max_ms=", Ms(max_failed),
      " any_call_max_ms=", Ms(max_any), " inject_ms=", Ms(killed_at - kill_start),
      " heal_ms(until redis answers)=", Ms(back_at - restart_start),
      " recovery_ms(read)=", Ms(recovery), " recovery_ms(first write)=", Ms(write_recovery),
      " senders=", senders, " acknowledged_invitations=", invitations,
      " acknowledged_reports=", reports, " acknowledged_accepted=", accepted,
      " retried_items=", retried, " applied_before_failure(duplicate on retry)=", dup_retry);
  PrintFigures(name, figures);
  RecordProperty("outage_call_max_ms", static_cast<int>(Ms(max_outage) + 0.5));
  RecordProperty("failed_call_max_ms", static_cast<int>(Ms(max_failed) + 0.5));
  RecordProperty("recovery_ms", static_cast<int>(Ms(recovery) + 0.5));
  RecordProperty("first_write_recovery_ms", static_cast<int>(Ms(write_recovery) + 0.5));
  RecordProperty("acknowledged_invitations", invitations);
  RecordProperty("acknowledged_reports", reports);
  RecordProperty("retried_items", retried);
}

TEST_F(RedisFaultTest, SigkilledUnderLoadFailsFastRecoversAndLosesNoAcknowledgedWrite) {
  // SIGKILL: no shutdown, no fsync beyond appendfsync always; the restart reloads the
  // append-only file from the same dir, on the same port, and waits for PING.
  RunScenario(
      "redis_sigkill", [this] { return redis_->Kill(); }, [this] { return redis_->Restart(); });
}

TEST_F(RedisFaultTest, FrozenUnderLoadTimesOutRecoversAndNeverDoubleCounts) {
  // SIGSTOP: Redis accepts connections (the kernel does) but never answers, so every call
  // must give up after --redis_timeout_ms (reads) or --redis_write_timeout_ms. The commands of the
  // abandoned attempts wait in Redis' sockets and all run after SIGCONT, next to their retries: the
  // same ids, many times.
  RunScenario(
      "redis_sigstop", [this] { return redis_->Pause(); }, [this] { return redis_->Resume(); });
}

}  // namespace
}  // namespace etiquette::faults
