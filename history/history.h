#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "etiquette/v1/history.pb.h"
#include "etiquette/v1/history_config.pb.h"
#include "history/history_store.h"
#include "history/recipient_hasher.h"

namespace etiquette {

// Most GetStanding requests in one BatchGetStanding call.
inline constexpr int kMaxStandingBatch = 1000;
// ListAdminActions' page sizes.
inline constexpr int kDefaultAdminActionsPage = 50;
inline constexpr int kMaxAdminActionsPage = 1000;

// The history service's business logic, free of gRPC: validates requests, replaces recipient
// ids by their keyed hashes, asks the store, and turns the store's facts into a
// SenderStanding (GOOD, WARNED or RESTRICTED). Thread-safe if the store is.
class History {
 public:
  // `store` must outlive this object; `config` must be valid (ValidateHistoryConfig).
  History(HistoryStore& store, RecipientHasher hasher, v1::HistoryConfig config,
          Clock clock = absl::Now);

  // The serving calls, asynchronous: `done` runs once, on this thread (a bad request, or a
  // store that answers inline) or on a store thread; it must not block. `request` must stay
  // valid until `done` has run. `deadline`: the caller's (InfiniteFuture: none); store work
  // not started by then is dropped.
  void RecordInvitation(const v1::RecordInvitationRequest& request, absl::Time deadline,
                        StoreDone<v1::RecordInvitationResponse> done);
  void RecordResponse(const v1::RecordResponseRequest& request, absl::Time deadline,
                      StoreDone<v1::RecordResponseResponse> done);
  void GetStanding(const v1::GetStandingRequest& request, absl::Time deadline,
                   StoreDone<v1::GetStandingResponse> done);
  // 1 to kMaxStandingBatch requests; one bad request fails the call (INVALID_ARGUMENT).
  void BatchGetStanding(const v1::BatchGetStandingRequest& request, absl::Time deadline,
                        StoreDone<v1::BatchGetStandingResponse> done);

  // Operator actions, asynchronous like the serving calls; the caller has checked the admin
  // token and says who it is (`caller`; unset: "unknown"). Each one that passes validation is
  // logged with its reason once the store has done it (or failed), then written to the audit
  // trail (HistoryStore::AppendAdminAction) with who, what, when (this clock), the reason and the
  // outcome, before `done` runs. A release's failed audit write is logged as an error and does
  // not change the call's answer (the action is done; the log line has the entry's content but
  // the reason). ForgetMember's entry never names the member (its reason has every occurrence of
  // the member's id replaced by "[erased member]"; only the log line has the member's log tag),
  // and the same write removes the earlier entries that named it (releases of it as a sender):
  // when that write fails, ForgetMember answers UNAVAILABLE (retry: it is idempotent).
  struct AdminCaller {
    std::string admin = "unknown";  // AdminAction.admin
    std::string token_ref;          // AdminAction.token_ref
  };
  void ReleaseSender(const v1::ReleaseSenderRequest& request, absl::Time deadline,
                     StoreDone<v1::ReleaseSenderResponse> done) {
    ReleaseSender(request, AdminCaller(), deadline, std::move(done));
  }
  void ReleaseSender(const v1::ReleaseSenderRequest& request, AdminCaller caller,
                     absl::Time deadline, StoreDone<v1::ReleaseSenderResponse> done);
  void ForgetMember(const v1::ForgetMemberRequest& request, absl::Time deadline,
                    StoreDone<v1::ForgetMemberResponse> done) {
    ForgetMember(request, AdminCaller(), deadline, std::move(done));
  }
  void ForgetMember(const v1::ForgetMemberRequest& request, AdminCaller caller, absl::Time deadline,
                    StoreDone<v1::ForgetMemberResponse> done);
  // The audit trail, newest first: page_size 0 is kDefaultAdminActionsPage, 1 to
  // kMaxAdminActionsPage, else INVALID_ARGUMENT; page_token empty or a next_page_token of this
  // service (else INVALID_ARGUMENT); sender_id empty or a valid member id. Entries older than
  // admin_audit_retention_days are not answered.
  void ListAdminActions(const v1::ListAdminActionsRequest& request, absl::Time deadline,
                        StoreDone<v1::ListAdminActionsResponse> done);

  // OK while the store answers.
  absl::Status CheckStore() { return store_.Ping(); }

  // Swaps in new thresholds (hot reload), here and in the store; `config` must be valid.
  void ReplaceConfig(v1::HistoryConfig config);
  std::shared_ptr<const v1::HistoryConfig> config() const { return std::atomic_load(&config_); }

 private:
  // Writes an audit entry (removing the entries that name `erased_member` first, when not
  // empty), logs a failure, then runs `then` with the entry as stored or the failure.
  void Audit(const AdminActionRecord& record, const std::string& erased_member,
             std::function<void(absl::StatusOr<AdminActionRecord>)> then);
  v1::SenderStanding Standing(const v1::HistoryConfig& config, const std::string& sender_id,
                              const SenderFacts& facts, absl::Time now, bool with_pair) const;

  HistoryStore& store_;
  const RecipientHasher hasher_;
  // Read and replaced with std::atomic_load/atomic_store only.
  std::shared_ptr<const v1::HistoryConfig> config_;
  Clock clock_;
};

}  // namespace etiquette
