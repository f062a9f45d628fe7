// Metrics: the /metrics endpoint, the gRPC server interceptor, and the evaluator, history and
// config recorders, read back from the registry with exact values.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/config_metrics.h"
#include "common/grpc_metrics_interceptor.h"
#include "common/grpc_server.h"
#include "common/metric_series.h"
#include "common/metrics_endpoint.h"
#include "etiquette/v1/evaluator.grpc.pb.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "evaluator/config.h"
#include "evaluator/evaluator.h"
#include "evaluator/evaluator_metrics.h"
#include "evaluator/evaluator_service.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "history/config.h"
#include "history/history.h"
#include "history/history_metrics.h"
#include "history/history_service.h"
#include "history/in_memory_history_store.h"
#include "support/fake_history_client.h"
#include "support/test_invitations.h"
#include "tests/common/metrics_test_util.h"
#include "tests/support/http_get.h"

namespace etiquette {
namespace {

using testing::GoodInvitation;
using ::testing::HasSubstr;
using testing::LabelSet;
using ::testing::Not;
using testing::SampleCountOf;
using testing::ValueOf;
using testing::ValuesOf;

constexpr char kHandled[] = "etiquette_grpc_server_handled_total";
constexpr char kSeconds[] = "etiquette_grpc_server_handling_seconds";
constexpr char kEvaluatorService[] = "etiquette.v1.InvitationEvaluator";

using testing::HttpGet;

// ---------------------------------------------------------------------------------------------
// The endpoint.

TEST(MetricsEndpointTest, ServesTheRegistryOnAFreePort) {
  auto registry = std::make_shared<prometheus::Registry>();
  EvaluatorMetrics evaluator(registry);
  ConfigMetrics config(registry, "rules_version");
  config.SetActiveVersion("abc123def456");
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
      StartMetricsEndpoint("127.0.0.1:0", registry);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  ASSERT_GT((*endpoint)->port(), 0);

  const std::string response = HttpGet((*endpoint)->port(), "/metrics");
  EXPECT_THAT(response, HasSubstr("200 OK"));
  EXPECT_THAT(response, HasSubstr("etiquette_evaluator_decisions_total{decision=\"SEND\"} 0"));
  EXPECT_THAT(response, HasSubstr("etiquette_evaluator_degraded_total 0"));
  EXPECT_THAT(response, HasSubstr("etiquette_config_reloads_total{result=\"ok\"} 0"));
  EXPECT_THAT(response, HasSubstr("etiquette_config_reloads_total{result=\"failed\"} 0"));
  EXPECT_THAT(response, HasSubstr("etiquette_config_info{rules_version=\"abc123def456\"} 1"));
}

TEST(MetricsEndpointTest, ABusyPortIsAnErrorNotACrash) {
  auto registry = std::make_shared<prometheus::Registry>();
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> first =
      StartMetricsEndpoint("127.0.0.1:0", registry);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> second =
      StartMetricsEndpoint("127.0.0.1:" + std::to_string((*first)->port()), registry);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  // The first one still answers.
  EXPECT_THAT(HttpGet((*first)->port(), "/metrics"), HasSubstr("200 OK"));
}

TEST(MetricsEndpointTest, MalformedAddressesAreInvalidArguments) {
  auto registry = std::make_shared<prometheus::Registry>();
  for (const std::string address : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:http",
                                    "127.0.0.1:70000", "example.com:9090", "[::1:9090"}) {
    absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
        StartMetricsEndpoint(address, registry);
    EXPECT_EQ(endpoint.status().code(), absl::StatusCode::kInvalidArgument) << address;
  }
}

TEST(MetricsEndpointTest, StopsListeningWhenDestroyed) {
  auto registry = std::make_shared<prometheus::Registry>();
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
      StartMetricsEndpoint("localhost:0", registry);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  const int port = (*endpoint)->port();
  EXPECT_THAT(HttpGet(port, "/metrics"), HasSubstr("200 OK"));
  endpoint->reset();
  EXPECT_EQ(HttpGet(port, "/metrics"), "");
}

// ---------------------------------------------------------------------------------------------
// The interceptor and the evaluator's metrics, over real gRPC.

class EvaluatorMetricsGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<prometheus::Registry>();
    metrics_ = std::make_unique<EvaluatorMetrics>(registry_);
    evaluator_ = std::make_unique<Evaluator>(
        std::shared_ptr<const RulesEngine>(*RulesEngine::Create(DefaultEvaluatorConfig())));
    service_ = std::make_unique<EvaluatorService>(*evaluator_, metrics_.get());
    GrpcServerOptions options;
    options.address = "127.0.0.1:0";
    options.interceptors.push_back(NewGrpcServerMetricsInterceptorFactory(registry_));
    absl::StatusOr<std::unique_ptr<RunningServer>> started = StartGrpcServer(
        std::move(options), {service_.get()}, {v1::InvitationEvaluator::service_full_name()});
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(*started);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::InvitationEvaluator::NewStub(channel_);
  }
  void TearDown() override { server_.reset(); }

  grpc::Status Evaluate(const v1::Invitation& invitation, v1::EvaluateResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::EvaluateRequest request;
    *request.mutable_invitation() = invitation;
    return stub_->Evaluate(&context, request, response);
  }

  double Handled(const std::string& service, const std::string& method, const std::string& code) {
    return ValueOf(*registry_, kHandled,
                   {{"grpc_service", service}, {"grpc_method", method}, {"grpc_code", code}});
  }

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<EvaluatorMetrics> metrics_;
  std::unique_ptr<Evaluator> evaluator_;
  std::unique_ptr<EvaluatorService> service_;
  std::unique_ptr<RunningServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::InvitationEvaluator::Stub> stub_;
};

TEST_F(EvaluatorMetricsGrpcTest, InterceptorCountsCallsByMethodAndCode) {
  v1::EvaluateResponse response;
  ASSERT_TRUE(Evaluate(GoodInvitation(), &response).ok());
  v1::Invitation bad = GoodInvitation();
  bad.mutable_recipient()->set_member_id(bad.sender().member_id());
  ASSERT_EQ(Evaluate(bad, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Evaluate(GoodInvitation(), &response).ok());

  EXPECT_EQ(Handled(kEvaluatorService, "Evaluate", "OK"), 2);
  EXPECT_EQ(Handled(kEvaluatorService, "Evaluate", "INVALID_ARGUMENT"), 1);
  // Nothing else: no CANCELLED double count, no other method.
  const std::map<LabelSet, double> all = ValuesOf(*registry_, kHandled);
  EXPECT_EQ(all.size(), 2u);
  EXPECT_EQ(SampleCountOf(*registry_, kSeconds,
                          {{"grpc_service", kEvaluatorService}, {"grpc_method", "Evaluate"}}),
            3);

  // Buckets: 0.0001 .. 5 s, then +Inf.
  const std::vector<testing::Series> histograms = testing::SeriesOf(*registry_, kSeconds);
  ASSERT_EQ(histograms.size(), 1u);
  ASSERT_EQ(histograms[0].bucket_counts.size(), LatencyBuckets().size() + 1);
  EXPECT_EQ(LatencyBuckets().front(), 0.0001);
  EXPECT_EQ(LatencyBuckets().back(), 5);
  EXPECT_EQ(histograms[0].bucket_counts.back(), 3u);
}

TEST_F(EvaluatorMetricsGrpcTest, HealthAndReflectionCallsAreCountedToo) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(kEvaluatorService);
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&context, request, &response).ok());
  grpc::ClientContext unknown_context;
  request.set_service("no.such.Service");
  ASSERT_EQ(health->Check(&unknown_context, request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // One reflection stream: list_services (field 7, empty string), then half-close.
  grpc::GenericStub generic(channel_);
  grpc::CompletionQueue cq;
  grpc::ClientContext reflection_context;
  reflection_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> stream = generic.PrepareCall(
      &reflection_context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag = nullptr;
  bool ok = false;
  auto next = [&](intptr_t expected) {
    ASSERT_TRUE(cq.Next(&tag, &ok));
    ASSERT_EQ(reinterpret_cast<intptr_t>(tag), expected);
  };
  stream->StartCall(reinterpret_cast<void*>(1));
  next(1);
  ASSERT_TRUE(ok);
  grpc::Slice list_services(std::string("\x3a\x00", 2));
  stream->Write(grpc::ByteBuffer(&list_services, 1), reinterpret_cast<void*>(2));
  next(2);
  ASSERT_TRUE(ok);
  stream->WritesDone(reinterpret_cast<void*>(3));
  next(3);
  grpc::ByteBuffer listed;
  stream->Read(&listed, reinterpret_cast<void*>(4));
  next(4);
  EXPECT_TRUE(ok);  // the service list
  stream->Read(&listed, reinterpret_cast<void*>(5));
  next(5);
  EXPECT_FALSE(ok);  // end of stream
  grpc::Status reflection_status;
  stream->Finish(&reflection_status, reinterpret_cast<void*>(6));
  next(6);
  EXPECT_TRUE(reflection_status.ok()) << reflection_status.error_message();
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }

  EXPECT_EQ(Handled("grpc.health.v1.Health", "Check", "OK"), 1);
  EXPECT_EQ(Handled("grpc.health.v1.Health", "Check", "NOT_FOUND"), 1);
  EXPECT_EQ(Handled("grpc.reflection.v1alpha.ServerReflection", "ServerReflectionInfo", "OK"), 1);
  EXPECT_EQ(SampleCountOf(*registry_, kSeconds,
                          {{"grpc_service", "grpc.health.v1.Health"}, {"grpc_method", "Check"}}),
            2);
}

// A unary call of any path through the generic stub; its status.
grpc::Status GenericUnaryCall(grpc::GenericStub& generic, const std::string& path) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  grpc::Status status;
  generic.UnaryCall(&context, path, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
    std::lock_guard<std::mutex> lock(mutex);
    status = std::move(s);
    done = true;
    done_cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(mutex);
  done_cv.wait(lock, [&] { return done; });
  return status;
}

TEST_F(EvaluatorMetricsGrpcTest, UnknownMethodsDoNotCreateSeriesFromClientText) {
  grpc::GenericStub generic(channel_);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(GenericUnaryCall(generic, "/attacker.Chosen/Name" + std::to_string(i)).error_code(),
              grpc::StatusCode::UNIMPLEMENTED);
  }
  // A method compiled into the binary but not served here keeps its name.
  ASSERT_EQ(GenericUnaryCall(generic, "/etiquette.v1.SenderHistory/GetStanding").error_code(),
            grpc::StatusCode::UNIMPLEMENTED);

  EXPECT_EQ(ValuesOf(*registry_, kHandled),
            (std::map<LabelSet, double>{{{{"grpc_service", "unknown"},
                                          {"grpc_method", "unknown"},
                                          {"grpc_code", "UNIMPLEMENTED"}},
                                         3},
                                        {{{"grpc_service", "etiquette.v1.SenderHistory"},
                                          {"grpc_method", "GetStanding"},
                                          {"grpc_code", "UNIMPLEMENTED"}},
                                         1}}));
}

TEST_F(EvaluatorMetricsGrpcTest, DecisionsAndFindingsAreCountedFromVerdicts) {
  v1::EvaluateResponse response;
  ASSERT_TRUE(Evaluate(GoodInvitation(), &response).ok());
  ASSERT_EQ(response.verdict().decision(), v1::DECISION_SEND);
  v1::Invitation stock = GoodInvitation();
  stock.set_note("I'd like to add you to my professional network on LinkedIn.");
  ASSERT_TRUE(Evaluate(stock, &response).ok());
  ASSERT_EQ(response.verdict().decision(), v1::DECISION_REVISE);

  // A batch: two judged slots and one malformed slot, which is not a verdict.
  v1::EvaluateBatchRequest batch;
  *batch.add_invitations() = GoodInvitation();
  *batch.add_invitations() = stock;
  v1::Invitation bad = GoodInvitation();
  bad.set_invitation_id("inv 4");
  *batch.add_invitations() = bad;
  v1::EvaluateBatchResponse batch_response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->EvaluateBatch(&context, batch, &batch_response).ok());
  ASSERT_EQ(batch_response.verdicts_size(), 3);
  ASSERT_TRUE(batch_response.verdicts(2).has_error());

  EXPECT_EQ(ValuesOf(*registry_, "etiquette_evaluator_decisions_total"),
            (std::map<LabelSet, double>{{{{"decision", "SEND"}}, 2},
                                        {{{"decision", "REVISE"}}, 2},
                                        {{{"decision", "DEFER"}}, 0},
                                        {{{"decision", "REQUIRE_EMAIL"}}, 0},
                                        {{{"decision", "BLOCK"}}, 0}}));
  // Exactly these series, known in advance (not read off the answers): the good note is
  // personal (POSITIVE) and the stock text is not (VIOLATION), twice each; no other rule fires.
  EXPECT_EQ(
      ValuesOf(*registry_, "etiquette_evaluator_findings_total"),
      (std::map<LabelSet, double>{{{{"rule_id", "personal-note"}, {"severity", "POSITIVE"}}, 2},
                                  {{{"rule_id", "personal-note"}, {"severity", "VIOLATION"}}, 2}}));
  EXPECT_EQ(ValueOf(*registry_, "etiquette_evaluator_degraded_total", {}), 0);
  // The batch call itself: one OK.
  EXPECT_EQ(Handled(kEvaluatorService, "EvaluateBatch", "OK"), 1);
}

// `service` served in process: the callback API needs a real call.
class Served {
 public:
  explicit Served(EvaluatorService& service) {
    absl::StatusOr<std::unique_ptr<RunningServer>> server =
        StartGrpcServer("127.0.0.1:0", {&service}, {v1::InvitationEvaluator::service_full_name()});
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return;
    server_ = std::move(*server);
    stub_ = v1::InvitationEvaluator::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  }
  grpc::Status Evaluate(const v1::EvaluateRequest& request, v1::EvaluateResponse* response) {
    if (stub_ == nullptr) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no server");
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub_->Evaluate(&context, request, response);
  }

 private:
  std::unique_ptr<RunningServer> server_;
  std::unique_ptr<v1::InvitationEvaluator::Stub> stub_;
};

TEST(EvaluatorMetricsTest, DegradedVerdictsAreCounted) {
  auto registry = std::make_shared<prometheus::Registry>();
  EvaluatorMetrics metrics(registry);
  testing::FakeHistoryClient history;  // always down
  history.status = absl::UnavailableError("down");
  Evaluator evaluator(
      std::shared_ptr<const RulesEngine>(*RulesEngine::Create(DefaultEvaluatorConfig())), absl::Now,
      &history);
  EvaluatorService service(evaluator, &metrics);
  Served served(service);
  v1::EvaluateRequest request;
  *request.mutable_invitation() = GoodInvitation();
  v1::EvaluateResponse response;
  ASSERT_TRUE(served.Evaluate(request, &response).ok());
  ASSERT_TRUE(response.verdict().degraded());
  ASSERT_TRUE(served.Evaluate(request, &response).ok());
  EXPECT_EQ(ValueOf(*registry, "etiquette_evaluator_degraded_total", {}), 2);
  EXPECT_EQ(ValueOf(*registry, "etiquette_evaluator_findings_total",
                    {{"rule_id", "history-unavailable"}, {"severity", "INFO"}}),
            2);
}

TEST(EvaluatorMetricsTest, HistoryCallsAreCountedByMethodWithTheCoalescedEvaluations) {
  auto registry = std::make_shared<prometheus::Registry>();
  EvaluatorMetrics metrics(registry);
  // Both series from the start, so that rate() sees the first call.
  EXPECT_EQ(ValueOf(*registry, "etiquette_evaluator_history_calls_total",
                    {{"method", "BatchGetStanding"}}),
            0);
  metrics.RecordHistoryCall(1);
  metrics.RecordHistoryCall(1);
  metrics.RecordHistoryCall(7);
  EXPECT_EQ(
      ValueOf(*registry, "etiquette_evaluator_history_calls_total", {{"method", "GetStanding"}}),
      2);
  EXPECT_EQ(ValueOf(*registry, "etiquette_evaluator_history_calls_total",
                    {{"method", "BatchGetStanding"}}),
            1);
  EXPECT_EQ(ValueOf(*registry, "etiquette_evaluator_history_coalesced_total", {}), 7);
}

TEST(EvaluatorMetricsTest, ServiceWithoutMetricsStillAnswers) {
  Evaluator evaluator(
      std::shared_ptr<const RulesEngine>(*RulesEngine::Create(DefaultEvaluatorConfig())));
  EvaluatorService service(evaluator);
  Served served(service);
  v1::EvaluateRequest request;
  *request.mutable_invitation() = GoodInvitation();
  v1::EvaluateResponse response;
  ASSERT_TRUE(served.Evaluate(request, &response).ok());
  EXPECT_EQ(response.verdict().decision(), v1::DECISION_SEND);
}

// ---------------------------------------------------------------------------------------------
// Config.

TEST(ConfigMetricsTest, InfoCarriesOnlyTheActiveVersion) {
  auto registry = std::make_shared<prometheus::Registry>();
  ConfigMetrics metrics(registry, "rules_version");
  metrics.SetActiveVersion("aaaaaaaaaaaa");
  EXPECT_EQ(ValuesOf(*registry, "etiquette_config_info"),
            (std::map<LabelSet, double>{{{{"rules_version", "aaaaaaaaaaaa"}}, 1}}));

  metrics.RecordReload(true, "bbbbbbbbbbbb");
  EXPECT_EQ(ValuesOf(*registry, "etiquette_config_info"),
            (std::map<LabelSet, double>{{{{"rules_version", "bbbbbbbbbbbb"}}, 1}}));

  // A failed reload keeps the last good version.
  metrics.RecordReload(false, "cccccccccccc");
  EXPECT_EQ(ValuesOf(*registry, "etiquette_config_info"),
            (std::map<LabelSet, double>{{{{"rules_version", "bbbbbbbbbbbb"}}, 1}}));
  // The same version again: no change, but counted.
  metrics.RecordReload(true, "bbbbbbbbbbbb");
  EXPECT_EQ(ValuesOf(*registry, "etiquette_config_info"),
            (std::map<LabelSet, double>{{{{"rules_version", "bbbbbbbbbbbb"}}, 1}}));
  EXPECT_EQ(ValuesOf(*registry, "etiquette_config_reloads_total"),
            (std::map<LabelSet, double>{{{{"result", "ok"}}, 2}, {{{"result", "failed"}}, 1}}));
}

TEST(ConfigMetricsTest, HistoryUsesTheVersionLabel) {
  auto registry = std::make_shared<prometheus::Registry>();
  ConfigMetrics metrics(registry, "version");
  metrics.SetActiveVersion("123456789abc");
  EXPECT_EQ(ValueOf(*registry, "etiquette_config_info", {{"version", "123456789abc"}}), 1);
}

// ---------------------------------------------------------------------------------------------
// History: admin actions, and the interceptor on both history services.

constexpr char kToken[] = "metrics-test-token";

TEST(HistoryMetricsTest, AdminActionsAreCountedByResult) {
  auto registry = std::make_shared<prometheus::Registry>();
  HistoryMetrics metrics(registry);
  InMemoryHistoryStore store(StorePolicyFrom(DefaultHistoryConfig()));
  History history(store, *RecipientHasher::Create("metrics-test-hmac-secret"),
                  DefaultHistoryConfig());
  SenderHistoryService service(history);
  SenderHistoryAdminService admin(history, std::string(kToken), &metrics);
  GrpcServerOptions options;
  options.address = "127.0.0.1:0";
  options.interceptors.push_back(NewGrpcServerMetricsInterceptorFactory(registry));
  absl::StatusOr<std::unique_ptr<RunningServer>> server = StartGrpcServer(
      std::move(options), {&service, &admin},
      {v1::SenderHistory::service_full_name(), v1::SenderHistoryAdmin::service_full_name()});
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::SenderHistoryAdmin::NewStub(channel);

  auto release = [&](const std::string& authorization, const std::string& reason) {
    grpc::ClientContext context;
    if (!authorization.empty()) context.AddMetadata("authorization", authorization);
    v1::ReleaseSenderRequest request;
    request.set_sender_id("s1");
    request.set_reason(reason);
    v1::ReleaseSenderResponse response;
    return stub->ReleaseSender(&context, request, &response).error_code();
  };
  EXPECT_EQ(release("", "ticket 1"), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(release("Bearer wrong", "ticket 1"), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(release(std::string("Bearer ") + kToken, "ticket 1"), grpc::StatusCode::OK);
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + kToken);
    v1::ForgetMemberRequest request;
    request.set_member_id("s1");
    request.set_reason("deletion request");
    v1::ForgetMemberResponse response;
    EXPECT_TRUE(stub->ForgetMember(&context, request, &response).ok());
  }

  EXPECT_EQ(ValuesOf(*registry, "etiquette_history_admin_actions_total"),
            (std::map<LabelSet, double>{
                {{{"action", "release_sender"}, {"result", "unauthenticated"}}, 2},
                {{{"action", "release_sender"}, {"result", "ok"}}, 1},
                {{{"action", "forget_member"}, {"result", "ok"}}, 1}}));
  EXPECT_EQ(ValuesOf(*registry, "etiquette_history_admin_auth_failures_total"),
            (std::map<LabelSet, double>{{{{"reason", "missing_token"}}, 1},
                                        {{{"reason", "wrong_token"}}, 1}}));
  EXPECT_EQ(ValueOf(*registry, kHandled,
                    {{"grpc_service", "etiquette.v1.SenderHistoryAdmin"},
                     {"grpc_method", "ReleaseSender"},
                     {"grpc_code", "UNAUTHENTICATED"}}),
            2);
  EXPECT_EQ(ValueOf(*registry, "etiquette_history_restrictions_started_total", {}), 0);
  (*server)->Shutdown(absl::Seconds(1));
}

TEST(HistoryMetricsTest, RedisCallsAndErrorsByOperationAndKind) {
  auto registry = std::make_shared<prometheus::Registry>();
  HistoryMetrics metrics(registry);
  metrics.RecordRedisCall("get_facts", absl::Milliseconds(2), absl::OkStatus());
  metrics.RecordRedisCall("get_facts", absl::Milliseconds(200), absl::UnavailableError("down"));
  metrics.RecordRedisCall("record_response", absl::Milliseconds(1),
                          absl::InternalError("bad reply"));
  metrics.RecordRedisCall("record_response", absl::Milliseconds(1),
                          absl::InvalidArgumentError("other recipient"));
  metrics.RecordRestrictionStarted();

  EXPECT_EQ(SampleCountOf(*registry, "etiquette_history_redis_call_seconds",
                          {{"operation", "get_facts"}}),
            2);
  EXPECT_EQ(SampleCountOf(*registry, "etiquette_history_redis_call_seconds",
                          {{"operation", "record_response"}}),
            2);
  EXPECT_EQ(
      ValuesOf(*registry, "etiquette_history_redis_errors_total"),
      (std::map<LabelSet, double>{{{{"operation", "get_facts"}, {"kind", "unavailable"}}, 1},
                                  {{{"operation", "record_response"}, {"kind", "internal"}}, 1}}));
  EXPECT_EQ(ValueOf(*registry, "etiquette_history_restrictions_started_total", {}), 1);
}

}  // namespace
}  // namespace etiquette
