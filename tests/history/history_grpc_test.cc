// The history service over real gRPC (in process, port 0) on the in-memory store: translation,
// admin authorization and health.
#include <memory>

#include "common/grpc_server.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "history/config.h"
#include "history/history.h"
#include "history/history_service.h"
#include "history/in_memory_history_store.h"

namespace etiquette {
namespace {

constexpr char kToken[] = "grpc-test-token";

class HistoryGrpcTest : public ::testing::Test {
 protected:
  void Start(std::optional<std::string> token) {
    store_ = std::make_unique<InMemoryHistoryStore>(StorePolicyFrom(DefaultHistoryConfig()));
    history_ = std::make_unique<History>(*store_, *RecipientHasher::Create("grpc-test-hmac-secret"),
                                         DefaultHistoryConfig());
    service_ = std::make_unique<SenderHistoryService>(*history_);
    admin_ = std::make_unique<SenderHistoryAdminService>(*history_, std::move(token));
    absl::StatusOr<std::unique_ptr<RunningServer>> started = StartGrpcServer(
        "127.0.0.1:0", {service_.get(), admin_.get()},
        {v1::SenderHistory::service_full_name(), v1::SenderHistoryAdmin::service_full_name()});
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(*started);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::SenderHistory::NewStub(channel_);
    admin_stub_ = v1::SenderHistoryAdmin::NewStub(channel_);
  }
  void TearDown() override { server_.reset(); }

  grpc::Status Release(const std::string& authorization) {
    grpc::ClientContext context;
    if (!authorization.empty()) context.AddMetadata("authorization", authorization);
    v1::ReleaseSenderRequest request;
    request.set_sender_id("s1");
    request.set_reason("test");
    v1::ReleaseSenderResponse response;
    return admin_stub_->ReleaseSender(&context, request, &response);
  }

  std::unique_ptr<InMemoryHistoryStore> store_;
  std::unique_ptr<History> history_;
  std::unique_ptr<SenderHistoryService> service_;
  std::unique_ptr<SenderHistoryAdminService> admin_;
  std::unique_ptr<RunningServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SenderHistory::Stub> stub_;
  std::unique_ptr<v1::SenderHistoryAdmin::Stub> admin_stub_;
};

TEST_F(HistoryGrpcTest, RecordAndGetStanding) {
  Start(kToken);
  grpc::ClientContext record_context;
  v1::RecordInvitationRequest record;
  record.set_invitation_id("i1");
  record.set_sender_id("s1");
  record.set_recipient_id("r1");
  v1::RecordInvitationResponse recorded;
  ASSERT_TRUE(stub_->RecordInvitation(&record_context, record, &recorded).ok());
  EXPECT_FALSE(recorded.duplicate());
  EXPECT_EQ(recorded.standing().invitations_last_7d(), 1u);

  grpc::ClientContext get_context;
  v1::GetStandingRequest get;
  get.set_sender_id("s1");
  get.set_recipient_id("r1");
  v1::GetStandingResponse standing;
  ASSERT_TRUE(stub_->GetStanding(&get_context, get, &standing).ok());
  EXPECT_EQ(standing.standing().state(), v1::STANDING_STATE_GOOD);
  EXPECT_TRUE(standing.standing().pair().pending());
}

TEST_F(HistoryGrpcTest, BadRequestIsInvalidArgument) {
  Start(kToken);
  grpc::ClientContext context;
  v1::GetStandingRequest request;
  request.set_sender_id("has space");
  v1::GetStandingResponse response;
  grpc::Status status = stub_->GetStanding(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "sender_id: may only contain A-Z a-z 0-9 . _ : -");
}

TEST_F(HistoryGrpcTest, AdminNeedsTheBearerToken) {
  Start(kToken);
  EXPECT_EQ(Release("").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Release("Bearer nope").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Release(std::string("Bearer ") + kToken).error_code(), grpc::StatusCode::OK);
}

TEST_F(HistoryGrpcTest, AdminWithoutTokenFileIsPermissionDenied) {
  Start(std::nullopt);
  EXPECT_EQ(Release(std::string("Bearer ") + kToken).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(HistoryGrpcTest, HealthIsServingForBothServices) {
  Start(kToken);
  auto health = grpc::health::v1::Health::NewStub(channel_);
  for (const char* service :
       {"", "etiquette.v1.SenderHistory", "etiquette.v1.SenderHistoryAdmin"}) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(health->Check(&context, request, &response).ok()) << service;
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
}

}  // namespace
}  // namespace etiquette
