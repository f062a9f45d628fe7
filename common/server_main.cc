#include "common/server_main.h"

#include <csignal>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/grpc_metrics_interceptor.h"
#include "common/metrics_endpoint.h"
#include "common/signals.h"
#include "common/version.h"
#include "common/watchers.h"
#include "prometheus/gauge.h"
#include "spdlog/spdlog.h"

namespace etiquette {
namespace {

// etiquette_build_info{version="X.Y.Z"} 1: which release is running, as Prometheus' own
// *_build_info gauges say it.
void RecordBuildInfo(prometheus::Registry& registry) {
  prometheus::BuildGauge()
      .Name("etiquette_build_info")
      .Help("The running release: 1, with its version as a label")
      .Register(registry)
      .Add({{"version", std::string(EtiquetteVersion())}})
      .Set(1);
}

// One metrics interceptor factory (one set of series) for every server of the process: gRPC
// takes each server's factories as unique_ptrs.
class SharedInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit SharedInterceptorFactory(
      std::shared_ptr<grpc::experimental::ServerInterceptorFactoryInterface> factory)
      : factory_(std::move(factory)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return factory_->CreateServerInterceptor(info);
  }

 private:
  const std::shared_ptr<grpc::experimental::ServerInterceptorFactoryInterface> factory_;
};

// A started server with the name the start-up line gives it (empty: the main one).
struct Started {
  std::string name;
  std::unique_ptr<RunningServer> server;
};

}  // namespace

int StartupFailed(const absl::Status& status) {
  spdlog::critical("{}", status.ToString());
  return 1;
}

int RunServer(const ServerFlags& flags, ServerRun run) {
  RecordBuildInfo(*run.registry);
  std::unique_ptr<MetricsEndpoint> metrics_endpoint;
  if (!flags.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsEndpoint>> started =
        StartMetricsEndpoint(flags.metrics_listen, run.registry);
    if (!started.ok()) return StartupFailed(started.status());
    metrics_endpoint = std::move(*started);
  }

  const ServerBounds bounds = run.options.bounds;  // for the start-up line
  const sigset_t signals = BlockServerSignals();
  const std::shared_ptr<grpc::experimental::ServerInterceptorFactoryInterface> metrics =
      NewGrpcServerMetricsInterceptorFactory(run.registry);
  run.options.interceptors.push_back(std::make_unique<SharedInterceptorFactory>(metrics));
  absl::StatusOr<std::unique_ptr<RunningServer>> server =
      StartGrpcServer(std::move(run.options), run.services, run.health_names);
  if (!server.ok()) return StartupFailed(server.status());
  RunningServer& running = **server;
  // The further listeners; all of them are stopped (by their destructors) if one cannot start.
  std::vector<Started> listeners;
  std::string listener_ports;  // for the start-up line
  for (ListenerRun& listener : run.listeners) {
    listener.options.interceptors.push_back(std::make_unique<SharedInterceptorFactory>(metrics));
    absl::StatusOr<std::unique_ptr<RunningServer>> started =
        StartGrpcServer(std::move(listener.options), listener.services, listener.health_names);
    if (!started.ok()) return StartupFailed(started.status());
    absl::StrAppend(&listener_ports, ", ", listener.name, " port ", (*started)->port());
    listeners.push_back({listener.name, std::move(*started)});
  }
  auto for_all = [&running, &listeners](const std::function<void(RunningServer&)>& action) {
    action(running);
    for (Started& listener : listeners) action(*listener.server);
  };
  std::unique_ptr<PeriodicTask> health_watch;
  if (run.check_dependency) {
    health_watch = WatchHealth(
        run.check_dependency,
        [&for_all](bool serving) {
          for_all([serving](RunningServer& s) { s.SetServicesServing(serving); });
        },
        absl::Milliseconds(500));
  }
  // Hot reload, on a change of the file and on SIGHUP, one at a time.
  std::mutex reload_mutex;
  auto reload = [&run, &reload_mutex] {
    std::lock_guard<std::mutex> lock(reload_mutex);
    run.reload();
  };
  // Bursts leave freed memory with the allocator; give it back every 10 s (the soak's RSS).
  std::unique_ptr<PeriodicTask> memory_release = ReleaseFreeMemoryEvery(absl::Seconds(10));
  std::unique_ptr<PeriodicTask> config_watch;
  if (!run.config_path.empty()) {
    config_watch = WatchFile(run.config_path, absl::Seconds(1), reload);
  }
  spdlog::info("{} {} serving on {} (port {}), health port {}, metrics port {}{}, {}; bounds: {}",
               run.program, EtiquetteVersion(), flags.listen, running.port(), running.health_port(),
               metrics_endpoint ? metrics_endpoint->port() : 0, listener_ports, run.details,
               DescribeBounds(bounds));

  int signal = 0;
  for (;;) {
    signal = WaitForServerSignal(signals);
    if (signal != SIGHUP) break;
    if (!run.config_path.empty()) reload();
  }
  // Phase 1: unready at once, so that probes and health-checking clients turn away, while new
  // calls are still served: Kubernetes keeps routing to a terminating pod until every node and
  // client has seen the endpoint go. SIGINT (Ctrl-C), or SIGTERM again, ends it early.
  health_watch.reset();  // so that it cannot turn health back on
  for_all([](RunningServer& s) { s.SetServing(false); });
  if (signal == SIGTERM && flags.drain_delay_s > 0) {
    spdlog::info("signal {} received: NOT_SERVING, still serving new calls for {} s", signal,
                 flags.drain_delay_s);
    const absl::Time end = absl::Now() + absl::Seconds(flags.drain_delay_s);
    for (;;) {
      const int next = WaitForServerSignalFor(signals, end - absl::Now());
      if (next == 0) break;
      if (next == SIGHUP) {
        if (!run.config_path.empty()) reload();
        continue;
      }
      spdlog::info("signal {} received: drain delay cut short", next);
      break;
    }
  } else {
    spdlog::info("signal {} received: NOT_SERVING", signal);
  }
  // Phase 2: GOAWAY (streams the server never took are retried elsewhere by gRPC clients), and
  // the calls in flight get up to the grace to finish. History's wait on Redis: the store outlives
  // this function, so they end with its answer.
  spdlog::info("draining: no new calls, calls in flight get up to {} s", flags.shutdown_grace_s);
  config_watch.reset();
  const absl::Time drain_start = absl::Now();
  {
    // Every server at once, each with the whole grace.
    std::vector<std::thread> stopping;
    for (Started& listener : listeners) {
      stopping.emplace_back([&listener, &flags] {
        listener.server->Shutdown(absl::Seconds(flags.shutdown_grace_s));
      });
    }
    running.Shutdown(absl::Seconds(flags.shutdown_grace_s));
    for (std::thread& thread : stopping) thread.join();
  }
  spdlog::info("drained in {} ms", absl::ToInt64Milliseconds(absl::Now() - drain_start));
  metrics_endpoint.reset();
  spdlog::info("stopped");
  return 0;
}

}  // namespace etiquette
