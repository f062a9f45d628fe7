// etiquette-evaluator: the stateless invitation evaluator. Wiring only; see evaluator.h.
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/command_line.h"
#include "common/config_metrics.h"
#include "common/server_flags.h"
#include "common/server_main.h"
#include "common/signals.h"
#include "common/status.h"
#include "common/tls.h"
#include "evaluator/coalescing_history_client.h"
#include "evaluator/config.h"
#include "evaluator/evaluator.h"
#include "evaluator/evaluator_metrics.h"
#include "evaluator/evaluator_service.h"
#include "evaluator/history_client.h"
#include "evaluator/history_service_config.h"
#include "evaluator/max_request_size.h"
#include "evaluator/reload.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "spdlog/spdlog.h"

namespace {

struct Flags {
  etiquette::ServerFlags server;
  std::string config;
  std::string check_config;
  std::string history;
  int history_timeout_ms = 50;
  int history_calls_in_flight = 2;
  std::string fail_mode = "open";
  etiquette::TlsFiles history_tls;
  std::string history_tls_server_name;
};

void AddFlags(etiquette::CommandLine& command_line, Flags& flags) {
  flags.server.listen = "0.0.0.0:50051";
  flags.server.metrics_listen = "0.0.0.0:9101";
  flags.server.bounds.max_request_bytes = static_cast<int>(etiquette::kEvaluatorMaxRequestBytes);
  etiquette::AddServerFlags(command_line, flags.server);
  command_line.AddString("config", &flags.config,
                         "rules config (YAML), reloaded on change and on SIGHUP; empty = the "
                         "compiled-in defaults");
  command_line.AddString("check-config", &flags.check_config,
                         "validate this config file, print the verdict and exit 0 or 1");
  command_line.AddString("history", &flags.history,
                         "history service: host:port (every address it resolves to, balanced per "
                         "call), or a list ipv4:host:port,host:port; empty = standalone, no "
                         "history rules");
  command_line.AddInt("history_timeout_ms", &flags.history_timeout_ms,
                      "deadline of each call to the history service");
  command_line.AddInt("history_calls_in_flight", &flags.history_calls_in_flight,
                      "most GetStanding calls open to history at once; evaluations that "
                      "arrive while all are open go together in one BatchGetStanding when one "
                      "finishes; 0 = every evaluation its own call");
  command_line.AddString("fail_mode", &flags.fail_mode,
                         "history unreachable: open (judge without it, degraded) or closed "
                         "(DEFER)");
  command_line.AddString("history_tls_ca", &flags.history_tls.ca,
                         "CA (PEM) of the history service's certificate; empty = plaintext");
  command_line.AddString("history_tls_cert", &flags.history_tls.cert,
                         "client certificate (PEM) presented to the history service");
  command_line.AddString("history_tls_key", &flags.history_tls.key,
                         "client private key (PEM) for the history service");
  command_line.AddString("history_tls_server_name", &flags.history_tls_server_name,
                         "name to check in the history service's certificate; empty = its host");
}

int CheckConfig(const std::string& path) {
  absl::StatusOr<etiquette::v1::EvaluatorConfig> config = etiquette::LoadEvaluatorConfigFile(path);
  if (!config.ok()) {
    std::cerr << "invalid: " << config.status().message() << "\n";
    return 1;
  }
  std::cout << path << ": OK, rules_version " << etiquette::RulesVersion(*config) << "\n";
  return 0;
}

// The channel to history: one for the process, TLS when a CA is given.
absl::StatusOr<std::unique_ptr<etiquette::HistoryClient>> MakeHistoryClient(
    const Flags& flags, etiquette::EvaluatorMetrics& metrics) {
  if (flags.history.empty()) return nullptr;
  etiquette::TlsFiles tls = flags.history_tls;
  tls.refresh_s = flags.server.tls.refresh_s;
  tls.cert_flag = "--history_tls_cert";
  tls.key_flag = "--history_tls_key";
  tls.ca_flag = "--history_tls_ca";
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      etiquette::MakeChannelCredentials(tls);
  if (!credentials.ok()) return credentials.status();
  grpc::ChannelArguments arguments;
  // Reconnect within about a second after history comes back, rather than gRPC's default
  // backoff growing to 120 s (tests/faults/history_kill_test.cc).
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // round_robin over every address of the target (a headless Service's pods, or a list:
  // ipv4:10.0.0.1:50052,10.0.0.2:50052), health-checked, UNAVAILABLE retried.
  arguments.SetServiceConfigJSON(etiquette::kServiceConfigJson);
  if (!flags.history_tls_server_name.empty()) {
    arguments.SetSslTargetNameOverride(flags.history_tls_server_name);
  }
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(flags.history, *credentials, arguments);
  // Connect now, in the background, rather than on the first evaluation: a channel connected
  // lazily makes the first calls after a start wait for the connection and history's health
  // check inside --history_timeout_ms (a degraded verdict, or DEFER when failing closed).
  channel->GetState(/*try_to_connect=*/true);
  auto grpc_client = std::make_unique<etiquette::GrpcHistoryClient>(std::move(channel));
  if (flags.history_calls_in_flight == 0) return grpc_client;
  return std::make_unique<etiquette::CoalescingHistoryClient>(
      std::move(grpc_client), flags.history_calls_in_flight, absl::Now,
      [&metrics](int evaluations) { metrics.RecordHistoryCall(evaluations); });
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread starts (gRPC's, the metrics server's, the store's): every thread inherits
  // the mask, so SIGTERM, SIGINT and SIGHUP reach only RunServer's sigwait. A thread that did not
  // block them could take a SIGTERM while the main thread is between waits, and die of it.
  etiquette::BlockServerSignals();
  Flags flags;
  etiquette::CommandLine command_line("ETIQUETTE_");
  AddFlags(command_line, flags);
  if (std::optional<int> exit_code = etiquette::ParseCommandLineOrExit(command_line, argc, argv)) {
    return *exit_code;
  }
  if (!flags.check_config.empty()) return CheckConfig(flags.check_config);
  if (absl::Status s = etiquette::ApplyServerFlags(flags.server); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 2;
  }
  if (absl::Status s = etiquette::CheckRequireTls(flags.server); !s.ok()) {
    return etiquette::StartupFailed(s);
  }
  if (flags.server.require_tls && !flags.history.empty() && flags.history_tls.ca.empty()) {
    return etiquette::StartupFailed(etiquette::TlsRequired("--history_tls_ca"));
  }
  if (flags.fail_mode != "open" && flags.fail_mode != "closed") {
    return etiquette::StartupFailed(
        absl::InvalidArgumentError("--fail_mode: expected open or closed"));
  }
  if (flags.history_calls_in_flight < 0) {
    return etiquette::StartupFailed(
        absl::InvalidArgumentError("--history_calls_in_flight must be 0 or more"));
  }
  if (flags.history_timeout_ms <= 0) {
    return etiquette::StartupFailed(
        absl::InvalidArgumentError("--history_timeout_ms must be greater than 0"));
  }

  etiquette::v1::EvaluatorConfig config = etiquette::DefaultEvaluatorConfig();
  if (!flags.config.empty()) {
    absl::StatusOr<etiquette::v1::EvaluatorConfig> loaded =
        etiquette::LoadEvaluatorConfigFile(flags.config);
    if (!loaded.ok())
      return etiquette::StartupFailed(etiquette::ForFlag("--config", loaded.status()));
    config = std::move(*loaded);
  }
  absl::StatusOr<std::unique_ptr<etiquette::RulesEngine>> engine =
      etiquette::RulesEngine::Create(std::move(config));
  if (!engine.ok()) return etiquette::StartupFailed(engine.status());
  auto registry = std::make_shared<prometheus::Registry>();
  etiquette::EvaluatorMetrics evaluator_metrics(registry);
  absl::StatusOr<std::unique_ptr<etiquette::HistoryClient>> history =
      MakeHistoryClient(flags, evaluator_metrics);
  if (!history.ok()) return etiquette::StartupFailed(history.status());
  absl::StatusOr<etiquette::GrpcServerOptions> options = etiquette::ServerOptionsFrom(flags.server);
  if (!options.ok()) return etiquette::StartupFailed(options.status());

  etiquette::Evaluator evaluator(std::move(*engine), absl::Now, history->get(),
                                 flags.fail_mode == "closed" ? etiquette::HistoryFailMode::kClosed
                                                             : etiquette::HistoryFailMode::kOpen,
                                 absl::Milliseconds(flags.history_timeout_ms));
  etiquette::ConfigMetrics config_metrics(registry, "rules_version");
  config_metrics.SetActiveVersion(evaluator.engine()->rules_version());
  etiquette::EvaluatorService service(evaluator, &evaluator_metrics);

  etiquette::ServerRun run;
  run.program = "etiquette-evaluator";
  run.details = absl::StrCat("rules_version ", evaluator.engine()->rules_version(), ", history ",
                             flags.history.empty() ? "none (standalone)" : flags.history);
  run.options = std::move(*options);
  run.registry = registry;
  run.services = {&service};
  run.health_names = {etiquette::v1::InvitationEvaluator::service_full_name()};
  run.config_path = flags.config;
  run.reload = [&] {
    absl::StatusOr<std::string> version = etiquette::ReloadRules(flags.config, evaluator);
    config_metrics.RecordReload(version.ok(), version.ok() ? *version : "");
    if (version.ok()) {
      spdlog::info("config reloaded, rules_version {}", *version);
    } else {
      spdlog::error("config reload failed, keeping rules_version {}: {}",
                    evaluator.engine()->rules_version(), version.status().ToString());
    }
  };
  return etiquette::RunServer(flags.server, std::move(run));
}
