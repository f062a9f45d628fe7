#pragma once

#include <optional>
#include <string>

#include "common/metrics.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "history/history.h"

namespace etiquette {

// The gRPC face of History's SenderHistory calls: translation, and one access log line a call
// (method, code, duration, request id, validated invitation id; see CallLog). Never logs
// recipient ids or anything else from the request.
class SenderHistoryService final : public v1::SenderHistory::Service {
 public:
  explicit SenderHistoryService(History& history) : history_(history) {}

  grpc::Status RecordInvitation(grpc::ServerContext* context,
                                const v1::RecordInvitationRequest* request,
                                v1::RecordInvitationResponse* response) override;
  grpc::Status RecordResponse(grpc::ServerContext* context,
                              const v1::RecordResponseRequest* request,
                              v1::RecordResponseResponse* response) override;
  grpc::Status GetStanding(grpc::ServerContext* context, const v1::GetStandingRequest* request,
                           v1::GetStandingResponse* response) override;
  grpc::Status BatchGetStanding(grpc::ServerContext* context,
                                const v1::BatchGetStandingRequest* request,
                                v1::BatchGetStandingResponse* response) override;

 private:
  History& history_;
};

// The gRPC face of the operator calls: checks "authorization: Bearer <token>" (see
// CheckAdminAuthorization), then translates. Without a token every call is PERMISSION_DENIED.
// Every call, refused ones included, is counted in `metrics` (null: no metrics; it must outlive
// the service) as etiquette_history_admin_actions_total{action,result} and access-logged.
class SenderHistoryAdminService final : public v1::SenderHistoryAdmin::Service {
 public:
  SenderHistoryAdminService(History& history, std::optional<std::string> admin_token,
                            HistoryMetrics* metrics = nullptr)
      : history_(history), admin_token_(std::move(admin_token)), metrics_(metrics) {}

  grpc::Status ReleaseSender(grpc::ServerContext* context, const v1::ReleaseSenderRequest* request,
                             v1::ReleaseSenderResponse* response) override;
  grpc::Status ForgetMember(grpc::ServerContext* context, const v1::ForgetMemberRequest* request,
                            v1::ForgetMemberResponse* response) override;

 private:
  absl::Status Authorize(const grpc::ServerContext& context) const;
  grpc::Status Count(const char* action, grpc::Status status) const;

  History& history_;
  const std::optional<std::string> admin_token_;
  HistoryMetrics* const metrics_;
};

}  // namespace etiquette
