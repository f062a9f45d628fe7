#include "evaluator/evaluator_service.h"

#include "common/access_log.h"
#include "common/status.h"

namespace etiquette {

// Access logs carry only ids, codes and numbers: never notes, names, headlines, summaries,
// company or group names. The invitation id is logged only when it passes the id check.

grpc::Status EvaluatorService::Evaluate(grpc::ServerContext* context,
                                        const v1::EvaluateRequest* request,
                                        v1::EvaluateResponse* response) {
  CallLog log(context, "Evaluate");
  log.SetInvitationId(request->invitation().invitation_id());
  absl::StatusOr<v1::Verdict> verdict = evaluator_.Evaluate(*request);
  grpc::Status status = ToGrpcStatus(verdict.status());
  if (verdict.ok()) {
    if (metrics_ != nullptr) metrics_->RecordVerdict(*verdict);
    *response->mutable_verdict() = std::move(*verdict);
  }
  return log.Finish(std::move(status));
}

grpc::Status EvaluatorService::EvaluateBatch(grpc::ServerContext* context,
                                             const v1::EvaluateBatchRequest* request,
                                             v1::EvaluateBatchResponse* response) {
  CallLog log(context, "EvaluateBatch");
  log.SetBatchSize(request->invitations_size());
  absl::StatusOr<v1::EvaluateBatchResponse> result = evaluator_.EvaluateBatch(*request);
  grpc::Status status = ToGrpcStatus(result.status());
  if (result.ok()) {
    if (metrics_ != nullptr) {
      for (const v1::Verdict& verdict : result->verdicts()) metrics_->RecordVerdict(verdict);
    }
    *response = std::move(*result);
  }
  return log.Finish(std::move(status));
}

grpc::Status EvaluatorService::ListRules(grpc::ServerContext* context, const v1::ListRulesRequest*,
                                         v1::ListRulesResponse* response) {
  CallLog log(context, "ListRules");
  *response = evaluator_.ListRules();
  return log.Finish(grpc::Status::OK);
}

}  // namespace etiquette
