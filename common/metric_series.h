#pragma once

// Small pieces shared by the Prometheus recorders (common/, evaluator/, history/): the cache of
// a family's series and the latency histograms' buckets.

#include <map>
#include <mutex>
#include <string>

#include "prometheus/family.h"
#include "prometheus/histogram.h"

namespace etiquette {

// The series of `family` by a caller-made key, so that recording a known series costs a map
// lookup rather than Family::Add (which builds a new metric object on every call). Thread-safe.
template <typename T>
class SeriesCache {
 public:
  explicit SeriesCache(prometheus::Family<T>& family) : family_(family) {}

  // The series for `key`; on first use, family.Add(make_labels(), args...).
  template <typename MakeLabels, typename... Args>
  T& Get(const std::string& key, const MakeLabels& make_labels, const Args&... args) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [it, inserted] = series_.try_emplace(key, nullptr);
    if (inserted) it->second = &family_.Add(make_labels(), args...);
    return *it->second;
  }

 private:
  prometheus::Family<T>& family_;
  std::mutex mutex_;
  std::map<std::string, T*> series_;  // guarded by mutex_
};

// Upper bounds, in seconds, of every latency histogram: 100 µs to 5 s.
inline const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  return *buckets;
}

}  // namespace etiquette
