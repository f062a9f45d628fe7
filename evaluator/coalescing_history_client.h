#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "evaluator/history_client.h"

namespace etiquette {

// Most GetStanding calls sent together in one BatchGetStanding. History takes up to 1,000;
// 250 keep a batch's Redis pipeline short (Redis serves nothing else while it runs the
// scripts) and still let two slots carry 10,000 evaluations/s when history takes its whole
// 50 ms deadline to answer.
inline constexpr int kMaxCoalescedStandings = 250;

// A HistoryClient that keeps at most `max_in_flight` calls open to `inner` and, while they are
// all open, gathers the GetStanding calls that arrive: when one of the open calls finishes,
// every call gathered meanwhile (up to kMaxCoalescedStandings, oldest first) goes as one
// BatchGetStanding. A call that finds a free slot goes at once, unchanged, so nothing waits
// while history keeps up; under load, one client call (its serialization, HTTP/2 frames,
// system calls and callback) serves many evaluations instead of one each, in the evaluator,
// in history and in Redis (one pipelined round trip per batch).
//
// Deadlines hold: a gathered call's deadline is its own `timeout` from when it arrived; a
// batch's timeout is the earliest deadline among its calls, and a call whose deadline passed
// while it waited gets DEADLINE_EXCEEDED without being sent. A batch that fails gives every
// call in it the batch's error (each degrades as if its own call had failed).
//
// BatchGetStanding calls (EvaluateBatch) are already batches: they pass through, outside the
// slots. Thread-safe. The client must outlive every call: it does not touch itself after
// running the last `done` of a call, so it may be destroyed once every `done` has run.
class CoalescingHistoryClient final : public HistoryClient {
 public:
  // Told of each call sent for GetStanding calls: how many evaluations it carries (1: sent as
  // a GetStanding; more: one BatchGetStanding). Runs on the sending thread; must not block.
  using SentObserver = std::function<void(int evaluations)>;

  // `max_in_flight` >= 1; `on_sent` may be null.
  CoalescingHistoryClient(std::unique_ptr<HistoryClient> inner, int max_in_flight,
                          Clock clock = absl::Now, SentObserver on_sent = nullptr);

  void GetStanding(const v1::GetStandingRequest& request, absl::Duration timeout,
                   StandingDone done) override;
  void BatchGetStanding(const v1::BatchGetStandingRequest& request, absl::Duration timeout,
                        StandingsDone done) override;

 private:
  struct Waiting {
    v1::GetStandingRequest request;
    absl::Time deadline;
    StandingDone done;
  };

  // Sends one call on a slot already taken: `batch` alone as a GetStanding, several as a
  // BatchGetStanding. When it finishes, the slot serves what waits (SlotFreed).
  void Send(std::vector<Waiting> batch);
  // A call finished: the next batch of waiting calls goes on its slot, or the slot is freed;
  // then the calls that waited past their deadline are answered, and last `answer` runs (it
  // answers the finished call's evaluations). The client is not touched after the answers.
  void SlotFreed(const std::function<void()>& answer);

  const std::unique_ptr<HistoryClient> inner_;
  const int max_in_flight_;
  const Clock clock_;
  const SentObserver on_sent_;

  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Waiting> waiting_ ABSL_GUARDED_BY(mu_);
};

}  // namespace etiquette
