#include "bench/loadgen/stats.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>

namespace etiquette::loadgen {

void AddTotals(Totals& into, const Totals& from) {
  into.ok += from.ok;
  into.dropped += from.dropped;
  for (const auto& [name, count] : from.errors) into.errors[name] += count;
  into.latencies_ns.insert(into.latencies_ns.end(), from.latencies_ns.begin(),
                           from.latencies_ns.end());
}

double Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)]) / 1e6;
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace etiquette::loadgen
