// etiquette-null-service: InvitationEvaluator and SenderHistory with the real message shapes
// that do no work (a fixed small verdict / standing). Started exactly like the real servers
// (common/grpc_server.h StartGrpcServer: reflection, health, 4 MiB requests) and, by default,
// on the same gRPC API as each real server (the callback API through the same typed-handler
// adapter, common/typed_callback_service.h, without the access log), so its calls/s is the gRPC
// limit of the machine that the benchmarks divide by.
//
//   etiquette-null-service [--listen=127.0.0.1:0] [--metrics_interceptor]
//                          [--evaluator_api=callback|sync] [--history_api=callback|sync]
//
// Logs "etiquette-null-service serving on ADDR (port N)" on stderr, then serves until SIGINT or
// SIGTERM. --metrics_interceptor adds the real servers' Prometheus interceptor (off by default:
// the null service measures gRPC alone; on, it shows what the interceptor costs). The *_api
// flags measure what the other gRPC server API would give.
#include <iostream>
#include <memory>

#include "bench/null_verdict.h"
#include "common/command_line.h"
#include "common/grpc_metrics_interceptor.h"
#include "common/grpc_server.h"
#include "common/logging.h"
#include "common/signals.h"
#include "common/typed_callback_service.h"
#include "etiquette/v1/evaluator.grpc.pb.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "prometheus/registry.h"
#include "spdlog/spdlog.h"

namespace {

using etiquette::v1::BatchGetStandingRequest;
using etiquette::v1::BatchGetStandingResponse;
using etiquette::v1::EvaluateBatchRequest;
using etiquette::v1::EvaluateBatchResponse;
using etiquette::v1::EvaluateRequest;
using etiquette::v1::EvaluateResponse;
using etiquette::v1::GetStandingRequest;
using etiquette::v1::GetStandingResponse;
using etiquette::v1::ListRulesRequest;
using etiquette::v1::ListRulesResponse;
using etiquette::v1::RecordInvitationRequest;
using etiquette::v1::RecordInvitationResponse;
using etiquette::v1::RecordResponseRequest;
using etiquette::v1::RecordResponseResponse;

using etiquette::bench::FixedVerdict;
using etiquette::bench::kNullVersion;

void FixedStanding(const std::string& sender_id, etiquette::v1::SenderStanding* standing) {
  standing->set_sender_id(sender_id);
  standing->set_state(etiquette::v1::STANDING_STATE_GOOD);
}

class SyncNullEvaluator final : public etiquette::v1::InvitationEvaluator::Service {
 public:
  grpc::Status Evaluate(grpc::ServerContext*, const EvaluateRequest* request,
                        EvaluateResponse* response) override {
    FixedVerdict(request->invitation().invitation_id(), response->mutable_verdict());
    return grpc::Status::OK;
  }
  grpc::Status EvaluateBatch(grpc::ServerContext*, const EvaluateBatchRequest* request,
                             EvaluateBatchResponse* response) override {
    response->mutable_verdicts()->Reserve(request->invitations_size());
    for (const etiquette::v1::Invitation& invitation : request->invitations()) {
      FixedVerdict(invitation.invitation_id(), response->add_verdicts());
    }
    return grpc::Status::OK;
  }
  grpc::Status ListRules(grpc::ServerContext*, const ListRulesRequest*,
                         ListRulesResponse* response) override {
    response->set_rules_version(kNullVersion);
    return grpc::Status::OK;
  }
};

class SyncNullHistory final : public etiquette::v1::SenderHistory::Service {
 public:
  grpc::Status RecordInvitation(grpc::ServerContext*, const RecordInvitationRequest* request,
                                RecordInvitationResponse* response) override {
    FixedStanding(request->sender_id(), response->mutable_standing());
    return grpc::Status::OK;
  }
  grpc::Status RecordResponse(grpc::ServerContext*, const RecordResponseRequest* request,
                              RecordResponseResponse* response) override {
    FixedStanding(request->sender_id(), response->mutable_standing());
    return grpc::Status::OK;
  }
  grpc::Status GetStanding(grpc::ServerContext*, const GetStandingRequest* request,
                           GetStandingResponse* response) override {
    FixedStanding(request->sender_id(), response->mutable_standing());
    return grpc::Status::OK;
  }
  grpc::Status BatchGetStanding(grpc::ServerContext*, const BatchGetStandingRequest* request,
                                BatchGetStandingResponse* response) override {
    response->mutable_standings()->Reserve(request->requests_size());
    for (const GetStandingRequest& one : request->requests()) {
      FixedStanding(one.sender_id(), response->add_standings());
    }
    return grpc::Status::OK;
  }
};

// The callback API as the real servers use it: typed handlers through the same adapter
// (common/typed_callback_service.h: request parsed onto an arena, response serialized by the
// adapter), finishing inline, without the access log.
template <typename Request, typename Response, typename Fill>
void Answer(const Request* request, Response* response, etiquette::UnaryReactor* reactor,
            const Fill& fill) {
  fill(*request, response);
  reactor->Finish(grpc::Status::OK);
}

using etiquette::AccessLogging;
using etiquette::UnaryReactor;

class CallbackNullEvaluator final
    : public etiquette::TypedCallbackService<etiquette::v1::InvitationEvaluator> {
 public:
  CallbackNullEvaluator() {
    AddUnary("Evaluate", &CallbackNullEvaluator::Evaluate, {}, AccessLogging::kUnlogged);
    AddUnary("EvaluateBatch", &CallbackNullEvaluator::EvaluateBatch, {}, AccessLogging::kUnlogged);
    AddUnary("ListRules", &CallbackNullEvaluator::ListRules, {}, AccessLogging::kUnlogged);
  }
  void Evaluate(grpc::CallbackServerContext*, const EvaluateRequest* request,
                EvaluateResponse* response, UnaryReactor* reactor) {
    Answer(request, response, reactor, [](const EvaluateRequest& in, EvaluateResponse* out) {
      FixedVerdict(in.invitation().invitation_id(), out->mutable_verdict());
    });
  }
  void EvaluateBatch(grpc::CallbackServerContext*, const EvaluateBatchRequest* request,
                     EvaluateBatchResponse* response, UnaryReactor* reactor) {
    Answer(request, response, reactor,
           [](const EvaluateBatchRequest& in, EvaluateBatchResponse* out) {
             out->mutable_verdicts()->Reserve(in.invitations_size());
             for (const etiquette::v1::Invitation& invitation : in.invitations()) {
               FixedVerdict(invitation.invitation_id(), out->add_verdicts());
             }
           });
  }
  void ListRules(grpc::CallbackServerContext*, const ListRulesRequest* request,
                 ListRulesResponse* response, UnaryReactor* reactor) {
    Answer(request, response, reactor, [](const ListRulesRequest&, ListRulesResponse* out) {
      out->set_rules_version(kNullVersion);
    });
  }
};

class CallbackNullHistory final
    : public etiquette::TypedCallbackService<etiquette::v1::SenderHistory> {
 public:
  CallbackNullHistory() {
    AddUnary("RecordInvitation", &CallbackNullHistory::RecordInvitation, {},
             AccessLogging::kUnlogged);
    AddUnary("RecordResponse", &CallbackNullHistory::RecordResponse, {}, AccessLogging::kUnlogged);
    AddUnary("GetStanding", &CallbackNullHistory::GetStanding, {}, AccessLogging::kUnlogged);
    AddUnary("BatchGetStanding", &CallbackNullHistory::BatchGetStanding, {},
             AccessLogging::kUnlogged);
  }
  void RecordInvitation(grpc::CallbackServerContext*, const RecordInvitationRequest* request,
                        RecordInvitationResponse* response, UnaryReactor* reactor) {
    Answer(request, response, reactor,
           [](const RecordInvitationRequest& in, RecordInvitationResponse* out) {
             FixedStanding(in.sender_id(), out->mutable_standing());
           });
  }
  void RecordResponse(grpc::CallbackServerContext*, const RecordResponseRequest* request,
                      RecordResponseResponse* response, UnaryReactor* reactor) {
    Answer(request, response, reactor,
           [](const RecordResponseRequest& in, RecordResponseResponse* out) {
             FixedStanding(in.sender_id(), out->mutable_standing());
           });
  }
  void GetStanding(grpc::CallbackServerContext*, const GetStandingRequest* request,
                   GetStandingResponse* response, UnaryReactor* reactor) {
    Answer(request, response, reactor, [](const GetStandingRequest& in, GetStandingResponse* out) {
      FixedStanding(in.sender_id(), out->mutable_standing());
    });
  }
  void BatchGetStanding(grpc::CallbackServerContext*, const BatchGetStandingRequest* request,
                        BatchGetStandingResponse* response, UnaryReactor* reactor) {
    Answer(request, response, reactor,
           [](const BatchGetStandingRequest& in, BatchGetStandingResponse* out) {
             out->mutable_standings()->Reserve(in.requests_size());
             for (const GetStandingRequest& one : in.requests()) {
               FixedStanding(one.sender_id(), out->add_standings());
             }
           });
  }
};

bool ValidApi(const std::string& api) { return api == "callback" || api == "sync"; }

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  bool metrics_interceptor = false;
  std::string log_level = "info";
  std::string evaluator_api = "callback";
  std::string history_api = "callback";
  etiquette::CommandLine command_line;
  command_line.AddString("listen", &listen, "address to serve gRPC on, host:port (0 = free port)");
  command_line.AddBool("metrics_interceptor", &metrics_interceptor,
                       "add the real servers' Prometheus metrics interceptor");
  command_line.AddString("log_level", &log_level, "trace, debug, info, warn, error, critical, off");
  command_line.AddString("evaluator_api", &evaluator_api,
                         "gRPC server API of InvitationEvaluator: callback (as "
                         "etiquette-evaluator) or sync");
  command_line.AddString("history_api", &history_api,
                         "gRPC server API of SenderHistory: callback (as etiquette-history) "
                         "or sync");
  if (absl::Status s = command_line.Parse(argc, argv); !s.ok()) {
    std::cerr << s.message() << "\n" << command_line.Usage(argv[0]);
    return 2;
  }
  if (command_line.help_requested()) {
    std::cout << command_line.Usage(argv[0]);
    return 0;
  }
  if (!ValidApi(evaluator_api) || !ValidApi(history_api)) {
    std::cerr << "--evaluator_api and --history_api: expected callback or sync\n";
    return 2;
  }
  if (absl::Status s = etiquette::ConfigureLogging("text", log_level); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 2;
  }

  SyncNullEvaluator sync_evaluator;
  CallbackNullEvaluator callback_evaluator;
  SyncNullHistory sync_history;
  CallbackNullHistory callback_history;
  grpc::Service* evaluator = evaluator_api == "callback"
                                 ? static_cast<grpc::Service*>(&callback_evaluator)
                                 : &sync_evaluator;
  grpc::Service* history =
      history_api == "callback" ? static_cast<grpc::Service*>(&callback_history) : &sync_history;
  const sigset_t signals = etiquette::BlockServerSignals();
  etiquette::GrpcServerOptions options;
  options.address = listen;
  if (metrics_interceptor) {
    options.interceptors.push_back(etiquette::NewGrpcServerMetricsInterceptorFactory(
        std::make_shared<prometheus::Registry>()));
  }
  absl::StatusOr<std::unique_ptr<etiquette::RunningServer>> server =
      etiquette::StartGrpcServer(std::move(options), {evaluator, history},
                                 {etiquette::v1::InvitationEvaluator::service_full_name(),
                                  etiquette::v1::SenderHistory::service_full_name()});
  if (!server.ok()) {
    spdlog::critical("{}", server.status().ToString());
    return 1;
  }
  spdlog::info(
      "etiquette-null-service serving on {} (port {}), metrics interceptor {}, evaluator {} API, "
      "history {} API",
      listen, (*server)->port(), metrics_interceptor ? "on" : "off", evaluator_api, history_api);
  const int signal = etiquette::WaitForServerSignal(signals);
  spdlog::info("signal {} received, stopping", signal);
  (*server)->Shutdown(absl::Seconds(1));
  return 0;
}
