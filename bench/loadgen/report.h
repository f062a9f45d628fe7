// The report of a load run: the text one (stdout) and the JSON one (--json=FILE), whose field
// names bench/run.sh reads.
#ifndef ETIQUETTE_BENCH_LOADGEN_REPORT_H_
#define ETIQUETTE_BENCH_LOADGEN_REPORT_H_

#include <cstdint>
#include <string>

#include "bench/loadgen/options.h"
#include "bench/loadgen/stats.h"

namespace etiquette::loadgen {

struct Report {
  const Options* options;
  double window_s = 0;  // what calls/s divides by
  Totals totals;        // latencies sorted
  double cpu_s = 0;     // the load generator's CPU time over cpu_wall_s
  double cpu_wall_s = 0;
  long nproc = 1;

  double cpu_cores() const { return cpu_wall_s > 0 ? cpu_s / cpu_wall_s : 0; }
  uint64_t failed() const;
  double calls_per_s() const { return window_s > 0 ? totals.ok / window_s : 0; }
  int items_per_call() const { return IsBatch(options->method) ? options->batch_size : 1; }

  std::string Text() const;  // several lines, each ending in '\n'
  std::string Json() const;  // one object on one line, ending in '\n'
};

// `value` as printf's %.6g.
std::string Num(double value);

// `text` as a JSON string: quoted, with '"' and '\' escaped.
std::string JsonString(const std::string& text);

}  // namespace etiquette::loadgen

#endif  // ETIQUETTE_BENCH_LOADGEN_REPORT_H_
