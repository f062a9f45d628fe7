#include "history/history_service.h"

#include <chrono>
#include <optional>
#include <utility>

#include "common/status.h"
#include "history/admin_auth.h"
#include "spdlog/spdlog.h"

namespace etiquette {
namespace {

// The client's deadline; InfiniteFuture when it set none.
absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
  const std::chrono::system_clock::time_point deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

// Moves a successful result into the response; returns the call's status, after a warning for
// UNAVAILABLE and INTERNAL (ids and codes only).
template <typename Response>
grpc::Status Translate(const char* method, absl::StatusOr<Response> result, Response* response,
                       const UnaryReactor& reactor) {
  if (result.ok()) *response = std::move(*result);
  grpc::Status status = ToGrpcStatus(result.status());
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::INTERNAL) {
    spdlog::warn("rpc method={} request_id={} failed: {}", method, reactor.request_id(),
                 status.error_message());
  }
  return status;
}

// The `done` of a History call: finishes the call with its result.
template <typename Response>
StoreDone<Response> FinishWith(const char* method, Response* response, UnaryReactor* reactor) {
  return [method, response, reactor](absl::StatusOr<Response> result) {
    reactor->Finish(Translate(method, std::move(result), response, *reactor));
  };
}

}  // namespace

// The request and response stay valid until reactor->Finish, which History's `done` calls last
// (inline, or from the store's answer); nothing touches the call after Finish.

SenderHistoryService::SenderHistoryService(History& history) : history_(history) {
  AddUnary("RecordInvitation", &SenderHistoryService::RecordInvitation);
  AddUnary("RecordResponse", &SenderHistoryService::RecordResponse);
  AddUnary("GetStanding", &SenderHistoryService::GetStanding);
  AddUnary("BatchGetStanding", &SenderHistoryService::BatchGetStanding);
}

void SenderHistoryService::RecordInvitation(grpc::CallbackServerContext* context,
                                            const v1::RecordInvitationRequest* request,
                                            v1::RecordInvitationResponse* response,
                                            UnaryReactor* reactor) {
  reactor->SetInvitationId(request->invitation_id());
  history_.RecordInvitation(*request, DeadlineOf(*context),
                            FinishWith("RecordInvitation", response, reactor));
}

void SenderHistoryService::RecordResponse(grpc::CallbackServerContext* context,
                                          const v1::RecordResponseRequest* request,
                                          v1::RecordResponseResponse* response,
                                          UnaryReactor* reactor) {
  reactor->SetInvitationId(request->invitation_id());
  history_.RecordResponse(*request, DeadlineOf(*context),
                          FinishWith("RecordResponse", response, reactor));
}

void SenderHistoryService::GetStanding(grpc::CallbackServerContext* context,
                                       const v1::GetStandingRequest* request,
                                       v1::GetStandingResponse* response, UnaryReactor* reactor) {
  history_.GetStanding(*request, DeadlineOf(*context),
                       FinishWith("GetStanding", response, reactor));
}

void SenderHistoryService::BatchGetStanding(grpc::CallbackServerContext* context,
                                            const v1::BatchGetStandingRequest* request,
                                            v1::BatchGetStandingResponse* response,
                                            UnaryReactor* reactor) {
  reactor->SetBatchSize(request->requests_size());
  history_.BatchGetStanding(*request, DeadlineOf(*context),
                            FinishWith("BatchGetStanding", response, reactor));
}

SenderHistoryAdminService::SenderHistoryAdminService(History& history,
                                                     std::optional<std::string> admin_token,
                                                     HistoryMetrics* metrics)
    : history_(history), admin_token_(std::move(admin_token)), metrics_(metrics) {
  AddUnary("ReleaseSender", &SenderHistoryAdminService::ReleaseSender);
  AddUnary("ForgetMember", &SenderHistoryAdminService::ForgetMember);
}

absl::Status SenderHistoryAdminService::Authorize(
    const grpc::CallbackServerContext& context) const {
  std::optional<absl::string_view> authorization;
  const auto& metadata = context.client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    authorization = absl::string_view(it->second.data(), it->second.size());
  }
  return CheckAdminAuthorization(admin_token_, authorization);
}

void SenderHistoryAdminService::CountAndFinish(const char* action, grpc::Status status,
                                               UnaryReactor* reactor) const {
  if (metrics_ != nullptr) metrics_->RecordAdminAction(action, status.error_code());
  reactor->Finish(std::move(status));
}

void SenderHistoryAdminService::ReleaseSender(grpc::CallbackServerContext* context,
                                              const v1::ReleaseSenderRequest* request,
                                              v1::ReleaseSenderResponse* response,
                                              UnaryReactor* reactor) {
  if (absl::Status s = Authorize(*context); !s.ok()) {
    spdlog::warn("admin ReleaseSender refused: {} request_id={}", std::string(s.message()),
                 reactor->request_id());
    return CountAndFinish("release_sender", ToGrpcStatus(s), reactor);
  }
  history_.ReleaseSender(
      *request, DeadlineOf(*context),
      [this, response, reactor](absl::StatusOr<v1::ReleaseSenderResponse> result) {
        CountAndFinish("release_sender",
                       Translate("ReleaseSender", std::move(result), response, *reactor), reactor);
      });
}

void SenderHistoryAdminService::ForgetMember(grpc::CallbackServerContext* context,
                                             const v1::ForgetMemberRequest* request,
                                             v1::ForgetMemberResponse* response,
                                             UnaryReactor* reactor) {
  if (absl::Status s = Authorize(*context); !s.ok()) {
    spdlog::warn("admin ForgetMember refused: {} request_id={}", std::string(s.message()),
                 reactor->request_id());
    return CountAndFinish("forget_member", ToGrpcStatus(s), reactor);
  }
  history_.ForgetMember(
      *request, DeadlineOf(*context),
      [this, response, reactor](absl::StatusOr<v1::ForgetMemberResponse> result) {
        CountAndFinish("forget_member",
                       Translate("ForgetMember", std::move(result), response, *reactor), reactor);
      });
}

}  // namespace etiquette
