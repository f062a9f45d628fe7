#include "common/grpc_server.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace etiquette {

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
  // Both are process-wide switches read when a builder is created.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  // Nothing else references health.pb.o, so without this the linker drops it from the static
  // proto library and reflection cannot describe grpc.health.v1.Health.
  grpc::health::v1::HealthCheckRequest::descriptor();

  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(
      options.address,
      options.credentials ? options.credentials : grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(kMaxRequestBytes);
  // Services on the sync API (reflection, health): the sync server keeps at most MAX_POLLERS
  // threads waiting for calls and ends the others; gRPC's default of 2 makes it create and
  // destroy a thread around most calls under load. The services' own calls are on the callback
  // API and run on gRPC's own small pool of threads.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 64);
  // Clients reconnect now and then, so that long-lived channels spread over new replicas
  // behind a Kubernetes Service; calls in flight get the grace to finish.
  if (options.max_concurrent_streams > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams);
  }
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
