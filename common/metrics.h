#pragma once

// Prometheus metrics (prometheus-cpp): one prometheus::Registry per process, served over HTTP
// on /metrics by StartMetricsEndpoint, and the classes that record into it. Every recorder
// takes the registry as a shared_ptr and keeps it alive; all are thread-safe.
//
// Metric names and labels (see the README's "Metrics and logs"):
//   etiquette_grpc_server_handled_total{grpc_service,grpc_method,grpc_code}   counter
//   etiquette_grpc_server_handling_seconds{grpc_service,grpc_method}          histogram
//   etiquette_evaluator_decisions_total{decision}                             counter
//   etiquette_evaluator_findings_total{rule_id,severity}                      counter
//   etiquette_evaluator_degraded_total                                        counter
//   etiquette_history_redis_call_seconds{operation}                           histogram
//   etiquette_history_redis_errors_total{operation,kind}                      counter
//   etiquette_history_restrictions_started_total                              counter
//   etiquette_history_admin_actions_total{action,result}                      counter
//   etiquette_config_reloads_total{result}                                    counter
//   etiquette_config_info{rules_version} (evaluator) / {version} (history)    gauge, 1

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "etiquette/v1/evaluator.pb.h"
#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/status.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace etiquette {

namespace metrics_internal {

// The series of `family` by a caller-made key, so that recording a known series costs a map
// lookup rather than Family::Add (which builds a new metric object on every call).
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

}  // namespace metrics_internal

// Upper bounds, in seconds, of every latency histogram: 100 µs to 5 s.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

// The HTTP endpoint serving GET /metrics (Prometheus text format) from one registry. Stops
// listening when destroyed.
class MetricsEndpoint {
 public:
  MetricsEndpoint(std::unique_ptr<prometheus::Exposer> exposer,
                  std::shared_ptr<prometheus::Registry> registry, int port);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // The port actually bound (differs from the requested one when that was 0).
  int port() const { return port_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  const int port_;
};

// Serves `registry` on http://<address>/metrics. `address` is "ip:port" ("0.0.0.0:9090",
// "127.0.0.1:0" for a free port, "[::]:9090"), "localhost:port" or a bare port. INVALID_ARGUMENT
// for a malformed address, UNAVAILABLE when it cannot be bound (never throws).
absl::StatusOr<std::unique_ptr<MetricsEndpoint>> StartMetricsEndpoint(
    const std::string& address, std::shared_ptr<prometheus::Registry> registry);

// A gRPC server interceptor factory (for GrpcServerOptions::interceptors) recording, for every
// call the server handles, etiquette_grpc_server_handled_total{grpc_service,grpc_method,
// grpc_code} (code by name: "OK", "INVALID_ARGUMENT", ...) and
// etiquette_grpc_server_handling_seconds{grpc_service,grpc_method} (from the call's arrival to
// its status being sent). Every call is counted, grpc.health.v1.Health (probes) and
// grpc.reflection.v1alpha.ServerReflection included; a Health/Watch stream is observed once,
// when it ends. A call that ends without the server sending a status (the client went away)
// counts as CANCELLED. Only methods compiled into the binary (the generated descriptor pool)
// get their own labels; any other path a client sends is counted under grpc_service="unknown",
// grpc_method="unknown" (UNIMPLEMENTED), so clients cannot create series at will.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewGrpcServerMetricsInterceptorFactory(std::shared_ptr<prometheus::Registry> registry);

// The evaluator's verdicts.
class EvaluatorMetrics {
 public:
  explicit EvaluatorMetrics(std::shared_ptr<prometheus::Registry> registry);

  // One judged verdict (Evaluate, or a batch slot without error): decisions_total{decision}
  // with the Decision name without its prefix ("SEND", "REVISE", "DEFER", "REQUIRE_EMAIL",
  // "BLOCK"); findings_total{rule_id,severity} for every finding, shadow ones included
  // (severity "POSITIVE", "INFO", "ADVICE", "VIOLATION"); degraded_total when degraded.
  // A batch slot that carries an error is not a verdict: nothing is recorded.
  void RecordVerdict(const v1::Verdict& verdict);

 private:
  prometheus::Counter& DecisionCounter(int decision);

  std::shared_ptr<prometheus::Registry> registry_;
  metrics_internal::SeriesCache<prometheus::Counter> decisions_;
  metrics_internal::SeriesCache<prometheus::Counter> findings_;
  prometheus::Counter& degraded_;
};

// The history service: Redis calls, restrictions, operator actions.
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
  // admin_actions_total{action,result}: action "release_sender" or "forget_member"; result
  // "ok" or the lowercase code name ("unauthenticated", "permission_denied",
  // "invalid_argument", "unavailable", ...).
  void RecordAdminAction(const std::string& action, grpc::StatusCode code);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  metrics_internal::SeriesCache<prometheus::Histogram> redis_seconds_;
  metrics_internal::SeriesCache<prometheus::Counter> redis_errors_;
  prometheus::Counter& restrictions_started_;
  metrics_internal::SeriesCache<prometheus::Counter> admin_actions_;
};

// Config loading: etiquette_config_reloads_total{result="ok"|"failed"} and
// etiquette_config_info{<version_label>="<version>"} = 1 for the active version only.
class ConfigMetrics {
 public:
  // `version_label`: "rules_version" (evaluator) or "version" (history).
  ConfigMetrics(std::shared_ptr<prometheus::Registry> registry, std::string version_label);

  // The active config, without counting a reload (start-up). The previous version's series is
  // removed.
  void SetActiveVersion(const std::string& version);
  // A reload attempt. ok: counts result="ok" and makes `version` the active one. Failed:
  // counts result="failed"; the last good version stays active (`version` is ignored).
  void RecordReload(bool ok, const std::string& version);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  const std::string version_label_;
  prometheus::Counter& reloads_ok_;
  prometheus::Counter& reloads_failed_;
  prometheus::Family<prometheus::Gauge>& info_;
  std::mutex mutex_;
  prometheus::Gauge* active_ = nullptr;  // guarded by mutex_
  std::string active_version_;           // guarded by mutex_
};

}  // namespace etiquette
