#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "grpcpp/channel.h"

namespace etiquette {

// Where the evaluator learns senders' standings. Any error means "history unavailable": the
// evaluator then degrades (or fails closed) instead of failing the call.
//
// Asynchronous, so that no thread waits on the network: each method returns without waiting
// for history and runs `done` exactly once, with the answer or an error, on whichever thread
// gets the answer (possibly inline, before the method returns). `done` runs within about
// `timeout` (DEADLINE_EXCEEDED past it) and must not block: with gRPC it runs on the library's
// small shared pool of callback threads. `request` is read only during the call.
class HistoryClient {
 public:
  using StandingDone = std::function<void(absl::StatusOr<v1::SenderStanding>)>;
  // Standings in request order.
  using StandingsDone = std::function<void(absl::StatusOr<std::vector<v1::SenderStanding>>)>;

  virtual ~HistoryClient() = default;
  virtual void GetStanding(const v1::GetStandingRequest& request, absl::Duration timeout,
                           StandingDone done) = 0;
  virtual void BatchGetStanding(const v1::BatchGetStandingRequest& request, absl::Duration timeout,
                                StandingsDone done) = 0;
};

// HistoryClient over gRPC's callback API: one channel reused by every call, each call's
// deadline `timeout` from its start. Calls still in flight when the client is destroyed still
// run their `done` (each call owns what it needs).
class GrpcHistoryClient final : public HistoryClient {
 public:
  explicit GrpcHistoryClient(std::shared_ptr<grpc::Channel> channel);

  void GetStanding(const v1::GetStandingRequest& request, absl::Duration timeout,
                   StandingDone done) override;
  void BatchGetStanding(const v1::BatchGetStandingRequest& request, absl::Duration timeout,
                        StandingsDone done) override;

 private:
  std::unique_ptr<v1::SenderHistory::Stub> stub_;
};

}  // namespace etiquette
