#pragma once

// Blocking forms of the asynchronous HistoryStore calls, for tests only: production code never
// waits on a store call (it may run on the thread that reads Redis).

#include <functional>
#include <future>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "etiquette/v1/history.pb.h"
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
                                               const std::string& recipient_key, absl::Time sent_at,
                                               absl::Time now,
                                               absl::Time deadline = absl::InfiniteFuture()) {
    return Await<WriteResult>([&](StoreDone<WriteResult> done) {
      store_.RecordInvitationAsync(sender_id, invitation_id, recipient_key, sent_at, now, deadline,
                                   std::move(done));
    });
  }

  absl::StatusOr<WriteResult> RecordResponse(const std::string& sender_id,
                                             const std::string& invitation_id,
                                             const std::string& recipient_key,
                                             v1::InvitationResponse response,
                                             absl::Time responded_at, absl::Time now,
                                             absl::Time deadline = absl::InfiniteFuture()) {
    return Await<WriteResult>([&](StoreDone<WriteResult> done) {
      store_.RecordResponseAsync(sender_id, invitation_id, recipient_key, response, responded_at,
                                 now, deadline, std::move(done));
    });
  }

  absl::StatusOr<SenderFacts> GetFacts(const std::string& sender_id,
                                       const std::string& recipient_key, absl::Time now,
                                       absl::Time deadline = absl::InfiniteFuture()) {
    return Await<SenderFacts>([&](StoreDone<SenderFacts> done) {
      store_.GetFactsAsync(sender_id, recipient_key, now, deadline, std::move(done));
    });
  }

  absl::StatusOr<std::vector<SenderFacts>> BatchGetFacts(
      const std::vector<FactsQuery>& queries, absl::Time now,
      absl::Time deadline = absl::InfiniteFuture()) {
    return Await<std::vector<SenderFacts>>([&](StoreDone<std::vector<SenderFacts>> done) {
      store_.BatchGetFactsAsync(queries, now, deadline, std::move(done));
    });
  }

  absl::StatusOr<SenderFacts> Release(const std::string& sender_id, const std::string& reason,
                                      absl::Time now) {
    return store_.Release(sender_id, reason, now);
  }

  absl::Status Forget(const std::string& sender_id) { return store_.Forget(sender_id); }

  absl::Status Ping() { return store_.Ping(); }
  void SetPolicy(const StorePolicy& policy) { store_.SetPolicy(policy); }

 private:
  HistoryStore& store_;
};

}  // namespace etiquette::testing
