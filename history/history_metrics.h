#pragma once

// The history service's Redis calls, restrictions and operator actions, in the process's
// prometheus::Registry:
//   etiquette_history_redis_call_seconds{operation}                           histogram
//   etiquette_history_redis_errors_total{operation,kind}                      counter
//   etiquette_history_restrictions_started_total                              counter
//   etiquette_history_admin_actions_total{action,result}                      counter
//   etiquette_history_admin_auth_failures_total{reason}                       counter
//   etiquette_history_redis_memory_used_ratio                                 gauge
//     used_memory / maxmemory of the fullest Redis master at the last health check (0: no
//     maxmemory set); Ping logs a warning above kRedisMemoryWarningRatio.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/metric_series.h"
#include "grpcpp/support/status.h"
#include "history/redis_history_store.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace etiquette {

// Keeps the registry alive; thread-safe.
class HistoryMetrics {
 public:
  explicit HistoryMetrics(std::shared_ptr<prometheus::Registry> registry);

  // One store operation against Redis ("record_invitation", "get_facts", ...; see
  // RedisHistoryStore): redis_call_seconds{operation}, and when `status` is an error that Redis
  // or the connection caused, redis_errors_total{operation,kind} with kind the lowercase code
  // name ("unavailable": unreachable, timed out, loading; "internal": error reply or reply of
  // the wrong shape). INVALID_ARGUMENT (a request the script refused) is not a Redis error.
  void RecordRedisCall(const std::string& operation, absl::Duration elapsed,
                       const absl::Status& status);
  // restrictions_started_total.
  void RecordRestrictionStarted();
  // admin_actions_total{action,result}: action "release_sender", "forget_member" or
  // "list_admin_actions"; result "ok" or the lowercase code name ("unauthenticated",
  // "permission_denied", "invalid_argument", "unavailable", ...).
  void RecordAdminAction(const std::string& action, grpc::StatusCode code);
  // admin_auth_failures_total{reason}: an admin call refused before it ran (reason as
  // AdminRefusalReason: "identity", "missing_token", "wrong_token", "disabled", "throttled").
  void RecordAdminAuthFailure(const std::string& reason);
  // redis_memory_used_ratio.
  void SetRedisMemoryUsedRatio(double ratio);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  SeriesCache<prometheus::Histogram> redis_seconds_;
  SeriesCache<prometheus::Counter> redis_errors_;
  prometheus::Counter& restrictions_started_;
  SeriesCache<prometheus::Counter> admin_actions_;
  SeriesCache<prometheus::Counter> admin_auth_failures_;
  prometheus::Gauge& redis_memory_used_ratio_;
};

// A RedisHistoryStore's observer reporting to HistoryMetrics: redis_call_seconds{operation},
// redis_errors_total{operation,kind}, restrictions_started_total. `metrics` must outlive the
// observer.
class HistoryMetricsRedisObserver final : public RedisStoreObserver {
 public:
  explicit HistoryMetricsRedisObserver(HistoryMetrics& metrics) : metrics_(metrics) {}
  void OnRedisCall(const char* operation, absl::Duration elapsed,
                   const absl::Status& status) override;
  void OnRestrictionStarted() override;
  void OnRedisMemory(double used_ratio) override;

 private:
  HistoryMetrics& metrics_;
};

}  // namespace etiquette
