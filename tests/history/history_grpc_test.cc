// The history service over real gRPC (in process, port 0) on the in-memory store: translation,
// admin authorization and health.
#include <algorithm>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <vector>

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

// The admin service is on the callback API like the others: its answers carry the response.
TEST_F(HistoryGrpcTest, AdminAnswersCarryTheResponse) {
  Start(kToken);
  grpc::ClientContext release_context;
  release_context.AddMetadata("authorization", std::string("Bearer ") + kToken);
  v1::ReleaseSenderRequest release;
  release.set_sender_id("s1");
  release.set_reason("ticket 1: test");
  v1::ReleaseSenderResponse released;
  grpc::Status status = admin_stub_->ReleaseSender(&release_context, release, &released);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(released.standing().sender_id(), "s1");
  EXPECT_EQ(released.standing().state(), v1::STANDING_STATE_GOOD);

  grpc::ClientContext forget_context;
  forget_context.AddMetadata("authorization", std::string("Bearer ") + kToken);
  v1::ForgetMemberRequest forget;
  forget.set_member_id("s1");
  v1::ForgetMemberResponse forgotten;
  status = admin_stub_->ForgetMember(&forget_context, forget, &forgotten);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "reason: required");
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

// A store whose GetFacts never answers by itself: the calls wait until the test releases
// them, as they would on a stalled Redis. Everything else is the in-memory store's.
class ParkingStore final : public HistoryStore {
 public:
  ParkingStore() : store_(StorePolicyFrom(DefaultHistoryConfig())) {}

  void RecordInvitation(const std::string& sender, const std::string& invitation,
                        const RecipientKeys& recipient, absl::Time sent_at,
                        uint64_t note_fingerprint, absl::Time now, absl::Time deadline,
                        StoreDone<WriteResult> done) override {
    store_.RecordInvitation(sender, invitation, recipient, sent_at, note_fingerprint, now, deadline,
                            std::move(done));
  }
  void RecordResponse(const std::string& sender, const std::string& invitation,
                      const RecipientKeys& recipient, v1::InvitationResponse response,
                      absl::Time responded_at, absl::Time now, absl::Time deadline,
                      StoreDone<WriteResult> done) override {
    store_.RecordResponse(sender, invitation, recipient, response, responded_at, now, deadline,
                          std::move(done));
  }
  void BatchGetFacts(const std::vector<FactsQuery>& queries, absl::Time now, absl::Time deadline,
                     StoreDone<std::vector<SenderFacts>> done) override {
    store_.BatchGetFacts(queries, now, deadline, std::move(done));
  }
  void Release(const std::string& sender, const std::string& reason, absl::Time now,
               absl::Time deadline, StoreDone<SenderFacts> done) override {
    store_.Release(sender, reason, now, deadline, std::move(done));
  }
  void Forget(const std::string& member, const RecipientKeys& recipient_key, absl::Time deadline,
              StoreDone<uint64_t> done) override {
    store_.Forget(member, recipient_key, deadline, std::move(done));
  }
  absl::Status Ping() override { return absl::OkStatus(); }
  void SetPolicy(const StorePolicy& policy) override { store_.SetPolicy(policy); }

  void GetFacts(const FactsQuery&, absl::Time, absl::Time, StoreDone<SenderFacts> done) override {
    std::lock_guard<std::mutex> lock(mutex_);
    parked_.push_back(std::move(done));
    most_parked_ = std::max(most_parked_, parked_.size());
    changed_.notify_all();
  }

  // Waits (at most `timeout`) until `count` calls are parked; whether they are.
  bool WaitForParked(size_t count, absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                             [&] { return parked_.size() >= count; });
  }
  // Answers every parked call (an unknown sender's facts).
  void ReleaseAll() {
    std::vector<StoreDone<SenderFacts>> parked;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      parked.swap(parked_);
    }
    for (auto& done : parked) done(SenderFacts{});
  }
  size_t most_parked() {
    std::lock_guard<std::mutex> lock(mutex_);
    return most_parked_;
  }

 private:
  InMemoryHistoryStore store_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<StoreDone<SenderFacts>> parked_;  // guarded by mutex_
  size_t most_parked_ = 0;                      // guarded by mutex_
};

// --max_concurrent_streams: a connection has at most that many calls in the service; the
// client's further calls wait on its side and go through once calls end.
TEST(HistoryGrpcStreamLimitTest, CallsBeyondTheLimitWaitInTheClient) {
  ParkingStore store;
  History history(store, *RecipientHasher::Create("grpc-test-hmac-secret"), DefaultHistoryConfig());
  SenderHistoryService service(history);
  GrpcServerOptions options;
  options.address = "127.0.0.1:0";
  options.bounds.max_concurrent_streams = 2;
  absl::StatusOr<std::unique_ptr<RunningServer>> server =
      StartGrpcServer(std::move(options), {&service}, {v1::SenderHistory::service_full_name()});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = v1::SenderHistory::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string((*server)->port()), grpc::InsecureChannelCredentials()));

  constexpr int kCalls = 5;
  struct Call {
    grpc::ClientContext context;
    v1::GetStandingRequest request;
    v1::GetStandingResponse response;
    std::promise<grpc::Status> status;
  };
  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back(std::make_unique<Call>());
    Call& call = *calls.back();
    call.context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    call.request.set_sender_id("s" + std::to_string(i));
    stub->async()->GetStanding(&call.context, &call.request, &call.response,
                               [&call](grpc::Status status) { call.status.set_value(status); });
  }
  ASSERT_TRUE(store.WaitForParked(2, absl::Seconds(10)));
  // A third call would reach the service within milliseconds if nothing held it back.
  EXPECT_FALSE(store.WaitForParked(3, absl::Milliseconds(300)));
  EXPECT_EQ(store.most_parked(), 2u);

  // Answered as they come, every call goes through (and none is left in the service).
  std::vector<std::future<grpc::Status>> statuses;
  for (auto& call : calls) statuses.push_back(call->status.get_future());
  const auto ended = [&] {
    return std::count_if(statuses.begin(), statuses.end(), [](std::future<grpc::Status>& status) {
      return status.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    });
  };
  for (const absl::Time give_up = absl::Now() + absl::Seconds(20);
       ended() < kCalls && absl::Now() < give_up;) {
    store.WaitForParked(1, absl::Milliseconds(100));
    store.ReleaseAll();
  }
  ASSERT_EQ(ended(), kCalls);
  for (auto& status : statuses) EXPECT_EQ(status.get().error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(store.most_parked(), 2u);
  (*server)->Shutdown(absl::Seconds(1));
}

}  // namespace
}  // namespace etiquette
