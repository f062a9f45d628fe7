#include "common/grpc_server.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace etiquette {
namespace {

// Server reflection on one builder or not. Linking gRPC's reflection library registers its
// plugin for every builder of the process (a static initializer), so the plugin is taken out of
// this builder's list, and put back once when wanted.
class ReflectionOption : public grpc::ServerBuilderOption {
 public:
  explicit ReflectionOption(bool enabled) : enabled_(enabled) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    grpc::reflection::ProtoServerReflectionPlugin reflection;
    const std::string name = reflection.name();
    plugins->erase(std::remove_if(plugins->begin(), plugins->end(),
                                  [&name](const auto& plugin) { return plugin->name() == name; }),
                   plugins->end());
    if (enabled_) {
      plugins->push_back(std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>());
    }
  }

 private:
  const bool enabled_;
};

// The bounds every listener of the process gets (the services' port and the health port).
void ApplyBounds(const ServerBounds& bounds, grpc::ServerBuilder& builder) {
  grpc::ResourceQuota quota("etiquette");
  quota.Resize(size_t{1} * bounds.memory_quota_mib * 1024 * 1024);
  quota.SetMaxThreads(bounds.max_threads);
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(bounds.max_request_bytes);
  if (bounds.max_concurrent_streams > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, bounds.max_concurrent_streams);
  }
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, bounds.max_connection_idle_ms);
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, bounds.handshake_timeout_ms);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             bounds.min_ping_interval_ms);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, bounds.max_ping_strikes);
}

}  // namespace

std::string DescribeBounds(const ServerBounds& b) {
  return absl::StrCat("max_request_bytes ", b.max_request_bytes, ", max_concurrent_streams ",
                      b.max_concurrent_streams, ", grpc_memory_quota_mib ", b.memory_quota_mib,
                      ", grpc_max_threads ", b.max_threads, ", max_connection_idle_ms ",
                      b.max_connection_idle_ms, ", handshake_timeout_ms ", b.handshake_timeout_ms,
                      ", min_ping_interval_ms ", b.min_ping_interval_ms, ", max_ping_strikes ",
                      b.max_ping_strikes, ", reflection ", b.reflection ? "on" : "off");
}

RunningServer::RunningServer(std::unique_ptr<grpc::Server> server, int port,
                             std::unique_ptr<grpc::Server> health_server, int health_port,
                             std::vector<std::string> health_names)
    : server_(std::move(server)),
      port_(port),
      health_server_(std::move(health_server)),
      health_port_(health_port),
      health_names_(std::move(health_names)) {
  SetServing(true);
}

RunningServer::~RunningServer() { Shutdown(absl::ZeroDuration()); }

void RunningServer::SetServing(bool serving) {
  for (grpc::Server* server : {server_.get(), health_server_.get()}) {
    if (server == nullptr) continue;
    grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
    health->SetServingStatus(serving);
    for (const std::string& name : health_names_) health->SetServingStatus(name, serving);
  }
}

void RunningServer::SetServicesServing(bool serving) {
  for (grpc::Server* server : {server_.get(), health_server_.get()}) {
    if (server == nullptr) continue;
    for (const std::string& name : health_names_) {
      server->GetHealthCheckService()->SetServingStatus(name, serving);
    }
  }
}

void RunningServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  SetServing(false);
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
  server_.reset();
  if (health_server_ != nullptr) {
    health_server_->Shutdown(absl::ToChronoTime(absl::Now()));
    health_server_.reset();
  }
}

absl::StatusOr<std::unique_ptr<RunningServer>> StartGrpcServer(
    GrpcServerOptions options, const std::vector<grpc::Service*>& services,
    const std::vector<std::string>& health_names) {
  // A process-wide switch read when a builder is created.
  grpc::EnableDefaultHealthCheckService(true);
  // Nothing else references health.pb.o, so without this the linker drops it from the static
  // proto library and reflection cannot describe grpc.health.v1.Health.
  grpc::health::v1::HealthCheckRequest::descriptor();

  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(
      options.address,
      options.credentials ? options.credentials : grpc::InsecureServerCredentials(), &port);
  builder.SetOption(std::make_unique<ReflectionOption>(options.bounds.reflection));
  ApplyBounds(options.bounds, builder);
  // Services on the sync API (reflection): the sync server keeps at most MAX_POLLERS
  // threads waiting for calls and ends the others; gRPC's default of 2 makes it create and
  // destroy a thread around most calls under load. The services' own calls are on the callback
  // API and run on gRPC's own small pool of threads.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              std::min(64, options.bounds.max_threads));
  // Clients reconnect now and then, so that long-lived channels spread over new replicas
  // behind a Kubernetes Service; calls in flight get the grace to finish.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, 5 * 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 30 * 1000);
  if (!options.interceptors.empty()) {
    builder.experimental().SetInterceptorCreators(std::move(options.interceptors));
  }
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.address));
  }

  int health_port = 0;
  std::unique_ptr<grpc::Server> health_server;
  if (!options.health_address.empty()) {
    grpc::ServerBuilder health_builder;  // the default health service only
    health_builder.AddListeningPort(options.health_address, grpc::InsecureServerCredentials(),
                                    &health_port);
    // It keeps the reflection plugin that gRPC registers for every builder: a server must have
    // a sync (or callback) service when it is built, and health is only added as it starts.
    ApplyBounds(options.bounds, health_builder);
    health_server = health_builder.BuildAndStart();
    if (health_server == nullptr || health_port == 0) {
      server->Shutdown();
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options.health_address));
    }
  }
  return std::make_unique<RunningServer>(std::move(server), port, std::move(health_server),
                                         health_port, health_names);
}

}  // namespace etiquette
