#pragma once

// Shared by the Redis ACL and TLS tests (redis_acl_test.cc, redis_tls_test.cc): a temp dir, the
// deploy's ACL rendered by the deploy's own script, a real etiquette-history process and calls
// to it. Header only.

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "tests/support/child_process.h"

namespace etiquette::testing {

// Passwords of the test's Redis users (at least 16 bytes, as the render script asks).
inline constexpr char kHistoryPassword[] = "acl-test-history-password-0123";
inline constexpr char kAdminPassword[] = "acl-test-admin-password-012345";
inline constexpr char kHistoryUser[] = "etiquette-history";
inline constexpr char kAdminUser[] = "etiquette-admin";

// A fresh directory under /tmp, removed with its content by the destructor.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix) {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  // Writes `text` to File(name); its path.
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(File(name)) << text;
    return File(name);
  }

 private:
  std::string path_;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs `argv` to its exit (at most 30 s); its output (stdout and stderr) in *output.
inline absl::StatusOr<int> RunToExit(std::vector<std::string> argv, const std::string& log,
                                     std::string* output) {
  std::error_code ignored;
  std::filesystem::remove(log, ignored);
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(std::move(argv), log);
  if (!process.ok()) return process.status();
  absl::StatusOr<int> code = (*process)->WaitForExit(absl::Seconds(30));
  *output = ReadAll(log);
  return code;
}

// deploy/base/redis/users.acl rendered by deploy/base/redis/render-users-acl.sh (what the deploy
// does) with the test's passwords, into dir/users.acl; its path. The password files carry white
// space around the password, which history and the script both trim.
inline absl::StatusOr<std::string> RenderDeployAcl(const ScratchDir& dir) {
  const std::string history =
      dir.Write("history-password", absl::StrCat("  ", kHistoryPassword, "\n"));
  const std::string admin = dir.Write("admin-password", absl::StrCat(kAdminPassword, "\n\n"));
  const std::string acl = dir.File("users.acl");
  std::string output;
  absl::StatusOr<int> code = RunToExit(
      {"/bin/sh", ETIQUETTE_SOURCE_DIR "/deploy/base/redis/render-users-acl.sh", history, admin},
      acl, &output);
  if (!code.ok()) return code.status();
  if (*code != 0) return absl::InternalError(absl::StrCat("render-users-acl.sh: ", output));
  return acl;
}

// A real etiquette-history on 127.0.0.1 (port 0) with `flags` added, its log in dir.
class HistoryProcess {
 public:
  static absl::StatusOr<std::unique_ptr<HistoryProcess>> Start(const ScratchDir& dir,
                                                               std::vector<std::string> flags) {
    const std::string secret = dir.Write("hmac-secret", "redis-security-hmac-secret-0123\n");
    std::vector<std::string> argv = {ETIQUETTE_HISTORY_BINARY,
                                     "--listen=127.0.0.1:0",
                                     "--metrics_listen=",
                                     "--admin_listen=",
                                     "--hmac_secret_file=" + secret,
                                     "--redis_timeout_ms=1000",
                                     "--redis_write_timeout_ms=2000"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    // A log of its own (WaitForLogLine reads from the start; a reused log has a dead port).
    std::string log = dir.File("history.log");
    for (int n = 2; std::filesystem::exists(log); ++n) {
      log = dir.File(absl::StrCat("history-", n, ".log"));
    }
    absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(argv, log);
    if (!process.ok()) return process.status();
    absl::StatusOr<std::string> line = (*process)->WaitForLogLine("(port ", absl::Seconds(30));
    if (!line.ok()) {
      return absl::Status(line.status().code(),
                          absl::StrCat(line.status().message(), ": ", ReadAll(log)));
    }
    const int port = std::stoi(line->substr(line->find("(port ") + 6));
    return std::unique_ptr<HistoryProcess>(new HistoryProcess(*std::move(process), port));
  }

  ChildProcess& process() { return *process_; }

  grpc::Status RecordInvitation(const std::string& sender, const std::string& invitation,
                                const std::string& recipient) {
    v1::RecordInvitationRequest request;
    request.set_sender_id(sender);
    request.set_invitation_id(invitation);
    request.set_recipient_id(recipient);
    v1::RecordInvitationResponse response;
    auto context = Context();
    return stub_->RecordInvitation(context.get(), request, &response);
  }

  grpc::Status GetStanding(const std::string& sender, v1::SenderStanding* standing) {
    v1::GetStandingRequest request;
    request.set_sender_id(sender);
    v1::GetStandingResponse response;
    auto context = Context();
    grpc::Status status = stub_->GetStanding(context.get(), request, &response);
    *standing = response.standing();
    return status;
  }

  grpc::health::v1::HealthCheckResponse::ServingStatus Health() {
    grpc::health::v1::HealthCheckRequest request;
    request.set_service("etiquette.v1.SenderHistory");
    grpc::health::v1::HealthCheckResponse response;
    auto context = Context();
    if (!health_->Check(context.get(), request, &response).ok()) {
      return grpc::health::v1::HealthCheckResponse::UNKNOWN;
    }
    return response.status();
  }

  // Polls the health until it is `wanted`, for at most 10 s.
  bool WaitForHealth(grpc::health::v1::HealthCheckResponse::ServingStatus wanted) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (Health() == wanted) return true;
      absl::SleepFor(absl::Milliseconds(50));  // poll interval, not synchronisation
    }
    return false;
  }

 private:
  HistoryProcess(std::unique_ptr<ChildProcess> process, int port) : process_(std::move(process)) {
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    stub_ = v1::SenderHistory::NewStub(channel);
    health_ = grpc::health::v1::Health::NewStub(channel);
  }
  static std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return context;
  }

  std::unique_ptr<ChildProcess> process_;
  std::unique_ptr<v1::SenderHistory::Stub> stub_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

}  // namespace etiquette::testing
