// etiquette-evaluator: the stateless invitation evaluator. Wiring only; see evaluator.h.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>

#include "absl/time/clock.h"
#include "common/command_line.h"
#include "common/grpc_server.h"
#include "common/logging.h"
#include "evaluator/config.h"
#include "evaluator/evaluator.h"
#include "evaluator/evaluator_service.h"
#include "evaluator/history_client.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "spdlog/spdlog.h"

namespace {

struct Flags {
  std::string listen = "0.0.0.0:50051";
  std::string config;
  std::string check_config;
  std::string history;
  int history_timeout_ms = 50;
  std::string fail_mode = "open";
  std::string log_format = "text";
  std::string log_level = "info";
};

// Blocks SIGINT and SIGTERM in this thread and every thread started after it, so that
// WaitForStopSignal() receives them synchronously.
sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
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

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  etiquette::CommandLine command_line("ETIQUETTE_");
  command_line.AddString("listen", &flags.listen, "address to serve gRPC on, host:port");
  command_line.AddString("config", &flags.config,
                         "rules config (YAML); empty = the compiled-in defaults");
  command_line.AddString("check-config", &flags.check_config,
                         "validate this config file, print the verdict and exit 0 or 1");
  command_line.AddString("history", &flags.history,
                         "history service host:port; empty = standalone, no history rules");
  command_line.AddInt("history_timeout_ms", &flags.history_timeout_ms,
                      "deadline of each call to the history service");
  command_line.AddString("fail_mode", &flags.fail_mode,
                         "history unreachable: open (judge without it, degraded) or closed "
                         "(DEFER)");
  command_line.AddString("log_format", &flags.log_format, "text or json");
  command_line.AddString("log_level", &flags.log_level,
                         "trace, debug, info, warn, error, critical or off");
  if (absl::Status s = command_line.Parse(argc, argv); !s.ok()) {
    std::cerr << s.message() << "\n" << command_line.Usage(argv[0]);
    return 2;
  }
  if (command_line.help_requested()) {
    std::cout << command_line.Usage(argv[0]);
    return 0;
  }
  if (!flags.check_config.empty()) return CheckConfig(flags.check_config);
  if (absl::Status s = etiquette::ConfigureLogging(flags.log_format, flags.log_level); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 2;
  }

  etiquette::v1::EvaluatorConfig config = etiquette::DefaultEvaluatorConfig();
  if (!flags.config.empty()) {
    absl::StatusOr<etiquette::v1::EvaluatorConfig> loaded =
        etiquette::LoadEvaluatorConfigFile(flags.config);
    if (!loaded.ok()) {
      spdlog::critical("config rejected: {}", loaded.status().ToString());
      return 1;
    }
    config = std::move(*loaded);
  }
  absl::StatusOr<std::unique_ptr<etiquette::RulesEngine>> engine =
      etiquette::RulesEngine::Create(std::move(config));
  if (!engine.ok()) {
    spdlog::critical("config rejected: {}", engine.status().ToString());
    return 1;
  }
  if (flags.fail_mode != "open" && flags.fail_mode != "closed") {
    spdlog::critical("--fail_mode: expected open or closed, got \"{}\"", flags.fail_mode);
    return 2;
  }
  if (flags.history_timeout_ms <= 0) {
    spdlog::critical("--history_timeout_ms must be greater than 0");
    return 2;
  }
  std::unique_ptr<etiquette::HistoryClient> history;
  if (!flags.history.empty()) {
    history = std::make_unique<etiquette::GrpcHistoryClient>(
        grpc::CreateChannel(flags.history, grpc::InsecureChannelCredentials()),
        absl::Milliseconds(flags.history_timeout_ms));
  }
  const std::string rules_version = (*engine)->rules_version();
  etiquette::Evaluator evaluator(std::move(*engine), absl::Now, history.get(),
                                 flags.fail_mode == "closed" ? etiquette::HistoryFailMode::kClosed
                                                             : etiquette::HistoryFailMode::kOpen);
  etiquette::EvaluatorService service(evaluator);

  const sigset_t stop_signals = BlockStopSignals();
  absl::StatusOr<etiquette::StartedServer> server = etiquette::StartGrpcServer(
      flags.listen, {&service}, {etiquette::v1::InvitationEvaluator::service_full_name()});
  if (!server.ok()) {
    spdlog::critical("{}", server.status().ToString());
    return 1;
  }
  spdlog::info("etiquette-evaluator serving on {} (port {}), rules_version {}, history {}",
               flags.listen, server->port, rules_version,
               flags.history.empty() ? "none (standalone)" : flags.history);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  spdlog::info("signal {} received, shutting down", signal);
  server->server->GetHealthCheckService()->SetServingStatus(false);
  server->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}
