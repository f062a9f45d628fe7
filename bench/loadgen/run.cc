#include "bench/loadgen/run.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/loadgen/calls.h"
#include "bench/loadgen/report.h"
#include "bench/loadgen/requests.h"
#include "bench/loadgen/stats.h"
#include "bench/loadgen/worker.h"
#include "bench/typical_invitation.h"

namespace etiquette::loadgen {

int RunLoad(const Options& options) {
  Ids ids;
  ids.prefix = options.id_prefix.empty()
                   ? absl::StrCat("inv-", absl::ToUnixMicros(absl::Now()) % 10000000000, "-")
                   : options.id_prefix;
  ids.senders = options.senders;
  ids.recipients = options.recipients;
  const etiquette::v1::Invitation base =
      etiquette::bench::TypicalInvitation(absl::ToUnixSeconds(absl::Now()));

  std::vector<std::unique_ptr<Stubs>> stubs;
  for (int c = 0; c < options.channels; ++c) {
    std::shared_ptr<grpc::Channel> channel = MakeChannel(options.target, c);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
      std::cerr << "cannot connect to " << options.target << "\n";
      return 1;
    }
    auto s = std::make_unique<Stubs>();
    s->evaluator = etiquette::v1::InvitationEvaluator::NewStub(channel);
    s->history = etiquette::v1::SenderHistory::NewStub(channel);
    stubs.push_back(std::move(s));
  }
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < options.threads; ++t) {
    std::vector<Stubs*> mine;
    for (int c = t; c < options.channels; c += options.threads) mine.push_back(stubs[c].get());
    if (mine.empty()) mine.push_back(stubs[t % options.channels].get());
    workers.push_back(std::make_unique<Worker>(options, ids, t, mine, base));
  }

  const Clock::time_point start = Clock::now();
  const Clock::time_point window_start =
      start + std::chrono::nanoseconds(static_cast<int64_t>(options.warmup_value * 1e9));
  const Clock::time_point end =
      options.calls > 0
          ? Clock::time_point::max()
          : window_start +
                std::chrono::nanoseconds(static_cast<int64_t>(options.duration_value * 1e9));
  std::atomic<int64_t> budget{options.calls};
  double cpu_at_window = -1;
  std::mutex cpu_mutex;
  // Samples the process CPU time at the window's start (the main thread sleeps until then).
  std::thread cpu_sampler([&] {
    if (options.calls == 0) std::this_thread::sleep_until(window_start);
    std::lock_guard<std::mutex> lock(cpu_mutex);
    cpu_at_window = CpuSeconds();
  });

  std::vector<std::thread> threads;
  for (int t = 0; t < options.threads; ++t) {
    Worker* worker = workers[t].get();
    if (options.mode == "closed") {
      const int slots =
          options.inflight / options.threads + (t < options.inflight % options.threads);
      threads.emplace_back([&, worker, slots] {
        worker->RunClosed(slots, window_start, end, options.calls > 0 ? &budget : nullptr);
      });
    } else {
      const double rate = options.rate_value / options.threads;
      // Threads start their schedules staggered, so that their calls interleave evenly.
      const Clock::time_point thread_start =
          start + std::chrono::nanoseconds(static_cast<int64_t>(1e9 / options.rate_value * t));
      threads.emplace_back([&, worker, rate, thread_start] {
        worker->RunOpen(rate, thread_start, window_start, end);
      });
    }
  }
  cpu_sampler.join();
  for (std::thread& thread : threads) thread.join();
  const Clock::time_point finished = Clock::now();
  const double cpu_end = CpuSeconds();
  if (options.mode == "closed") {
    for (auto& worker : workers) worker->ShutdownQueue();
  }

  Report report;
  report.options = &options;
  report.nproc = sysconf(_SC_NPROCESSORS_ONLN);
  if (options.calls > 0) {
    report.window_s = std::chrono::duration<double>(finished - start).count();
  } else {
    report.window_s = options.duration_value;
  }
  // CPU from the window's start to the last completion (open loop: the drain included).
  report.cpu_s = cpu_end - cpu_at_window;
  report.cpu_wall_s =
      std::chrono::duration<double>(finished - (options.calls > 0 ? start : window_start)).count();
  for (auto& worker : workers) AddTotals(report.totals, worker->totals());
  std::sort(report.totals.latencies_ns.begin(), report.totals.latencies_ns.end());
  if (!options.quiet) std::cout << report.Text() << std::flush;
  if (!options.json.empty()) {
    FILE* file = std::fopen(options.json.c_str(), "w");
    if (file == nullptr) {
      std::cerr << "cannot write " << options.json << "\n";
      return 1;
    }
    const std::string json = report.Json();
    std::fwrite(json.data(), 1, json.size(), file);
    std::fclose(file);
  }
  return 0;
}

}  // namespace etiquette::loadgen
