#include "bench/loadgen/report.h"

#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"

namespace etiquette::loadgen {

std::string Num(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  return buffer;
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

uint64_t Report::failed() const {
  uint64_t n = 0;
  for (const auto& [name, count] : totals.errors) n += count;
  return n;
}

std::string Report::Text() const {
  const std::vector<int64_t>& l = totals.latencies_ns;
  std::string out = absl::StrCat(
      options->method, " ", options->mode,
      options->mode == "closed" ? absl::StrCat(" inflight=", options->inflight)
                                : absl::StrCat(" rate=", Num(options->rate_value)),
      IsBatch(options->method) ? absl::StrCat(" batch_size=", options->batch_size) : "",
      " threads=", options->threads, " channels=", options->channels, " -> ", options->target,
      "\n");
  absl::StrAppend(&out, "  window        ", Num(window_s), " s\n");
  absl::StrAppend(&out, "  calls ok      ", totals.ok, "  (", Num(calls_per_s()), " calls/s",
                  IsBatch(options->method)
                      ? absl::StrCat(", ", Num(calls_per_s() * items_per_call()), " items/s")
                      : "",
                  ")\n");
  absl::StrAppend(&out, "  calls failed  ", failed());
  for (const auto& [name, count] : totals.errors) absl::StrAppend(&out, "  ", name, "=", count);
  absl::StrAppend(&out, "\n");
  if (totals.dropped > 0) {
    absl::StrAppend(&out, "  not sent      ", totals.dropped,
                    " (more than --max_outstanding calls in flight)\n");
  }
  absl::StrAppend(&out, "  latency ms    p50 ", Num(Percentile(l, 0.50)), "  p90 ",
                  Num(Percentile(l, 0.90)), "  p99 ", Num(Percentile(l, 0.99)), "  p99.9 ",
                  Num(Percentile(l, 0.999)), "  max ", Num(Percentile(l, 1.0)), "\n");
  absl::StrAppend(&out, "  loadgen CPU   ", Num(cpu_cores()), " cores (",
                  Num(100 * cpu_cores() / nproc), "% of ", nproc, ")\n");
  return out;
}

std::string Report::Json() const {
  const std::vector<int64_t>& l = totals.latencies_ns;
  double mean = 0;
  for (int64_t v : l) mean += static_cast<double>(v);
  if (!l.empty()) mean /= static_cast<double>(l.size()) * 1e6;
  std::string errors = "{";
  for (const auto& [name, count] : totals.errors) {
    if (errors.size() > 1) errors += ",";
    absl::StrAppend(&errors, JsonString(name), ":", count);
  }
  errors += "}";
  return absl::StrCat(
      "{\"target\":", JsonString(options->target), ",\"method\":", JsonString(options->method),
      ",\"mode\":", JsonString(options->mode), ",\"inflight\":", options->inflight,
      ",\"rate_target\":", Num(options->mode == "open" ? options->rate_value : 0),
      ",\"batch_size\":", items_per_call(), ",\"threads\":", options->threads,
      ",\"channels\":", options->channels, ",\"duration_s\":", Num(options->duration_value),
      ",\"warmup_s\":", Num(options->warmup_value), ",\"window_s\":", Num(window_s),
      ",\"calls_ok\":", totals.ok, ",\"calls_failed\":", failed(), ",\"errors\":", errors,
      ",\"not_sent\":", totals.dropped, ",\"calls_per_s\":", Num(calls_per_s()),
      ",\"items_per_s\":", Num(calls_per_s() * items_per_call()),
      ",\"latency_ms\":{\"p50\":", Num(Percentile(l, 0.50)), ",\"p90\":", Num(Percentile(l, 0.90)),
      ",\"p99\":", Num(Percentile(l, 0.99)), ",\"p999\":", Num(Percentile(l, 0.999)),
      ",\"max\":", Num(Percentile(l, 1.0)), ",\"mean\":", Num(mean), "}",
      ",\"loadgen_cpu_cores\":", Num(cpu_cores()),
      ",\"loadgen_cpu_share\":", Num(cpu_cores() / nproc), ",\"nproc\":", nproc, "}\n");
}

}  // namespace etiquette::loadgen
