// etiquette-history: senders' histories in Redis and the "LinkedIn Jail" model. Wiring only;
// see history.h.
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/command_line.h"
#include "common/config_metrics.h"
#include "common/config_version.h"
#include "common/secret_file.h"
#include "common/server_flags.h"
#include "common/server_main.h"
#include "common/signals.h"
#include "common/status.h"
#include "history/admin_auth.h"
#include "history/admin_listener.h"
#include "history/config.h"
#include "history/history.h"
#include "history/history_metrics.h"
#include "history/history_service.h"
#include "history/max_request_size.h"
#include "history/redis_history_store.h"
#include "history/redis_url.h"
#include "history/rekey_pass.h"
#include "spdlog/spdlog.h"

namespace {

struct Flags {
  etiquette::ServerFlags server;
  std::string redis = "redis://127.0.0.1:6379";
  std::string redis_password_file;
  std::string redis_user_file;
  std::string redis_node_map;
  int redis_timeout_ms = 100;
  int redis_write_timeout_ms = 2000;
  int redis_wait_replicas = 0;
  std::string config;
  std::string admin_token_file;
  std::string hmac_secret_file;
  std::string rekey_members_file;
  etiquette::AdminListenerFlags admin;
};

}  // namespace

int main(int argc, char** argv) {
  // Before any thread starts (gRPC's, the metrics server's, the store's): every thread inherits
  // the mask, so SIGTERM, SIGINT and SIGHUP reach only RunServer's sigwait. A thread that did not
  // block them could take a SIGTERM while the main thread is between waits, and die of it.
  etiquette::BlockServerSignals();
  Flags flags;
  etiquette::CommandLine command_line("ETIQUETTE_");
  flags.server.listen = "0.0.0.0:50052";
  flags.server.metrics_listen = "0.0.0.0:9102";
  flags.server.bounds.max_request_bytes = static_cast<int>(etiquette::kHistoryMaxRequestBytes);
  etiquette::AddServerFlags(command_line, flags.server);
  command_line.AddString("redis", &flags.redis,
                         "redis://[[user]:password@]host:port[/db], or a cluster: "
                         "redis-cluster://[[user]:password@]host:port[,host:port...]");
  command_line.AddString("redis_password_file", &flags.redis_password_file,
                         "file holding the Redis password (instead of one in --redis)");
  command_line.AddString("redis_user_file", &flags.redis_user_file,
                         "file holding the Redis ACL user name: AUTH <user> <password> on "
                         "every connection; empty = the user in --redis, else the default user");
  command_line.AddString("redis_node_map", &flags.redis_node_map,
                         "Redis Cluster through a TLS sidecar: announced-host:port=127.0.0.1:port,"
                         "... for every node; a node not listed is never dialled");
  command_line.AddString("config", &flags.config,
                         "thresholds (YAML), reloaded on change and on SIGHUP; empty = the "
                         "compiled-in defaults");
  command_line.AddString(
      "admin_token_file", &flags.admin_token_file,
      "file holding the admin bearer tokens, one per line (two during a rotation), "
      "read again when it changes; empty = admin calls disabled");
  command_line.AddString("hmac_secret_file", &flags.hmac_secret_file,
                         "file holding the secrets that key recipient hashes, one a line: the "
                         "first writes, all read (key rotation: docs/key-rotation.md; required)");
  command_line.AddString("rekey_members_file", &flags.rekey_members_file,
                         "key rotation: move what is stored under the older --hmac_secret_file "
                         "keys to the first for these member ids (one a line, - = stdin), then "
                         "exit; does not serve (docs/key-rotation.md)");
  etiquette::AddAdminListenerFlags(command_line, flags.admin);
  command_line.AddInt("redis_timeout_ms", &flags.redis_timeout_ms,
                      "bound on every Redis connect and read");
  command_line.AddInt("redis_write_timeout_ms", &flags.redis_write_timeout_ms,
                      "bound on every Redis write (also bounded by the caller's deadline)");
  command_line.AddInt("redis_wait_replicas", &flags.redis_wait_replicas,
                      "acknowledge a write only once this many replicas of its master have it "
                      "(Redis WAIT); 0 = the master's word is enough");
  if (std::optional<int> exit_code = etiquette::ParseCommandLineOrExit(command_line, argc, argv)) {
    return *exit_code;
  }
  if (absl::Status s = etiquette::ApplyServerFlags(flags.server); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 2;
  }
  if (absl::Status s = etiquette::CheckRequireTls(flags.server); !s.ok()) {
    return etiquette::StartupFailed(s);
  }

  etiquette::v1::HistoryConfig config = etiquette::DefaultHistoryConfig();
  if (!flags.config.empty()) {
    absl::StatusOr<etiquette::v1::HistoryConfig> loaded =
        etiquette::LoadHistoryConfigFile(flags.config);
    if (!loaded.ok())
      return etiquette::StartupFailed(etiquette::ForFlag("--config", loaded.status()));
    config = std::move(*loaded);
  }
  if (flags.hmac_secret_file.empty()) {
    return etiquette::StartupFailed(absl::InvalidArgumentError("--hmac_secret_file is required"));
  }
  absl::StatusOr<std::string> secret = etiquette::ReadSecretFile(flags.hmac_secret_file);
  if (!secret.ok()) {
    return etiquette::StartupFailed(etiquette::ForFlag("--hmac_secret_file", secret.status()));
  }
  absl::StatusOr<etiquette::RecipientHasher> hasher =
      etiquette::RecipientHasher::FromFileContent(*secret);
  if (!hasher.ok()) {
    return etiquette::StartupFailed(etiquette::ForFlag("--hmac_secret_file", hasher.status()));
  }
  std::shared_ptr<etiquette::AdminTokens> admin_tokens;
  if (!flags.admin_token_file.empty()) {
    absl::StatusOr<std::shared_ptr<etiquette::AdminTokens>> tokens =
        etiquette::AdminTokens::Open(flags.admin_token_file);
    if (!tokens.ok()) {
      return etiquette::StartupFailed(etiquette::ForFlag("--admin_token_file", tokens.status()));
    }
    admin_tokens = std::move(*tokens);
  } else {
    spdlog::warn("no --admin_token_file: admin calls answer PERMISSION_DENIED");
  }
  absl::StatusOr<etiquette::RedisOptions> redis = etiquette::ParseRedisUrl(flags.redis);
  if (!redis.ok()) return etiquette::StartupFailed(etiquette::ForFlag("--redis", redis.status()));
  if (flags.redis_timeout_ms <= 0) {
    return etiquette::StartupFailed(
        absl::InvalidArgumentError("--redis_timeout_ms must be greater than 0"));
  }
  if (flags.redis_write_timeout_ms <= 0) {
    return etiquette::StartupFailed(
        absl::InvalidArgumentError("--redis_write_timeout_ms must be greater than 0"));
  }
  if (flags.redis_wait_replicas < 0) {
    return etiquette::StartupFailed(
        absl::InvalidArgumentError("--redis_wait_replicas must be 0 or more"));
  }
  redis->timeout = absl::Milliseconds(flags.redis_timeout_ms);
  redis->wait_replicas = flags.redis_wait_replicas;
  redis->write_timeout = absl::Milliseconds(flags.redis_write_timeout_ms);
  if (absl::Status s =
          etiquette::ReadRedisCredentials(flags.redis_user_file, flags.redis_password_file, *redis);
      !s.ok()) {
    return etiquette::StartupFailed(s);
  }
  if (absl::Status s = etiquette::ApplyRedisNodeMap(flags.redis_node_map, *redis); !s.ok()) {
    return etiquette::StartupFailed(s);
  }
  absl::StatusOr<etiquette::GrpcServerOptions> options = etiquette::ServerOptionsFrom(flags.server);
  if (!options.ok()) return etiquette::StartupFailed(options.status());
  absl::StatusOr<etiquette::AdminListener> admin_listener =
      etiquette::MakeAdminListener(flags.server, flags.admin);
  if (!admin_listener.ok()) return etiquette::StartupFailed(admin_listener.status());

  auto registry = std::make_shared<prometheus::Registry>();
  etiquette::HistoryMetrics history_metrics(registry);
  etiquette::HistoryMetricsRedisObserver redis_observer(history_metrics);
  etiquette::ConfigMetrics config_metrics(registry, "version");
  config_metrics.SetActiveVersion(etiquette::ConfigVersion(config));
  etiquette::RedisHistoryStore store(*redis, etiquette::StorePolicyFrom(config), &redis_observer);
  if (!flags.rekey_members_file.empty()) {
    return etiquette::RekeyMain(store, *hasher, flags.rekey_members_file);
  }
  const std::string key_ids = absl::StrJoin(hasher->KeyIds(), ",");
  etiquette::History history(store, std::move(*hasher), config);
  etiquette::SenderHistoryService service(history);
  etiquette::AdminThrottle admin_throttle(absl::Now);
  etiquette::SenderHistoryAdminService admin_service(history, admin_tokens, &history_metrics,
                                                     {admin_listener->identities, &admin_throttle});

  etiquette::ServerRun run;
  run.program = "etiquette-history";
  run.details = absl::StrCat("redis ", redis->host, ":", redis->port,
                             redis->user.empty() ? "" : absl::StrCat(" as ", redis->user),
                             ", config version ", etiquette::ConfigVersion(config),
                             ", hmac key ids ", key_ids);
  run.options = std::move(*options);
  run.registry = registry;
  run.services = {&service};
  run.health_names = {etiquette::v1::SenderHistory::service_full_name()};
  if (admin_listener->enabled) {  // SenderHistoryAdmin only on its own listener
    run.listeners.push_back({"admin",
                             std::move(admin_listener->options),
                             {&admin_service},
                             {etiquette::v1::SenderHistoryAdmin::service_full_name()}});
  }
  run.check_dependency = [&history] { return history.CheckStore(); };
  // Hot reload of the thresholds.
  run.config_path = flags.config;
  run.reload = [&] {
    absl::StatusOr<etiquette::v1::HistoryConfig> loaded =
        etiquette::LoadHistoryConfigFile(flags.config);
    if (!loaded.ok()) {
      config_metrics.RecordReload(false, "");
      spdlog::error("config reload failed, keeping version {}: {}",
                    etiquette::ConfigVersion(*history.config()), loaded.status().ToString());
      return;
    }
    const std::string version = etiquette::ConfigVersion(*loaded);
    history.ReplaceConfig(std::move(*loaded));
    config_metrics.RecordReload(true, version);
    spdlog::info("config reloaded, version {}", version);
  };
  return etiquette::RunServer(flags.server, std::move(run));
}
