// The evaluator over real gRPC: an in-process server on 127.0.0.1, port 0.
#include <memory>

#include "common/grpc_server.h"
#include "etiquette/v1/evaluator.grpc.pb.h"
#include "evaluator/config.h"
#include "evaluator/evaluator.h"
#include "evaluator/evaluator_service.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using testing::GoodInvitation;

class EvaluatorGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    evaluator_ = std::make_unique<Evaluator>(
        std::shared_ptr<const RulesEngine>(*RulesEngine::Create(DefaultEvaluatorConfig())));
    service_ = std::make_unique<EvaluatorService>(*evaluator_);
    absl::StatusOr<std::unique_ptr<RunningServer>> started = StartGrpcServer(
        "127.0.0.1:0", {service_.get()}, {v1::InvitationEvaluator::service_full_name()});
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(*started);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::InvitationEvaluator::NewStub(channel_);
  }
  void TearDown() override {
    server_.reset();
  }

  grpc::Status Evaluate(const v1::Invitation& invitation, v1::EvaluateResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::EvaluateRequest request;
    *request.mutable_invitation() = invitation;
    return stub_->Evaluate(&context, request, response);
  }

  std::unique_ptr<Evaluator> evaluator_;
  std::unique_ptr<EvaluatorService> service_;
  std::unique_ptr<RunningServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::InvitationEvaluator::Stub> stub_;
};

TEST_F(EvaluatorGrpcTest, EvaluateReturnsAVerdict) {
  v1::EvaluateResponse response;
  grpc::Status status = Evaluate(GoodInvitation(), &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK) << status.error_message();
  EXPECT_EQ(response.verdict().invitation_id(), "inv-0001");
  EXPECT_EQ(response.verdict().decision(), v1::DECISION_SEND);
  EXPECT_GT(response.verdict().acceptance_likelihood(), 0.31);
  EXPECT_EQ(response.verdict().rules_version(), RulesVersion(DefaultEvaluatorConfig()));
}

TEST_F(EvaluatorGrpcTest, StockNoteToStrangerMustBeRevised) {
  v1::Invitation invitation = GoodInvitation();
  invitation.set_note("I'd like to add you to my professional network on LinkedIn.");
  v1::EvaluateResponse response;
  ASSERT_TRUE(Evaluate(invitation, &response).ok());
  EXPECT_EQ(response.verdict().decision(), v1::DECISION_REVISE);
  ASSERT_GE(response.verdict().findings_size(), 1);
  EXPECT_EQ(response.verdict().findings(0).rule_id(), "personal-note");
  EXPECT_EQ(response.verdict().findings(0).severity(), v1::SEVERITY_VIOLATION);
  EXPECT_FALSE(response.verdict().findings(0).advice().empty());
}

TEST_F(EvaluatorGrpcTest, BadInvitationIsInvalidArgumentAndServerKeepsServing) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_recipient()->set_member_id(invitation.sender().member_id());
  v1::EvaluateResponse response;
  grpc::Status status = Evaluate(invitation, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "invitation.recipient.member_id: must differ from the sender's");

  EXPECT_EQ(Evaluate(GoodInvitation(), &response).error_code(), grpc::StatusCode::OK);
}

TEST_F(EvaluatorGrpcTest, MissingInvitationIsInvalidArgument) {
  grpc::ClientContext context;
  v1::EvaluateResponse response;
  grpc::Status status = stub_->Evaluate(&context, v1::EvaluateRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "invitation: required");
}

TEST_F(EvaluatorGrpcTest, EvaluateBatchMixesValidAndInvalidSlots) {
  v1::EvaluateBatchRequest request;
  for (int i = 0; i < 4; ++i) {
    v1::Invitation& invitation = *request.add_invitations();
    invitation = GoodInvitation();
    invitation.set_invitation_id("inv-" + std::to_string(i));
  }
  request.mutable_invitations(1)->set_invitation_id("has space");
  request.mutable_invitations(3)->mutable_sender()->clear_member_id();
  grpc::ClientContext context;
  v1::EvaluateBatchResponse response;
  grpc::Status status = stub_->EvaluateBatch(&context, request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK) << status.error_message();
  ASSERT_EQ(response.verdicts_size(), 4);
  EXPECT_EQ(response.verdicts(0).decision(), v1::DECISION_SEND);
  EXPECT_FALSE(response.verdicts(0).has_error());
  EXPECT_EQ(response.verdicts(1).decision(), v1::DECISION_UNSPECIFIED);
  EXPECT_EQ(response.verdicts(1).error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(response.verdicts(1).error().message(),
            "invitations[1].invitation_id: may only contain A-Z a-z 0-9 . _ : -");
  EXPECT_EQ(response.verdicts(2).invitation_id(), "inv-2");
  EXPECT_EQ(response.verdicts(2).decision(), v1::DECISION_SEND);
  EXPECT_EQ(response.verdicts(3).error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(response.verdicts(3).error().message(),
            "invitations[3].sender.member_id: must not be empty");
}

TEST_F(EvaluatorGrpcTest, EmptyBatchIsInvalidArgument) {
  grpc::ClientContext context;
  v1::EvaluateBatchResponse response;
  grpc::Status status = stub_->EvaluateBatch(&context, v1::EvaluateBatchRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(EvaluatorGrpcTest, OversizedBatchIsInvalidArgument) {
  v1::EvaluateBatchRequest request;
  for (int i = 0; i < kMaxBatchSize + 1; ++i) *request.add_invitations() = GoodInvitation();
  grpc::ClientContext context;
  v1::EvaluateBatchResponse response;
  grpc::Status status = stub_->EvaluateBatch(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "invitations: must hold 1 to 1000 invitations, got 1001");
}

TEST_F(EvaluatorGrpcTest, ListRulesShowsEveryRule) {
  grpc::ClientContext context;
  v1::ListRulesResponse response;
  ASSERT_TRUE(stub_->ListRules(&context, v1::ListRulesRequest(), &response).ok());
  EXPECT_EQ(response.rules_size(), 14);
  EXPECT_EQ(response.rules_version(), RulesVersion(DefaultEvaluatorConfig()));
  EXPECT_EQ(response.rules(0).rule_id(), "personal-note");
  EXPECT_EQ(response.rules(0).mode(), v1::RULE_MODE_ENFORCE);
}

TEST_F(EvaluatorGrpcTest, HealthIsServingOverallAndForTheService) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  for (const char* service : {"", "etiquette.v1.InvitationEvaluator"}) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = health->Check(&context, request, &response);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::OK) << service;
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
}

}  // namespace
}  // namespace etiquette
