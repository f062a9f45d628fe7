// Live rotation without restart (issue 12): the mounted TLS files and the admin token file are
// replaced the way Kubernetes updates a mounted Secret (the files are symlinks through ..data,
// and ..data is swapped to a new timestamped directory in one rename).
//   - Certificates: a connection made before the swap goes on with the old certificate and
//     its calls keep succeeding; a connection made after it (within --tls_refresh_s=1 and a
//     bound) is served with the new one. The evaluator → history channel over mutual TLS,
//     whose client certificate rotates too, keeps answering without degraded verdicts; once
//     history takes only a new CA's clients (and is restarted, so that the evaluator must
//     connect again), the evaluator, not restarted, presents its new certificate.
//   - Admin token file: both tokens accepted while both are listed; the old one refused
//     (UNAUTHENTICATED) once it is gone; no restart.
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "drain/drain_support.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "grpcpp/security/auth_context.h"
#include "gtest/gtest.h"
#include "support/redis_server.h"

namespace etiquette::drain {
namespace {

bool Shell(const std::string& command) { return std::system(command.c_str()) == 0; }

class RotationTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()); }

  // A CA under dir/<name>.{pem,key}.
  void MakeCa(const std::string& name = "ca") {
    const std::string d = dir_.path();
    ASSERT_TRUE(Shell("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=rotation-" +
                      name + " -keyout " + d + "/" + name + ".key -out " + d + "/" + name +
                      ".pem >/dev/null 2>&1"));
  }
  // A certificate for 127.0.0.1 with common name `cn` (server or client), signed by the CA:
  // dir/<cn>.pem and dir/<cn>.key.
  void MakeCert(const std::string& cn, bool server, const std::string& ca = "ca") {
    const std::string d = dir_.path();
    const std::string p = d + "/" + cn;
    ASSERT_TRUE(Shell("openssl req -newkey rsa:2048 -nodes -subj /CN=" + cn + " -keyout " + p +
                      ".key -out " + p + ".csr >/dev/null 2>&1"));
    std::ofstream(p + ".ext") << (server ? "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                         : "extendedKeyUsage=clientAuth\n");
    ASSERT_TRUE(Shell("openssl x509 -req -in " + p + ".csr -CA " + d + "/" + ca + ".pem -CAkey " +
                      d + "/" + ca + ".key -CAcreateserial -days 2 -extfile " + p + ".ext -out " +
                      p + ".pem >/dev/null 2>&1"));
  }
  // The Secret mount at dir/<mount>: tls.crt, tls.key, ca.crt (and token) through ..data,
  // ..data pointing at a new directory holding `cn`'s certificate and key, the CA and `token`.
  void Mount(const std::string& mount, const std::string& cn, const std::string& token = "",
             const std::string& ca = "ca") {
    namespace fs = std::filesystem;
    const std::string m = dir_.path() + "/" + mount;
    const std::string version = absl::StrCat("..", mount, "_", ++versions_);
    fs::create_directories(m + "/" + version);
    if (!cn.empty()) {
      fs::copy_file(dir_.path() + "/" + cn + ".pem", m + "/" + version + "/tls.crt");
      fs::copy_file(dir_.path() + "/" + cn + ".key", m + "/" + version + "/tls.key");
      fs::copy_file(dir_.path() + "/" + ca + ".pem", m + "/" + version + "/ca.crt");
    }
    if (!token.empty()) std::ofstream(m + "/" + version + "/token") << token;
    fs::create_directory_symlink(version, m + "/..data_tmp");
    fs::rename(m + "/..data_tmp", m + "/..data");  // the atomic swap
    for (const char* name : {"tls.crt", "tls.key", "ca.crt", "token"}) {
      if (!fs::is_symlink(m + "/" + name))
        fs::create_symlink(std::string("..data/") + name, m + "/" + name);
    }
  }

  // A TLS channel trusting the CA, on a subchannel of its own (a new connection).
  std::shared_ptr<grpc::Channel> NewTlsChannel(int port) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = faults::ReadFile(dir_.path() + "/ca.pem");
    grpc::ChannelArguments arguments;
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    arguments.SetInt("etiquette.test.channel", ++channels_);  // never shares a connection
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::SslCredentials(options), arguments);
  }

  // ListRules on `channel`; the server certificate's common name of the connection it used.
  static absl::StatusOr<std::string> ServedBy(const std::shared_ptr<grpc::Channel>& channel) {
    grpc::ClientContext context;
    faults::SetDeadline(context, absl::Seconds(5));
    v1::ListRulesResponse response;
    const grpc::Status status = v1::InvitationEvaluator::NewStub(channel)->ListRules(
        &context, v1::ListRulesRequest(), &response);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
    }
    std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
    for (const grpc::string_ref& value : auth->FindPropertyValues("x509_common_name")) {
      return std::string(value.data(), value.size());
    }
    return absl::NotFoundError("no x509_common_name");
  }

  faults::TempDir dir_{"etiquette-drain-rotation"};
  int versions_ = 0;
  int channels_ = 0;
};

TEST_F(RotationTest, ServerCertificateSwapReachesNewConnectionsOldOnesFinish) {
  MakeCa();
  for (const char* cn : {"server-a", "server-b"}) MakeCert(cn, /*server=*/true);
  Mount("tls", "server-a");
  const std::string m = dir_.path() + "/tls";
  absl::StatusOr<Server> evaluator = StartEvaluatorAt(
      dir_.path(), 0, "evaluator.log",
      {"--tls_cert=" + m + "/tls.crt", "--tls_key=" + m + "/tls.key", "--tls_refresh_s=1"});
  ASSERT_TRUE(evaluator.ok()) << evaluator.status();

  // The old connection, busy all along.
  std::shared_ptr<grpc::Channel> old_channel = NewTlsChannel(evaluator->port);
  absl::StatusOr<std::string> first = ServedBy(old_channel);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, "server-a");
  std::atomic<bool> stop{false};
  std::atomic<int> old_calls{0};
  std::vector<std::string> old_failures;
  std::thread busy([&] {
    while (!stop.load()) {
      absl::StatusOr<std::string> by = ServedBy(old_channel);
      if (!by.ok() || *by != "server-a") {
        old_failures.push_back(by.ok() ? *by : by.status().ToString());
      }
      ++old_calls;
    }
  });

  Mount("tls", "server-b");
  const absl::Time swapped = absl::Now();
  absl::StatusOr<std::string> fresh;
  do {
    fresh = ServedBy(NewTlsChannel(evaluator->port));
    ASSERT_TRUE(fresh.ok()) << "a new connection after the swap failed: " << fresh.status();
    if (*fresh == "server-b") break;
    absl::SleepFor(absl::Milliseconds(50));
  } while (absl::Now() < swapped + absl::Seconds(10));
  const absl::Duration seen_after = absl::Now() - swapped;
  EXPECT_EQ(*fresh, "server-b") << "new connections still get the old certificate";
  // The old connection is still in use, with the old certificate, after the new one is served.
  const int before = old_calls.load();
  const absl::Time bound = absl::Now() + absl::Seconds(5);
  while (old_calls.load() < before + 10 && absl::Now() < bound) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  stop = true;
  busy.join();
  EXPECT_GE(old_calls.load(), before + 10);
  EXPECT_TRUE(old_failures.empty()) << old_failures.front();
  EXPECT_TRUE(evaluator->process->Running());
  faults::PrintFigures(
      "RotationTest.ServerCertificate",
      absl::StrCat("new certificate served ", absl::ToInt64Milliseconds(seen_after),
                   " ms after the swap (--tls_refresh_s=1); ", old_calls.load(),
                   " calls on the old connection, none failed"));
}

TEST_F(RotationTest, MutualTlsToHistoryAndAdminTokensRotateWithoutRestart) {
  MakeCa();
  MakeCa("ca2");
  for (const char* cn : {"history-a", "history-b"}) MakeCert(cn, /*server=*/true);
  for (const char* cn : {"evaluator-a", "evaluator-b"}) MakeCert(cn, /*server=*/false);
  MakeCert("evaluator-c", /*server=*/false, "ca2");
  Mount("history", "history-a", "old-admin-token-0123456789abcdefgh\n");
  Mount("client", "evaluator-a");
  const std::string h = dir_.path() + "/history";
  const std::string c = dir_.path() + "/client";
  absl::StatusOr<std::unique_ptr<testing::RedisServer>> redis = testing::RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  const std::vector<int> history_port = FreePorts(1);
  ASSERT_EQ(history_port.size(), 1u);
  const std::vector<std::string> history_flags = {
      "--tls_cert=" + h + "/tls.crt",       "--tls_key=" + h + "/tls.key",
      "--tls_client_ca=" + h + "/ca.crt",   "--tls_refresh_s=1",
      "--admin_token_file=" + h + "/token", "--admin_tls_cert=" + h + "/tls.crt",
      "--admin_tls_key=" + h + "/tls.key",  "--admin_tls_client_ca=" + h + "/ca.crt"};
  absl::StatusOr<Server> history =
      StartHistoryAt(dir_.path(), (*redis)->url(), history_port[0], "history.log", history_flags);
  ASSERT_TRUE(history.ok()) << history.status();
  absl::StatusOr<Server> evaluator = StartEvaluatorAt(
      dir_.path(), 0, "evaluator.log",
      {absl::StrCat("--history=127.0.0.1:", history->port), "--history_timeout_ms=2000",
       "--history_tls_ca=" + c + "/ca.crt", "--history_tls_cert=" + c + "/tls.crt",
       "--history_tls_key=" + c + "/tls.key", "--tls_refresh_s=1"});
  ASSERT_TRUE(evaluator.ok()) << evaluator.status();

  auto evaluate = [&, n = 0]() mutable {
    grpc::ClientContext context;
    faults::SetDeadline(context, absl::Seconds(10));
    v1::EvaluateResponse response;
    const grpc::Status status =
        v1::InvitationEvaluator::NewStub(Plaintext(evaluator->port))
            ->Evaluate(&context, EvaluateRequestFor(absl::StrCat("m", ++n)), &response);
    return status.ok() && !response.verdict().degraded();
  };
  // A fresh mTLS client of history's admin listener (the operator's), presenting evaluator-a's
  // certificate.
  auto release = [&](const std::string& token) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = faults::ReadFile(dir_.path() + "/ca.pem");
    options.pem_cert_chain = faults::ReadFile(dir_.path() + "/evaluator-a.pem");
    options.pem_private_key = faults::ReadFile(dir_.path() + "/evaluator-a.key");
    grpc::ChannelArguments arguments;
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", history->admin_port),
                                             grpc::SslCredentials(options), arguments);
    grpc::ClientContext context;
    faults::SetDeadline(context, absl::Seconds(5));
    context.AddMetadata("authorization", "Bearer " + token);
    v1::ReleaseSenderRequest request;
    request.set_sender_id("rotated-sender");
    request.set_reason("rotation test");
    v1::ReleaseSenderResponse response;
    return v1::SenderHistoryAdmin::NewStub(channel)
        ->ReleaseSender(&context, request, &response)
        .error_code();
  };
  const std::string old_token = "old-admin-token-0123456789abcdefgh";
  const std::string new_token = "new-admin-token-9876543210zyxwvuts";

  ASSERT_TRUE(evaluate()) << faults::LogTail(evaluator->process->log_path());
  EXPECT_EQ(release(old_token), grpc::StatusCode::OK);
  EXPECT_EQ(release(new_token), grpc::StatusCode::UNAUTHENTICATED);

  // The rotation begins: history's certificate and both tokens; the evaluator's client
  // certificate.
  Mount("history", "history-b", old_token + "\n" + new_token + "\n");
  Mount("client", "evaluator-b");
  EXPECT_EQ(release(old_token), grpc::StatusCode::OK);
  EXPECT_EQ(release(new_token), grpc::StatusCode::OK);
  // The evaluator keeps answering from history, before and after its providers see the files
  // (two refresh periods), on its old connection and on any new one.
  const absl::Time until = absl::Now() + absl::Seconds(3);
  int verdicts = 0;
  while (absl::Now() < until) {
    ASSERT_TRUE(evaluate()) << "a degraded or failed verdict after the swap\n"
                            << faults::LogTail(evaluator->process->log_path());
    ++verdicts;
  }
  // The old token retired.
  Mount("history", "history-b", new_token + "\n");
  EXPECT_EQ(release(old_token), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(release(new_token), grpc::StatusCode::OK);

  // The client side for real: history now takes only clients of a new CA, and the evaluator's
  // mounted certificate is one of that CA. History is restarted (rescheduled, say) so that the
  // evaluator must make a new connection: it presents the certificate its provider read, and
  // history answers again (with the certificate read at start-up it never would).
  Mount("history", "history-b", new_token + "\n", "ca2");
  Mount("client", "evaluator-c");
  const absl::Time swapped = absl::Now();
  ASSERT_TRUE(history->process->Signal(SIGINT).ok());
  ASSERT_TRUE(history->process->WaitForExit(absl::Seconds(10)).ok());
  history =
      StartHistoryAt(dir_.path(), (*redis)->url(), history_port[0], "history-2.log", history_flags);
  ASSERT_TRUE(history.ok()) << history.status();
  bool answered = false;
  while (!answered && absl::Now() < swapped + absl::Seconds(15)) {
    answered = evaluate();
    if (!answered) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(answered) << "the evaluator never presented its new client certificate\n"
                        << faults::LogTail(evaluator->process->log_path());
  const absl::Duration client_rotation = absl::Now() - swapped;
  EXPECT_TRUE(history->process->Running());
  EXPECT_TRUE(evaluator->process->Running());
  EXPECT_GT(verdicts, 0);
  faults::PrintFigures(
      "RotationTest.MutualTls",
      absl::StrCat(verdicts, " verdicts after the certificate swap, none degraded; ",
                   "a client certificate of a new CA presented ",
                   absl::ToInt64Milliseconds(client_rotation), " ms after the swap"));
}

}  // namespace
}  // namespace etiquette::drain
