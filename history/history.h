#pragma once

#include <atomic>
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
  // token. Each is logged with its reason once the store has done it.
  void ReleaseSender(const v1::ReleaseSenderRequest& request, absl::Time deadline,
                     StoreDone<v1::ReleaseSenderResponse> done);
  void ForgetMember(const v1::ForgetMemberRequest& request, absl::Time deadline,
                    StoreDone<v1::ForgetMemberResponse> done);

  // OK while the store answers.
  absl::Status CheckStore() { return store_.Ping(); }

  // Swaps in new thresholds (hot reload), here and in the store; `config` must be valid.
  void ReplaceConfig(v1::HistoryConfig config);
  std::shared_ptr<const v1::HistoryConfig> config() const { return std::atomic_load(&config_); }

 private:
  v1::SenderStanding Standing(const v1::HistoryConfig& config, const std::string& sender_id,
                              const SenderFacts& facts, absl::Time now, bool with_pair) const;

  HistoryStore& store_;
  const RecipientHasher hasher_;
  // Read and replaced with std::atomic_load/atomic_store only.
  std::shared_ptr<const v1::HistoryConfig> config_;
  Clock clock_;
};

}  // namespace etiquette
