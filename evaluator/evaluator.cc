#include "evaluator/evaluator.h"

#include <atomic>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/proto_time.h"
#include "evaluator/invitation_validator.h"
#include "evaluator/note_fingerprint.h"
#include "evaluator/rule.h"
#include "spdlog/spdlog.h"

namespace etiquette {
namespace {

v1::GetStandingRequest StandingRequestFor(const v1::Invitation& invitation) {
  v1::GetStandingRequest request;
  request.set_sender_id(invitation.sender().member_id());
  request.set_recipient_id(invitation.recipient().member_id());
  // The note's fingerprint, as the verdict will carry it (RulesEngine::Evaluate): history counts
  // the sender's recent near-identical notes in the same read (template-blast).
  if (IsStranger(invitation.relationship())) {
    request.set_note_fingerprint(NoteFingerprint(invitation));
  }
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

// Runs `start` with a `done` that keeps the result, and waits for it. The state is shared
// because `done` may still be being destroyed on another thread when the wait ends.
template <typename T, typename Start>
absl::StatusOr<T> WaitFor(const Start& start) {
  struct State {
    absl::Notification answered;
    absl::StatusOr<T> result;
  };
  auto state = std::make_shared<State>();
  start([state](absl::StatusOr<T> result) {
    state->result = std::move(result);
    state->answered.Notify();
  });
  state->answered.WaitForNotification();
  return std::move(state->result);
}

}  // namespace

Evaluator::Evaluator(std::shared_ptr<const RulesEngine> engine, Clock clock, HistoryClient* history,
                     HistoryFailMode fail_mode, absl::Duration history_timeout)
    : engine_(std::move(engine)),
      clock_(std::move(clock)),
      history_(history),
      fail_mode_(fail_mode),
      history_timeout_(history_timeout) {}

void Evaluator::Judge(const RulesEngine& engine, const v1::Invitation& invitation, absl::Time now,
                      const absl::StatusOr<v1::SenderStanding>* standing,
                      v1::Verdict* verdict) const {
  const absl::Time sent_at = invitation.has_sent_at() ? ToAbslTime(invitation.sent_at()) : now;
  if (standing == nullptr) {
    return engine.Evaluate(invitation, sent_at, HistoryStatus::kNotConfigured, nullptr, false,
                           verdict);
  }
  if (!standing->ok()) {
    return engine.Evaluate(invitation, sent_at, HistoryStatus::kUnavailable, nullptr,
                           fail_mode_ == HistoryFailMode::kClosed, verdict);
  }
  engine.Evaluate(invitation, sent_at, HistoryStatus::kAnswered, &**standing, false, verdict);
}

void Evaluator::Evaluate(const v1::EvaluateRequest& request, v1::Verdict* verdict,
                         StatusDone done) const {
  if (!request.has_invitation()) return done(absl::InvalidArgumentError("invitation: required"));
  const v1::Invitation& invitation = request.invitation();
  std::shared_ptr<const RulesEngine> rules = engine();
  const absl::Time now = clock_();
  if (absl::Status s = ValidateInvitation(invitation, now, "invitation"); !s.ok()) {
    return done(std::move(s));
  }
  if (history_ == nullptr) {
    Judge(*rules, invitation, now, nullptr, verdict);
    return done(absl::OkStatus());
  }
  // Judged with the rules and the time of the call's start, whenever history answers.
  history_->GetStanding(StandingRequestFor(invitation), history_timeout_,
                        [this, &invitation, rules = std::move(rules), now, verdict,
                         done = std::move(done)](absl::StatusOr<v1::SenderStanding> standing) {
                          if (!standing.ok()) LogHistoryFailure(standing.status());
                          Judge(*rules, invitation, now, &standing, verdict);
                          done(absl::OkStatus());
                        });
}

void Evaluator::Evaluate(const v1::EvaluateRequest& request, VerdictDone done) const {
  auto verdict = std::make_shared<v1::Verdict>();
  Evaluate(request, verdict.get(), [verdict, done = std::move(done)](absl::Status status) {
    if (!status.ok()) return done(std::move(status));
    done(std::move(*verdict));
  });
}

namespace {

absl::Status BatchCancelled() { return absl::CancelledError("the caller cancelled the batch"); }

}  // namespace

void Evaluator::EvaluateBatch(const v1::EvaluateBatchRequest& request, BatchDone done,
                              IsCancelled cancelled) const {
  if (!cancelled) cancelled = [] { return false; };
  const int size = request.invitations_size();
  if (size == 0 || size > kMaxBatchSize) {
    return done(absl::InvalidArgumentError(
        absl::StrCat("invitations: must hold 1 to ", kMaxBatchSize, " invitations, got ", size)));
  }
  std::shared_ptr<const RulesEngine> rules = engine();
  const absl::Time now = clock_();
  v1::EvaluateBatchResponse response;
  response.mutable_verdicts()->Reserve(size);

  // Validate every slot first, so that one BatchGetStanding covers the valid ones.
  std::vector<int> valid;
  v1::BatchGetStandingRequest standings_request;
  for (int i = 0; i < size; ++i) {
    if (cancelled()) return done(BatchCancelled());
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
  if (valid.empty()) return done(std::move(response));

  if (history_ == nullptr) {
    for (int i : valid) {
      if (cancelled()) return done(BatchCancelled());
      Judge(*rules, request.invitations(i), now, nullptr, response.mutable_verdicts(i));
    }
    return done(std::move(response));
  }
  history_->BatchGetStanding(
      standings_request, history_timeout_,
      [this, &request, rules = std::move(rules), now, response = std::move(response),
       valid = std::move(valid), done = std::move(done), cancelled = std::move(cancelled)](
          absl::StatusOr<std::vector<v1::SenderStanding>> standings) mutable {
        if (standings.ok() && standings->size() != valid.size()) {
          standings = absl::InternalError("history: wrong number of standings");
        }
        if (!standings.ok()) LogHistoryFailure(standings.status());
        for (size_t k = 0; k < valid.size(); ++k) {
          if (cancelled()) return done(BatchCancelled());
          const absl::StatusOr<v1::SenderStanding> standing =
              standings.ok() ? absl::StatusOr<v1::SenderStanding>(std::move((*standings)[k]))
                             : absl::StatusOr<v1::SenderStanding>(standings.status());
          Judge(*rules, request.invitations(valid[k]), now, &standing,
                response.mutable_verdicts(valid[k]));
        }
        done(std::move(response));
      });
}

absl::StatusOr<v1::Verdict> Evaluator::Evaluate(const v1::EvaluateRequest& request) const {
  return WaitFor<v1::Verdict>([&](VerdictDone done) { Evaluate(request, std::move(done)); });
}

absl::StatusOr<v1::EvaluateBatchResponse> Evaluator::EvaluateBatch(
    const v1::EvaluateBatchRequest& request, IsCancelled cancelled) const {
  return WaitFor<v1::EvaluateBatchResponse>(
      [&](BatchDone done) { EvaluateBatch(request, std::move(done), std::move(cancelled)); });
}

v1::ListRulesResponse Evaluator::ListRules() const { return engine()->ListRules(); }

void Evaluator::ReplaceEngine(std::shared_ptr<const RulesEngine> engine) {
  std::atomic_store(&engine_, std::move(engine));
}

}  // namespace etiquette
