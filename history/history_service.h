#pragma once

#include <optional>
#include <string>

#include "etiquette/v1/history.grpc.pb.h"
#include "history/history.h"

namespace etiquette {

// The gRPC face of History's SenderHistory calls: translation only.
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
class SenderHistoryAdminService final : public v1::SenderHistoryAdmin::Service {
 public:
  SenderHistoryAdminService(History& history, std::optional<std::string> admin_token)
      : history_(history), admin_token_(std::move(admin_token)) {}

  grpc::Status ReleaseSender(grpc::ServerContext* context, const v1::ReleaseSenderRequest* request,
                             v1::ReleaseSenderResponse* response) override;
  grpc::Status ForgetMember(grpc::ServerContext* context, const v1::ForgetMemberRequest* request,
                            v1::ForgetMemberResponse* response) override;

 private:
  absl::Status Authorize(const grpc::ServerContext& context) const;

  History& history_;
  const std::optional<std::string> admin_token_;
};

}  // namespace etiquette
