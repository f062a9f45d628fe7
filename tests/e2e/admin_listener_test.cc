// History's admin listener for real (issue 14): the real binary with --require_tls, TLS on its
// public port, mutual TLS on its admin port (--admin_listen) with --admin_allowed_identities,
// certificates made here with the openssl CLI, and a real redis-server.
//   - the public port answers UNIMPLEMENTED for SenderHistoryAdmin and its reflection does not
//     list it; the admin port's reflection lists only SenderHistoryAdmin (and health);
//   - on the admin port: a client certificate of the same CA with another URI SAN gets
//     PERMISSION_DENIED even with the right token; no client certificate: the handshake fails
//     (UNAVAILABLE); the allowed URI SAN, or the allowed DNS SAN, with the token: OK; with a
//     wrong token: UNAUTHENTICATED; each refusal counted in
//     etiquette_history_admin_auth_failures_total{reason} and logged with the peer, never the
//     token;
//   - the evaluator with --require_tls starts when its TLS flags (and --history_tls_ca) are set.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "faults/fault_support.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "gtest/gtest.h"
#include "support/redis_server.h"
#include "tests/support/http_get.h"

namespace etiquette {
namespace {

using faults::Server;

constexpr char kOperator[] = "spiffe://cluster.local/ns/etiquette-ops/sa/etiquette-operator";
constexpr char kOperatorDns[] = "operator.etiquette-ops.test";
constexpr char kToken[] = "admin-listener-test-token-0123456789abcdef";
constexpr char kReflectionMethod[] =
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

bool Shell(const std::string& command) { return std::system(command.c_str()) == 0; }

using testing::HttpGet;

// A service name as reflection's ListServiceResponse carries it: ServiceResponse.name, field 1.
std::string ListedName(const std::string& name) {
  return std::string(1, '\x0a') + static_cast<char>(name.size()) + name;
}

class AdminListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    const std::string d = dir_.path();
    ASSERT_TRUE(
        Shell("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=admin-test-ca"
              " -keyout " +
              d + "/ca.key -out " + d + "/ca.pem >/dev/null 2>&1"));
    MakeCert("server", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    MakeCert("operator",
             absl::StrCat("extendedKeyUsage=clientAuth\nsubjectAltName=URI:", kOperator));
    MakeCert("operator-dns",
             absl::StrCat("extendedKeyUsage=clientAuth\nsubjectAltName=DNS:", kOperatorDns));
    MakeCert("someone-else",
             "extendedKeyUsage=clientAuth\nsubjectAltName=URI:spiffe://cluster.local/ns/"
             "etiquette/sa/etiquette-evaluator,DNS:evaluator.etiquette.test");
    std::ofstream(d + "/token") << kToken << "\n";
    std::ofstream(d + "/hmac") << "admin-listener-test-hmac-secret\n";
    std::ofstream(d + "/history.yaml") << "admin_audit_max_entries: 10\n";
    absl::StatusOr<std::unique_ptr<testing::RedisServer>> redis = testing::RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
    absl::StatusOr<Server> history = faults::StartServer(
        {ETIQUETTE_HISTORY_BINARY, "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
         "--redis=" + redis_->url(), "--hmac_secret_file=" + d + "/hmac", "--require_tls",
         "--tls_cert=" + d + "/server.pem", "--tls_key=" + d + "/server.key",
         "--admin_listen=127.0.0.1:0", "--admin_tls_cert=" + d + "/server.pem",
         "--admin_tls_key=" + d + "/server.key", "--admin_tls_client_ca=" + d + "/ca.pem",
         absl::StrCat("--admin_allowed_identities=", kOperator, ",", kOperatorDns),
         "--admin_token_file=" + d + "/token", "--config=" + d + "/history.yaml"},
        d + "/history.log");
    ASSERT_TRUE(history.ok()) << history.status();
    history_ = std::move(*history);
    ASSERT_GT(history_.admin_port, 0);
    absl::StatusOr<std::string> line =
        history_.process->WaitForLogLine("metrics port ", faults::kStartup);
    ASSERT_TRUE(line.ok()) << line.status();
    metrics_port_ = std::atoi(line->substr(line->find("metrics port ") + 13).c_str());
  }

  // dir/<name>.{pem,key}, signed by the CA, with the extensions `ext`.
  void MakeCert(const std::string& name, const std::string& ext) {
    const std::string d = dir_.path();
    const std::string p = d + "/" + name;
    ASSERT_TRUE(Shell("openssl req -newkey rsa:2048 -nodes -subj /CN=" + name + " -keyout " + p +
                      ".key -out " + p + ".csr >/dev/null 2>&1"));
    std::ofstream(p + ".ext") << ext << "\n";
    ASSERT_TRUE(Shell("openssl x509 -req -in " + p + ".csr -CA " + d + "/ca.pem -CAkey " + d +
                      "/ca.key -CAcreateserial -days 2 -extfile " + p + ".ext -out " + p +
                      ".pem >/dev/null 2>&1"));
  }

  // A channel of its own to 127.0.0.1:`port`, trusting the CA, presenting `client`'s
  // certificate (empty: none).
  std::shared_ptr<grpc::Channel> Channel(int port, const std::string& client) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = faults::ReadFile(dir_.path() + "/ca.pem");
    if (!client.empty()) {
      options.pem_cert_chain = faults::ReadFile(dir_.path() + "/" + client + ".pem");
      options.pem_private_key = faults::ReadFile(dir_.path() + "/" + client + ".key");
    }
    grpc::ChannelArguments arguments;
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::SslCredentials(options), arguments);
  }

  // ReleaseSender through `channel` with `token` (empty: no authorization metadata).
  grpc::StatusCode Release(const std::shared_ptr<grpc::Channel>& channel,
                           const std::string& token) {
    grpc::ClientContext context;
    faults::SetDeadline(context, absl::Seconds(5));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    v1::ReleaseSenderRequest request;
    request.set_sender_id("admin-listener-sender");
    request.set_reason("admin listener test");
    v1::ReleaseSenderResponse response;
    return v1::SenderHistoryAdmin::NewStub(channel)
        ->ReleaseSender(&context, request, &response)
        .error_code();
  }

  // ListAdminActions through the operator's certificate.
  grpc::Status List(const v1::ListAdminActionsRequest& request,
                    v1::ListAdminActionsResponse* response) {
    grpc::ClientContext context;
    faults::SetDeadline(context, absl::Seconds(5));
    context.AddMetadata("authorization", std::string("Bearer ") + kToken);
    return v1::SenderHistoryAdmin::NewStub(Channel(history_.admin_port, "operator"))
        ->ListAdminActions(&context, request, response);
  }

  // Reflection's list of services through `channel`: the raw response bytes.
  static std::string ListServices(const std::shared_ptr<grpc::Channel>& channel) {
    grpc::GenericStub stub(channel);
    grpc::CompletionQueue cq;
    grpc::ClientContext context;
    faults::SetDeadline(context, absl::Seconds(5));
    std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
        stub.PrepareCall(&context, kReflectionMethod, &cq);
    grpc::Slice slice(std::string("\x3a\x00", 2));  // list_services: ""
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::Status status;
    void* tag = nullptr;
    bool ok = false;
    call->StartCall(nullptr);
    cq.Next(&tag, &ok);
    call->WriteLast(request, grpc::WriteOptions(), nullptr);
    cq.Next(&tag, &ok);
    call->Read(&response, nullptr);
    cq.Next(&tag, &ok);
    call->Finish(&status, nullptr);
    cq.Next(&tag, &ok);
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (response.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) bytes.append(s.begin(), s.end());
    }
    return bytes;
  }

  // etiquette_history_admin_auth_failures_total{reason="<reason>"}; -1 when absent.
  double AuthFailures(const std::string& reason) {
    const std::string text = HttpGet(metrics_port_, "/metrics");
    const std::string series =
        "etiquette_history_admin_auth_failures_total{reason=\"" + reason + "\"} ";
    const size_t at = text.find(series);
    if (at == std::string::npos) return -1;
    return std::atof(text.substr(at + series.size()).c_str());
  }

  faults::TempDir dir_{"etiquette-admin-listener"};
  std::unique_ptr<testing::RedisServer> redis_;
  Server history_;
  int metrics_port_ = 0;
};

TEST_F(AdminListenerTest, PublicPortHasNoAdminServiceReflectionListsItOnlyOnTheAdminPort) {
  auto public_channel = Channel(history_.port, "");
  EXPECT_EQ(Release(public_channel, kToken), grpc::StatusCode::UNIMPLEMENTED);
  const std::string public_services = ListServices(public_channel);
  EXPECT_NE(public_services.find(ListedName("etiquette.v1.SenderHistory")), std::string::npos)
      << public_services;
  EXPECT_EQ(public_services.find("SenderHistoryAdmin"), std::string::npos) << public_services;

  const std::string admin_services = ListServices(Channel(history_.admin_port, "operator"));
  EXPECT_NE(admin_services.find(ListedName("etiquette.v1.SenderHistoryAdmin")), std::string::npos)
      << admin_services;
  EXPECT_EQ(admin_services.find(ListedName("etiquette.v1.SenderHistory")), std::string::npos)
      << admin_services;

  // The admin listener's own health knows its service.
  grpc::ClientContext context;
  faults::SetDeadline(context, absl::Seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("etiquette.v1.SenderHistoryAdmin");
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(grpc::health::v1::Health::NewStub(Channel(history_.admin_port, "operator"))
                  ->Check(&context, request, &response)
                  .ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(AdminListenerTest, OnlyAnAllowedClientIdentityWithTheTokenGetsThrough) {
  // Same CA, another identity: refused before the token is looked at.
  EXPECT_EQ(Release(Channel(history_.admin_port, "someone-else"), kToken),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(AuthFailures("identity"), 1);
  // No client certificate: the mutual TLS handshake fails.
  EXPECT_EQ(Release(Channel(history_.admin_port, ""), kToken), grpc::StatusCode::UNAVAILABLE);
  // The allowed URI SAN, then the allowed DNS SAN.
  EXPECT_EQ(Release(Channel(history_.admin_port, "operator"), kToken), grpc::StatusCode::OK);
  EXPECT_EQ(Release(Channel(history_.admin_port, "operator-dns"), kToken), grpc::StatusCode::OK);
  // The right identity still needs the token.
  const std::string wrong = "wrong-token-0123456789abcdef0123456789";
  EXPECT_EQ(Release(Channel(history_.admin_port, "operator"), wrong),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Release(Channel(history_.admin_port, "operator"), ""),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(AuthFailures("wrong_token"), 1);
  EXPECT_EQ(AuthFailures("missing_token"), 1);
  EXPECT_EQ(AuthFailures("identity"), 1);

  // Logged with the peer and the reason, never a token.
  const std::string log = faults::ReadFile(history_.process->log_path());
  EXPECT_NE(log.find("admin ReleaseSender refused: peer ipv4:127.0.0.1:"), std::string::npos)
      << log;
  EXPECT_NE(log.find("reason identity"), std::string::npos) << log;
  EXPECT_NE(log.find("reason wrong_token"), std::string::npos) << log;
  EXPECT_EQ(log.find(kToken), std::string::npos) << log;
  EXPECT_EQ(log.find(wrong), std::string::npos) << log;
}

// The audit trail (issue 13): who (the certificate's SAN), what, the reason, the outcome; no id
// of an erased member anywhere in the stream; the cap (10 here) holds; ListAdminActions pages.
TEST_F(AdminListenerTest, AdminActionsAreAuditedWithTheCallersIdentityAndListedInPages) {
  constexpr char kErased[] = "erased-member-e2e-id";
  {
    grpc::ClientContext context;
    faults::SetDeadline(context, absl::Seconds(5));
    context.AddMetadata("authorization", std::string("Bearer ") + kToken);
    v1::ForgetMemberRequest request;
    request.set_member_id(kErased);
    request.set_reason(absl::StrCat("deletion request of ", kErased));
    request.set_ticket("DSR-42");
    v1::ForgetMemberResponse response;
    ASSERT_TRUE(v1::SenderHistoryAdmin::NewStub(Channel(history_.admin_port, "operator-dns"))
                    ->ForgetMember(&context, request, &response)
                    .ok());
  }
  absl::StatusOr<std::string> stream =
      redis_->Command({"XRANGE", "etq:{admin-audit}:log", "-", "+"});
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_NE(stream->find(kOperatorDns), std::string::npos) << *stream;
  EXPECT_NE(stream->find("ForgetMember"), std::string::npos) << *stream;
  EXPECT_NE(stream->find("DSR-42"), std::string::npos) << *stream;
  EXPECT_EQ(stream->find(kErased), std::string::npos) << *stream;

  for (int i = 0; i < 11; ++i) {
    ASSERT_EQ(Release(Channel(history_.admin_port, "operator"), kToken), grpc::StatusCode::OK);
  }
  absl::StatusOr<std::string> length = redis_->Command({"XLEN", "etq:{admin-audit}:log"});
  ASSERT_TRUE(length.ok()) << length.status();
  EXPECT_EQ(*length, "10");
  stream = redis_->Command({"XRANGE", "etq:{admin-audit}:log", "-", "+"});
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_EQ(stream->find(kErased), std::string::npos) << *stream;

  v1::ListAdminActionsRequest request;
  request.set_page_size(4);
  std::vector<int> sizes;
  for (int page = 0; page < 5; ++page) {
    v1::ListAdminActionsResponse response;
    grpc::Status status = List(request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    sizes.push_back(response.actions_size());
    for (const v1::AdminAction& action : response.actions()) {
      EXPECT_EQ(action.admin(), kOperator);
      EXPECT_EQ(action.action(), "ReleaseSender");
      EXPECT_EQ(action.sender_id(), "admin-listener-sender");
      EXPECT_EQ(action.reason(), "admin listener test");
      EXPECT_EQ(action.outcome(), "OK");
      EXPECT_EQ(action.token_ref().substr(0, 6), "token:");
      EXPECT_EQ(action.token_ref().size(), 18u);
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(sizes, (std::vector<int>{4, 4, 2}));

  v1::ListAdminActionsResponse response;
  v1::ListAdminActionsRequest bad;
  bad.set_page_size(1001);
  EXPECT_EQ(List(bad, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_page_size(-1);
  EXPECT_EQ(List(bad, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_page_size(0);
  bad.set_page_token("not a token");
  EXPECT_EQ(List(bad, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_page_token("MTIzNA");  // "1234": base64, but not an entry id
  EXPECT_EQ(List(bad, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AdminListenerTest, EvaluatorWithRequireTlsStartsWithItsTlsFlags) {
  const std::string d = dir_.path();
  absl::StatusOr<Server> evaluator = faults::StartServer(
      {ETIQUETTE_EVALUATOR_BINARY, "--listen=127.0.0.1:0", "--metrics_listen=", "--require_tls",
       "--tls_cert=" + d + "/server.pem", "--tls_key=" + d + "/server.key",
       absl::StrCat("--history=127.0.0.1:", history_.port), "--history_tls_ca=" + d + "/ca.pem"},
      d + "/evaluator.log");
  ASSERT_TRUE(evaluator.ok()) << evaluator.status();
  EXPECT_TRUE(evaluator->process->Running());
}

}  // namespace
}  // namespace etiquette
