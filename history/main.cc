// etiquette-history: senders' histories in Redis and the "LinkedIn Jail" model. Wiring only;
// see history.h.
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>

#include "common/command_line.h"
#include "common/grpc_server.h"
#include "common/health_watcher.h"
#include "common/logging.h"
#include "common/secret_file.h"
#include "history/config.h"
#include "history/history.h"
#include "history/history_service.h"
#include "history/redis_history_store.h"
#include "history/redis_url.h"
#include "spdlog/spdlog.h"

namespace {

struct Flags {
  std::string listen = "0.0.0.0:50052";
  std::string redis = "redis://127.0.0.1:6379";
  std::string config;
  std::string admin_token_file;
  std::string hmac_secret_file;
  int redis_timeout_ms = 100;
  std::string log_format = "text";
  std::string log_level = "info";
};

// See etiquette-evaluator's main.cc: stop signals are taken synchronously with sigwait.
sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

int Fail(const absl::Status& status) {
  spdlog::critical("{}", status.ToString());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  etiquette::CommandLine command_line("ETIQUETTE_");
  command_line.AddString("listen", &flags.listen, "address to serve gRPC on, host:port");
  command_line.AddString("redis", &flags.redis, "redis://[:password@]host:port[/db]");
  command_line.AddString("config", &flags.config,
                         "thresholds (YAML); empty = the compiled-in defaults");
  command_line.AddString("admin_token_file", &flags.admin_token_file,
                         "file holding the admin bearer token; empty = admin calls disabled");
  command_line.AddString("hmac_secret_file", &flags.hmac_secret_file,
                         "file holding the secret that keys recipient hashes (required)");
  command_line.AddInt("redis_timeout_ms", &flags.redis_timeout_ms,
                      "bound on every Redis connect and call");
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
  if (absl::Status s = etiquette::ConfigureLogging(flags.log_format, flags.log_level); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 2;
  }

  etiquette::v1::HistoryConfig config = etiquette::DefaultHistoryConfig();
  if (!flags.config.empty()) {
    absl::StatusOr<etiquette::v1::HistoryConfig> loaded =
        etiquette::LoadHistoryConfigFile(flags.config);
    if (!loaded.ok()) return Fail(loaded.status());
    config = std::move(*loaded);
  }
  if (flags.hmac_secret_file.empty()) {
    return Fail(absl::InvalidArgumentError("--hmac_secret_file is required"));
  }
  absl::StatusOr<std::string> secret = etiquette::ReadSecretFile(flags.hmac_secret_file);
  if (!secret.ok()) return Fail(secret.status());
  absl::StatusOr<etiquette::RecipientHasher> hasher =
      etiquette::RecipientHasher::Create(std::move(*secret));
  if (!hasher.ok()) return Fail(hasher.status());
  std::optional<std::string> admin_token;
  if (!flags.admin_token_file.empty()) {
    absl::StatusOr<std::string> token = etiquette::ReadSecretFile(flags.admin_token_file);
    if (!token.ok()) return Fail(token.status());
    admin_token = std::move(*token);
  } else {
    spdlog::warn("no --admin_token_file: admin calls answer PERMISSION_DENIED");
  }
  absl::StatusOr<etiquette::RedisOptions> redis = etiquette::ParseRedisUrl(flags.redis);
  if (!redis.ok()) return Fail(redis.status());
  if (flags.redis_timeout_ms <= 0) {
    return Fail(absl::InvalidArgumentError("--redis_timeout_ms must be greater than 0"));
  }
  redis->timeout = absl::Milliseconds(flags.redis_timeout_ms);

  etiquette::RedisHistoryStore store(*redis, etiquette::StorePolicyFrom(config));
  etiquette::History history(store, std::move(*hasher), config);
  etiquette::SenderHistoryService service(history);
  etiquette::SenderHistoryAdminService admin_service(history, admin_token);

  const sigset_t stop_signals = BlockStopSignals();
  const std::vector<std::string> names = {etiquette::v1::SenderHistory::service_full_name(),
                                          etiquette::v1::SenderHistoryAdmin::service_full_name()};
  absl::StatusOr<etiquette::StartedServer> server =
      etiquette::StartGrpcServer(flags.listen, {&service, &admin_service}, names);
  if (!server.ok()) return Fail(server.status());
  auto watcher = std::make_unique<etiquette::HealthWatcher>(
      server->server->GetHealthCheckService(), names, [&history] { return history.CheckStore(); },
      absl::Milliseconds(500));
  spdlog::info("etiquette-history serving on {} (port {}), redis {}:{}", flags.listen, server->port,
               redis->host, redis->port);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  spdlog::info("signal {} received, shutting down", signal);
  watcher.reset();  // so that it cannot turn health back on
  server->server->GetHealthCheckService()->SetServingStatus(false);
  server->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}
