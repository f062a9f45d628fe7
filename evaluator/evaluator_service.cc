#include "evaluator/evaluator_service.h"

#include "absl/time/clock.h"
#include "common/status.h"
#include "spdlog/spdlog.h"

namespace etiquette {
namespace {

// One debug line a call. Only ids and numbers: never notes, names or headlines. The
// invitation id is logged only once the evaluator accepted it (its charset is then known).
void LogCall(const char* method, const grpc::Status& status, absl::Time start,
             const std::string& invitation_id) {
  spdlog::debug("rpc method={} code={} duration_us={} invitation_id={}", method,
                static_cast<int>(status.error_code()),
                absl::ToInt64Microseconds(absl::Now() - start), invitation_id);
}

}  // namespace

grpc::Status EvaluatorService::Evaluate(grpc::ServerContext*, const v1::EvaluateRequest* request,
                                        v1::EvaluateResponse* response) {
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::Verdict> verdict = evaluator_.Evaluate(*request);
  grpc::Status status = ToGrpcStatus(verdict.status());
  if (verdict.ok()) *response->mutable_verdict() = std::move(*verdict);
  LogCall("Evaluate", status, start, response->verdict().invitation_id());
  return status;
}

grpc::Status EvaluatorService::EvaluateBatch(grpc::ServerContext*,
                                             const v1::EvaluateBatchRequest* request,
                                             v1::EvaluateBatchResponse* response) {
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::EvaluateBatchResponse> result = evaluator_.EvaluateBatch(*request);
  grpc::Status status = ToGrpcStatus(result.status());
  if (result.ok()) *response = std::move(*result);
  LogCall("EvaluateBatch", status, start, "");
  return status;
}

grpc::Status EvaluatorService::ListRules(grpc::ServerContext*, const v1::ListRulesRequest*,
                                         v1::ListRulesResponse* response) {
  *response = evaluator_.ListRules();
  return grpc::Status::OK;
}

}  // namespace etiquette
