#include "evaluator/evaluator_service.h"

#include <chrono>
#include <utility>

#include "common/status.h"

namespace etiquette {

// Access logs carry only ids, codes and numbers: never notes, names, headlines, summaries,
// company or group names. The invitation id is logged only when it passes the id check.
//
// The request and response stay valid until reactor->Finish, which the evaluator's `done`
// calls last (inline, or from history's answer); nothing touches the call after Finish.

EvaluatorService::EvaluatorService(const Evaluator& evaluator, EvaluatorMetrics* metrics)
    : evaluator_(evaluator), metrics_(metrics) {
  AddUnary("Evaluate", &EvaluatorService::Evaluate);
  AddUnary("EvaluateBatch", &EvaluatorService::EvaluateBatch);
  AddUnary("ListRules", &EvaluatorService::ListRules);
}

void EvaluatorService::Evaluate(grpc::CallbackServerContext*, const v1::EvaluateRequest* request,
                                v1::EvaluateResponse* response, UnaryReactor* reactor) {
  reactor->SetInvitationId(request->invitation().invitation_id());
  evaluator_.Evaluate(*request, [this, response, reactor](absl::StatusOr<v1::Verdict> verdict) {
    if (verdict.ok()) {
      if (metrics_ != nullptr) metrics_->RecordVerdict(*verdict);
      *response->mutable_verdict() = std::move(*verdict);
    }
    reactor->Finish(ToGrpcStatus(verdict.status()));
  });
}

void EvaluatorService::EvaluateBatch(grpc::CallbackServerContext* context,
                                     const v1::EvaluateBatchRequest* request,
                                     v1::EvaluateBatchResponse* response, UnaryReactor* reactor) {
  reactor->SetBatchSize(request->invitations_size());
  // The caller has gone: cancelled, or past its deadline. The context lives until Finish.
  Evaluator::IsCancelled cancelled = [context] {
    return context->IsCancelled() || context->deadline() < std::chrono::system_clock::now();
  };
  evaluator_.EvaluateBatch(
      *request,
      [this, response, reactor](absl::StatusOr<v1::EvaluateBatchResponse> result) {
        if (result.ok()) {
          if (metrics_ != nullptr) {
            for (const v1::Verdict& verdict : result->verdicts()) metrics_->RecordVerdict(verdict);
          }
          *response = std::move(*result);
        }
        reactor->Finish(ToGrpcStatus(result.status()));
      },
      std::move(cancelled));
}

void EvaluatorService::ListRules(grpc::CallbackServerContext*, const v1::ListRulesRequest*,
                                 v1::ListRulesResponse* response, UnaryReactor* reactor) {
  *response = evaluator_.ListRules();
  reactor->Finish(grpc::Status::OK);
}

}  // namespace etiquette
