#pragma once

#include "etiquette/v1/evaluator.grpc.pb.h"
#include "evaluator/evaluator.h"

namespace etiquette {

// The gRPC face of Evaluator: translates messages and statuses, logs each call, nothing else.
class EvaluatorService final : public v1::InvitationEvaluator::Service {
 public:
  explicit EvaluatorService(const Evaluator& evaluator) : evaluator_(evaluator) {}

  grpc::Status Evaluate(grpc::ServerContext* context, const v1::EvaluateRequest* request,
                        v1::EvaluateResponse* response) override;
  grpc::Status EvaluateBatch(grpc::ServerContext* context, const v1::EvaluateBatchRequest* request,
                             v1::EvaluateBatchResponse* response) override;
  grpc::Status ListRules(grpc::ServerContext* context, const v1::ListRulesRequest* request,
                         v1::ListRulesResponse* response) override;

 private:
  const Evaluator& evaluator_;
};

}  // namespace etiquette
