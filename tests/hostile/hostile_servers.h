#pragma once

// What the hostile suites share: the real binaries started on loopback with their deployed
// limits, a fresh connection per channel, raw calls, and what /proc says of a server process.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"
#include "gtest/gtest.h"
#include "support/child_process.h"
#include "support/redis_server.h"

namespace etiquette::hostile {

// A server process' resources, from /proc/PID/stat and /proc/PID/status.
struct ProcessUsage {
  int64_t cpu_us = 0;        // user + system CPU time so far
  int64_t peak_rss_kib = 0;  // VmHWM: the resident set's high-water mark
  int threads = 0;
};
ProcessUsage UsageOf(pid_t pid);

std::string ReadFile(const std::string& path);
std::chrono::system_clock::time_point In(absl::Duration d);

// A plain TCP connection to 127.0.0.1:`port` that sends nothing; -1 on failure.
int ConnectSilently(int port);

// A channel on a connection of its own (channels with different arguments share none).
std::shared_ptr<grpc::Channel> NewConnection(int port);

// One unary call of `method` ("/package.Service/Method") with `request` sent as is, on a
// connection of its own; the response's bytes into `response` when not null.
grpc::Status CallRaw(int port, const std::string& method, const std::string& request,
                     absl::Duration deadline, std::string* response = nullptr);

// Starts the real binaries on 127.0.0.1 port 0 (history on a real redis-server the fixture
// starts), each with its log in a temporary directory; everything is stopped at the end.
class ServersTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // The evaluator, standalone, with `flags` after the defaults; sets `port` once it serves.
  testing::ChildProcess* StartEvaluator(std::vector<std::string> flags, int* port);
  // History on the fixture's Redis, with `flags` after the defaults.
  testing::ChildProcess* StartHistory(std::vector<std::string> flags, int* port);

  std::string dir_;
  std::unique_ptr<testing::RedisServer> redis_;
  std::vector<std::unique_ptr<testing::ChildProcess>> processes_;
  std::vector<std::string> startup_lines_;

 private:
  testing::ChildProcess* Start(const std::string& name, std::vector<std::string> argv, int* port);
};

}  // namespace etiquette::hostile
