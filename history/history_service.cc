#include "history/history_service.h"

#include "common/access_log.h"
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

}  // namespace

grpc::Status SenderHistoryService::RecordInvitation(grpc::ServerContext* context,
                                                    const v1::RecordInvitationRequest* request,
                                                    v1::RecordInvitationResponse* response) {
  CallLog log(context, "RecordInvitation");
  log.SetInvitationId(request->invitation_id());
  return Finish(log, "RecordInvitation", history_.RecordInvitation(*request), response);
}

grpc::Status SenderHistoryService::RecordResponse(grpc::ServerContext* context,
                                                  const v1::RecordResponseRequest* request,
                                                  v1::RecordResponseResponse* response) {
  CallLog log(context, "RecordResponse");
  log.SetInvitationId(request->invitation_id());
  return Finish(log, "RecordResponse", history_.RecordResponse(*request), response);
}

grpc::Status SenderHistoryService::GetStanding(grpc::ServerContext* context,
                                               const v1::GetStandingRequest* request,
                                               v1::GetStandingResponse* response) {
  CallLog log(context, "GetStanding");
  return Finish(log, "GetStanding", history_.GetStanding(*request), response);
}

grpc::Status SenderHistoryService::BatchGetStanding(grpc::ServerContext* context,
                                                    const v1::BatchGetStandingRequest* request,
                                                    v1::BatchGetStandingResponse* response) {
  CallLog log(context, "BatchGetStanding");
  log.SetBatchSize(request->requests_size());
  return Finish(log, "BatchGetStanding", history_.BatchGetStanding(*request), response);
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
  return Count("release_sender",
               Finish(log, "ReleaseSender", history_.ReleaseSender(*request), response));
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
  absl::Status forgotten = history_.ForgetMember(*request);
  absl::StatusOr<v1::ForgetMemberResponse> result =
      forgotten.ok() ? absl::StatusOr<v1::ForgetMemberResponse>(v1::ForgetMemberResponse())
                     : absl::StatusOr<v1::ForgetMemberResponse>(forgotten);
  return Count("forget_member", Finish(log, "ForgetMember", std::move(result), response));
}

}  // namespace etiquette
