#include "evaluator/evaluator.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/proto_time.h"
#include "evaluator/invitation_validator.h"

namespace etiquette {

Evaluator::Evaluator(std::shared_ptr<const RulesEngine> engine, Clock clock)
    : engine_(std::move(engine)), clock_(std::move(clock)) {}

absl::StatusOr<v1::Verdict> Evaluator::EvaluateOne(const v1::Invitation& invitation, absl::Time now,
                                                   absl::string_view path) const {
  if (absl::Status s = ValidateInvitation(invitation, now, path); !s.ok()) return s;
  const absl::Time sent_at = invitation.has_sent_at() ? ToAbslTime(invitation.sent_at()) : now;
  return engine_->Evaluate(invitation, sent_at, HistoryStatus::kNotConfigured, nullptr);
}

absl::StatusOr<v1::Verdict> Evaluator::Evaluate(const v1::EvaluateRequest& request) const {
  if (!request.has_invitation()) return absl::InvalidArgumentError("invitation: required");
  return EvaluateOne(request.invitation(), clock_(), "invitation");
}

absl::StatusOr<v1::EvaluateBatchResponse> Evaluator::EvaluateBatch(
    const v1::EvaluateBatchRequest& request) const {
  const int size = request.invitations_size();
  if (size == 0 || size > kMaxBatchSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("invitations: must hold 1 to ", kMaxBatchSize, " invitations, got ", size));
  }
  const absl::Time now = clock_();
  v1::EvaluateBatchResponse response;
  response.mutable_verdicts()->Reserve(size);
  for (int i = 0; i < size; ++i) {
    const v1::Invitation& invitation = request.invitations(i);
    absl::StatusOr<v1::Verdict> verdict =
        EvaluateOne(invitation, now, absl::StrCat("invitations[", i, "]"));
    v1::Verdict& slot = *response.add_verdicts();
    if (verdict.ok()) {
      slot = std::move(*verdict);
    } else {
      slot.set_invitation_id(invitation.invitation_id());
      slot.set_rules_version(engine_->rules_version());
      slot.mutable_error()->set_code(static_cast<int32_t>(verdict.status().code()));
      slot.mutable_error()->set_message(std::string(verdict.status().message()));
    }
  }
  return response;
}

v1::ListRulesResponse Evaluator::ListRules() const { return engine_->ListRules(); }

}  // namespace etiquette
