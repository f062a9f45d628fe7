// The services' access logs: one line a call with method, code, duration, request id and the
// validated invitation id, as real JSON fields with --log_format=json; never notes, names,
// headlines, summaries, company or group names; x-request-id taken from the client (when valid)
// and sent back. The logging pieces on their own: tests/common/logging_test.cc.
#include "common/access_log.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "common/grpc_server.h"
#include "common/logging.h"
#include "etiquette/v1/evaluator.grpc.pb.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "evaluator/config.h"
#include "evaluator/evaluator.h"
#include "evaluator/evaluator_service.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "history/config.h"
#include "history/history.h"
#include "history/history_service.h"
#include "history/in_memory_history_store.h"
#include "spdlog/spdlog.h"
#include "support/test_invitations.h"
#include "tests/common/capturing_sink.h"

namespace etiquette {
namespace {

using testing::CapturingSink;
using ::testing::ContainsRegex;
using testing::GoodInvitation;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

// Everything private in the invitation below: none of it may reach a log.
const std::vector<std::string>& PrivateTexts() {
  static const auto* texts = new std::vector<std::string>{
      "enjoyed your talk",  // the note
      "Berlin meetup",      // the note
      "Alex Sender",        // sender's name
      "Jordan Recipient",   // recipient's name
      "Backend engineer",   // sender's headline
      "Staff engineer",     // recipient's headline
      "Ten years",          // sender's summary
      "Initech",            // company names
      "Globex",
      "Secret Payments Guild",  // group name
  };
  return *texts;
}

v1::Invitation PrivateInvitation() {
  v1::Invitation invitation = GoodInvitation();
  v1::SharedGroup& group = *invitation.mutable_relationship()->add_shared_groups();
  group.set_group_id("g-1");
  group.set_name("Secret Payments Guild");
  group.set_sender_posts_90d(2);
  group.set_sender_comments_90d(2);
  return invitation;
}

// The access line of `method` among `lines`; "" when there is none or more than one.
std::string AccessLine(const std::vector<std::string>& lines, const std::string& method,
                       bool json) {
  std::string found;
  int count = 0;
  const std::string key = json ? "\"method\":\"" + method + "\"" : "method=" + method + " ";
  for (const std::string& line : lines) {
    if (absl::StrContains(line, key)) {
      found = line;
      ++count;
    }
  }
  return count == 1 ? found : "";
}

class AccessLogTest : public ::testing::Test {
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
    ASSERT_TRUE(ConfigureLogging("text", "info").ok());  // back to stderr
  }

  void Capture(const std::string& format, const std::string& level = "info") {
    sink_ = std::make_shared<CapturingSink>();
    ASSERT_TRUE(ConfigureLogging(format, level, sink_).ok());
  }

  // Evaluate with `request_id` as x-request-id (none when empty); the echoed x-request-id in
  // `echoed`.
  grpc::Status Evaluate(const v1::Invitation& invitation, const std::string& request_id,
                        std::string* echoed) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!request_id.empty()) context.AddMetadata("x-request-id", request_id);
    v1::EvaluateRequest request;
    *request.mutable_invitation() = invitation;
    v1::EvaluateResponse response;
    grpc::Status status = stub_->Evaluate(&context, request, &response);
    echoed->clear();
    const auto& metadata = context.GetServerInitialMetadata();
    if (auto it = metadata.find("x-request-id"); it != metadata.end()) {
      echoed->assign(it->second.data(), it->second.size());
    }
    return status;
  }

  std::unique_ptr<Evaluator> evaluator_;
  std::unique_ptr<EvaluatorService> service_;
  std::unique_ptr<RunningServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::InvitationEvaluator::Stub> stub_;
  std::shared_ptr<CapturingSink> sink_;
};

TEST_F(AccessLogTest, JsonLineHasRealFieldsAndNoPrivateText) {
  Capture("json");
  std::string echoed;
  ASSERT_TRUE(Evaluate(PrivateInvitation(), "req-0001.a:b_c", &echoed).ok());
  EXPECT_EQ(echoed, "req-0001.a:b_c");

  const std::string line = AccessLine(sink_->Lines(), "Evaluate", /*json=*/true);
  ASSERT_FALSE(line.empty()) << sink_->Text();
  EXPECT_THAT(line,
              MatchesRegex(R"(\{"ts":"[0-9T:.-]+Z","level":"info","msg":"rpc","method":"Evaluate",)"
                           R"("code":"OK","duration_us":[0-9]+,"request_id":"req-0001\.a:b_c",)"
                           R"("invitation_id":"inv-0001"\})"));
  for (const std::string& text : PrivateTexts()) {
    EXPECT_THAT(sink_->Text(), Not(HasSubstr(text))) << text;
  }
}

TEST_F(AccessLogTest, TextLineHasKeyValueFields) {
  Capture("text");
  std::string echoed;
  ASSERT_TRUE(Evaluate(PrivateInvitation(), "req-7", &echoed).ok());
  const std::string line = AccessLine(sink_->Lines(), "Evaluate", /*json=*/false);
  ASSERT_FALSE(line.empty()) << sink_->Text();
  EXPECT_THAT(line, ContainsRegex(" info rpc method=Evaluate code=OK duration_us=[0-9]+ "
                                  "request_id=req-7 invitation_id=inv-0001$"));
  for (const std::string& text : PrivateTexts()) {
    EXPECT_THAT(sink_->Text(), Not(HasSubstr(text))) << text;
  }
}

TEST_F(AccessLogTest, AnInvitationIdThatFailedValidationIsNeverLogged) {
  Capture("json");
  v1::Invitation invitation = PrivateInvitation();
  invitation.set_invitation_id(R"(inv","admin":"true)");
  std::string echoed;
  ASSERT_EQ(Evaluate(invitation, "", &echoed).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const std::string line = AccessLine(sink_->Lines(), "Evaluate", /*json=*/true);
  ASSERT_FALSE(line.empty()) << sink_->Text();
  EXPECT_THAT(line, HasSubstr(R"("code":"INVALID_ARGUMENT")"));
  EXPECT_THAT(line, Not(HasSubstr("invitation_id")));
  EXPECT_THAT(sink_->Text(), Not(HasSubstr("admin")));
  for (const std::string& text : PrivateTexts()) {
    EXPECT_THAT(sink_->Text(), Not(HasSubstr(text))) << text;
  }
}

TEST_F(AccessLogTest, BatchLinesCarryTheSizeAndNoSlotContent) {
  Capture("json");
  v1::EvaluateBatchRequest request;
  *request.add_invitations() = PrivateInvitation();
  v1::Invitation bad = PrivateInvitation();
  bad.set_invitation_id("inv 4");
  *request.add_invitations() = bad;
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "batch-1");
  v1::EvaluateBatchResponse response;
  ASSERT_TRUE(stub_->EvaluateBatch(&context, request, &response).ok());
  const std::string line = AccessLine(sink_->Lines(), "EvaluateBatch", /*json=*/true);
  ASSERT_FALSE(line.empty()) << sink_->Text();
  EXPECT_THAT(line, HasSubstr(R"("code":"OK")"));
  EXPECT_THAT(line, HasSubstr(R"("request_id":"batch-1")"));
  EXPECT_THAT(line, HasSubstr(R"("batch_size":2})"));
  EXPECT_THAT(sink_->Text(), Not(HasSubstr("inv 4")));
  for (const std::string& text : PrivateTexts()) {
    EXPECT_THAT(sink_->Text(), Not(HasSubstr(text))) << text;
  }
}

TEST_F(AccessLogTest, RequestIdIsEchoedOrMadeUp) {
  Capture("json");
  std::string echoed;
  // Valid: echoed as is, and logged.
  const std::string longest(kMaxRequestIdBytes, 'r');
  ASSERT_TRUE(Evaluate(GoodInvitation(), longest, &echoed).ok());
  EXPECT_EQ(echoed, longest);
  EXPECT_THAT(sink_->Text(), HasSubstr("\"request_id\":\"" + longest + "\""));

  // Invalid (too long, or outside the charset): replaced with 16 hex digits, also logged.
  for (const std::string& invalid :
       {std::string(kMaxRequestIdBytes + 1, 'r'), std::string("has space"), std::string("quote\"x"),
        std::string("semi;colon")}) {
    ASSERT_TRUE(Evaluate(GoodInvitation(), invalid, &echoed).ok());
    EXPECT_THAT(echoed, MatchesRegex("[0-9a-f]{16}")) << invalid;
    EXPECT_THAT(sink_->Text(), HasSubstr("\"request_id\":\"" + echoed + "\"")) << invalid;
  }
  EXPECT_THAT(sink_->Text(), Not(HasSubstr("has space")));
  EXPECT_THAT(sink_->Text(), Not(HasSubstr(std::string(kMaxRequestIdBytes + 1, 'r'))));

  // Absent: made up, and each call gets its own.
  std::string first;
  std::string second;
  ASSERT_TRUE(Evaluate(GoodInvitation(), "", &first).ok());
  ASSERT_TRUE(Evaluate(GoodInvitation(), "", &second).ok());
  EXPECT_THAT(first, MatchesRegex("[0-9a-f]{16}"));
  EXPECT_THAT(second, MatchesRegex("[0-9a-f]{16}"));
  EXPECT_NE(first, second);
  EXPECT_THAT(sink_->Text(), HasSubstr("\"request_id\":\"" + first + "\""));
}

TEST_F(AccessLogTest, WarnLevelSilencesAccessLines) {
  Capture("json", "warn");
  std::string echoed;
  ASSERT_TRUE(Evaluate(GoodInvitation(), "req-1", &echoed).ok());
  EXPECT_EQ(echoed, "req-1");  // still echoed
  EXPECT_EQ(sink_->Text(), "");
}

// The history service logs the same way: invitation id and request id, never recipient ids.
TEST(HistoryAccessLogTest, RecordInvitationLine) {
  auto sink = std::make_shared<CapturingSink>();
  ASSERT_TRUE(ConfigureLogging("json", "info", sink).ok());
  InMemoryHistoryStore store(StorePolicyFrom(DefaultHistoryConfig()));
  History history(store, *RecipientHasher::Create("access-log-test-secret"),
                  DefaultHistoryConfig());
  SenderHistoryService service(history);
  SenderHistoryAdminService admin(history, std::string("admin-token-value"));
  absl::StatusOr<std::unique_ptr<RunningServer>> server = StartGrpcServer(
      "127.0.0.1:0", {&service, &admin},
      {v1::SenderHistory::service_full_name(), v1::SenderHistoryAdmin::service_full_name()});
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::SenderHistory::NewStub(channel);
  {
    grpc::ClientContext context;
    context.AddMetadata("x-request-id", "hist-1");
    v1::RecordInvitationRequest request;
    request.set_invitation_id("inv-h1");
    request.set_sender_id("m-sender");
    request.set_recipient_id("m-recipient-secret");
    v1::RecordInvitationResponse response;
    ASSERT_TRUE(stub->RecordInvitation(&context, request, &response).ok());
    const auto& metadata = context.GetServerInitialMetadata();
    ASSERT_EQ(metadata.count("x-request-id"), 1u);
    EXPECT_EQ(std::string(metadata.find("x-request-id")->second.data(),
                          metadata.find("x-request-id")->second.size()),
              "hist-1");
  }
  {
    // An admin call with the right token: the token never reaches the log.
    auto admin_stub = v1::SenderHistoryAdmin::NewStub(channel);
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer admin-token-value");
    v1::ReleaseSenderRequest request;
    request.set_sender_id("m-sender");
    request.set_reason("ticket 1");
    v1::ReleaseSenderResponse response;
    ASSERT_TRUE(admin_stub->ReleaseSender(&context, request, &response).ok());
  }
  (*server)->Shutdown(absl::Seconds(1));
  const std::string line = AccessLine(sink->Lines(), "RecordInvitation", /*json=*/true);
  ASSERT_FALSE(line.empty()) << sink->Text();
  EXPECT_THAT(line, MatchesRegex(R"(\{.*"msg":"rpc","method":"RecordInvitation","code":"OK",)"
                                 R"("duration_us":[0-9]+,"request_id":"hist-1",)"
                                 R"("invitation_id":"inv-h1"\})"));
  EXPECT_FALSE(AccessLine(sink->Lines(), "ReleaseSender", /*json=*/true).empty()) << sink->Text();
  EXPECT_THAT(sink->Text(), Not(HasSubstr("m-recipient-secret")));
  EXPECT_THAT(sink->Text(), Not(HasSubstr("admin-token-value")));
  ASSERT_TRUE(ConfigureLogging("text", "info").ok());
}

}  // namespace
}  // namespace etiquette
