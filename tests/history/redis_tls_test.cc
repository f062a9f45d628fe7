// TLS to Redis (issue 14) through the stunnel sidecar of the production overlay
// (deploy/overlays/production/stunnel/stunnel.conf, its global options as shipped, its paths and
// addresses the test's): the test makes a CA and server certificates with openssl, starts a
// TLS-only redis-server (port 0, tls-port) with the deploy's ACL, Debian's stunnel4 in client
// mode to it, and the real etiquette-history pointed at stunnel's loopback port as its ACL user:
// it records and reads. A Redis whose certificate another CA signed, or one that names another
// host, is refused by stunnel before any byte of history's (its AUTH) is sent: history cannot
// reach it (NOT_SERVING, UNAVAILABLE).

#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/history/redis_security_support.h"
#include "tests/support/redis_server.h"

namespace etiquette::testing {
namespace {

using ::testing::HasSubstr;
using Health = grpc::health::v1::HealthCheckResponse;

constexpr char kServerName[] = "redis.test";

class RedisTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    ASSERT_NO_FATAL_FAILURE(MakeCa("ca"));
    ASSERT_NO_FATAL_FAILURE(MakeCa("rogue-ca"));
    ASSERT_NO_FATAL_FAILURE(MakeServerCert("server", "ca", kServerName));
    ASSERT_NO_FATAL_FAILURE(MakeServerCert("rogue-server", "rogue-ca", kServerName));
    ASSERT_NO_FATAL_FAILURE(MakeServerCert("other-server", "ca", "other.test"));
    absl::StatusOr<std::string> acl = RenderDeployAcl(dir_);
    ASSERT_TRUE(acl.ok()) << acl.status();
    acl_ = *acl;
  }

  void OpenSsl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {OPENSSL_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string output;
    absl::StatusOr<int> code = RunToExit(argv, dir_.File("openssl.log"), &output);
    ASSERT_TRUE(code.ok()) << code.status();
    ASSERT_EQ(*code, 0) << absl::StrJoin(args, " ") << ":\n" << output;
  }

  // name.key, name.pem: a self-signed CA (P-256, valid a day).
  void MakeCa(const std::string& name) {
    OpenSsl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", dir_.File(name + ".key"), "-out", dir_.File(name + ".pem"), "-days", "1",
             "-subj", "/CN=etiquette test " + name});
  }

  // name.key, name.pem: a server certificate for `host` (and 127.0.0.1) signed by `ca`.
  void MakeServerCert(const std::string& name, const std::string& ca, const std::string& host) {
    OpenSsl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", dir_.File(name + ".key"), "-out", dir_.File(name + ".csr"), "-subj",
             "/CN=" + host});
    const std::string ext = dir_.Write(
        name + ".ext",
        absl::StrCat("subjectAltName=DNS:", host, ",IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"));
    OpenSsl({"x509", "-req", "-in", dir_.File(name + ".csr"), "-CA", dir_.File(ca + ".pem"),
             "-CAkey", dir_.File(ca + ".key"), "-CAcreateserial", "-out", dir_.File(name + ".pem"),
             "-days", "1", "-extfile", ext});
  }

  // A TLS-only redis-server with the deploy's ACL and `cert`'s certificate.
  std::unique_ptr<RedisServer> StartTlsRedis(const std::string& cert) {
    RedisServerOptions options;
    options.acl_file = acl_;
    options.tls_cert = dir_.File(cert + ".pem");
    options.tls_key = dir_.File(cert + ".key");
    options.tls_ca = dir_.File("ca.pem");
    absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start(options);
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }

  // The shipped stunnel.conf: its global options (CAfile the test's CA), then one section per
  // `targets` entry {name, redis port, checkHost}, each accepting on a free loopback port
  // (returned in the same order).
  struct Target {
    std::string name;
    int redis_port;
    std::string check_host;
  };
  std::vector<int> StartStunnel(const std::vector<Target>& targets) {
    const std::string shipped =
        ReadAll(ETIQUETTE_SOURCE_DIR "/deploy/overlays/production/stunnel/stunnel.conf");
    std::string conf;
    bool global = true;
    int sections = 0;
    for (absl::string_view line : absl::StrSplit(shipped, '\n')) {
      if (absl::StartsWith(line, "[")) {
        global = false;
        ++sections;
      }
      if (!global) {
        // Each shipped section accepts on loopback only and checks the host it dials.
        if (absl::StartsWith(line, "accept")) {
          EXPECT_THAT(std::string(line), HasSubstr("= 127.0.0.1:"));
        }
        continue;
      }
      if (absl::StartsWith(line, "CAfile")) {
        absl::StrAppend(&conf, "CAfile = ", dir_.File("ca.pem"), "\n");
      } else {
        absl::StrAppend(&conf, line, "\n");
      }
    }
    EXPECT_GE(sections, 1);
    EXPECT_THAT(shipped, HasSubstr("\nclient = yes\n"));
    EXPECT_THAT(shipped, HasSubstr("\nverifyChain = yes\n"));
    EXPECT_THAT(shipped, HasSubstr("\ncheckHost = "));
    EXPECT_THAT(shipped, HasSubstr("\nforeground = yes\n"));
    std::vector<int> ports;
    for (const Target& target : targets) {
      const int port = FreeTcpPort();
      ports.push_back(port);
      absl::StrAppend(&conf, "[", target.name, "]\naccept = 127.0.0.1:", port,
                      "\nconnect = 127.0.0.1:", target.redis_port,
                      "\ncheckHost = ", target.check_host, "\n");
    }
    const std::string path = dir_.Write("stunnel.conf", conf);
    absl::StatusOr<std::unique_ptr<ChildProcess>> stunnel =
        ChildProcess::Start({STUNNEL_BINARY, path}, dir_.File("stunnel.log"));
    EXPECT_TRUE(stunnel.ok()) << stunnel.status();
    if (!stunnel.ok()) return {};
    stunnel_ = *std::move(stunnel);
    absl::StatusOr<std::string> ready =
        stunnel_->WaitForLogLine("Configuration successful", absl::Seconds(20));
    EXPECT_TRUE(ready.ok()) << ready.status() << "\n" << ReadAll(dir_.File("stunnel.log"));
    return ports;
  }

  // History as etiquette-history, pointed at 127.0.0.1:port (stunnel).
  std::unique_ptr<HistoryProcess> StartHistory(int port) {
    const std::string user = dir_.Write("user", "etiquette-history\n");
    const std::string password = dir_.Write("password", absl::StrCat(kHistoryPassword, "\n"));
    absl::StatusOr<std::unique_ptr<HistoryProcess>> history = HistoryProcess::Start(
        dir_, {absl::StrCat("--redis=redis://127.0.0.1:", port), "--redis_user_file=" + user,
               "--redis_password_file=" + password});
    EXPECT_TRUE(history.ok()) << history.status();
    return history.ok() ? *std::move(history) : nullptr;
  }

  ScratchDir dir_{"etq-redis-tls"};
  std::string acl_;
  std::unique_ptr<ChildProcess> stunnel_;
};

TEST_F(RedisTlsTest, HistoryRecordsAndReadsOverTlsThroughStunnel) {
  std::unique_ptr<RedisServer> redis = StartTlsRedis("server");
  ASSERT_NE(redis, nullptr);
  const std::vector<int> ports = StartStunnel({{"redis", redis->port(), kServerName}});
  ASSERT_EQ(ports.size(), 1u);
  std::unique_ptr<HistoryProcess> history = StartHistory(ports[0]);
  ASSERT_NE(history, nullptr);

  grpc::Status recorded = history->RecordInvitation("tls-sender", "tls-inv-1", "tls-rcpt");
  ASSERT_TRUE(recorded.ok()) << recorded.error_message() << "\n"
                             << ReadAll(dir_.File("stunnel.log"));
  v1::SenderStanding standing;
  grpc::Status read = history->GetStanding("tls-sender", &standing);
  ASSERT_TRUE(read.ok()) << read.error_message();
  EXPECT_EQ(standing.invitations_last_7d(), 1u);
  EXPECT_EQ(history->Health(), Health::SERVING);
  // The TLS port speaks nothing but TLS: plaintext RESP straight to it gets no reply.
  std::string output;
  absl::StatusOr<int> code =
      RunToExit({REDIS_CLI_BINARY, "-h", "127.0.0.1", "-p", std::to_string(redis->port()), "PING"},
                dir_.File("plain-cli.log"), &output);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_THAT(output, ::testing::Not(HasSubstr("PONG")));
}

TEST_F(RedisTlsTest, StunnelRefusesARedisOfAnotherCaOrAnotherName) {
  std::unique_ptr<RedisServer> rogue = StartTlsRedis("rogue-server");
  std::unique_ptr<RedisServer> other = StartTlsRedis("other-server");
  ASSERT_NE(rogue, nullptr);
  ASSERT_NE(other, nullptr);
  const std::vector<int> ports =
      StartStunnel({{"rogue", rogue->port(), kServerName}, {"other", other->port(), kServerName}});
  ASSERT_EQ(ports.size(), 2u);
  for (int port : ports) {
    std::unique_ptr<HistoryProcess> history = StartHistory(port);
    ASSERT_NE(history, nullptr);
    EXPECT_TRUE(history->WaitForHealth(Health::NOT_SERVING)) << port;
    grpc::Status recorded = history->RecordInvitation("tls-sender", "tls-inv-2", "tls-rcpt");
    EXPECT_EQ(recorded.error_code(), grpc::StatusCode::UNAVAILABLE) << recorded.error_message();
  }
  const std::string log = ReadAll(dir_.File("stunnel.log"));
  // The other CA, then the other name.
  EXPECT_THAT(log, HasSubstr("unable to get local issuer certificate")) << log;
  EXPECT_THAT(log, HasSubstr("CERT: Subject checks failed")) << log;
  // Not one byte of history's (its AUTH: user and password) went to either server.
  EXPECT_THAT(log, HasSubstr("Connection closed/reset: 0 byte(s) sent to TLS"));
  EXPECT_FALSE(std::regex_search(log, std::regex("[1-9][0-9]* byte\\(s\\) sent to TLS"))) << log;
}

}  // namespace
}  // namespace etiquette::testing
