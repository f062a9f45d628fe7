// A load run: connects, starts the workers in the chosen mode, measures, and reports.
#ifndef ETIQUETTE_BENCH_LOADGEN_RUN_H_
#define ETIQUETTE_BENCH_LOADGEN_RUN_H_

#include "bench/loadgen/options.h"

namespace etiquette::loadgen {

// Runs the load `options` describes (validated by ValidateOptions): one channel per
// --channels, each connected first (5 s at most); --threads workers, each on its own share of
// the channels, closed loop (--inflight spread over the threads) or open loop (--rate spread
// over the threads, their schedules staggered). Prints the text report unless --quiet and
// writes the JSON one to --json. Returns the exit code: 0, or 1 when a channel does not
// connect or the JSON file cannot be written.
int RunLoad(const Options& options);

}  // namespace etiquette::loadgen

#endif  // ETIQUETTE_BENCH_LOADGEN_RUN_H_
