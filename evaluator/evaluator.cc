#include "evaluator/evaluator.h"

#include <atomic>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "evaluator/invitation_validator.h"
#include "spdlog/spdlog.h"

namespace etiquette {
namespace {

v1::GetStandingRequest StandingRequestFor(const v1::Invitation& invitation) {
  v1::GetStandingRequest request;
  request.set_sender_id(invitation.sender().member_id());
  request.set_recipient_id(invitation.recipient().member_id());
  return request;
}

// At most one line a second: while history is down every call would log otherwise.
void LogHistoryFailure(const absl::Status& status) {
  static std::atomic<int64_t> last_logged_s{0};
  const int64_t now_s = absl::ToUnixSeconds(absl::Now());
  int64_t last = last_logged_s.load(std::memory_order_relaxed);
  if (now_s > last && last_logged_s.compare_exchange_strong(last, now_s)) {
    spdlog::warn("history unavailable, verdicts degraded: {}", status.ToString());
  }
}

}  // namespace

Evaluator::Evaluator(std::shared_ptr<const RulesEngine> engine, Clock clock, HistoryClient* history,
                     HistoryFailMode fail_mode)
    : engine_(std::move(engine)),
      clock_(std::move(clock)),
      history_(history),
      fail_mode_(fail_mode) {}

v1::Verdict Evaluator::Judge(const RulesEngine& engine, const v1::Invitation& invitation,
                             absl::Time now,
                             const absl::StatusOr<v1::SenderStanding>* standing) const {
  const absl::Time sent_at = invitation.has_sent_at() ? ToAbslTime(invitation.sent_at()) : now;
  if (standing == nullptr) {
    return engine.Evaluate(invitation, sent_at, HistoryStatus::kNotConfigured, nullptr);
  }
  if (!standing->ok()) {
    return engine.Evaluate(invitation, sent_at, HistoryStatus::kUnavailable, nullptr,
                           fail_mode_ == HistoryFailMode::kClosed);
  }
  return engine.Evaluate(invitation, sent_at, HistoryStatus::kAnswered, &**standing);
}

absl::StatusOr<v1::Verdict> Evaluator::Evaluate(const v1::EvaluateRequest& request) const {
  if (!request.has_invitation()) return absl::InvalidArgumentError("invitation: required");
  const v1::Invitation& invitation = request.invitation();
  const std::shared_ptr<const RulesEngine> rules = engine();
  const absl::Time now = clock_();
  if (absl::Status s = ValidateInvitation(invitation, now, "invitation"); !s.ok()) return s;
  if (history_ == nullptr) return Judge(*rules, invitation, now, nullptr);
  const absl::StatusOr<v1::SenderStanding> standing =
      history_->GetStanding(StandingRequestFor(invitation));
  if (!standing.ok()) LogHistoryFailure(standing.status());
  return Judge(*rules, invitation, now, &standing);
}

absl::StatusOr<v1::EvaluateBatchResponse> Evaluator::EvaluateBatch(
    const v1::EvaluateBatchRequest& request) const {
  const int size = request.invitations_size();
  if (size == 0 || size > kMaxBatchSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("invitations: must hold 1 to ", kMaxBatchSize, " invitations, got ", size));
  }
  const std::shared_ptr<const RulesEngine> rules = engine();
  const absl::Time now = clock_();
  v1::EvaluateBatchResponse response;
  response.mutable_verdicts()->Reserve(size);

  // Validate every slot first, so that one BatchGetStanding covers the valid ones.
  std::vector<int> valid;
  v1::BatchGetStandingRequest standings_request;
  for (int i = 0; i < size; ++i) {
    const v1::Invitation& invitation = request.invitations(i);
    v1::Verdict& slot = *response.add_verdicts();
    absl::Status status = ValidateInvitation(invitation, now, absl::StrCat("invitations[", i, "]"));
    if (!status.ok()) {
      slot.set_invitation_id(invitation.invitation_id());
      slot.set_rules_version(rules->rules_version());
      slot.mutable_error()->set_code(static_cast<int32_t>(status.code()));
      slot.mutable_error()->set_message(std::string(status.message()));
      continue;
    }
    valid.push_back(i);
    *standings_request.add_requests() = StandingRequestFor(invitation);
  }
  if (valid.empty()) return response;

  if (history_ == nullptr) {
    for (int i : valid) {
      *response.mutable_verdicts(i) = Judge(*rules, request.invitations(i), now, nullptr);
    }
    return response;
  }
  absl::StatusOr<std::vector<v1::SenderStanding>> standings =
      history_->BatchGetStanding(standings_request);
  if (!standings.ok()) LogHistoryFailure(standings.status());
  for (size_t k = 0; k < valid.size(); ++k) {
    const absl::StatusOr<v1::SenderStanding> standing =
        standings.ok() ? absl::StatusOr<v1::SenderStanding>(std::move((*standings)[k]))
                       : absl::StatusOr<v1::SenderStanding>(standings.status());
    *response.mutable_verdicts(valid[k]) =
        Judge(*rules, request.invitations(valid[k]), now, &standing);
  }
  return response;
}

v1::ListRulesResponse Evaluator::ListRules() const { return engine()->ListRules(); }

void Evaluator::ReplaceEngine(std::shared_ptr<const RulesEngine> engine) {
  std::atomic_store(&engine_, std::move(engine));
}

}  // namespace etiquette
