// SIGTERM in the middle of a burst (issue 12): 24 callers on one channel with the published
// service config (deploy/grpc/service-config.json), one replica. Every call is OK, or
// UNAVAILABLE refused before the server took it (the channel saw NOT_SERVING and sent nothing
// more), never CANCELLED or anything else; a caller that ignores health (a plain channel, or
// Kubernetes still routing to the pod) is still served during the drain delay; the process
// exits 0 within the delay and the grace. Then history with its calls waiting on a paused Redis:
// the drain waits for Redis' answers (the store is stopped only after the server), and they are OK.
#include <signal.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "drain/drain_support.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "gtest/gtest.h"
#include "support/redis_server.h"

namespace etiquette::drain {
namespace {

constexpr int kCallers = 24;

struct Outcome {
  absl::Time start;
  grpc::StatusCode code;
};

// The codes of `outcomes`, counted, as "OK 1234, UNAVAILABLE 3".
std::string CountCodes(const std::vector<Outcome>& outcomes) {
  std::map<int, int> counts;
  for (const Outcome& o : outcomes) ++counts[o.code];
  std::string text;
  for (const auto& [code, count] : counts) absl::StrAppend(&text, "code ", code, ": ", count, "; ");
  return text;
}

TEST(SigtermBurstTest, EvaluatorServesThroughTheDelayAndCancelsNothing) {
  faults::TempDir dir("etiquette-drain-burst");
  ASSERT_TRUE(dir.ok());
  constexpr int kDelayS = 2;
  constexpr int kGraceS = 5;
  absl::StatusOr<Server> evaluator = StartEvaluatorAt(
      dir.path(), 0, "evaluator.log",
      {absl::StrCat("--drain_delay_s=", kDelayS), absl::StrCat("--shutdown_grace_s=", kGraceS)});
  ASSERT_TRUE(evaluator.ok()) << evaluator.status();
  auto channel = BalancedChannel({evaluator->port});

  std::atomic<bool> exited{false};
  std::atomic<int> calls{0};
  std::mutex mutex;
  std::vector<Outcome> outcomes;
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      auto stub = v1::InvitationEvaluator::NewStub(channel);
      for (int i = 0; !exited.load(); ++i) {
        const v1::EvaluateRequest request = EvaluateRequestFor(absl::StrCat("b", c, "-", i));
        grpc::ClientContext context;
        faults::SetDeadline(context, absl::Seconds(10));
        v1::EvaluateResponse response;
        const absl::Time start = absl::Now();
        const grpc::Status status = stub->Evaluate(&context, request, &response);
        ++calls;
        std::lock_guard<std::mutex> lock(mutex);
        outcomes.push_back({start, status.error_code()});
      }
    });
  }
  // The burst is on: every caller has had calls answered.
  const absl::Time bound = absl::Now() + absl::Seconds(10);
  while (calls.load() < kCallers * 20 && absl::Now() < bound) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_GE(calls.load(), kCallers * 20);

  const absl::Time sigterm = absl::Now();
  ASSERT_TRUE(evaluator->process->Signal(SIGTERM).ok());
  // Unready at once, and still serving a caller that does not look at health.
  const absl::Time unready_bound = absl::Now() + absl::Milliseconds(500);
  while (HealthOf(evaluator->port) != grpc::health::v1::HealthCheckResponse::NOT_SERVING &&
         absl::Now() < unready_bound) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(HealthOf(evaluator->port), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  {
    grpc::ClientContext context;
    faults::SetDeadline(context, absl::Seconds(2));
    v1::EvaluateResponse response;
    const grpc::Status status = v1::InvitationEvaluator::NewStub(Plaintext(evaluator->port))
                                    ->Evaluate(&context, EvaluateRequestFor("in-delay"), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::OK) << status.error_message();
    EXPECT_LT(absl::Now(), sigterm + absl::Seconds(kDelayS)) << "the check came too late";
  }
  absl::StatusOr<int> exit_code =
      evaluator->process->WaitForExit(absl::Seconds(kDelayS + kGraceS + 5));
  const absl::Duration took = absl::Now() - sigterm;
  exited = true;
  for (std::thread& caller : callers) caller.join();
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0) << faults::LogTail(evaluator->process->log_path());
  EXPECT_LT(took, absl::Seconds(kDelayS + kGraceS));
  EXPECT_GE(took, absl::Seconds(kDelayS));

  int ok_after_sigterm = 0;
  int refused = 0;
  for (const Outcome& o : outcomes) {
    EXPECT_TRUE(o.code == grpc::StatusCode::OK || o.code == grpc::StatusCode::UNAVAILABLE)
        << "a call ended " << o.code << " (" << CountCodes(outcomes) << ")";
    if (o.code == grpc::StatusCode::UNAVAILABLE) ++refused;
    if (o.code == grpc::StatusCode::OK && o.start > sigterm) ++ok_after_sigterm;
  }
  faults::PrintFigures("SigtermBurstTest.Evaluator",
                       absl::StrCat(outcomes.size(), " calls by ", kCallers, " callers, ",
                                    ok_after_sigterm, " OK started after SIGTERM, ", refused,
                                    " UNAVAILABLE (refused by the channel), exit ", *exit_code,
                                    " after ", absl::ToInt64Milliseconds(took), " ms"));
}

TEST(SigtermBurstTest, HistoryWaitsForRedisBeforeItStops) {
  faults::TempDir dir("etiquette-drain-history");
  ASSERT_TRUE(dir.ok());
  absl::StatusOr<std::unique_ptr<testing::RedisServer>> redis = testing::RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  absl::StatusOr<Server> history = StartHistoryAt(
      dir.path(), (*redis)->url(), 0, "history.log",
      {"--drain_delay_s=0", "--shutdown_grace_s=10", "--redis_write_timeout_ms=5000"});
  ASSERT_TRUE(history.ok()) << history.status();
  auto stub = v1::SenderHistory::NewStub(Plaintext(history->port));
  {
    grpc::ClientContext context;
    faults::SetDeadline(context, absl::Seconds(5));
    v1::RecordInvitationRequest request;
    request.set_invitation_id("warm-up");
    request.set_sender_id("warm-sender");
    request.set_recipient_id("warm-recipient");
    v1::RecordInvitationResponse response;
    ASSERT_TRUE(stub->RecordInvitation(&context, request, &response).ok());
  }

  // Redis stops answering; every caller's write waits on it.
  ASSERT_TRUE((*redis)->Pause().ok());
  std::atomic<int> waiting{0};
  std::mutex mutex;
  std::vector<grpc::StatusCode> codes;
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      grpc::ClientContext context;
      faults::SetDeadline(context, absl::Seconds(20));
      v1::RecordInvitationRequest request;
      request.set_invitation_id(absl::StrCat("waiting-", c));
      request.set_sender_id(absl::StrCat("sender-", c));
      request.set_recipient_id(absl::StrCat("recipient-", c));
      v1::RecordInvitationResponse response;
      ++waiting;
      const grpc::Status status = stub->RecordInvitation(&context, request, &response);
      std::lock_guard<std::mutex> lock(mutex);
      codes.push_back(status.error_code());
    });
  }
  // The calls reached the server: its Redis connection has them queued (none can answer).
  const absl::Time bound = absl::Now() + absl::Seconds(10);
  while (waiting.load() < kCallers && absl::Now() < bound) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(waiting.load(), kCallers);
  absl::SleepFor(absl::Milliseconds(300));  // the calls' way to the server, not a sync point
  {
    std::lock_guard<std::mutex> lock(mutex);
    ASSERT_TRUE(codes.empty()) << "calls ended while Redis was paused";
  }

  ASSERT_TRUE(history->process->Signal(SIGTERM).ok());
  // The drain has begun (GOAWAY sent) while the calls still wait on Redis; then Redis answers.
  ASSERT_TRUE(history->process->WaitForLogLine("draining:", absl::Seconds(5)).ok())
      << faults::LogTail(history->process->log_path());
  EXPECT_TRUE(history->process->Running());
  ASSERT_TRUE((*redis)->Resume().ok());
  absl::StatusOr<int> exit_code = history->process->WaitForExit(absl::Seconds(15));
  for (std::thread& caller : callers) caller.join();
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0) << faults::LogTail(history->process->log_path());
  ASSERT_EQ(codes.size(), static_cast<size_t>(kCallers));
  for (grpc::StatusCode code : codes) EXPECT_EQ(code, grpc::StatusCode::OK);
  // Each write reached Redis.
  absl::StatusOr<std::string> keys = (*redis)->Command({"DBSIZE"});
  ASSERT_TRUE(keys.ok()) << keys.status();
}

}  // namespace
}  // namespace etiquette::drain
