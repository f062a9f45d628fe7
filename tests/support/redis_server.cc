#include "tests/support/redis_server.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

// REDIS_SERVER_BINARY: found by tests/CMakeLists.txt (find_program).

namespace etiquette::testing {
namespace {

constexpr absl::Duration kStartTimeout = absl::Seconds(10);
constexpr absl::Duration kStopTimeout = absl::Seconds(10);

struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};

}  // namespace

absl::Status AppendReplyText(const redisReply* reply, std::string* out) {
  switch (reply->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      out->append(reply->str, reply->len);
      return absl::OkStatus();
    case REDIS_REPLY_INTEGER:
      absl::StrAppend(out, reply->integer);
      return absl::OkStatus();
    case REDIS_REPLY_NIL:
      out->append("(nil)");
      return absl::OkStatus();
    case REDIS_REPLY_ARRAY:
      for (size_t i = 0; i < reply->elements; ++i) {
        if (i > 0) out->push_back('\n');
        if (absl::Status status = AppendReplyText(reply->element[i], out); !status.ok())
          return status;
      }
      return absl::OkStatus();
    case REDIS_REPLY_ERROR:
      return absl::InternalError(
          absl::StrCat("redis error: ", std::string(reply->str, reply->len)));
    default:
      return absl::InternalError(absl::StrCat("unexpected reply type ", reply->type));
  }
}

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(RedisServerOptions options) {
  // A write to a connection the server closed (Kill) must fail with EPIPE, not kill the test.
  ::signal(SIGPIPE, SIG_IGN);
  absl::Status last = absl::UnknownError("not started");
  // The port is free when picked, but another process may take it before redis binds it:
  // a few attempts with fresh ports.
  for (int attempt = 0; attempt < 3; ++attempt) {
    char dir_template[] = "/tmp/etq-redis-XXXXXX";
    if (::mkdtemp(dir_template) == nullptr) return absl::InternalError("mkdtemp failed");
    const int port = FreeTcpPort();
    if (port <= 0) return absl::InternalError("no free TCP port");
    std::unique_ptr<RedisServer> server(new RedisServer(port, dir_template, options));
    last = server->Launch();
    if (last.ok()) return server;
  }
  return last;
}

RedisServer::~RedisServer() {
  Disconnect();
  process_.reset();  // SIGKILL + reap
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string RedisServer::url() const { return absl::StrCat("redis://127.0.0.1:", port_); }

absl::Status RedisServer::Launch() {
  std::vector<std::string> argv = {REDIS_SERVER_BINARY,
                                   "--port",
                                   absl::StrCat(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--protected-mode",
                                   "no",
                                   "--dir",
                                   dir_,
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "yes",
                                   "--appendfsync",
                                   "always",
                                   "--daemonize",
                                   "no",
                                   "--logfile",
                                   ""};
  if (!options_.acl_file.empty()) {
    argv.insert(argv.end(), {"--aclfile", options_.acl_file});
  }
  const bool tls = !options_.tls_cert.empty();
  if (tls) {
    argv[2] = "0";  // --port 0: no plaintext listener
    argv.insert(argv.end(), {"--tls-port", absl::StrCat(port_), "--tls-cert-file",
                             options_.tls_cert, "--tls-key-file", options_.tls_key,
                             "--tls-ca-cert-file", options_.tls_ca, "--tls-auth-clients", "no"});
  }
  absl::StatusOr<std::unique_ptr<ChildProcess>> process =
      ChildProcess::Start(std::move(argv), absl::StrCat(dir_, "/redis-", ++launches_, ".log"));
  if (!process.ok()) return process.status();
  Disconnect();
  process_ = *std::move(process);
  absl::StatusOr<std::string> ready =
      process_->WaitForLogLine("Ready to accept connections", kStartTimeout);
  if (!ready.ok()) {
    process_.reset();
    return ready.status();
  }
  if (tls) return absl::OkStatus();  // no TLS in hiredis 0.14: no PING
  if (absl::Status status = WaitForPing(); !status.ok()) {
    process_.reset();
    return status;
  }
  return absl::OkStatus();
}

absl::Status RedisServer::WaitForPing() {
  const absl::Time deadline = absl::Now() + kStartTimeout;
  absl::Status last;
  while (absl::Now() < deadline) {
    absl::StatusOr<std::string> pong = Command({"PING"});
    if (pong.ok() && *pong == "PONG") return absl::OkStatus();
    last = pong.ok() ? absl::InternalError(*pong) : pong.status();
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("redis on port ", port_, " does not answer PING: ", last.message()));
}

absl::Status RedisServer::Kill() {
  if (process_ == nullptr) return absl::FailedPreconditionError("redis is not running");
  if (absl::Status status = process_->Signal(SIGKILL); !status.ok()) return status;
  absl::StatusOr<int> code = process_->WaitForExit(kStopTimeout);
  if (!code.ok()) return code.status();
  process_.reset();
  Disconnect();
  return absl::OkStatus();
}

absl::Status RedisServer::Restart() {
  if (process_ != nullptr) {
    if (absl::Status status = Kill(); !status.ok()) return status;
  }
  return Launch();
}

absl::Status RedisServer::Pause() {
  if (process_ == nullptr) return absl::FailedPreconditionError("redis is not running");
  return process_->Signal(SIGSTOP);
}

absl::Status RedisServer::Resume() {
  if (process_ == nullptr) return absl::FailedPreconditionError("redis is not running");
  return process_->Signal(SIGCONT);
}

absl::Status RedisServer::FlushAll() {
  absl::StatusOr<std::string> reply = Command({"FLUSHALL"});
  if (!reply.ok()) return reply.status();
  return absl::OkStatus();
}

void RedisServer::Disconnect() {
  if (connection_ != nullptr) redisFree(connection_);
  connection_ = nullptr;
}

absl::StatusOr<std::string> RedisServer::Command(const std::vector<std::string>& args) {
  if (connection_ != nullptr) {
    // Something to read on an idle connection: the server closed it (killed, restarted).
    pollfd fd{connection_->fd, POLLIN, 0};
    if (connection_->err != 0 || ::poll(&fd, 1, 0) != 0) Disconnect();
  }
  if (connection_ == nullptr) {
    std::unique_ptr<redisContext, ContextDeleter> context(
        redisConnectWithTimeout("127.0.0.1", port_, timeval{2, 0}));
    if (context == nullptr) return absl::InternalError("cannot allocate a redis context");
    if (context->err != 0) {
      return absl::UnavailableError(absl::StrCat("connect to port ", port_, ": ", context->errstr));
    }
    redisSetTimeout(context.get(), timeval{5, 0});
    if (!password_.empty()) {
      std::unique_ptr<redisReply, ReplyDeleter> auth(static_cast<redisReply*>(
          user_.empty() ? redisCommand(context.get(), "AUTH %b", password_.data(), password_.size())
                        : redisCommand(context.get(), "AUTH %b %b", user_.data(), user_.size(),
                                       password_.data(), password_.size())));
      if (auth == nullptr) return absl::UnavailableError(absl::StrCat("AUTH: ", context->errstr));
      if (auth->type == REDIS_REPLY_ERROR) return absl::InternalError("AUTH refused");
    }
    connection_ = context.release();
  }
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  std::unique_ptr<redisReply, ReplyDeleter> reply(static_cast<redisReply*>(
      redisCommandArgv(connection_, static_cast<int>(argv.size()), argv.data(), lengths.data())));
  if (reply == nullptr) {
    absl::Status status = absl::UnavailableError(
        absl::StrCat(args.empty() ? "" : args[0], ": ", connection_->errstr));
    Disconnect();
    return status;
  }
  std::string out;
  if (absl::Status status = AppendReplyText(reply.get(), &out); !status.ok()) return status;
  return out;
}

absl::StatusOr<int64_t> RedisServer::CommandCalls(const std::string& command) {
  absl::StatusOr<std::string> info = Command({"INFO", "commandstats"});
  if (!info.ok()) return info.status();
  const std::string prefix = absl::StrCat("cmdstat_", command, ":calls=");
  for (absl::string_view line : absl::StrSplit(*info, absl::ByAnyChar("\r\n"))) {
    if (!absl::StartsWith(line, prefix)) continue;
    line.remove_prefix(prefix.size());
    int64_t calls = 0;
    if (!absl::SimpleAtoi(line.substr(0, line.find(',')), &calls)) {
      return absl::InternalError(absl::StrCat("bad commandstats line for ", command));
    }
    return calls;
  }
  return 0;
}

absl::StatusOr<int64_t> RedisServer::InfoInteger(const std::string& section,
                                                 const std::string& field) {
  absl::StatusOr<std::string> info = Command({"INFO", section});
  if (!info.ok()) return info.status();
  const std::string prefix = absl::StrCat(field, ":");
  for (absl::string_view line : absl::StrSplit(*info, absl::ByAnyChar("\r\n"))) {
    if (!absl::StartsWith(line, prefix)) continue;
    int64_t value = 0;
    if (!absl::SimpleAtoi(line.substr(prefix.size()), &value)) {
      return absl::InternalError(absl::StrCat("INFO ", field, " is not an integer"));
    }
    return value;
  }
  return absl::NotFoundError(absl::StrCat("no ", field, " in INFO ", section));
}

RedisServer* SharedRedisServer() {
  static const std::unique_ptr<RedisServer> server = [] {
    absl::StatusOr<std::unique_ptr<RedisServer>> started = RedisServer::Start();
    if (!started.ok()) {
      ADD_FAILURE() << "cannot start redis-server: " << started.status();
      return std::unique_ptr<RedisServer>();
    }
    return *std::move(started);
  }();
  return server.get();
}

}  // namespace etiquette::testing
