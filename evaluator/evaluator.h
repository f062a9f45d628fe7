#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "etiquette/v1/evaluator.pb.h"
#include "evaluator/history_client.h"
#include "evaluator/rules_engine.h"

namespace etiquette {

// Maximum invitations in one EvaluateBatch call.
inline constexpr int kMaxBatchSize = 1000;

// How long a call waits for history's answer before judging without it.
inline constexpr absl::Duration kDefaultHistoryTimeout = absl::Milliseconds(50);

// What to do when the history service does not answer.
enum class HistoryFailMode {
  kOpen,    // judge without it: degraded=true, INFO history-unavailable
  kClosed,  // hold the invitation: DEFER with history-unavailable
};

// The evaluator's business logic, free of gRPC: validates requests, fills in defaults, asks the
// history service (when there is one) and the rules engine. Never fails a call because history
// did. Thread-safe.
//
// Asynchronous, so that no thread waits for history: Evaluate and EvaluateBatch return at once
// and run `done` exactly once. `done` runs inline, before they return, when the request is
// refused, when there is no history service or when no invitation needs it; otherwise on the
// thread that gets history's answer, within about `history_timeout`. `done` must not block (it
// may run on gRPC's callback threads). The request must stay valid and unchanged until `done`
// has run, and the evaluator (and its history client) must outlive every call.
class Evaluator {
 public:
  using VerdictDone = std::function<void(absl::StatusOr<v1::Verdict>)>;
  using BatchDone = std::function<void(absl::StatusOr<v1::EvaluateBatchResponse>)>;
  // True once the caller has gone (cancelled, or past its deadline): long work stops.
  // Called from whichever thread runs the work; must be cheap and thread-safe.
  using IsCancelled = std::function<bool()>;

  // `history` may be null (standalone); it must outlive the evaluator.
  explicit Evaluator(std::shared_ptr<const RulesEngine> engine, Clock clock = absl::Now,
                     HistoryClient* history = nullptr,
                     HistoryFailMode fail_mode = HistoryFailMode::kOpen,
                     absl::Duration history_timeout = kDefaultHistoryTimeout);

  // INVALID_ARGUMENT, naming every bad field, when the invitation breaks the contract.
  void Evaluate(const v1::EvaluateRequest& request, VerdictDone done) const;
  // The same, building the verdict in `verdict` (empty, possibly on an arena; it must stay
  // valid until `done` has run, and is complete when `done` gets OK).
  using StatusDone = std::function<void(absl::Status)>;
  void Evaluate(const v1::EvaluateRequest& request, v1::Verdict* verdict, StatusDone done) const;
  // INVALID_ARGUMENT for the call when the batch is empty or has more than kMaxBatchSize
  // invitations; a bad invitation inside fails only its own slot. One BatchGetStanding covers
  // the valid slots. `cancelled` (null: never) is asked before each invitation is validated
  // and before each is judged; once it answers true the batch stops there and ends CANCELLED.
  void EvaluateBatch(const v1::EvaluateBatchRequest& request, BatchDone done,
                     IsCancelled cancelled = nullptr) const;

  // The same, waiting for the answer: for tests and tools. Blocks the calling thread for up to
  // the history timeout, so never call them from a gRPC callback handler.
  absl::StatusOr<v1::Verdict> Evaluate(const v1::EvaluateRequest& request) const;
  absl::StatusOr<v1::EvaluateBatchResponse> EvaluateBatch(const v1::EvaluateBatchRequest& request,
                                                          IsCancelled cancelled = nullptr) const;

  v1::ListRulesResponse ListRules() const;

  // Swaps in new rules (hot reload). Calls already running finish with the old ones.
  void ReplaceEngine(std::shared_ptr<const RulesEngine> engine);
  std::shared_ptr<const RulesEngine> engine() const { return std::atomic_load(&engine_); }

 private:
  // Judges a valid invitation with `engine` given what history answered (`standing` null when
  // there is no history service), into `verdict` (empty).
  void Judge(const RulesEngine& engine, const v1::Invitation& invitation, absl::Time now,
             const absl::StatusOr<v1::SenderStanding>* standing, v1::Verdict* verdict) const;

  // Read and replaced with std::atomic_load/atomic_store only.
  std::shared_ptr<const RulesEngine> engine_;
  Clock clock_;
  HistoryClient* const history_;
  const HistoryFailMode fail_mode_;
  const absl::Duration history_timeout_;
};

}  // namespace etiquette
