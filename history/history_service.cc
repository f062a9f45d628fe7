#include "history/history_service.h"

#include <chrono>
#include <optional>
#include <utility>

#include "common/status.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"
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

// What a caller is told when the store failed: fixed text, never the store's own (Redis hosts,
// ports, hiredis or Lua error text). The detail goes to the log, with the request id.
grpc::Status StoreFailure(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
      return grpc::Status(code, kStoreUnavailableMessage);
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return grpc::Status(code, kStoreTimeoutMessage);
    default:
      return grpc::Status(code, kStoreErrorMessage);
  }
}

// Whether a status of this code carries a message written for the caller (History's validation,
// the store's refusals of a request: FAILED_PRECONDITION "...another recipient").
bool IsCallersFault(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return true;
    default:
      return false;
  }
}

// Moves a successful result into the response; returns the call's status. Any other failure
// (UNAVAILABLE, INTERNAL, ...) comes from the store: the caller gets StoreFailure, the log a
// warning with the method, request id, code and the store's detail (it names Redis nodes and
// replies, never member ids: keys and arguments are not part of the store's error texts).
template <typename Response>
grpc::Status Translate(const char* method, absl::StatusOr<Response> result, Response* response,
                       const UnaryReactor& reactor) {
  if (result.ok()) {
    *response = std::move(*result);
    return grpc::Status::OK;
  }
  const auto code = static_cast<grpc::StatusCode>(result.status().code());
  if (IsCallersFault(code)) return ToGrpcStatus(result.status());
  spdlog::warn("rpc method={} request_id={} failed: {}", method, reactor.request_id(),
               result.status().ToString());
  return StoreFailure(code);
}

// The `done` of a History call: finishes the call with its result.
template <typename Response>
StoreDone<Response> FinishWith(const char* method, Response* response, UnaryReactor* reactor) {
  return [method, response, reactor](absl::StatusOr<Response> result) {
    reactor->Finish(Translate(method, std::move(result), response, *reactor));
  };
}

}  // namespace

const std::vector<RepeatedFieldLimit>& BatchGetStandingCountLimits() {
  static const auto* const limits = new std::vector<RepeatedFieldLimit>{
      {"requests", kMaxStandingBatch, "$0: must hold 1 to $1 requests, got more"}};
  return *limits;
}

// The request and response stay valid until reactor->Finish, which History's `done` calls last
// (inline, or from the store's answer); nothing touches the call after Finish.

SenderHistoryService::SenderHistoryService(History& history) : history_(history) {
  AddUnary("RecordInvitation", &SenderHistoryService::RecordInvitation);
  AddUnary("RecordResponse", &SenderHistoryService::RecordResponse);
  AddUnary("GetStanding", &SenderHistoryService::GetStanding);
  AddUnary("BatchGetStanding", &SenderHistoryService::BatchGetStanding,
           BatchGetStandingCountLimits());
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
    : SenderHistoryAdminService(history,
                                admin_token.has_value() && !admin_token->empty()
                                    ? AdminTokens::Fixed({*std::move(admin_token)})
                                    : nullptr,
                                metrics) {}

SenderHistoryAdminService::SenderHistoryAdminService(History& history,
                                                     std::shared_ptr<AdminTokens> admin_tokens,
                                                     HistoryMetrics* metrics, AdminCallGuard guard)
    : history_(history),
      admin_tokens_(std::move(admin_tokens)),
      metrics_(metrics),
      guard_(std::move(guard)) {
  AddUnary("ReleaseSender", &SenderHistoryAdminService::ReleaseSender);
  AddUnary("ForgetMember", &SenderHistoryAdminService::ForgetMember);
  AddUnary("ListAdminActions", &SenderHistoryAdminService::ListAdminActions);
}

namespace {

// The URI and DNS SANs of the client's verified certificate (gRPC 1.51's "peer_uri" and
// "peer_dns" properties; none without TLS or a client certificate).
PeerIdentity PeerIdentityOf(const grpc::CallbackServerContext& context) {
  PeerIdentity identity;
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) return identity;
  for (const auto& [name, target] : {std::pair{GRPC_PEER_URI_PROPERTY_NAME, &identity.uris},
                                     {GRPC_PEER_DNS_PROPERTY_NAME, &identity.dns_names}}) {
    for (const grpc::string_ref& value : auth->FindPropertyValues(name)) {
      target->emplace_back(value.data(), value.size());
    }
  }
  return identity;
}

}  // namespace

absl::Status SenderHistoryAdminService::Authorize(const grpc::CallbackServerContext& context,
                                                  const char* method, const UnaryReactor& reactor,
                                                  History::AdminCaller* caller) const {
  const std::string peer = context.peer();
  const PeerIdentity identity = PeerIdentityOf(context);
  absl::Status status =
      guard_.throttle != nullptr ? guard_.throttle->Check(peer) : absl::OkStatus();
  if (status.ok()) status = guard_.identities.Check(identity);
  AdminTokenDigest matched{};
  if (status.ok()) {
    std::optional<absl::string_view> authorization;
    const auto& metadata = context.client_metadata();
    if (auto it = metadata.find("authorization"); it != metadata.end()) {
      authorization = absl::string_view(it->second.data(), it->second.size());
    }
    status = admin_tokens_ == nullptr ? CheckAdminAuthorization(std::nullopt, authorization)
                                      : admin_tokens_->Check(authorization, &matched);
  }
  if (status.ok()) {
    if (caller != nullptr) {
      caller->token_ref = AdminTokenRef(matched);
      caller->admin = !identity.uris.empty()        ? identity.uris.front()
                      : !identity.dns_names.empty() ? identity.dns_names.front()
                                                    : caller->token_ref;
    }
    return status;
  }
  const std::string reason = AdminRefusalReason(status);
  spdlog::warn("admin {} refused: peer {}, reason {}: {} request_id={}", method, peer, reason,
               std::string(status.message()), reactor.request_id());
  if (metrics_ != nullptr) metrics_->RecordAdminAuthFailure(reason);
  if (guard_.throttle != nullptr) guard_.throttle->RecordFailure(peer);
  return status;
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
  History::AdminCaller caller;
  if (absl::Status s = Authorize(*context, "ReleaseSender", *reactor, &caller); !s.ok()) {
    return CountAndFinish("release_sender", ToGrpcStatus(s), reactor);
  }
  history_.ReleaseSender(
      *request, std::move(caller), DeadlineOf(*context),
      [this, response, reactor](absl::StatusOr<v1::ReleaseSenderResponse> result) {
        CountAndFinish("release_sender",
                       Translate("ReleaseSender", std::move(result), response, *reactor), reactor);
      });
}

void SenderHistoryAdminService::ForgetMember(grpc::CallbackServerContext* context,
                                             const v1::ForgetMemberRequest* request,
                                             v1::ForgetMemberResponse* response,
                                             UnaryReactor* reactor) {
  History::AdminCaller caller;
  if (absl::Status s = Authorize(*context, "ForgetMember", *reactor, &caller); !s.ok()) {
    return CountAndFinish("forget_member", ToGrpcStatus(s), reactor);
  }
  history_.ForgetMember(
      *request, std::move(caller), DeadlineOf(*context),
      [this, response, reactor](absl::StatusOr<v1::ForgetMemberResponse> result) {
        CountAndFinish("forget_member",
                       Translate("ForgetMember", std::move(result), response, *reactor), reactor);
      });
}

void SenderHistoryAdminService::ListAdminActions(grpc::CallbackServerContext* context,
                                                 const v1::ListAdminActionsRequest* request,
                                                 v1::ListAdminActionsResponse* response,
                                                 UnaryReactor* reactor) {
  if (absl::Status s = Authorize(*context, "ListAdminActions", *reactor); !s.ok()) {
    return CountAndFinish("list_admin_actions", ToGrpcStatus(s), reactor);
  }
  history_.ListAdminActions(
      *request, DeadlineOf(*context),
      [this, response, reactor](absl::StatusOr<v1::ListAdminActionsResponse> result) {
        CountAndFinish("list_admin_actions",
                       Translate("ListAdminActions", std::move(result), response, *reactor),
                       reactor);
      });
}

}  // namespace etiquette
