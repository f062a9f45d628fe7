#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/field_count_limits.h"
#include "common/typed_callback_service.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "history/admin_auth.h"
#include "history/admin_identity.h"
#include "history/admin_throttle.h"
#include "history/history.h"
#include "history/history_metrics.h"

namespace etiquette {

// BatchGetStanding's cap on `requests`, counted on the request's bytes before it is parsed
// (common/field_count_limits.h), with History's message for the same limit.
const std::vector<RepeatedFieldLimit>& BatchGetStandingCountLimits();

// What callers are told when the history store fails (the detail is logged, never returned).
inline constexpr char kStoreUnavailableMessage[] = "history store unavailable; retry";
inline constexpr char kStoreTimeoutMessage[] = "history store did not answer in time; retry";
inline constexpr char kStoreErrorMessage[] = "history store error; retry later";

// The gRPC face of History's SenderHistory calls: translation (a store failure answers one of
// the fixed messages above, with its code), and one access log line a call (method, code, duration,
// request id, validated invitation id; see CallLog). Never logs recipient ids or anything else from
// the request. A call waiting for Redis holds no thread: it is finished from the store's answer.
// `history` must outlive the service, and the service the server. The handlers are typed callback
// handlers (common/typed_callback_service.h: bytes that do not parse are answered before them).
class SenderHistoryService final : public TypedCallbackService<v1::SenderHistory> {
 public:
  explicit SenderHistoryService(History& history);

  void RecordInvitation(grpc::CallbackServerContext* context,
                        const v1::RecordInvitationRequest* request,
                        v1::RecordInvitationResponse* response, UnaryReactor* reactor);
  void RecordResponse(grpc::CallbackServerContext* context,
                      const v1::RecordResponseRequest* request,
                      v1::RecordResponseResponse* response, UnaryReactor* reactor);
  void GetStanding(grpc::CallbackServerContext* context, const v1::GetStandingRequest* request,
                   v1::GetStandingResponse* response, UnaryReactor* reactor);
  void BatchGetStanding(grpc::CallbackServerContext* context,
                        const v1::BatchGetStandingRequest* request,
                        v1::BatchGetStandingResponse* response, UnaryReactor* reactor);

 private:
  History& history_;
};

// What guards the admin calls besides the token: the client certificate's identity, checked
// first, and the per-peer throttle (null: none; it must outlive the service), checked before it.
struct AdminCallGuard {
  AllowedIdentities identities;
  AdminThrottle* throttle = nullptr;
};

// The gRPC face of the operator calls: the throttle, the client's identity (the SANs of its
// certificate, AllowedIdentities), then "authorization: Bearer <token>" (see
// CheckAdminAuthorization); then translates. Without a token every call is PERMISSION_DENIED.
// A refusal is logged as a warning with the peer address and the reason (never the token or
// the request), counted as etiquette_history_admin_auth_failures_total{reason} and in the
// throttle.
// Every call that parsed, refused ones included, is counted in `metrics` (null: no metrics; it
// must outlive the service) as etiquette_history_admin_actions_total{action,result} and
// access-logged. Typed callback handlers, like SenderHistoryService's.
class SenderHistoryAdminService final : public TypedCallbackService<v1::SenderHistoryAdmin> {
 public:
  // `admin_tokens` null: admin calls disabled.
  SenderHistoryAdminService(History& history, std::shared_ptr<AdminTokens> admin_tokens,
                            HistoryMetrics* metrics = nullptr, AdminCallGuard guard = {});
  // One fixed token (nullopt: disabled).
  SenderHistoryAdminService(History& history, std::optional<std::string> admin_token,
                            HistoryMetrics* metrics = nullptr);

  void ReleaseSender(grpc::CallbackServerContext* context, const v1::ReleaseSenderRequest* request,
                     v1::ReleaseSenderResponse* response, UnaryReactor* reactor);
  void ForgetMember(grpc::CallbackServerContext* context, const v1::ForgetMemberRequest* request,
                    v1::ForgetMemberResponse* response, UnaryReactor* reactor);
  void ListAdminActions(grpc::CallbackServerContext* context,
                        const v1::ListAdminActionsRequest* request,
                        v1::ListAdminActionsResponse* response, UnaryReactor* reactor);

 private:
  // OK, or the refusal, logged and counted (`method` for the log line). When OK, `caller`
  // (null: not wanted) says who called: the first URI SAN of the verified client certificate,
  // else its first DNS SAN, else the token's ref (AdminTokenRef); and the token's ref.
  absl::Status Authorize(const grpc::CallbackServerContext& context, const char* method,
                         const UnaryReactor& reactor, History::AdminCaller* caller = nullptr) const;
  // Counts the call as `action` in the metrics, then finishes it.
  void CountAndFinish(const char* action, grpc::Status status, UnaryReactor* reactor) const;

  History& history_;
  const std::shared_ptr<AdminTokens> admin_tokens_;
  HistoryMetrics* const metrics_;
  const AdminCallGuard guard_;
};

}  // namespace etiquette
