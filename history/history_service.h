#pragma once

#include <optional>
#include <string>

#include "etiquette/v1/history.grpc.pb.h"
#include "grpcpp/support/byte_buffer.h"
#include "history/history.h"
#include "history/history_metrics.h"

namespace etiquette {

// SenderHistory on gRPC's callback API with raw methods (see common/grpc_raw_messages.h: the
// handlers parse the requests themselves, so unparsable bytes get the same INTERNAL status as
// with the sync API).
using SenderHistoryRawCallbackService = v1::SenderHistory::WithRawCallbackMethod_RecordInvitation<
    v1::SenderHistory::WithRawCallbackMethod_RecordResponse<
        v1::SenderHistory::WithRawCallbackMethod_GetStanding<
            v1::SenderHistory::WithRawCallbackMethod_BatchGetStanding<
                v1::SenderHistory::Service>>>>;

// The gRPC face of History's SenderHistory calls: translation, and one access log line a call
// that parsed (method, code, duration, request id, validated invitation id; see CallLog). Never
// logs recipient ids or anything else from the request. A call waiting for Redis holds no
// thread: it is finished from the store's answer. `history` must outlive the service, and the
// service the server. Requests and responses are the v1 messages, serialized.
class SenderHistoryService final : public SenderHistoryRawCallbackService {
 public:
  explicit SenderHistoryService(History& history) : history_(history) {}

  grpc::ServerUnaryReactor* RecordInvitation(grpc::CallbackServerContext* context,
                                             const grpc::ByteBuffer* request,
                                             grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RecordResponse(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetStanding(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* BatchGetStanding(grpc::CallbackServerContext* context,
                                             const grpc::ByteBuffer* request,
                                             grpc::ByteBuffer* response) override;

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
