// A load generator thread: its completion queue, its call slots, and the two ways of driving
// them (closed loop, open loop). Counts what completes into its own Totals.
#ifndef ETIQUETTE_BENCH_LOADGEN_WORKER_H_
#define ETIQUETTE_BENCH_LOADGEN_WORKER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "bench/loadgen/calls.h"
#include "bench/loadgen/options.h"
#include "bench/loadgen/requests.h"
#include "bench/loadgen/stats.h"
#include "etiquette/v1/evaluator.pb.h"
#include "grpcpp/completion_queue.h"

namespace etiquette::loadgen {

class Worker {
 public:
  // `options`, `ids`, the stubs and `base` must outlive the worker. Worker `index` sends its
  // calls round-robin over `stubs` (one or more channels).
  Worker(const Options& options, const Ids& ids, int index, std::vector<Stubs*> stubs,
         const etiquette::v1::Invitation& base)
      : options_(options), ids_(ids), index_(index), stubs_(std::move(stubs)), base_(base) {}

  // Closed loop: `slots` calls in flight until `end` (or until `budget` calls were sent, when
  // it is non-null); counts completions in [window_start, end) (every one with a budget).
  // Leaves the queue open: call ShutdownQueue() afterwards.
  void RunClosed(int slots, Clock::time_point window_start, Clock::time_point end,
                 std::atomic<int64_t>* budget);

  // Open loop: sends at `rate` calls/s from `start` until `end`, from this thread; a poller
  // thread takes completions. Counts calls scheduled in [window_start, end), latency from
  // their scheduled time; a due call is not sent (counted as dropped, inside the window) while
  // --max_outstanding calls are in flight. Returns when every call sent has completed, the
  // queue shut down.
  void RunOpen(double rate, Clock::time_point start, Clock::time_point window_start,
               Clock::time_point end);

  // Shuts the completion queue down and drains it (after RunClosed).
  void ShutdownQueue();

  Totals& totals() { return totals_; }

 private:
  std::unique_ptr<Call> NewCall();
  void Record(const Call& call, Clock::time_point done);
  Stubs& NextStubs() { return *stubs_[next_stub_++ % stubs_.size()]; }

  const Options& options_;
  const Ids& ids_;
  const int index_;
  std::vector<Stubs*> stubs_;
  const etiquette::v1::Invitation& base_;
  grpc::CompletionQueue cq_;
  uint64_t seq_ = 0;
  uint64_t calls_made_ = 0;
  size_t next_stub_ = 0;
  uint64_t dropped_ = 0;
  Totals totals_;
};

}  // namespace etiquette::loadgen

#endif  // ETIQUETTE_BENCH_LOADGEN_WORKER_H_
