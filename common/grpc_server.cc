#include "common/grpc_server.h"

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace etiquette {

absl::StatusOr<StartedServer> StartGrpcServer(GrpcServerOptions options,
                                              const std::vector<grpc::Service*>& services,
                                              const std::vector<std::string>& health_names) {
  // Both are process-wide switches read when the builder is created.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  // Nothing else references health.pb.o, so without this the linker drops it from the static
  // proto library and reflection cannot describe grpc.health.v1.Health.
  grpc::health::v1::HealthCheckRequest::descriptor();

  StartedServer started;
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> credentials =
      options.credentials ? options.credentials : grpc::InsecureServerCredentials();
  builder.AddListeningPort(options.address, credentials, &started.port);
  if (!options.interceptors.empty()) {
    builder.experimental().SetInterceptorCreators(std::move(options.interceptors));
  }
  builder.SetMaxReceiveMessageSize(kMaxRequestBytes);
  for (grpc::Service* service : services) builder.RegisterService(service);
  started.server = builder.BuildAndStart();
  if (started.server == nullptr || started.port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.address));
  }
  grpc::HealthCheckServiceInterface* health = started.server->GetHealthCheckService();
  health->SetServingStatus(true);
  for (const std::string& name : health_names) health->SetServingStatus(name, true);
  return started;
}

}  // namespace etiquette
