#include "evaluator/coalescing_history_client.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"

namespace etiquette {

CoalescingHistoryClient::CoalescingHistoryClient(std::unique_ptr<HistoryClient> inner,
                                                 int max_in_flight, Clock clock,
                                                 SentObserver on_sent)
    : inner_(std::move(inner)),
      max_in_flight_(std::max(1, max_in_flight)),
      clock_(std::move(clock)),
      on_sent_(std::move(on_sent)) {}

void CoalescingHistoryClient::GetStanding(const v1::GetStandingRequest& request,
                                          absl::Duration timeout, StandingDone done) {
  {
    absl::MutexLock lock(&mu_);
    if (in_flight_ >= max_in_flight_) {
      waiting_.push_back(Waiting{request, clock_() + timeout, std::move(done)});
      return;
    }
    ++in_flight_;
  }
  if (on_sent_) on_sent_(1);
  inner_->GetStanding(request, timeout,
                      [this, done = std::move(done)](absl::StatusOr<v1::SenderStanding> standing) {
                        SlotFreed([&] { done(std::move(standing)); });
                      });
}

void CoalescingHistoryClient::BatchGetStanding(const v1::BatchGetStandingRequest& request,
                                               absl::Duration timeout, StandingsDone done) {
  inner_->BatchGetStanding(request, timeout, std::move(done));
}

void CoalescingHistoryClient::SlotFreed(const std::function<void()>& answer) {
  std::vector<Waiting> expired;
  std::vector<Waiting> live;
  while (live.empty()) {
    std::vector<Waiting> batch;
    {
      absl::MutexLock lock(&mu_);
      if (waiting_.empty()) {
        --in_flight_;
        break;
      }
      while (!waiting_.empty() && batch.size() < static_cast<size_t>(kMaxCoalescedStandings)) {
        batch.push_back(std::move(waiting_.front()));
        waiting_.pop_front();
      }
    }
    // Calls whose deadline passed while they waited are answered below, not sent.
    const absl::Time now = clock_();
    for (Waiting& call : batch) {
      (call.deadline <= now ? expired : live).push_back(std::move(call));
    }
  }
  if (!live.empty()) Send(std::move(live));
  // The answers last: once an evaluation has its answer its server call may finish, the server
  // drain, and this client be destroyed; nothing here touches it after that.
  for (Waiting& call : expired) {
    call.done(
        absl::DeadlineExceededError("history: deadline exceeded while waiting for a call slot"));
  }
  answer();
}

void CoalescingHistoryClient::Send(std::vector<Waiting> batch) {
  if (on_sent_) on_sent_(static_cast<int>(batch.size()));
  if (batch.size() == 1) {
    Waiting& call = batch.front();
    inner_->GetStanding(
        call.request, call.deadline - clock_(),
        [this, done = std::move(call.done)](absl::StatusOr<v1::SenderStanding> standing) {
          SlotFreed([&] { done(std::move(standing)); });
        });
    return;
  }
  v1::BatchGetStandingRequest request;
  std::vector<StandingDone> dones;
  dones.reserve(batch.size());
  absl::Time earliest = absl::InfiniteFuture();
  for (Waiting& call : batch) {
    *request.add_requests() = std::move(call.request);
    earliest = std::min(earliest, call.deadline);
    dones.push_back(std::move(call.done));
  }
  inner_->BatchGetStanding(
      request, earliest - clock_(),
      [this, dones = std::move(dones)](
          absl::StatusOr<std::vector<v1::SenderStanding>> standings) mutable {
        if (standings.ok() && standings->size() != dones.size()) {
          standings = absl::InternalError(
              "history: BatchGetStanding answered the wrong number of standings");
        }
        SlotFreed([&] {
          for (size_t i = 0; i < dones.size(); ++i) {
            if (standings.ok()) {
              dones[i](std::move((*standings)[i]));
            } else {
              dones[i](standings.status());
            }
          }
        });
      });
}

}  // namespace etiquette
