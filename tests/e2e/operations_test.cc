// Operations on the real binaries: TLS and mutual TLS, graceful shutdown under load, hot
// reload of the rules, the plaintext health port, flags from the environment.
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/grpc_server.h"
#include "etiquette/v1/evaluator.grpc.pb.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "support/child_process.h"
#include "support/redis_server.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using testing::ChildProcess;
using Health = grpc::health::v1::HealthCheckResponse;

constexpr absl::Duration kStartup = absl::Seconds(20);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path) << content;
}

// How often `needle` occurs in the file at `path`.
size_t CountInFile(const std::string& path, const std::string& needle) {
  const std::string text = ReadFile(path);
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// Runs a shell command; true on exit status 0.
bool Shell(const std::string& command) { return std::system(command.c_str()) == 0; }

class OperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/etiquette-ops-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
  }
  void TearDown() override {
    processes_.clear();
    std::filesystem::remove_all(dir_);
  }

  // Starts a binary (optionally under `env` assignments) with its metrics on a free port and
  // returns it once it logged its gRPC port; *port receives that port.
  ChildProcess* Start(const std::string& name, std::vector<std::string> argv, int* port,
                      std::vector<std::string> env = {}) {
    argv.push_back("--metrics_listen=127.0.0.1:0");  // tests run side by side
    if (!env.empty()) {
      env.insert(env.begin(), "/usr/bin/env");
      argv.insert(argv.begin(), env.begin(), env.end());
    }
    absl::StatusOr<std::unique_ptr<ChildProcess>> process =
        ChildProcess::Start(std::move(argv), absl::StrCat(dir_, "/", name, ".log"));
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return nullptr;
    absl::StatusOr<std::string> line = (*process)->WaitForLogLine("(port ", kStartup);
    EXPECT_TRUE(line.ok()) << line.status() << "\n" << ReadFile((*process)->log_path());
    if (!line.ok()) return nullptr;
    *port = std::stoi(line->substr(line->find("(port ") + 6));
    processes_.push_back(std::move(*process));
    return processes_.back().get();
  }

  // Makes a CA, a server certificate for 127.0.0.1 and localhost, and a client certificate
  // signed by it, under dir_/<name>-*.pem.
  void MakeCertificates(const std::string& name) {
    const std::string p = absl::StrCat(dir_, "/", name);
    const std::string quiet = " >/dev/null 2>&1";
    ASSERT_TRUE(Shell(absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=",
                                   name, "-ca -keyout ", p, "-ca.key -out ", p, "-ca.pem", quiet)));
    for (const char* role : {"server", "client"}) {
      const std::string r = absl::StrCat(p, "-", role);
      ASSERT_TRUE(Shell(absl::StrCat("openssl req -newkey rsa:2048 -nodes -subj /CN=", role,
                                     " -keyout ", r, ".key -out ", r, ".csr", quiet)));
      WriteFile(r + ".ext", std::string(role) == "server"
                                ? "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                : "extendedKeyUsage=clientAuth\n");
      ASSERT_TRUE(Shell(absl::StrCat("openssl x509 -req -in ", r, ".csr -CA ", p, "-ca.pem -CAkey ",
                                     p, "-ca.key -CAcreateserial -days 2 -extfile ", r,
                                     ".ext -out ", r, ".pem", quiet)));
    }
  }

  // A TLS channel trusting `ca`, with a client certificate when `client` is not empty.
  std::shared_ptr<grpc::Channel> TlsChannel(int port, const std::string& ca,
                                            const std::string& client) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(absl::StrCat(dir_, "/", ca, "-ca.pem"));
    if (!client.empty()) {
      options.pem_cert_chain = ReadFile(absl::StrCat(dir_, "/", client, "-client.pem"));
      options.pem_private_key = ReadFile(absl::StrCat(dir_, "/", client, "-client.key"));
    }
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(options));
  }

  static grpc::Status ListRules(const std::shared_ptr<grpc::Channel>& channel,
                                v1::ListRulesResponse* response = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::ListRulesResponse ignored;
    return v1::InvitationEvaluator::NewStub(channel)->ListRules(&context, v1::ListRulesRequest(),
                                                                response ? response : &ignored);
  }

  static std::shared_ptr<grpc::Channel> Plaintext(int port) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                               grpc::InsecureChannelCredentials());
  }

  static Health::ServingStatus HealthOf(int port) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    Health response;
    grpc::Status status = grpc::health::v1::Health::NewStub(Plaintext(port))
                              ->Check(&context, grpc::health::v1::HealthCheckRequest(), &response);
    return status.ok() ? response.status() : Health::UNKNOWN;
  }

  std::string dir_;
  std::vector<std::unique_ptr<ChildProcess>> processes_;
};

TEST_F(OperationsTest, MutualTlsRefusesPlaintextWrongCaAndMissingClientCert) {
  MakeCertificates("good");
  MakeCertificates("other");
  const std::string g = dir_ + "/good";
  int port = 0;
  ASSERT_NE(
      Start("evaluator",
            {ETIQUETTE_EVALUATOR_BINARY, "--listen=127.0.0.1:0", "--tls_cert=" + g + "-server.pem",
             "--tls_key=" + g + "-server.key", "--tls_client_ca=" + g + "-ca.pem"},
            &port),
      nullptr);
  EXPECT_EQ(ListRules(Plaintext(port)).error_code(), grpc::StatusCode::UNAVAILABLE);
  // The client does not trust the server's CA.
  EXPECT_EQ(ListRules(TlsChannel(port, "other", "good")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // No client certificate, or one from another CA.
  EXPECT_EQ(ListRules(TlsChannel(port, "good", "")).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ListRules(TlsChannel(port, "good", "other")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // The right client certificate.
  EXPECT_EQ(ListRules(TlsChannel(port, "good", "good")).error_code(), grpc::StatusCode::OK);
}

TEST_F(OperationsTest, EvaluatorTalksToHistoryOverMutualTls) {
  MakeCertificates("mesh");
  const std::string m = dir_ + "/mesh";
  WriteFile(dir_ + "/hmac", "operations-test-hmac-secret");
  absl::StatusOr<std::unique_ptr<testing::RedisServer>> redis = testing::RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  int history_port = 0;
  ASSERT_NE(Start("history",
                  {ETIQUETTE_HISTORY_BINARY, "--listen=127.0.0.1:0", "--redis=" + (*redis)->url(),
                   "--hmac_secret_file=" + dir_ + "/hmac", "--tls_cert=" + m + "-server.pem",
                   "--tls_key=" + m + "-server.key", "--tls_client_ca=" + m + "-ca.pem",
                   "--admin_listen="},
                  &history_port),
            nullptr);
  const std::string history = absl::StrCat("--history=127.0.0.1:", history_port);
  int with_cert = 0;
  int without_cert = 0;
  ASSERT_NE(
      Start("evaluator-mtls",
            {ETIQUETTE_EVALUATOR_BINARY, "--listen=127.0.0.1:0", history,
             "--history_timeout_ms=2000", "--history_tls_ca=" + m + "-ca.pem",
             "--history_tls_cert=" + m + "-client.pem", "--history_tls_key=" + m + "-client.key"},
            &with_cert),
      nullptr);
  ASSERT_NE(Start("evaluator-tls-only",
                  {ETIQUETTE_EVALUATOR_BINARY, "--listen=127.0.0.1:0", history,
                   "--history_timeout_ms=2000", "--history_tls_ca=" + m + "-ca.pem"},
                  &without_cert),
            nullptr);

  auto evaluate = [](int port) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::EvaluateRequest request;
    *request.mutable_invitation() = testing::GoodInvitation();
    request.mutable_invitation()->clear_sent_at();
    v1::EvaluateResponse response;
    EXPECT_TRUE(v1::InvitationEvaluator::NewStub(Plaintext(port))
                    ->Evaluate(&context, request, &response)
                    .ok());
    return response.verdict();
  };
  const v1::Verdict answered = evaluate(with_cert);
  EXPECT_FALSE(answered.degraded());
  EXPECT_EQ(answered.sender_standing().state(), v1::STANDING_STATE_GOOD);
  // History refuses a client without a certificate: the evaluator degrades, as designed.
  EXPECT_TRUE(evaluate(without_cert).degraded());
}

// A history service that takes its time, and remembers which invitations' senders it was
// asked about: those evaluator calls had been accepted and were in flight.
class SlowHistory final : public v1::SenderHistory::Service {
 public:
  grpc::Status GetStanding(grpc::ServerContext*, const v1::GetStandingRequest* request,
                           v1::GetStandingResponse* response) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      seen_.insert(request->sender_id());
    }
    absl::SleepFor(absl::Milliseconds(800));  // the work being drained, not synchronisation
    response->mutable_standing()->set_sender_id(request->sender_id());
    response->mutable_standing()->set_state(v1::STANDING_STATE_GOOD);
    return grpc::Status::OK;
  }
  std::set<std::string> Seen() {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::set<std::string> seen_;
};

// The threads of `pid` that do not block SIGHUP, SIGINT and SIGTERM, by name (from /proc).
std::vector<std::string> ThreadsTakingServerSignals(pid_t pid) {
  constexpr uint64_t kServerSignals = (uint64_t{1} << (SIGHUP - 1)) |
                                      (uint64_t{1} << (SIGINT - 1)) |
                                      (uint64_t{1} << (SIGTERM - 1));
  std::vector<std::string> taking;
  const std::string tasks = absl::StrCat("/proc/", pid, "/task");
  for (const auto& task : std::filesystem::directory_iterator(tasks)) {
    const std::string status = ReadFile(task.path().string() + "/status");
    const size_t at = status.find("SigBlk:");
    if (at == std::string::npos) continue;  // the thread ended meanwhile
    const uint64_t blocked = std::stoull(status.substr(at + 7), nullptr, 16);
    if ((blocked & kServerSignals) != kServerSignals) {
      taking.push_back(
          absl::StrCat(absl::StripTrailingAsciiWhitespace(ReadFile(task.path().string() + "/comm")),
                       " (", task.path().filename().string(), ")"));
    }
  }
  return taking;
}

// Every thread of a running server blocks SIGTERM, SIGINT and SIGHUP but the one waiting for
// them (sigwait unblocks them in that thread while it waits): a thread that did not could take a
// SIGTERM while the main thread is between waits, and the process would die of it (exit 143)
// instead of draining.
TEST_F(OperationsTest, OnlyTheSignalWaitCanTakeTheServerSignals) {
  absl::StatusOr<std::unique_ptr<testing::RedisServer>> redis = testing::RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  WriteFile(dir_ + "/secret", "operations-test-hmac-secret\n");
  int history_port = 0;
  ChildProcess* history =
      Start("history",
            {ETIQUETTE_HISTORY_BINARY, "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
             "--admin_listen=127.0.0.1:0", "--redis=" + (*redis)->url(),
             "--hmac_secret_file=" + dir_ + "/secret"},
            &history_port);
  ASSERT_NE(history, nullptr);
  int evaluator_port = 0;
  ChildProcess* evaluator =
      Start("evaluator",
            {ETIQUETTE_EVALUATOR_BINARY, "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
             "--health_listen=127.0.0.1:0", absl::StrCat("--history=127.0.0.1:", history_port)},
            &evaluator_port);
  ASSERT_NE(evaluator, nullptr);
  for (ChildProcess* server : {history, evaluator}) {
    const std::vector<std::string> taking = ThreadsTakingServerSignals(server->pid());
    EXPECT_LE(taking.size(), 1u) << absl::StrJoin(taking, ", ");
  }
}

TEST_F(OperationsTest, SigtermDrainsAcceptedCallsAndExitsZero) {
  SlowHistory slow_history;
  absl::StatusOr<std::unique_ptr<RunningServer>> history =
      StartGrpcServer("127.0.0.1:0", {&slow_history}, {v1::SenderHistory::service_full_name()});
  ASSERT_TRUE(history.ok()) << history.status();
  int port = 0;
  ChildProcess* evaluator =
      Start("evaluator",
            {ETIQUETTE_EVALUATOR_BINARY, "--listen=127.0.0.1:0", "--health_listen=127.0.0.1:0",
             absl::StrCat("--history=127.0.0.1:", (*history)->port()), "--history_timeout_ms=5000",
             "--drain_delay_s=1", "--shutdown_grace_s=10"},
            &port);
  ASSERT_NE(evaluator, nullptr);
  const std::string log = ReadFile(evaluator->log_path());
  const int health_port = std::stoi(log.substr(log.find("health port ") + 12));
  ASSERT_EQ(HealthOf(health_port), Health::SERVING);

  // A burst: each worker sends calls one after the other until told to stop.
  struct Outcome {
    std::string sender;
    grpc::StatusCode code;
    bool degraded;
  };
  std::mutex outcomes_mutex;
  std::vector<Outcome> outcomes;
  std::atomic<bool> stop{false};
  auto channel = Plaintext(port);
  std::vector<std::thread> workers;
  for (int w = 0; w < 16; ++w) {
    workers.emplace_back([&, w] {
      auto stub = v1::InvitationEvaluator::NewStub(channel);
      for (int i = 0; !stop.load(); ++i) {
        v1::EvaluateRequest request;
        *request.mutable_invitation() = testing::GoodInvitation();
        request.mutable_invitation()->clear_sent_at();
        const std::string sender = absl::StrCat("w", w, "-", i);
        request.mutable_invitation()->mutable_sender()->set_member_id(sender);
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
        v1::EvaluateResponse response;
        grpc::Status status = stub->Evaluate(&context, request, &response);
        std::lock_guard<std::mutex> lock(outcomes_mutex);
        outcomes.push_back({sender, status.error_code(), response.verdict().degraded()});
        if (!status.ok()) break;  // the server is going away
      }
    });
  }
  // Wait until calls are in flight (history has been asked), then stop the evaluator.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (slow_history.Seen().size() < 16 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_GE(slow_history.Seen().size(), 16u);
  ASSERT_TRUE(evaluator->Signal(SIGTERM).ok());
  // Health says NOT_SERVING (once the signal is handled) while the calls in flight are still
  // being drained.
  const absl::Time unready_bound = absl::Now() + absl::Seconds(1);
  while (HealthOf(health_port) != Health::NOT_SERVING && absl::Now() < unready_bound) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(HealthOf(health_port), Health::NOT_SERVING);
  absl::StatusOr<int> exit_code = evaluator->WaitForExit(absl::Seconds(15));
  stop = true;
  for (std::thread& worker : workers) worker.join();
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0);

  // Every call the evaluator accepted (it asked history) succeeded, with history's answer.
  const std::set<std::string> accepted = slow_history.Seen();
  int accepted_ok = 0;
  for (const Outcome& outcome : outcomes) {
    if (accepted.count(outcome.sender) == 0) {
      // Never accepted: refused as the server stopped, or answered before.
      EXPECT_TRUE(outcome.code == grpc::StatusCode::OK ||
                  outcome.code == grpc::StatusCode::UNAVAILABLE)
          << outcome.sender << " " << outcome.code;
      continue;
    }
    EXPECT_EQ(outcome.code, grpc::StatusCode::OK) << outcome.sender;
    EXPECT_FALSE(outcome.degraded) << outcome.sender;
    ++accepted_ok;
  }
  EXPECT_EQ(accepted_ok, static_cast<int>(accepted.size()));
  (*history)->Shutdown(absl::ZeroDuration());
}

TEST_F(OperationsTest, RulesReloadOnConfigMapSwapAndSighupAndBadFilesAreRefused) {
  // The layout Kubernetes gives a mounted ConfigMap: the file is a symlink through ..data,
  // and an update swaps ..data to a new directory in one rename.
  const std::string mount = dir_ + "/config";
  std::filesystem::create_directories(mount + "/v1");
  std::filesystem::copy_file(std::string(ETIQUETTE_SOURCE_DIR) + "/deploy/config/evaluator.yaml",
                             mount + "/v1/evaluator.yaml");
  std::filesystem::create_directory_symlink("v1", mount + "/..data");
  std::filesystem::create_symlink("..data/evaluator.yaml", mount + "/evaluator.yaml");
  int version = 1;
  auto swap_in = [&](const std::string& content) {
    const std::string next = absl::StrCat("v", ++version);
    std::filesystem::create_directories(mount + "/" + next);
    WriteFile(mount + "/" + next + "/evaluator.yaml", content);
    std::filesystem::create_directory_symlink(next, mount + "/..data_tmp");
    std::filesystem::rename(mount + "/..data_tmp", mount + "/..data");
  };

  int port = 0;
  ChildProcess* evaluator = Start(
      "evaluator",
      {ETIQUETTE_EVALUATOR_BINARY, "--listen=127.0.0.1:0", "--config=" + mount + "/evaluator.yaml"},
      &port);
  ASSERT_NE(evaluator, nullptr);
  auto channel = Plaintext(port);
  v1::ListRulesResponse rules;
  ASSERT_TRUE(ListRules(channel, &rules).ok());
  const std::string first = rules.rules_version();
  auto current_version = [&] {
    v1::ListRulesResponse now;
    EXPECT_TRUE(ListRules(channel, &now).ok());
    return now.rules_version();
  };
  auto wait_for_version_change = [&](const std::string& from) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (current_version() == from && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    return current_version();
  };

  // A good update is picked up by the watcher.
  swap_in("rules:\n  note_length:\n    free_limit: 150\n");
  const std::string second = wait_for_version_change(first);
  EXPECT_NE(second, first);
  ASSERT_TRUE(ListRules(channel, &rules).ok());
  EXPECT_EQ(rules.rules(1).parameters().at("free_limit"), "150");

  // A bad one is refused and logged; the last good rules stay.
  swap_in("rules:\n  note_length:\n    free_limit: 0\n");
  absl::StatusOr<std::string> refused =
      evaluator->WaitForLogLine("config reload failed", absl::Seconds(10));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_NE(refused->find("rules.note_length.free_limit: must be greater than 0"),
            std::string::npos);
  EXPECT_EQ(current_version(), second);

  // After another good update, SIGHUP reloads on demand too (the file is unchanged, so only
  // the signal can cause the reload counted here).
  swap_in("rules:\n  note_length:\n    free_limit: 170\n");
  const std::string third = wait_for_version_change(second);
  ASSERT_NE(third, second);
  const size_t reloads_before = CountInFile(evaluator->log_path(), "config reloaded");
  ASSERT_TRUE(evaluator->Signal(SIGHUP).ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (CountInFile(evaluator->log_path(), "config reloaded") == reloads_before &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(CountInFile(evaluator->log_path(), "config reloaded"), reloads_before + 1);
  EXPECT_EQ(current_version(), third);
}

TEST_F(OperationsTest, HistoryThresholdsReloadAndBadFilesAreRefused) {
  absl::StatusOr<std::unique_ptr<testing::RedisServer>> redis = testing::RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  WriteFile(dir_ + "/hmac", "operations-test-hmac-secret");
  const std::string config = dir_ + "/history.yaml";
  std::filesystem::copy_file(std::string(ETIQUETTE_SOURCE_DIR) + "/deploy/config/history.yaml",
                             config);
  int port = 0;
  ChildProcess* history =
      Start("history",
            {ETIQUETTE_HISTORY_BINARY, "--listen=127.0.0.1:0", "--redis=" + (*redis)->url(),
             "--hmac_secret_file=" + dir_ + "/hmac", "--config=" + config, "--admin_listen="},
            &port);
  ASSERT_NE(history, nullptr);
  auto stub = v1::SenderHistory::NewStub(Plaintext(port));
  // Records an invitation to `recipient` and its "Report spam"; returns the standing after.
  auto report = [&](const std::string& recipient) {
    grpc::ClientContext invite_context;
    v1::RecordInvitationRequest invitation;
    invitation.set_sender_id("sender");
    invitation.set_invitation_id("inv-" + recipient);
    invitation.set_recipient_id(recipient);
    v1::RecordInvitationResponse invited;
    EXPECT_TRUE(stub->RecordInvitation(&invite_context, invitation, &invited).ok());
    grpc::ClientContext report_context;
    v1::RecordResponseRequest spam;
    spam.set_sender_id("sender");
    spam.set_invitation_id("inv-" + recipient);
    spam.set_recipient_id(recipient);
    spam.set_response(v1::INVITATION_RESPONSE_REPORTED_SPAM);
    v1::RecordResponseResponse reported;
    EXPECT_TRUE(stub->RecordResponse(&report_context, spam, &reported).ok());
    return reported.standing();
  };
  EXPECT_EQ(report("r1").state(), v1::STANDING_STATE_GOOD);  // 1 report < warn_reports 3

  // Lower the warning threshold: one report is enough now. (A new file replaces the old one
  // in one rename, as editors and ConfigMaps do.)
  WriteFile(config + ".new", "warn_reports: 1\n");
  std::filesystem::rename(config + ".new", config);
  ASSERT_TRUE(history->WaitForLogLine("config reloaded", absl::Seconds(10)).ok());
  EXPECT_EQ(report("r2").state(), v1::STANDING_STATE_WARNED);

  // A bad file is refused and the thresholds stay.
  WriteFile(config + ".new", "warn_reports: 0\n");
  std::filesystem::rename(config + ".new", config);
  absl::StatusOr<std::string> refused =
      history->WaitForLogLine("config reload failed", absl::Seconds(10));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_NE(refused->find("warn_reports: must be greater than 0"), std::string::npos);
  EXPECT_EQ(report("r3").state(), v1::STANDING_STATE_WARNED);
}

// Key rotation on the real binary (docs/key-rotation.md): history on secret A records a pending
// invitation and a report; restarted with {B, A} it finds both; the pass
// (--rekey_members_file) moves them to B; restarted with B alone it still finds both (seen
// failing with a members file that names neither).
TEST_F(OperationsTest, HmacKeyRotationLosesNothing) {
  absl::StatusOr<std::unique_ptr<testing::RedisServer>> redis = testing::RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  WriteFile(dir_ + "/a", "operations-test-hmac-secret-a\n");
  WriteFile(dir_ + "/ba", "operations-test-hmac-secret-b\noperations-test-hmac-secret-a\n");
  WriteFile(dir_ + "/b", "operations-test-hmac-secret-b\n");
  WriteFile(dir_ + "/members", "m-kim\nm-lee\n");
  ChildProcess* history = nullptr;
  std::unique_ptr<v1::SenderHistory::Stub> stub;
  auto start = [&](const std::string& secret) {
    if (history != nullptr) {
      ASSERT_TRUE(history->Signal(SIGKILL).ok());
      ASSERT_TRUE(history->WaitForExit(absl::Seconds(10)).ok());
    }
    int port = 0;
    history = Start("history-" + secret,
                    {ETIQUETTE_HISTORY_BINARY, "--listen=127.0.0.1:0", "--redis=" + (*redis)->url(),
                     "--hmac_secret_file=" + dir_ + "/" + secret},
                    &port);
    ASSERT_NE(history, nullptr);
    stub = v1::SenderHistory::NewStub(Plaintext(port));
  };
  auto pair = [&](const std::string& recipient) {
    grpc::ClientContext context;
    v1::GetStandingRequest request;
    request.set_sender_id("m-sam");
    request.set_recipient_id(recipient);
    v1::GetStandingResponse response;
    EXPECT_TRUE(stub->GetStanding(&context, request, &response).ok());
    return response.standing().pair();
  };
  ASSERT_NO_FATAL_FAILURE(start("a"));
  for (const std::string recipient : {"m-kim", "m-lee"}) {
    grpc::ClientContext context;
    v1::RecordInvitationRequest invitation;
    invitation.set_sender_id("m-sam");
    invitation.set_invitation_id("inv-" + recipient);
    invitation.set_recipient_id(recipient);
    v1::RecordInvitationResponse invited;
    ASSERT_TRUE(stub->RecordInvitation(&context, invitation, &invited).ok());
  }
  grpc::ClientContext report_context;
  v1::RecordResponseRequest spam;
  spam.set_sender_id("m-sam");
  spam.set_invitation_id("inv-m-lee");
  spam.set_recipient_id("m-lee");
  spam.set_response(v1::INVITATION_RESPONSE_REPORTED_SPAM);
  v1::RecordResponseResponse reported;
  ASSERT_TRUE(stub->RecordResponse(&report_context, spam, &reported).ok());
  ASSERT_TRUE(pair("m-kim").pending());
  ASSERT_TRUE(pair("m-lee").recipient_reported_sender());

  ASSERT_NO_FATAL_FAILURE(start("ba"));
  EXPECT_TRUE(pair("m-kim").pending());
  EXPECT_TRUE(pair("m-lee").recipient_reported_sender());

  absl::StatusOr<std::unique_ptr<ChildProcess>> pass = ChildProcess::Start(
      {ETIQUETTE_HISTORY_BINARY, "--redis=" + (*redis)->url(), "--hmac_secret_file=" + dir_ + "/ba",
       "--rekey_members_file=" + dir_ + "/members"},
      dir_ + "/pass.log");
  ASSERT_TRUE(pass.ok()) << pass.status();
  absl::StatusOr<int> exit_code = (*pass)->WaitForExit(absl::Seconds(30));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0) << ReadFile(dir_ + "/pass.log");
  EXPECT_EQ(CountInFile(dir_ + "/pass.log", "members read: 2,"), 1u)
      << ReadFile(dir_ + "/pass.log");
  EXPECT_EQ(CountInFile(dir_ + "/pass.log", "pairs moved: 2"), 1u) << ReadFile(dir_ + "/pass.log");

  ASSERT_NO_FATAL_FAILURE(start("b"));
  EXPECT_TRUE(pair("m-kim").pending());
  EXPECT_TRUE(pair("m-lee").recipient_reported_sender());
}

TEST_F(OperationsTest, FlagsComeFromTheEnvironment) {
  // History on a port nobody listens on.
  const int dead_port = testing::FreeTcpPort();
  ASSERT_GT(dead_port, 0);
  int port = 0;
  ChildProcess* evaluator =
      Start("evaluator", {ETIQUETTE_EVALUATOR_BINARY}, &port,
            {"ETIQUETTE_LISTEN=127.0.0.1:0", "ETIQUETTE_FAIL_MODE=closed",
             "ETIQUETTE_LOG_FORMAT=json", absl::StrCat("ETIQUETTE_HISTORY=127.0.0.1:", dead_port),
             "ETIQUETTE_HISTORY_TIMEOUT_MS=200"});
  ASSERT_NE(evaluator, nullptr);
  EXPECT_TRUE(ListRules(Plaintext(port)).ok());
  const std::string log = ReadFile(evaluator->log_path());
  EXPECT_EQ(log.rfind("{\"ts\":", 0), 0u) << log;  // JSON lines

  // ETIQUETTE_FAIL_MODE=closed took effect: history unreachable defers the invitation (fail
  // open, the default, would send it, degraded).
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::EvaluateRequest request;
  *request.mutable_invitation() = testing::GoodInvitation();
  request.mutable_invitation()->clear_sent_at();
  v1::EvaluateResponse response;
  ASSERT_TRUE(v1::InvitationEvaluator::NewStub(Plaintext(port))
                  ->Evaluate(&context, request, &response)
                  .ok());
  EXPECT_EQ(response.verdict().decision(), v1::DECISION_DEFER);
  EXPECT_TRUE(response.verdict().degraded());
  bool history_unavailable_violation = false;
  for (const v1::Finding& finding : response.verdict().findings()) {
    history_unavailable_violation |=
        finding.rule_id() == "history-unavailable" && finding.severity() == v1::SEVERITY_VIOLATION;
  }
  EXPECT_TRUE(history_unavailable_violation);
}

}  // namespace
}  // namespace etiquette
