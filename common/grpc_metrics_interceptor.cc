#include "common/grpc_metrics_interceptor.h"

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "common/grpc_code_name.h"
#include "common/metric_series.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/support/status.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"

namespace etiquette {
namespace {

// grpc::StatusCode values 0 (OK) to 16 (UNAUTHENTICATED).
constexpr int kGrpcCodes = 17;

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
        handled_(prometheus::BuildCounter()
                     .Name("etiquette_grpc_server_handled_total")
                     .Help("gRPC calls completed by the server, by method and status code.")
                     .Register(*registry_)),
        seconds_(prometheus::BuildHistogram()
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
  // Guarded by mutex_.
  std::unique_ptr<MethodSeries> NewSeries(std::string service, std::string method) {
    auto series = std::make_unique<MethodSeries>();
    series->service = std::move(service);
    series->method = std::move(method);
    series->seconds = &seconds_.Add(
        {{"grpc_service", series->service}, {"grpc_method", series->method}}, LatencyBuckets());
    return series;
  }

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& seconds_;
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

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewGrpcServerMetricsInterceptorFactory(std::shared_ptr<prometheus::Registry> registry) {
  return std::make_unique<MetricsInterceptorFactory>(std::move(registry));
}

}  // namespace etiquette
