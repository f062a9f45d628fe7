#pragma once

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
class HistoryClient {
 public:
  virtual ~HistoryClient() = default;
  virtual absl::StatusOr<v1::SenderStanding> GetStanding(const v1::GetStandingRequest& request) = 0;
  // Standings in request order.
  virtual absl::StatusOr<std::vector<v1::SenderStanding>> BatchGetStanding(
      const v1::BatchGetStandingRequest& request) = 0;
};

// HistoryClient over gRPC: one channel reused by every call, each call bounded by `timeout`.
class GrpcHistoryClient final : public HistoryClient {
 public:
  GrpcHistoryClient(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);

  absl::StatusOr<v1::SenderStanding> GetStanding(const v1::GetStandingRequest& request) override;
  absl::StatusOr<std::vector<v1::SenderStanding>> BatchGetStanding(
      const v1::BatchGetStandingRequest& request) override;

 private:
  std::unique_ptr<v1::SenderHistory::Stub> stub_;
  const absl::Duration timeout_;
};

}  // namespace etiquette
