#include "common/server_flags.h"

#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/logging.h"
#include "common/version.h"

namespace etiquette {

void AddServerFlags(CommandLine& command_line, ServerFlags& flags) {
  command_line.AddString("listen", &flags.listen, "address to serve gRPC on, host:port");
  command_line.AddString("health_listen", &flags.health_listen,
                         "plaintext address serving only grpc.health.v1 (for probes); empty = off");
  command_line.AddString("metrics_listen", &flags.metrics_listen,
                         "Prometheus /metrics over HTTP, host:port; empty = off");
  command_line.AddInt("drain_delay_s", &flags.drain_delay_s,
                      "on SIGTERM, health turns NOT_SERVING and new calls are still served this "
                      "long before the server stops accepting them (SIGINT: no delay)");
  command_line.AddInt("shutdown_grace_s", &flags.shutdown_grace_s,
                      "then, how long calls in flight may take to finish");
  command_line.AddString("tls_cert", &flags.tls.cert,
                         "server certificate (PEM); empty = plaintext");
  command_line.AddString("tls_key", &flags.tls.key, "server private key (PEM)");
  command_line.AddString("tls_client_ca", &flags.tls.ca,
                         "require client certificates signed by this CA (PEM)");
  command_line.AddInt("tls_refresh_s", &flags.tls.refresh_s,
                      "how often the TLS files are read again; a change applies to new "
                      "connections (rotation without restart)");
  command_line.AddBool("require_tls", &flags.require_tls,
                       "refuse to start unless TLS is configured (--tls_cert and --tls_key, and "
                       "each TLS flag of the server's other listeners and channels)");
  command_line.AddString("log_format", &flags.log_format, "text or json");
  command_line.AddString("log_level", &flags.log_level,
                         "trace, debug, info, warn, error, critical or off");
  ServerBounds& b = flags.bounds;
  command_line.AddInt("max_request_bytes", &b.max_request_bytes,
                      "largest request message; larger ones get RESOURCE_EXHAUSTED unread");
  command_line.AddInt("max_concurrent_streams", &b.max_concurrent_streams,
                      "calls in flight per client connection; a client's further calls wait on "
                      "its side (HTTP/2 MAX_CONCURRENT_STREAMS); 0 = no limit");
  command_line.AddInt("grpc_memory_quota_mib", &b.memory_quota_mib,
                      "memory gRPC may use for connections and calls (grpc::ResourceQuota), MiB");
  command_line.AddInt("grpc_max_threads", &b.max_threads,
                      "threads for sync-API calls (reflection), each open call holding one "
                      "(grpc::ResourceQuota); past it, new ones get RESOURCE_EXHAUSTED");
  command_line.AddInt("max_connection_idle_ms", &b.max_connection_idle_ms,
                      "close a client connection without calls for this long");
  command_line.AddInt("handshake_timeout_ms", &b.handshake_timeout_ms,
                      "close a connection whose TLS / HTTP/2 handshake takes longer");
  command_line.AddInt("min_ping_interval_ms", &b.min_ping_interval_ms,
                      "clients' keepalive pings without calls may come at most this often");
  command_line.AddInt("max_ping_strikes", &b.max_ping_strikes,
                      "pings that come too often before the connection is closed; 0 = no limit");
  command_line.AddBool("reflection", &b.reflection,
                       "serve gRPC server reflection on --listen (grpcurl without proto files), "
                       "and on history's --admin_listen, listing only its own services");
}

std::optional<int> ParseCommandLineOrExit(CommandLine& command_line, int argc,
                                          const char* const* argv) {
  if (absl::Status s = command_line.Parse(argc, argv); !s.ok()) {
    std::cerr << s.message() << "\n" << command_line.Usage(argv[0]);
    return 2;
  }
  if (command_line.help_requested()) {
    std::cout << command_line.Usage(argv[0]);
    return 0;
  }
  if (command_line.version_requested()) {
    const std::string program = argv[0];
    std::cout << program.substr(program.find_last_of('/') + 1) << " " << EtiquetteVersion() << "\n";
    return 0;
  }
  return std::nullopt;
}

absl::Status ApplyServerFlags(const ServerFlags& flags) {
  // Debian builds absl without NDEBUG, which turns on absl::Mutex's deadlock detection: a
  // graph update on every lock, in gRPC's hot paths too (about 5% of history's CPU).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (absl::Status s = ConfigureLogging(flags.log_format, flags.log_level); !s.ok()) return s;
  if (flags.shutdown_grace_s < 0) {
    return absl::InvalidArgumentError("--shutdown_grace_s must be at least 0");
  }
  if (flags.drain_delay_s < 0) {
    return absl::InvalidArgumentError("--drain_delay_s must be at least 0");
  }
  if (flags.tls.refresh_s <= 0) {
    return absl::InvalidArgumentError("--tls_refresh_s must be greater than 0");
  }
  const ServerBounds& b = flags.bounds;
  for (const auto& [name, value] : {std::pair{"max_request_bytes", b.max_request_bytes},
                                    {"grpc_memory_quota_mib", b.memory_quota_mib},
                                    {"grpc_max_threads", b.max_threads},
                                    {"max_connection_idle_ms", b.max_connection_idle_ms},
                                    {"handshake_timeout_ms", b.handshake_timeout_ms},
                                    {"min_ping_interval_ms", b.min_ping_interval_ms}}) {
    if (value <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " must be greater than 0"));
    }
  }
  for (const auto& [name, value] : {std::pair{"max_concurrent_streams", b.max_concurrent_streams},
                                    {"max_ping_strikes", b.max_ping_strikes}}) {
    if (value < 0) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " must be 0 or more"));
    }
  }
  return absl::OkStatus();
}

absl::Status TlsRequired(absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat("--require_tls: ", what, " is required"));
}

absl::Status CheckRequireTls(const ServerFlags& flags) {
  if (!flags.require_tls) return absl::OkStatus();
  if (flags.tls.cert.empty()) return TlsRequired("--tls_cert");
  if (flags.tls.key.empty()) return TlsRequired("--tls_key");
  return absl::OkStatus();
}

absl::StatusOr<GrpcServerOptions> ServerOptionsFrom(const ServerFlags& flags) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(flags.tls);
  if (!credentials.ok()) return credentials.status();
  GrpcServerOptions options;
  options.address = flags.listen;
  options.credentials = *credentials;
  options.health_address = flags.health_listen;
  options.bounds = flags.bounds;
  return options;
}

}  // namespace etiquette
