// etiquette-loadgen: a gRPC load generator for the etiquette services (async client API, one
// completion queue per thread, one or more channels, each its own TCP connection).
//
//   etiquette-loadgen --target=127.0.0.1:50051 --method=Evaluate --mode=closed --inflight=64
//   etiquette-loadgen --target=127.0.0.1:50051 --method=Evaluate --mode=open --rate=5000
//
// Closed loop: --inflight calls are always in flight; each completion starts the next call.
// Throughput and latency count the calls that complete inside the measurement window
// [warmup_s, warmup_s + duration_s).
//
// Open loop: calls are sent on a fixed schedule (--rate calls/s, evenly spaced), whether or not
// earlier calls have answered. Latency is measured from each call's *scheduled* send time, so
// a server (or client) that falls behind shows up in the latency instead of slowing the
// schedule down (no coordinated omission). The window counts the calls scheduled inside it,
// each waited for until it completes or its deadline passes.
//
// Every response's status is checked; a failed call (any status but OK, a batch answer of the
// wrong size or with a failed slot, a verdict that is "degraded" because the evaluator's
// history service did not answer) is counted under its status code (or DEGRADED, SLOT_<code>,
// WRONG_BATCH_SIZE, ...) and never as done.
// Prints a text report, and a JSON one with --json=FILE.
//
// --calls=N (closed loop): send exactly N calls, then stop (no warm-up, no window); used to
// count Redis commands per call. --populate_active_senders=K: make K senders "active" (20
// RecordInvitation + 5 RecordResponse each, sequentially) with ids <sender_prefix>-<k>, then
// exit; used to measure Redis memory per active sender.
//
// The pieces: options (flags), requests (ids, response mix), calls (one class per method),
// worker (the closed- and open-loop drivers), stats (latencies, CPU), report (text, JSON),
// populate (--populate_active_senders), run (a load run from start to report).
#include <optional>

#include "bench/loadgen/options.h"
#include "bench/loadgen/populate.h"
#include "bench/loadgen/run.h"

int main(int argc, char** argv) {
  etiquette::loadgen::Options options;
  if (std::optional<int> exit_code = etiquette::loadgen::ParseCommandLine(argc, argv, options)) {
    return *exit_code;
  }
  if (options.populate_active_senders > 0) {
    return etiquette::loadgen::PopulateActiveSenders(options);
  }
  if (!etiquette::loadgen::ValidateOptions(options)) return 2;
  return etiquette::loadgen::RunLoad(options);
}
