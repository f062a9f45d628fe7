#include "common/metrics.h"

#include <arpa/inet.h>

#include <array>
#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/grpc_code_name.h"
#include "google/protobuf/descriptor.h"
#include "prometheus/exposer.h"

namespace etiquette {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// "ip:port" as civetweb's listening_ports wants it, or an error.
absl::StatusOr<std::string> CivetListeningPort(const std::string& address) {
  const auto invalid = [&address](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_listen \"", address, "\": ", why, " (expected ip:port)"));
  };
  std::string host;
  std::string port_text;
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    port_text = address;
  } else {
    host = address.substr(0, colon);
    port_text = address.substr(colon + 1);
  }
  int port = 0;
  if (port_text.empty() || port_text.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return invalid("bad port");
  }
  if (colon == std::string::npos) return absl::StrCat(port);
  if (host == "localhost") host = "127.0.0.1";
  unsigned char buffer[sizeof(in6_addr)];
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), buffer) != 1) {
      return invalid("bad IPv6 address");
    }
  } else if (inet_pton(AF_INET, host.c_str(), buffer) != 1) {
    return invalid("bad IPv4 address");
  }
  return absl::StrCat(host, ":", port);
}

// grpc::StatusCode values 0 (OK) to 16 (UNAUTHENTICATED).
constexpr int kGrpcCodes = 17;

std::string Lowercase(const char* name) { return absl::AsciiStrToLower(std::string(name)); }

// Whether `path` is "/package.Service/Method" of a method in the generated descriptor pool.
bool IsCompiledInMethod(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (path.size() < 4 || path[0] != '/' || slash == 0 || slash == std::string_view::npos ||
      slash + 1 >= path.size()) {
    return false;
  }
  const std::string full_name =
      std::string(path.substr(1, slash - 1)) + "." + std::string(path.substr(slash + 1));
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full_name) != nullptr;
}

// Removes `prefix` ("DECISION_") from an enum value name; "UNSPECIFIED" for an unnamed value.
std::string EnumLabel(const std::string& name, absl::string_view prefix) {
  if (name.empty()) return "UNSPECIFIED";
  absl::string_view view(name);
  if (view.substr(0, prefix.size()) == prefix) view.remove_prefix(prefix.size());
  return std::string(view);
}

// The series of one method, found once per call when the call starts.
struct MethodSeries {
  std::string service;
  std::string method;
  prometheus::Histogram* seconds = nullptr;
  // By code number, made on first use.
  std::array<std::atomic<prometheus::Counter*>, kGrpcCodes> handled{};
};

class GrpcServerMetrics {
 public:
  explicit GrpcServerMetrics(std::shared_ptr<prometheus::Registry> registry)
      : registry_(std::move(registry)),
        handled_(BuildCounter()
                     .Name("etiquette_grpc_server_handled_total")
                     .Help("gRPC calls completed by the server, by method and status code.")
                     .Register(*registry_)),
        seconds_(BuildHistogram()
                     .Name("etiquette_grpc_server_handling_seconds")
                     .Help("Time from a gRPC call's arrival to its status, by method.")
                     .Register(*registry_)) {}

  // The series of `full_method` ("/package.Service/Method"). Only methods compiled into this
  // binary (found in the generated descriptor pool: the services', health's, reflection's) get
  // their own; any other path a client sends shares the "unknown" series, so that clients
  // cannot create series (and memory) at will.
  MethodSeries* SeriesFor(const char* full_method) {
    const std::string_view path = full_method != nullptr ? full_method : "";
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = by_method_.find(path); it != by_method_.end()) return it->second.get();
    if (!IsCompiledInMethod(path)) {
      if (unknown_ == nullptr) unknown_ = NewSeries("unknown", "unknown");
      return unknown_.get();
    }
    const size_t slash = path.rfind('/');
    std::unique_ptr<MethodSeries>& series = by_method_[std::string(path)];
    series = NewSeries(std::string(path.substr(1, slash - 1)), std::string(path.substr(slash + 1)));
    return series.get();
  }

  void Record(MethodSeries& series, grpc::StatusCode code, double seconds) {
    series.seconds->Observe(seconds);
    int index = static_cast<int>(code);
    if (index < 0 || index >= kGrpcCodes) index = static_cast<int>(grpc::StatusCode::UNKNOWN);
    prometheus::Counter* counter = series.handled[index].load(std::memory_order_acquire);
    if (counter == nullptr) {
      std::lock_guard<std::mutex> lock(mutex_);
      counter = &handled_.Add({{"grpc_service", series.service},
                               {"grpc_method", series.method},
                               {"grpc_code", GrpcCodeName(static_cast<grpc::StatusCode>(index))}});
      series.handled[index].store(counter, std::memory_order_release);
    }
    counter->Increment();
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& seconds_;
  // Guarded by mutex_.
  std::unique_ptr<MethodSeries> NewSeries(std::string service, std::string method) {
    auto series = std::make_unique<MethodSeries>();
    series->service = std::move(service);
    series->method = std::move(method);
    series->seconds = &seconds_.Add(
        {{"grpc_service", series->service}, {"grpc_method", series->method}}, LatencyBuckets());
    return series;
  }

  std::mutex mutex_;
  // Guarded by mutex_.
  std::map<std::string, std::unique_ptr<MethodSeries>, std::less<>> by_method_;
  std::unique_ptr<MethodSeries> unknown_;
};

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(std::shared_ptr<GrpcServerMetrics> metrics, const char* full_method)
      : metrics_(std::move(metrics)),
        series_(metrics_->SeriesFor(full_method)),
        start_(std::chrono::steady_clock::now()) {}
  ~MetricsInterceptor() override {
    if (!recorded_) Record(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (!recorded_ && methods->QueryInterceptionHookPoint(
                          grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Record(grpc::StatusCode code) {
    recorded_ = true;
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    metrics_->Record(*series_, code, elapsed.count());
  }

  const std::shared_ptr<GrpcServerMetrics> metrics_;
  MethodSeries* const series_;
  const std::chrono::steady_clock::time_point start_;
  bool recorded_ = false;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(std::shared_ptr<prometheus::Registry> registry)
      : metrics_(std::make_shared<GrpcServerMetrics>(std::move(registry))) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, info->method());
  }

 private:
  const std::shared_ptr<GrpcServerMetrics> metrics_;
};

}  // namespace

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  return *buckets;
}

MetricsEndpoint::MetricsEndpoint(std::unique_ptr<prometheus::Exposer> exposer,
                                 std::shared_ptr<prometheus::Registry> registry, int port)
    : registry_(std::move(registry)), exposer_(std::move(exposer)), port_(port) {}

MetricsEndpoint::~MetricsEndpoint() = default;

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> StartMetricsEndpoint(
    const std::string& address, std::shared_ptr<prometheus::Registry> registry) {
  if (registry == nullptr) return absl::InvalidArgumentError("no metrics registry");
  absl::StatusOr<std::string> listening = CivetListeningPort(address);
  if (!listening.ok()) return listening.status();
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    // civetweb throws when it cannot bind.
    exposer = std::make_unique<prometheus::Exposer>(*listening, /*num_threads=*/2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", address, ": ", e.what()));
  }
  exposer->RegisterCollectable(registry);
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty() || ports[0] <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", address));
  }
  return std::make_unique<MetricsEndpoint>(std::move(exposer), std::move(registry), ports[0]);
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewGrpcServerMetricsInterceptorFactory(std::shared_ptr<prometheus::Registry> registry) {
  return std::make_unique<MetricsInterceptorFactory>(std::move(registry));
}

// ---------------------------------------------------------------------------------------------

EvaluatorMetrics::EvaluatorMetrics(std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)),
      decisions_(BuildCounter()
                     .Name("etiquette_evaluator_decisions_total")
                     .Help("Verdicts by decision (Evaluate, and judged EvaluateBatch slots).")
                     .Register(*registry_)),
      findings_(BuildCounter()
                    .Name("etiquette_evaluator_findings_total")
                    .Help("Findings in verdicts by rule and severity, shadow findings included.")
                    .Register(*registry_)),
      degraded_(BuildCounter()
                    .Name("etiquette_evaluator_degraded_total")
                    .Help("Verdicts judged without the history service (it did not answer).")
                    .Register(*registry_)
                    .Add({})) {
  // Every decision from the start, so that rate() sees the first one.
  for (v1::Decision decision : {v1::DECISION_SEND, v1::DECISION_REVISE, v1::DECISION_DEFER,
                                v1::DECISION_REQUIRE_EMAIL, v1::DECISION_BLOCK}) {
    DecisionCounter(decision);
  }
}

prometheus::Counter& EvaluatorMetrics::DecisionCounter(int decision) {
  return decisions_.Get(absl::StrCat(decision), [decision] {
    return prometheus::Labels{
        {"decision",
         EnumLabel(v1::Decision_Name(static_cast<v1::Decision>(decision)), "DECISION_")}};
  });
}

void EvaluatorMetrics::RecordVerdict(const v1::Verdict& verdict) {
  if (verdict.has_error()) return;
  DecisionCounter(verdict.decision()).Increment();
  for (const v1::Finding& finding : verdict.findings()) {
    const int severity = finding.severity();
    findings_
        .Get(absl::StrCat(severity, " ", finding.rule_id()),
             [&finding, severity] {
               return prometheus::Labels{
                   {"rule_id", finding.rule_id()},
                   {"severity", EnumLabel(v1::Severity_Name(static_cast<v1::Severity>(severity)),
                                          "SEVERITY_")}};
             })
        .Increment();
  }
  if (verdict.degraded()) degraded_.Increment();
}

// ---------------------------------------------------------------------------------------------

HistoryMetrics::HistoryMetrics(std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)),
      redis_seconds_(BuildHistogram()
                         .Name("etiquette_history_redis_call_seconds")
                         .Help("Time of each store operation against Redis, errors included.")
                         .Register(*registry_)),
      redis_errors_(BuildCounter()
                        .Name("etiquette_history_redis_errors_total")
                        .Help("Store operations that failed because of Redis or the connection "
                              "to it, by kind (unavailable, internal).")
                        .Register(*registry_)),
      restrictions_started_(BuildCounter()
                                .Name("etiquette_history_restrictions_started_total")
                                .Help("Restrictions (\"LinkedIn Jail\") started.")
                                .Register(*registry_)
                                .Add({})),
      admin_actions_(BuildCounter()
                         .Name("etiquette_history_admin_actions_total")
                         .Help("Operator calls by action and result (ok or the status code).")
                         .Register(*registry_)) {}

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
  const std::string kind = Lowercase(GrpcCodeName(static_cast<grpc::StatusCode>(status.code())));
  redis_errors_
      .Get(absl::StrCat(kind, " ", operation),
           [&] {
             return prometheus::Labels{{"operation", operation}, {"kind", kind}};
           })
      .Increment();
}

void HistoryMetrics::RecordRestrictionStarted() { restrictions_started_.Increment(); }

void HistoryMetrics::RecordAdminAction(const std::string& action, grpc::StatusCode code) {
  const std::string result = Lowercase(GrpcCodeName(code));
  admin_actions_
      .Get(absl::StrCat(result, " ", action),
           [&] {
             return prometheus::Labels{{"action", action}, {"result", result}};
           })
      .Increment();
}

// ---------------------------------------------------------------------------------------------

ConfigMetrics::ConfigMetrics(std::shared_ptr<prometheus::Registry> registry,
                             std::string version_label)
    : registry_(std::move(registry)),
      version_label_(std::move(version_label)),
      reloads_ok_(BuildCounter()
                      .Name("etiquette_config_reloads_total")
                      .Help("Config reload attempts by result (ok, failed: the last good config "
                            "stays).")
                      .Register(*registry_)
                      .Add({{"result", "ok"}})),
      reloads_failed_(BuildCounter()
                          .Name("etiquette_config_reloads_total")
                          .Help("Config reload attempts by result (ok, failed: the last good "
                                "config stays).")
                          .Register(*registry_)
                          .Add({{"result", "failed"}})),
      info_(BuildGauge()
                .Name("etiquette_config_info")
                .Help("The active config's version: 1 for the active one only.")
                .Register(*registry_)) {}

void ConfigMetrics::SetActiveVersion(const std::string& version) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (active_ != nullptr && version == active_version_) return;
  if (active_ != nullptr) info_.Remove(active_);
  active_ = &info_.Add({{version_label_, version}});
  active_->Set(1);
  active_version_ = version;
}

void ConfigMetrics::RecordReload(bool ok, const std::string& version) {
  if (!ok) {
    reloads_failed_.Increment();
    return;
  }
  reloads_ok_.Increment();
  SetActiveVersion(version);
}

}  // namespace etiquette
