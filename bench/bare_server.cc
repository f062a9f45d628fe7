// etiquette-bare-server: InvitationEvaluator as gRPC's textbook callback server, the reference
// that issue 17's "Evaluate standalone >= 0.85x bare" divides by. The generated typed callback
// service (grpc::ServerUnaryReactor from context->DefaultReactor(), gRPC's own parsing without an
// arena), a plain grpc::ServerBuilder: no interceptor, no reflection, no health service, no
// access log, no metrics, no bounds beyond gRPC's defaults. It answers the null service's fixed
// verdict (DECISION_SEND, likelihood 0.31, rules version "null00000000", the invitation id
// echoed), so the load generator's checks pass and the response has the null service's size.
// It links only the generated protos (not etiquette_common), so nothing registers itself into
// the builder behind its back (gRPC's reflection plugin does so from a static initializer).
// Like the real servers (common/server_flags.cc), it turns off absl::Mutex's deadlock detection,
// which Debian's absl (built without NDEBUG) runs on every lock in gRPC's hot paths: left on, it
// took 6.6% of this server's CPU (perf, GraphCycles::GetId and RemoveNode), a handicap of the
// reference that the evaluator does not carry.
//
//   etiquette-bare-server [--listen=127.0.0.1:0]
//
// Logs "etiquette-bare-server serving on ADDR (port N)" on stderr (bench/run.sh reads the port),
// then serves until SIGINT or SIGTERM.
#include <csignal>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "bench/null_verdict.h"
#include "etiquette/v1/evaluator.grpc.pb.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/server_callback.h"

namespace {

using etiquette::v1::EvaluateBatchRequest;
using etiquette::v1::EvaluateBatchResponse;
using etiquette::v1::EvaluateRequest;
using etiquette::v1::EvaluateResponse;
using etiquette::v1::ListRulesRequest;
using etiquette::v1::ListRulesResponse;

using etiquette::bench::FixedVerdict;
using etiquette::bench::kNullVersion;

class BareEvaluator final : public etiquette::v1::InvitationEvaluator::CallbackService {
 public:
  grpc::ServerUnaryReactor* Evaluate(grpc::CallbackServerContext* context,
                                     const EvaluateRequest* request,
                                     EvaluateResponse* response) override {
    FixedVerdict(request->invitation().invitation_id(), response->mutable_verdict());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerUnaryReactor* EvaluateBatch(grpc::CallbackServerContext* context,
                                          const EvaluateBatchRequest* request,
                                          EvaluateBatchResponse* response) override {
    response->mutable_verdicts()->Reserve(request->invitations_size());
    for (const etiquette::v1::Invitation& invitation : request->invitations()) {
      FixedVerdict(invitation.invitation_id(), response->add_verdicts());
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerUnaryReactor* ListRules(grpc::CallbackServerContext* context, const ListRulesRequest*,
                                      ListRulesResponse* response) override {
    response->set_rules_version(kNullVersion);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--listen=", 9) == 0) {
      listen = argv[i] + 9;
    } else {
      std::cerr << "usage: " << argv[0] << " [--listen=HOST:PORT]\n";
      return std::strcmp(argv[i], "--help") == 0 ? 0 : 2;
    }
  }
  // Blocked before gRPC starts its threads, so that only sigwait below takes them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  BareEvaluator service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "etiquette-bare-server: cannot serve on " << listen << "\n";
    return 1;
  }
  std::cerr << "etiquette-bare-server serving on " << listen << " (port " << port << ")"
            << std::endl;
  int signal = 0;
  sigwait(&signals, &signal);
  server->Shutdown();
  return 0;
}
