#include "evaluator/evaluator_service.h"

#include <chrono>
#include <utility>

#include "common/status.h"
#include "evaluator/invitation_validator.h"

namespace etiquette {

// Access logs carry only ids, codes and numbers: never notes, names, headlines, summaries,
// company or group names. The invitation id is logged only when it passes the id check.
//
// The request and response stay valid until reactor->Finish, which the evaluator's `done`
// calls last (inline, or from history's answer); nothing touches the call after Finish.

// The repeated fields' caps, counted on the request's bytes before it is parsed, with the
// messages the validator and Evaluator give for the same limits. A batch's groups and hiring
// events are capped in total (an invitation over its own 100 is that slot's error, after
// parsing: the batch's other slots are still judged).
const std::vector<RepeatedFieldLimit>& EvaluateCountLimits() {
  static const auto* const limits = new std::vector<RepeatedFieldLimit>{
      {"invitation.relationship.shared_groups", kMaxSharedGroups},
      {"invitation.relationship.hiring_events", kMaxHiringEvents}};
  return *limits;
}

const std::vector<RepeatedFieldLimit>& EvaluateBatchCountLimits() {
  static const auto* const limits = new std::vector<RepeatedFieldLimit>{
      {"invitations", kMaxBatchSize, "$0: must hold 1 to $1 invitations, got more"},
      {"invitations.relationship.shared_groups", int64_t{kMaxBatchSize} * kMaxSharedGroups,
       "$0: at most $1 in a batch (100 per invitation), got more"},
      {"invitations.relationship.hiring_events", int64_t{kMaxBatchSize} * kMaxHiringEvents,
       "$0: at most $1 in a batch (100 per invitation), got more"}};
  return *limits;
}

EvaluatorService::EvaluatorService(const Evaluator& evaluator, EvaluatorMetrics* metrics)
    : evaluator_(evaluator), metrics_(metrics) {
  AddUnary("Evaluate", &EvaluatorService::Evaluate, EvaluateCountLimits(), AccessLogging::kLogged,
           ResponseMemory::kArena);
  AddUnary("EvaluateBatch", &EvaluatorService::EvaluateBatch, EvaluateBatchCountLimits());
  AddUnary("ListRules", &EvaluatorService::ListRules);
}

void EvaluatorService::Evaluate(grpc::CallbackServerContext*, const v1::EvaluateRequest* request,
                                v1::EvaluateResponse* response, UnaryReactor* reactor) {
  reactor->SetInvitationId(request->invitation().invitation_id());
  // The verdict is built in place, in the response on the call's arena.
  v1::Verdict* verdict = response->mutable_verdict();
  evaluator_.Evaluate(*request, verdict, [this, verdict, reactor](absl::Status status) {
    if (status.ok() && metrics_ != nullptr) metrics_->RecordVerdict(*verdict);
    reactor->Finish(ToGrpcStatus(status));  // a response goes out only with OK
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
