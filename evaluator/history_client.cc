#include "evaluator/history_client.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"

namespace etiquette {
namespace {

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat("history: ", status.error_message()));
}

}  // namespace

GrpcHistoryClient::GrpcHistoryClient(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
    : stub_(v1::SenderHistory::NewStub(std::move(channel))), timeout_(timeout) {}

absl::StatusOr<v1::SenderStanding> GrpcHistoryClient::GetStanding(
    const v1::GetStandingRequest& request) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  v1::GetStandingResponse response;
  grpc::Status status = stub_->GetStanding(&context, request, &response);
  if (!status.ok()) return FromGrpc(status);
  return std::move(*response.mutable_standing());
}

absl::StatusOr<std::vector<v1::SenderStanding>> GrpcHistoryClient::BatchGetStanding(
    const v1::BatchGetStandingRequest& request) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  v1::BatchGetStandingResponse response;
  grpc::Status status = stub_->BatchGetStanding(&context, request, &response);
  if (!status.ok()) return FromGrpc(status);
  if (response.standings_size() != request.requests_size()) {
    return absl::InternalError("history: BatchGetStanding answered the wrong number of standings");
  }
  return std::vector<v1::SenderStanding>(
      std::make_move_iterator(response.mutable_standings()->begin()),
      std::make_move_iterator(response.mutable_standings()->end()));
}

}  // namespace etiquette
