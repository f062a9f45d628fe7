#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/support/child_process.h"

struct redisContext;  // hiredis

struct redisReply;  // hiredis

namespace etiquette::testing {

// Appends a hiredis reply as text: strings as they are, integers in decimal, nil as "(nil)",
// arrays one element a line. An error reply is INTERNAL with its message.
absl::Status AppendReplyText(const redisReply* reply, std::string* out);

// A private redis-server (REDIS_SERVER_BINARY) for one test binary or test: loopback, a free
// port, a fresh temp dir, no RDB snapshots, an append-only file with appendfsync always (so
// that whatever Redis acknowledged survives a SIGKILL). The destructor kills it and removes
// the dir.
// How a RedisServer starts (all optional).
struct RedisServerOptions {
  // --aclfile: Redis's users from this file. Command then needs a user of it: set `user` and
  // `password` (one allowed to PING, FLUSHALL and INFO).
  std::string acl_file;
  std::string user;
  std::string password;
  // TLS only (--port 0, --tls-port on the free port) with these PEM files, when tls_cert is
  // set; no client certificates asked. hiredis 0.14 has no TLS: Command, FlushAll and the
  // readiness PING are unavailable (the server counts as started once it logs that it is
  // ready); reach it through a TLS client (stunnel, redis-cli --tls).
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
};

class RedisServer {
 public:
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(RedisServerOptions options = {});
  ~RedisServer();

  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const;  // "redis://127.0.0.1:PORT"
  const std::string& dir() const { return dir_; }
  bool running() const { return process_ != nullptr; }

  // SIGKILL, then reap: no shutdown, no final fsync beyond what appendfsync always did.
  absl::Status Kill();
  // Starts it again on the same port and dir (it reloads the append-only file); waits for PING.
  absl::Status Restart();
  // SIGSTOP / SIGCONT: a server that accepts connections but never answers.
  absl::Status Pause();
  absl::Status Resume();

  // The password Command sends with AUTH first (after a CONFIG SET requirepass); "" for none.
  void set_password(std::string password) { password_ = std::move(password); }
  // The ACL user Command authenticates as (AUTH user password); "" for the default user.
  void set_user(std::string user) { user_ = std::move(user); }

  absl::Status FlushAll();
  // One command, on the server's own persistent connection (reopened when the server closed
  // it), so that measuring adds no connects and closes to the server's statistics. The reply as
  // text: strings as they are, integers in decimal, arrays joined by "\n", nil as "(nil)"; an error
  // reply is INTERNAL.
  absl::StatusOr<std::string> Command(const std::vector<std::string>& args);
  // `calls` of `command` (lower case, e.g. "evalsha") in INFO commandstats; 0 if absent.
  absl::StatusOr<int64_t> CommandCalls(const std::string& command);
  // An integer field of INFO `section`, e.g. ("stats", "total_commands_processed").
  absl::StatusOr<int64_t> InfoInteger(const std::string& section, const std::string& field);

 private:
  RedisServer(int port, std::string dir, RedisServerOptions options)
      : port_(port), dir_(std::move(dir)), options_(std::move(options)) {
    user_ = options_.user;
    password_ = options_.password;
  }
  // Starts the process and waits until it answers PING.
  absl::Status Launch();
  absl::Status WaitForPing();

  const int port_;
  const std::string dir_;
  const RedisServerOptions options_;
  std::unique_ptr<ChildProcess> process_;
  // Closes the persistent connection (the server died or the password changed).
  void Disconnect();

  std::string user_;
  std::string password_;
  redisContext* connection_ = nullptr;
  int launches_ = 0;  // one log file per launch: redis-1.log, redis-2.log, ...
};

// One redis-server for the whole test binary, started on first use and killed at exit (static
// destruction); null, with a test failure, when it cannot start. Its users keep to their own
// keys or flush it.
RedisServer* SharedRedisServer();

}  // namespace etiquette::testing
