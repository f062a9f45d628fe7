#include "evaluator/evaluator_service.h"

#include <memory>
#include <optional>
#include <utility>

#include "common/access_log.h"
#include "common/grpc_raw_messages.h"
#include "common/status.h"

namespace etiquette {
namespace {

// Finishes a call whose request did not parse, as the sync API did: its status, no access line
// (the metrics interceptor still counts it).
grpc::ServerUnaryReactor* Refuse(grpc::ServerUnaryReactor* reactor, grpc::Status status) {
  reactor->Finish(std::move(status));
  return reactor;
}

}  // namespace

// Access logs carry only ids, codes and numbers: never notes, names, headlines, summaries,
// company or group names. The invitation id is logged only when it passes the id check.
//
// The response buffer stays valid until the reactor's Finish, which the evaluator's `done`
// calls (inline, or from history's answer); nothing touches the call after Finish.

grpc::ServerUnaryReactor* EvaluatorService::Evaluate(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* request,
                                                     grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto call = std::make_shared<RawCall<v1::EvaluateRequest>>();
  if (grpc::Status parsed = ParseRequest(*request, &call->request); !parsed.ok()) {
    return Refuse(reactor, std::move(parsed));
  }
  call->log.emplace(context, "Evaluate");
  call->log->SetInvitationId(call->request.invitation().invitation_id());
  evaluator_.Evaluate(call->request,
                      [this, reactor, response, call](absl::StatusOr<v1::Verdict> verdict) {
                        grpc::Status status = ToGrpcStatus(verdict.status());
                        if (verdict.ok()) {
                          if (metrics_ != nullptr) metrics_->RecordVerdict(*verdict);
                          v1::EvaluateResponse answer;
                          *answer.mutable_verdict() = std::move(*verdict);
                          status = SerializeResponse(answer, response);
                        }
                        reactor->Finish(call->log->Finish(std::move(status)));
                      });
  return reactor;
}

grpc::ServerUnaryReactor* EvaluatorService::EvaluateBatch(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto call = std::make_shared<RawCall<v1::EvaluateBatchRequest>>();
  if (grpc::Status parsed = ParseRequest(*request, &call->request); !parsed.ok()) {
    return Refuse(reactor, std::move(parsed));
  }
  call->log.emplace(context, "EvaluateBatch");
  call->log->SetBatchSize(call->request.invitations_size());
  evaluator_.EvaluateBatch(call->request, [this, reactor, response,
                                           call](absl::StatusOr<v1::EvaluateBatchResponse> result) {
    grpc::Status status = ToGrpcStatus(result.status());
    if (result.ok()) {
      if (metrics_ != nullptr) {
        for (const v1::Verdict& verdict : result->verdicts()) metrics_->RecordVerdict(verdict);
      }
      status = SerializeResponse(*result, response);
    }
    reactor->Finish(call->log->Finish(std::move(status)));
  });
  return reactor;
}

grpc::ServerUnaryReactor* EvaluatorService::ListRules(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  v1::ListRulesRequest parsed_request;
  if (grpc::Status parsed = ParseRequest(*request, &parsed_request); !parsed.ok()) {
    return Refuse(reactor, std::move(parsed));
  }
  CallLog log(context, "ListRules");
  reactor->Finish(log.Finish(SerializeResponse(evaluator_.ListRules(), response)));
  return reactor;
}

}  // namespace etiquette
