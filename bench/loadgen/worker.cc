#include "bench/loadgen/worker.h"

#include <cmath>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace etiquette::loadgen {

std::unique_ptr<Call> Worker::NewCall() {
  const uint64_t seed = (static_cast<uint64_t>(index_) << 32) + ++calls_made_;
  return MakeCall(options_.method, options_.batch_size, ids_, index_, seed, base_);
}

void Worker::Record(const Call& call, Clock::time_point done) {
  const std::string outcome = call.Outcome();
  if (outcome.empty()) {
    ++totals_.ok;
    totals_.latencies_ns.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(done - call.intended()).count());
  } else {
    ++totals_.errors[outcome];
  }
}

void Worker::RunClosed(int slots, Clock::time_point window_start, Clock::time_point end,
                       std::atomic<int64_t>* budget) {
  const auto deadline = std::chrono::milliseconds(options_.deadline_ms);
  std::vector<std::unique_ptr<Call>> calls;
  int outstanding = 0;
  auto try_start = [&](Call& call) {
    if (budget != nullptr && budget->fetch_sub(1) <= 0) return false;
    call.Start(NextStubs(), &cq_, seq_++, Clock::now(), deadline);
    ++outstanding;
    return true;
  };
  for (int i = 0; i < slots; ++i) {
    calls.push_back(NewCall());
    if (!try_start(*calls.back())) break;
  }
  void* tag = nullptr;
  bool ok = false;
  while (outstanding > 0 && cq_.Next(&tag, &ok)) {
    --outstanding;
    Call& call = *static_cast<Call*>(tag);
    const Clock::time_point now = Clock::now();
    if (budget != nullptr || (now >= window_start && now < end)) Record(call, now);
    if (budget != nullptr || now < end) try_start(call);
  }
}

void Worker::RunOpen(double rate, Clock::time_point start, Clock::time_point window_start,
                     Clock::time_point end) {
  const auto deadline = std::chrono::milliseconds(options_.deadline_ms);
  std::mutex mutex;
  std::vector<std::unique_ptr<Call>> all;  // owns every call object
  std::vector<Call*> free;                 // guarded by mutex
  int64_t outstanding = 0;                 // guarded by mutex
  bool sending_done = false;               // guarded by mutex
  std::condition_variable drained;

  std::thread poller([&] {
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
      Call* call = static_cast<Call*>(tag);
      const Clock::time_point now = Clock::now();
      if (call->intended() >= window_start && call->intended() < end) Record(*call, now);
      std::lock_guard<std::mutex> lock(mutex);
      free.push_back(call);
      if (--outstanding == 0 && sending_done) drained.notify_all();
    }
  });

  const double interval_ns = 1e9 / rate;
  for (uint64_t k = 0;; ++k) {
    const Clock::time_point due =
        start + std::chrono::nanoseconds(static_cast<int64_t>(std::llround(k * interval_ns)));
    if (due >= end) break;
    if (Clock::now() < due) std::this_thread::sleep_until(due);
    Call* call = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (outstanding >= options_.max_outstanding) {
        if (due >= window_start) ++dropped_;
        continue;
      }
      ++outstanding;
      if (!free.empty()) {
        call = free.back();
        free.pop_back();
      }
    }
    if (call == nullptr) {
      all.push_back(NewCall());
      call = all.back().get();
    }
    call->Start(NextStubs(), &cq_, seq_++, due, deadline);
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    sending_done = true;
    drained.wait(lock, [&] { return outstanding == 0; });
  }
  cq_.Shutdown();
  poller.join();
  totals_.dropped = dropped_;
}

void Worker::ShutdownQueue() {
  cq_.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq_.Next(&tag, &ok)) {
  }
}

}  // namespace etiquette::loadgen
