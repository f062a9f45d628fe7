#pragma once

#include "common/metrics.h"
#include "etiquette/v1/evaluator.grpc.pb.h"
#include "evaluator/evaluator.h"

namespace etiquette {

// The gRPC face of Evaluator: translates messages and statuses, writes one access log line a
// call (method, code, duration, request id, validated invitation id; see CallLog) and records
// the verdicts in `metrics` (null: no metrics), nothing else. Both must outlive the service.
class EvaluatorService final : public v1::InvitationEvaluator::Service {
 public:
  explicit EvaluatorService(const Evaluator& evaluator, EvaluatorMetrics* metrics = nullptr)
      : evaluator_(evaluator), metrics_(metrics) {}

  grpc::Status Evaluate(grpc::ServerContext* context, const v1::EvaluateRequest* request,
                        v1::EvaluateResponse* response) override;
  grpc::Status EvaluateBatch(grpc::ServerContext* context, const v1::EvaluateBatchRequest* request,
                             v1::EvaluateBatchResponse* response) override;
  grpc::Status ListRules(grpc::ServerContext* context, const v1::ListRulesRequest* request,
                         v1::ListRulesResponse* response) override;

 private:
  const Evaluator& evaluator_;
  EvaluatorMetrics* const metrics_;
};

}  // namespace etiquette
