#include "history/history_service.h"

#include <future>
#include <memory>
#include <optional>
#include <utility>

#include "common/access_log.h"
#include "common/grpc_raw_messages.h"
#include "common/status.h"
#include "history/admin_auth.h"
#include "spdlog/spdlog.h"

namespace etiquette {
namespace {

// Copies a successful result into the response; returns the call's status, after its access
// log line (ids and codes only).
template <typename Response>
grpc::Status Finish(const CallLog& log, const char* method, absl::StatusOr<Response> result,
                    Response* response) {
  if (result.ok()) *response = std::move(*result);
  const grpc::Status status = ToGrpcStatus(result.status());
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::INTERNAL) {
    spdlog::warn("rpc method={} request_id={} failed: {}", method, log.request_id(),
                 status.error_message());
  }
  return log.Finish(status);
}

// Waits for an asynchronous History call: the admin service is on the synchronous API.
template <typename T, typename Start>
absl::StatusOr<T> Wait(Start start) {
  std::promise<absl::StatusOr<T>> promise;
  std::future<absl::StatusOr<T>> result = promise.get_future();
  start(StoreDone<T>([&promise](absl::StatusOr<T> value) { promise.set_value(std::move(value)); }));
  return result.get();
}

}  // namespace

namespace {

// The client's deadline; InfiniteFuture when it set none.
absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
  const std::chrono::system_clock::time_point deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

// Serves one raw callback call: parses the request (bytes that do not parse are refused as the
// sync API does: its INTERNAL status, no access line), runs `start(request, done)`, and
// finishes the call from `done`: the response serialized, an access line, a warning for
// UNAVAILABLE and INTERNAL. `describe(log, request)` adds the request's loggable ids.
template <typename Request, typename Response, typename Start, typename Describe>
grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context,
                                const grpc::ByteBuffer* request_bytes,
                                grpc::ByteBuffer* response_bytes, const char* method,
                                Describe describe, Start start) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto call = std::make_shared<RawCall<Request>>();
  if (grpc::Status parsed = ParseRequest(*request_bytes, &call->request); !parsed.ok()) {
    reactor->Finish(std::move(parsed));
    return reactor;
  }
  call->log.emplace(context, method);
  describe(*call->log, call->request);
  start(call->request, [reactor, response_bytes, method, call](absl::StatusOr<Response> result) {
    grpc::Status status = ToGrpcStatus(result.status());
    if (result.ok()) status = SerializeResponse(*result, response_bytes);
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
        status.error_code() == grpc::StatusCode::INTERNAL) {
      spdlog::warn("rpc method={} request_id={} failed: {}", method, call->log->request_id(),
                   status.error_message());
    }
    reactor->Finish(call->log->Finish(std::move(status)));
  });
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* SenderHistoryService::RecordInvitation(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::RecordInvitationRequest, v1::RecordInvitationResponse>(
      context, request, response, "RecordInvitation",
      [](CallLog& log, const v1::RecordInvitationRequest& r) {
        log.SetInvitationId(r.invitation_id());
      },
      [this, context](const v1::RecordInvitationRequest& r,
                      StoreDone<v1::RecordInvitationResponse> done) {
        history_.RecordInvitation(r, DeadlineOf(*context), std::move(done));
      });
}

grpc::ServerUnaryReactor* SenderHistoryService::RecordResponse(grpc::CallbackServerContext* context,
                                                               const grpc::ByteBuffer* request,
                                                               grpc::ByteBuffer* response) {
  return Serve<v1::RecordResponseRequest, v1::RecordResponseResponse>(
      context, request, response, "RecordResponse",
      [](CallLog& log, const v1::RecordResponseRequest& r) {
        log.SetInvitationId(r.invitation_id());
      },
      [this, context](const v1::RecordResponseRequest& r,
                      StoreDone<v1::RecordResponseResponse> done) {
        history_.RecordResponse(r, DeadlineOf(*context), std::move(done));
      });
}

grpc::ServerUnaryReactor* SenderHistoryService::GetStanding(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  return Serve<v1::GetStandingRequest, v1::GetStandingResponse>(
      context, request, response, "GetStanding", [](CallLog&, const v1::GetStandingRequest&) {},
      [this, context](const v1::GetStandingRequest& r, StoreDone<v1::GetStandingResponse> done) {
        history_.GetStanding(r, DeadlineOf(*context), std::move(done));
      });
}

grpc::ServerUnaryReactor* SenderHistoryService::BatchGetStanding(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::BatchGetStandingRequest, v1::BatchGetStandingResponse>(
      context, request, response, "BatchGetStanding",
      [](CallLog& log, const v1::BatchGetStandingRequest& r) {
        log.SetBatchSize(r.requests_size());
      },
      [this, context](const v1::BatchGetStandingRequest& r,
                      StoreDone<v1::BatchGetStandingResponse> done) {
        history_.BatchGetStanding(r, DeadlineOf(*context), std::move(done));
      });
}

absl::Status SenderHistoryAdminService::Authorize(const grpc::ServerContext& context) const {
  std::optional<absl::string_view> authorization;
  const auto& metadata = context.client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    authorization = absl::string_view(it->second.data(), it->second.size());
  }
  return CheckAdminAuthorization(admin_token_, authorization);
}

grpc::Status SenderHistoryAdminService::Count(const char* action, grpc::Status status) const {
  if (metrics_ != nullptr) metrics_->RecordAdminAction(action, status.error_code());
  return status;
}

grpc::Status SenderHistoryAdminService::ReleaseSender(grpc::ServerContext* context,
                                                      const v1::ReleaseSenderRequest* request,
                                                      v1::ReleaseSenderResponse* response) {
  CallLog log(context, "ReleaseSender");
  if (absl::Status s = Authorize(*context); !s.ok()) {
    spdlog::warn("admin ReleaseSender refused: {} request_id={}", std::string(s.message()),
                 log.request_id());
    return Count("release_sender", log.Finish(ToGrpcStatus(s)));
  }
  absl::StatusOr<v1::ReleaseSenderResponse> result =
      Wait<v1::ReleaseSenderResponse>([&](StoreDone<v1::ReleaseSenderResponse> done) {
        history_.ReleaseSender(*request, absl::InfiniteFuture(), std::move(done));
      });
  return Count("release_sender", Finish(log, "ReleaseSender", std::move(result), response));
}

grpc::Status SenderHistoryAdminService::ForgetMember(grpc::ServerContext* context,
                                                     const v1::ForgetMemberRequest* request,
                                                     v1::ForgetMemberResponse* response) {
  CallLog log(context, "ForgetMember");
  if (absl::Status s = Authorize(*context); !s.ok()) {
    spdlog::warn("admin ForgetMember refused: {} request_id={}", std::string(s.message()),
                 log.request_id());
    return Count("forget_member", log.Finish(ToGrpcStatus(s)));
  }
  absl::StatusOr<v1::ForgetMemberResponse> result =
      Wait<v1::ForgetMemberResponse>([&](StoreDone<v1::ForgetMemberResponse> done) {
        history_.ForgetMember(*request, absl::InfiniteFuture(), std::move(done));
      });
  return Count("forget_member", Finish(log, "ForgetMember", std::move(result), response));
}

}  // namespace etiquette
