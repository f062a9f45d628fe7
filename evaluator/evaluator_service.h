#pragma once

#include "etiquette/v1/evaluator.grpc.pb.h"
#include "evaluator/evaluator.h"
#include "evaluator/evaluator_metrics.h"
#include "grpcpp/support/byte_buffer.h"

namespace etiquette {

// InvitationEvaluator on gRPC's callback API with raw methods (see common/grpc_raw_messages.h:
// the handlers parse the requests themselves, so unparsable bytes get the same INTERNAL status
// as with the sync API).
using InvitationEvaluatorRawCallbackService =
    v1::InvitationEvaluator::WithRawCallbackMethod_Evaluate<
        v1::InvitationEvaluator::WithRawCallbackMethod_EvaluateBatch<
            v1::InvitationEvaluator::WithRawCallbackMethod_ListRules<
                v1::InvitationEvaluator::Service>>>;

// The gRPC face of Evaluator: translates messages and statuses, writes one access log line a
// call that parsed (method, code, duration, request id, validated invitation id; see CallLog)
// and records the verdicts in `metrics` (null: no metrics), nothing else. A call waiting for
// history holds no thread: it is finished from history's answer. The evaluator and `metrics`
// must outlive the service, and the service the server.
class EvaluatorService final : public InvitationEvaluatorRawCallbackService {
 public:
  explicit EvaluatorService(const Evaluator& evaluator, EvaluatorMetrics* metrics = nullptr)
      : evaluator_(evaluator), metrics_(metrics) {}

  // Requests are v1::EvaluateRequest, v1::EvaluateBatchRequest and v1::ListRulesRequest,
  // responses the matching responses, as serialized bytes.
  grpc::ServerUnaryReactor* Evaluate(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* EvaluateBatch(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListRules(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;

 private:
  const Evaluator& evaluator_;
  EvaluatorMetrics* const metrics_;
};

}  // namespace etiquette
