#include "evaluator/history_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"

namespace etiquette {
namespace {

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat("history: ", status.error_message()));
}

// What one call needs until its completion callback has run: gRPC requires the context, the
// request and the response to outlive the call. Deleted by that callback.
template <typename Request, typename Response, typename Done>
struct PendingCall {
  PendingCall(const Request& request, absl::Duration timeout, Done done)
      : request(request), done(std::move(done)) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  }

  grpc::ClientContext context;
  const Request request;
  Response response;
  Done done;
};

}  // namespace

GrpcHistoryClient::GrpcHistoryClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::SenderHistory::NewStub(std::move(channel))) {}

void GrpcHistoryClient::GetStanding(const v1::GetStandingRequest& request, absl::Duration timeout,
                                    StandingDone done) {
  using Call = PendingCall<v1::GetStandingRequest, v1::GetStandingResponse, StandingDone>;
  auto* call = new Call(request, timeout, std::move(done));
  stub_->async()->GetStanding(&call->context, &call->request, &call->response,
                              [call](grpc::Status status) {
                                std::unique_ptr<Call> owned(call);
                                if (!status.ok()) {
                                  owned->done(FromGrpc(status));
                                  return;
                                }
                                owned->done(std::move(*owned->response.mutable_standing()));
                              });
}

void GrpcHistoryClient::BatchGetStanding(const v1::BatchGetStandingRequest& request,
                                         absl::Duration timeout, StandingsDone done) {
  using Call =
      PendingCall<v1::BatchGetStandingRequest, v1::BatchGetStandingResponse, StandingsDone>;
  auto* call = new Call(request, timeout, std::move(done));
  stub_->async()->BatchGetStanding(
      &call->context, &call->request, &call->response, [call](grpc::Status status) {
        std::unique_ptr<Call> owned(call);
        if (!status.ok()) {
          owned->done(FromGrpc(status));
          return;
        }
        auto& standings = *owned->response.mutable_standings();
        if (standings.size() != owned->request.requests_size()) {
          owned->done(absl::InternalError(
              "history: BatchGetStanding answered the wrong number of standings"));
          return;
        }
        owned->done(std::vector<v1::SenderStanding>(std::make_move_iterator(standings.begin()),
                                                    std::make_move_iterator(standings.end())));
      });
}

}  // namespace etiquette
