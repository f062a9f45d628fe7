#pragma once

#include <vector>

#include "common/field_count_limits.h"
#include "common/typed_callback_service.h"
#include "etiquette/v1/evaluator.grpc.pb.h"
#include "evaluator/evaluator.h"
#include "evaluator/evaluator_metrics.h"

namespace etiquette {

// The caps on repeated fields that the service counts on a request's bytes before parsing it
// (common/field_count_limits.h), with the messages the validator gives for the same limits.
const std::vector<RepeatedFieldLimit>& EvaluateCountLimits();
const std::vector<RepeatedFieldLimit>& EvaluateBatchCountLimits();

// The gRPC face of Evaluator: translates messages and statuses, writes one access log line a
// call that parsed (method, code, duration, request id, validated invitation id; see CallLog)
// and records the verdicts in `metrics` (null: no metrics), nothing else. A call waiting for
// history holds no thread: it is finished from history's answer. The evaluator and `metrics`
// must outlive the service, and the service the server. The handlers are typed callback
// handlers (common/typed_callback_service.h: bytes that do not parse are answered before them).
class EvaluatorService final : public TypedCallbackService<v1::InvitationEvaluator> {
 public:
  explicit EvaluatorService(const Evaluator& evaluator, EvaluatorMetrics* metrics = nullptr);

  void Evaluate(grpc::CallbackServerContext* context, const v1::EvaluateRequest* request,
                v1::EvaluateResponse* response, UnaryReactor* reactor);
  void EvaluateBatch(grpc::CallbackServerContext* context, const v1::EvaluateBatchRequest* request,
                     v1::EvaluateBatchResponse* response, UnaryReactor* reactor);
  void ListRules(grpc::CallbackServerContext* context, const v1::ListRulesRequest* request,
                 v1::ListRulesResponse* response, UnaryReactor* reactor);

 private:
  const Evaluator& evaluator_;
  EvaluatorMetrics* const metrics_;
};

}  // namespace etiquette
