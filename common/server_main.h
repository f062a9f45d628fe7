#pragma once

// The part of a server's main after it has read its flags and built its components: the
// metrics endpoint, the gRPC server (metrics interceptor, reflection, health), config reload on
// SIGHUP and on a change of the file, the signal loop, drain and shutdown. Both mains end with
//
//   return etiquette::RunServer(flags.server, std::move(run));

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/grpc_server.h"
#include "common/server_flags.h"
#include "grpcpp/impl/service_type.h"
#include "prometheus/registry.h"

namespace etiquette {

// A further listener of the process, with its own gRPC server (e.g. history's admin service):
// its own address, credentials and services, its own health service (the overall status and
// `health_names`) and reflection of its own services only (options.bounds.reflection). It shares
// the metrics interceptor, the dependency watch and the drain with the main server.
struct ListenerRun {
  // The start-up line's name for it: "..., <name> port N".
  std::string name;
  // Address, credentials, bounds; no health_address; RunServer adds the metrics interceptor.
  GrpcServerOptions options;
  std::vector<grpc::Service*> services;
  std::vector<std::string> health_names;
};

// What RunServer serves; everything it points to must outlive the call.
struct ServerRun {
  // The first word of the start-up line, e.g. "etiquette-evaluator".
  std::string program;
  // The end of the start-up line, after the ports (e.g. "rules_version ..., history ...").
  std::string details;
  // ServerOptionsFrom(flags) plus the server's own settings; RunServer adds the metrics
  // interceptor.
  GrpcServerOptions options;
  // Served on /metrics at --metrics_listen (empty: no endpoint) and filled by the interceptor.
  std::shared_ptr<prometheus::Registry> registry;
  std::vector<grpc::Service*> services;
  // The services' full names, for grpc.health.v1.Health.
  std::vector<std::string> health_names;
  // Servers on further ports, started after the main one and drained together with it.
  std::vector<ListenerRun> listeners;
  // Empty: no reload. Otherwise `reload` runs (one at a time, never concurrently) on SIGHUP and
  // within a second of a change of this file; it logs and counts its own outcome.
  std::string config_path;
  std::function<void()> reload;
  // Set: the dependency the services need (history's store), checked every 500 ms; its
  // failure turns the services (not the process) NOT_SERVING (WatchHealth).
  std::function<absl::Status()> check_dependency;
};

// Logs `status` as critical; returns the exit code of a server that cannot start (1).
int StartupFailed(const absl::Status& status);

// Registers etiquette_build_info{version} in run.registry, starts the metrics endpoint, blocks the
// server signals (before any thread that must not take them starts), starts the gRPC server, the
// dependency watch, the release of free memory every 10 s and the config file watch, logs
// "<program> <version> serving on ...; bounds: ..." (DescribeBounds), then serves until SIGINT or
// SIGTERM. Then the drain: health NOT_SERVING at once; after SIGTERM new calls are still served
// for --drain_delay_s (SIGINT or a second SIGTERM cuts it short); then GOAWAY, and calls in
// flight get up to --shutdown_grace_s; it stops the metrics endpoint and logs "stopped". Returns
// the process' exit code: 0 after a stop, 1 when something could not start.
int RunServer(const ServerFlags& flags, ServerRun run);

}  // namespace etiquette
