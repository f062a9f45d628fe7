#include "history/history_metrics.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_code_name.h"

namespace etiquette {
namespace {

// "unavailable" for UNAVAILABLE, "ok" for OK.
std::string LowercaseCodeName(grpc::StatusCode code) {
  return absl::AsciiStrToLower(std::string(GrpcCodeName(code)));
}

}  // namespace

HistoryMetrics::HistoryMetrics(std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)),
      redis_seconds_(prometheus::BuildHistogram()
                         .Name("etiquette_history_redis_call_seconds")
                         .Help("Time of each store operation against Redis, errors included.")
                         .Register(*registry_)),
      redis_errors_(prometheus::BuildCounter()
                        .Name("etiquette_history_redis_errors_total")
                        .Help("Store operations that failed because of Redis or the connection "
                              "to it, by kind (unavailable, internal).")
                        .Register(*registry_)),
      restrictions_started_(prometheus::BuildCounter()
                                .Name("etiquette_history_restrictions_started_total")
                                .Help("Restrictions (\"LinkedIn Jail\") started.")
                                .Register(*registry_)
                                .Add({})),
      admin_actions_(prometheus::BuildCounter()
                         .Name("etiquette_history_admin_actions_total")
                         .Help("Operator calls by action and result (ok or the status code).")
                         .Register(*registry_)),
      admin_auth_failures_(prometheus::BuildCounter()
                               .Name("etiquette_history_admin_auth_failures_total")
                               .Help("Admin calls refused before they ran, by reason (identity, "
                                     "missing_token, wrong_token, disabled, throttled).")
                               .Register(*registry_)),
      redis_memory_used_ratio_(prometheus::BuildGauge()
                                   .Name("etiquette_history_redis_memory_used_ratio")
                                   .Help("used_memory / maxmemory of the fullest Redis master at "
                                         "the last health check (0: no maxmemory).")
                                   .Register(*registry_)
                                   .Add({})) {}

void HistoryMetrics::SetRedisMemoryUsedRatio(double ratio) { redis_memory_used_ratio_.Set(ratio); }

void HistoryMetrics::RecordRedisCall(const std::string& operation, absl::Duration elapsed,
                                     const absl::Status& status) {
  redis_seconds_
      .Get(
          operation,
          [&operation] {
            return prometheus::Labels{{"operation", operation}};
          },
          LatencyBuckets())
      .Observe(absl::ToDoubleSeconds(elapsed));
  if (status.ok() || absl::IsInvalidArgument(status)) return;
  const std::string kind = LowercaseCodeName(static_cast<grpc::StatusCode>(status.code()));
  redis_errors_
      .Get(absl::StrCat(kind, " ", operation),
           [&] {
             return prometheus::Labels{{"operation", operation}, {"kind", kind}};
           })
      .Increment();
}

void HistoryMetrics::RecordRestrictionStarted() { restrictions_started_.Increment(); }

void HistoryMetrics::RecordAdminAction(const std::string& action, grpc::StatusCode code) {
  const std::string result = LowercaseCodeName(code);
  admin_actions_
      .Get(absl::StrCat(result, " ", action),
           [&] {
             return prometheus::Labels{{"action", action}, {"result", result}};
           })
      .Increment();
}

void HistoryMetrics::RecordAdminAuthFailure(const std::string& reason) {
  admin_auth_failures_.Get(reason,
                           [&reason] {
                             return prometheus::Labels{{"reason", reason}};
                           })
      .Increment();
}

void HistoryMetricsRedisObserver::OnRedisCall(const char* operation, absl::Duration elapsed,
                                              const absl::Status& status) {
  metrics_.RecordRedisCall(operation, elapsed, status);
}

void HistoryMetricsRedisObserver::OnRestrictionStarted() { metrics_.RecordRestrictionStarted(); }

void HistoryMetricsRedisObserver::OnRedisMemory(double used_ratio) {
  metrics_.SetRedisMemoryUsedRatio(used_ratio);
}

}  // namespace etiquette
