#include "history/history_service.h"

#include "absl/time/clock.h"
#include "common/status.h"
#include "history/admin_auth.h"
#include "spdlog/spdlog.h"

namespace etiquette {
namespace {

// Copies a successful result into the response; returns the call's status. One debug line a
// call, with ids and codes only.
template <typename Response>
grpc::Status Finish(const char* method, absl::Time start, absl::StatusOr<Response> result,
                    Response* response) {
  if (result.ok()) *response = std::move(*result);
  const grpc::Status status = ToGrpcStatus(result.status());
  spdlog::debug("rpc method={} code={} duration_us={}", method,
                static_cast<int>(status.error_code()),
                absl::ToInt64Microseconds(absl::Now() - start));
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::INTERNAL) {
    spdlog::warn("rpc method={} failed: {}", method, status.error_message());
  }
  return status;
}

}  // namespace

grpc::Status SenderHistoryService::RecordInvitation(grpc::ServerContext*,
                                                    const v1::RecordInvitationRequest* request,
                                                    v1::RecordInvitationResponse* response) {
  return Finish("RecordInvitation", absl::Now(), history_.RecordInvitation(*request), response);
}

grpc::Status SenderHistoryService::RecordResponse(grpc::ServerContext*,
                                                  const v1::RecordResponseRequest* request,
                                                  v1::RecordResponseResponse* response) {
  return Finish("RecordResponse", absl::Now(), history_.RecordResponse(*request), response);
}

grpc::Status SenderHistoryService::GetStanding(grpc::ServerContext*,
                                               const v1::GetStandingRequest* request,
                                               v1::GetStandingResponse* response) {
  return Finish("GetStanding", absl::Now(), history_.GetStanding(*request), response);
}

grpc::Status SenderHistoryService::BatchGetStanding(grpc::ServerContext*,
                                                    const v1::BatchGetStandingRequest* request,
                                                    v1::BatchGetStandingResponse* response) {
  return Finish("BatchGetStanding", absl::Now(), history_.BatchGetStanding(*request), response);
}

absl::Status SenderHistoryAdminService::Authorize(const grpc::ServerContext& context) const {
  std::optional<absl::string_view> authorization;
  const auto& metadata = context.client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    authorization = absl::string_view(it->second.data(), it->second.size());
  }
  return CheckAdminAuthorization(admin_token_, authorization);
}

grpc::Status SenderHistoryAdminService::ReleaseSender(grpc::ServerContext* context,
                                                      const v1::ReleaseSenderRequest* request,
                                                      v1::ReleaseSenderResponse* response) {
  const absl::Time start = absl::Now();
  if (absl::Status s = Authorize(*context); !s.ok()) {
    spdlog::warn("admin ReleaseSender refused: {}", std::string(s.message()));
    return ToGrpcStatus(s);
  }
  return Finish("ReleaseSender", start, history_.ReleaseSender(*request), response);
}

grpc::Status SenderHistoryAdminService::ForgetMember(grpc::ServerContext* context,
                                                     const v1::ForgetMemberRequest* request,
                                                     v1::ForgetMemberResponse* response) {
  const absl::Time start = absl::Now();
  if (absl::Status s = Authorize(*context); !s.ok()) {
    spdlog::warn("admin ForgetMember refused: {}", std::string(s.message()));
    return ToGrpcStatus(s);
  }
  absl::Status forgotten = history_.ForgetMember(*request);
  absl::StatusOr<v1::ForgetMemberResponse> result =
      forgotten.ok() ? absl::StatusOr<v1::ForgetMemberResponse>(v1::ForgetMemberResponse())
                     : absl::StatusOr<v1::ForgetMemberResponse>(forgotten);
  return Finish("ForgetMember", start, std::move(result), response);
}

}  // namespace etiquette
