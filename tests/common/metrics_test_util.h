#pragma once

// Reading a prometheus::Registry back in tests.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

namespace etiquette::testing {

using LabelSet = std::map<std::string, std::string>;

struct Series {
  LabelSet labels;
  double value = 0;                     // counter or gauge value
  uint64_t sample_count = 0;            // histogram: observations
  std::vector<uint64_t> bucket_counts;  // histogram: cumulative count per bucket
};

// Every series of the family `name` (empty when the family is absent or has none).
inline std::vector<Series> SeriesOf(prometheus::Registry& registry, const std::string& name) {
  std::vector<Series> all;
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      Series series;
      for (const prometheus::ClientMetric::Label& label : metric.label) {
        series.labels[label.name] = label.value;
      }
      series.value = metric.counter.value + metric.gauge.value;
      series.sample_count = metric.histogram.sample_count;
      for (const auto& bucket : metric.histogram.bucket) {
        series.bucket_counts.push_back(bucket.cumulative_count);
      }
      all.push_back(std::move(series));
    }
  }
  return all;
}

// The value of the series with exactly `labels`, or -1 when there is none.
inline double ValueOf(prometheus::Registry& registry, const std::string& name,
                      const LabelSet& labels) {
  for (const Series& series : SeriesOf(registry, name)) {
    if (series.labels == labels) return series.value;
  }
  return -1;
}

// The observation count of the histogram series with exactly `labels`, or -1 when there is none.
inline int64_t SampleCountOf(prometheus::Registry& registry, const std::string& name,
                             const LabelSet& labels) {
  for (const Series& series : SeriesOf(registry, name)) {
    if (series.labels == labels) return static_cast<int64_t>(series.sample_count);
  }
  return -1;
}

// {labels -> value} of every series of a counter or gauge family.
inline std::map<LabelSet, double> ValuesOf(prometheus::Registry& registry,
                                           const std::string& name) {
  std::map<LabelSet, double> values;
  for (const Series& series : SeriesOf(registry, name)) values[series.labels] = series.value;
  return values;
}

}  // namespace etiquette::testing
