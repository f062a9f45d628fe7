#pragma once

// Blocking forms of the asynchronous HistoryStore and History calls, for tests only: production
// code never waits on a store call (it may run on the thread that reads Redis).

#include <functional>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "etiquette/v1/history.pb.h"
#include "history/history.h"
#include "history/history_store.h"

namespace etiquette::testing {

// Starts an asynchronous call (`start` is handed its StoreDone) and waits for its result.
template <typename T, typename Start>
absl::StatusOr<T> Await(Start start) {
  std::promise<absl::StatusOr<T>> promise;
  std::future<absl::StatusOr<T>> result = promise.get_future();
  start(StoreDone<T>([&promise](absl::StatusOr<T> value) { promise.set_value(std::move(value)); }));
  return result.get();
}

// The same for a call that ends with a plain status.
template <typename Start>
absl::Status AwaitStatus(Start start) {
  std::promise<absl::Status> promise;
  std::future<absl::Status> result = promise.get_future();
  start(std::function<void(absl::Status)>(
      [&promise](absl::Status status) { promise.set_value(std::move(status)); }));
  return result.get();
}

// A HistoryStore's calls, each waiting for its result, with no deadline of the caller's
// (`deadline` InfiniteFuture: only the store's own timeouts apply). `store` must outlive it.
class BlockingStore {
 public:
  explicit BlockingStore(HistoryStore& store) : store_(store) {}

  absl::StatusOr<WriteResult> RecordInvitation(const std::string& sender_id,
                                               const std::string& invitation_id,
                                               const RecipientKeys& recipient_key,
                                               absl::Time sent_at, absl::Time now,
                                               absl::Time deadline = absl::InfiniteFuture()) {
    return Await<WriteResult>([&](StoreDone<WriteResult> done) {
      store_.RecordInvitation(sender_id, invitation_id, recipient_key, sent_at, now, deadline,
                              std::move(done));
    });
  }

  absl::StatusOr<WriteResult> RecordResponse(const std::string& sender_id,
                                             const std::string& invitation_id,
                                             const RecipientKeys& recipient_key,
                                             v1::InvitationResponse response,
                                             absl::Time responded_at, absl::Time now,
                                             absl::Time deadline = absl::InfiniteFuture()) {
    return Await<WriteResult>([&](StoreDone<WriteResult> done) {
      store_.RecordResponse(sender_id, invitation_id, recipient_key, response, responded_at, now,
                            deadline, std::move(done));
    });
  }

  absl::StatusOr<SenderFacts> GetFacts(const std::string& sender_id,
                                       const RecipientKeys& recipient_key, absl::Time now,
                                       absl::Time deadline = absl::InfiniteFuture()) {
    return Await<SenderFacts>([&](StoreDone<SenderFacts> done) {
      store_.GetFacts(sender_id, recipient_key, now, deadline, std::move(done));
    });
  }

  absl::StatusOr<std::vector<SenderFacts>> BatchGetFacts(
      const std::vector<FactsQuery>& queries, absl::Time now,
      absl::Time deadline = absl::InfiniteFuture()) {
    return Await<std::vector<SenderFacts>>([&](StoreDone<std::vector<SenderFacts>> done) {
      store_.BatchGetFacts(queries, now, deadline, std::move(done));
    });
  }

  absl::StatusOr<SenderFacts> Release(const std::string& sender_id, const std::string& reason,
                                      absl::Time now,
                                      absl::Time deadline = absl::InfiniteFuture()) {
    return Await<SenderFacts>([&](StoreDone<SenderFacts> done) {
      store_.Release(sender_id, reason, now, deadline, std::move(done));
    });
  }

  absl::Status Forget(const std::string& sender_id, absl::Time deadline = absl::InfiniteFuture()) {
    return ForgetMember(sender_id, "", deadline).status();
  }

  // Forget as a sender and, with `recipient_key`, as a recipient: the records removed.
  absl::StatusOr<uint64_t> ForgetMember(const std::string& member_id,
                                        const RecipientKeys& recipient_key,
                                        absl::Time deadline = absl::InfiniteFuture()) {
    return Await<uint64_t>([&](StoreDone<uint64_t> done) {
      store_.Forget(member_id, recipient_key, deadline, std::move(done));
    });
  }

  // The entry as stored (id and audit_entries_removed set).
  absl::StatusOr<AdminActionRecord> AppendAdminAction(
      const AdminActionRecord& record, const std::string& erased_member = "",
      absl::Time deadline = absl::InfiniteFuture()) {
    return Await<AdminActionRecord>([&](StoreDone<AdminActionRecord> done) {
      store_.AppendAdminAction(record, erased_member, deadline, std::move(done));
    });
  }

  absl::StatusOr<AdminActionsPage> ListAdminActions(const AdminActionsQuery& query,
                                                    absl::Time deadline = absl::InfiniteFuture()) {
    return Await<AdminActionsPage>([&](StoreDone<AdminActionsPage> done) {
      store_.ListAdminActions(query, deadline, std::move(done));
    });
  }

  absl::Status Ping() { return store_.Ping(); }
  void SetPolicy(const StorePolicy& policy) { store_.SetPolicy(policy); }

 private:
  HistoryStore& store_;
};

// Blocking(store).GetFacts(...): the store's calls, waiting (a store, a pointer to one, or a
// std::unique_ptr holding one).
inline BlockingStore Blocking(HistoryStore& store) { return BlockingStore(store); }
inline BlockingStore Blocking(HistoryStore* store) { return BlockingStore(*store); }
template <typename Store>
BlockingStore Blocking(const std::unique_ptr<Store>& store) {
  return BlockingStore(*store);
}

// History's calls, each waiting for its result, with no deadline of the caller's. `history`
// must outlive it.
class BlockingHistory {
 public:
  explicit BlockingHistory(History& history) : history_(history) {}

  absl::StatusOr<v1::RecordInvitationResponse> RecordInvitation(
      const v1::RecordInvitationRequest& request) {
    return Await<v1::RecordInvitationResponse>([&](StoreDone<v1::RecordInvitationResponse> done) {
      history_.RecordInvitation(request, absl::InfiniteFuture(), std::move(done));
    });
  }
  absl::StatusOr<v1::RecordResponseResponse> RecordResponse(
      const v1::RecordResponseRequest& request) {
    return Await<v1::RecordResponseResponse>([&](StoreDone<v1::RecordResponseResponse> done) {
      history_.RecordResponse(request, absl::InfiniteFuture(), std::move(done));
    });
  }
  absl::StatusOr<v1::GetStandingResponse> GetStanding(const v1::GetStandingRequest& request) {
    return Await<v1::GetStandingResponse>([&](StoreDone<v1::GetStandingResponse> done) {
      history_.GetStanding(request, absl::InfiniteFuture(), std::move(done));
    });
  }
  absl::StatusOr<v1::BatchGetStandingResponse> BatchGetStanding(
      const v1::BatchGetStandingRequest& request) {
    return Await<v1::BatchGetStandingResponse>([&](StoreDone<v1::BatchGetStandingResponse> done) {
      history_.BatchGetStanding(request, absl::InfiniteFuture(), std::move(done));
    });
  }
  absl::StatusOr<v1::ReleaseSenderResponse> ReleaseSender(const v1::ReleaseSenderRequest& request) {
    return Await<v1::ReleaseSenderResponse>([&](StoreDone<v1::ReleaseSenderResponse> done) {
      history_.ReleaseSender(request, absl::InfiniteFuture(), std::move(done));
    });
  }
  // ForgetMember with its response (records_removed).
  absl::StatusOr<v1::ForgetMemberResponse> Forget(const v1::ForgetMemberRequest& request) {
    return Await<v1::ForgetMemberResponse>([&](StoreDone<v1::ForgetMemberResponse> done) {
      history_.ForgetMember(request, absl::InfiniteFuture(), std::move(done));
    });
  }
  // Only the status.
  absl::Status ForgetMember(const v1::ForgetMemberRequest& request) {
    return Await<v1::ForgetMemberResponse>([&](StoreDone<v1::ForgetMemberResponse> done) {
             history_.ForgetMember(request, absl::InfiniteFuture(), std::move(done));
           })
        .status();
  }
  absl::StatusOr<v1::ListAdminActionsResponse> ListAdminActions(
      const v1::ListAdminActionsRequest& request) {
    return Await<v1::ListAdminActionsResponse>([&](StoreDone<v1::ListAdminActionsResponse> done) {
      history_.ListAdminActions(request, absl::InfiniteFuture(), std::move(done));
    });
  }

 private:
  History& history_;
};

}  // namespace etiquette::testing
