// What a run counts: successes and their latencies, failures by name, calls not sent; the
// percentiles of the latencies, and the process's own CPU time.
#ifndef ETIQUETTE_BENCH_LOADGEN_STATS_H_
#define ETIQUETTE_BENCH_LOADGEN_STATS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace etiquette::loadgen {

struct Totals {
  uint64_t ok = 0;
  std::map<std::string, uint64_t> errors;
  uint64_t dropped = 0;  // open loop: not sent, too many calls outstanding
  std::vector<int64_t> latencies_ns;
};

// Adds `from`'s counts and latencies to `into` (latencies appended, not sorted).
void AddTotals(Totals& into, const Totals& from);

// The p-quantile (0 < p <= 1, nearest rank) of `sorted` latencies in ns, in ms; 0 when empty.
double Percentile(const std::vector<int64_t>& sorted, double p);

// User + system CPU time this process used so far, in seconds (getrusage).
double CpuSeconds();

}  // namespace etiquette::loadgen

#endif  // ETIQUETTE_BENCH_LOADGEN_STATS_H_
