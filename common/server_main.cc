#include "common/server_main.h"

#include <csignal>
#include <mutex>
#include <utility>

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
  run.options.interceptors.push_back(NewGrpcServerMetricsInterceptorFactory(run.registry));
  absl::StatusOr<std::unique_ptr<RunningServer>> server =
      StartGrpcServer(std::move(run.options), run.services, run.health_names);
  if (!server.ok()) return StartupFailed(server.status());
  RunningServer& running = **server;
  std::unique_ptr<PeriodicTask> health_watch;
  if (run.check_dependency) {
    health_watch = WatchHealth(
        run.check_dependency, [&running](bool serving) { running.SetServicesServing(serving); },
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
  spdlog::info("{} {} serving on {} (port {}), health port {}, metrics port {}, {}; bounds: {}",
               run.program, EtiquetteVersion(), flags.listen, running.port(), running.health_port(),
               metrics_endpoint ? metrics_endpoint->port() : 0, run.details,
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
  running.SetServing(false);
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
  running.Shutdown(absl::Seconds(flags.shutdown_grace_s));
  spdlog::info("drained in {} ms", absl::ToInt64Milliseconds(absl::Now() - drain_start));
  metrics_endpoint.reset();
  spdlog::info("stopped");
  return 0;
}

}  // namespace etiquette
