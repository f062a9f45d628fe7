#pragma once

// Shared by the fault tests (tests/faults/): starting the real binaries on loopback, reading
// resident memory, and summarising call timings. Header only.

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "support/child_process.h"

#ifndef ETIQUETTE_HISTORY_BINARY
#error "ETIQUETTE_HISTORY_BINARY must be defined (tests/CMakeLists.txt)"
#endif
#ifndef ETIQUETTE_EVALUATOR_BINARY
#error "ETIQUETTE_EVALUATOR_BINARY must be defined (tests/CMakeLists.txt)"
#endif

namespace etiquette::faults {

using testing::ChildProcess;

// How long a binary may take to log its port (the machine may be busy building).
inline constexpr absl::Duration kStartup = absl::Seconds(30);

// A fresh directory under /tmp (the logs of the servers a test starts), removed with
// everything in it by the destructor, unless ETIQUETTE_FAULTS_KEEP_DIR=1.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix) {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    if (path_.empty()) return;
    if (const char* keep = std::getenv("ETIQUETTE_FAULTS_KEEP_DIR");
        keep != nullptr && std::string(keep) == "1") {
      std::cerr << "kept " << path_ << " (ETIQUETTE_FAULTS_KEEP_DIR=1)\n";
      return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The last `max_bytes` of a log, to explain a failure.
inline std::string LogTail(const std::string& path, size_t max_bytes = 4000) {
  const std::string text = ReadFile(path);
  return text.size() <= max_bytes ? text : text.substr(text.size() - max_bytes);
}

// A server started by the tests, the gRPC port it logged as "(port N)" and history's admin
// port ("admin port N"; 0 without an admin listener).
struct Server {
  std::unique_ptr<ChildProcess> process;
  int port = 0;
  int admin_port = 0;
};

// Starts `argv` with its log at `log_path` and waits for its "(port N)" line.
inline absl::StatusOr<Server> StartServer(std::vector<std::string> argv,
                                          const std::string& log_path) {
  absl::StatusOr<std::unique_ptr<ChildProcess>> process =
      ChildProcess::Start(std::move(argv), log_path);
  if (!process.ok()) return process.status();
  absl::StatusOr<std::string> line = (*process)->WaitForLogLine("(port ", kStartup);
  if (!line.ok()) {
    return absl::Status(line.status().code(),
                        absl::StrCat(line.status().message(), "\n", LogTail(log_path)));
  }
  int port = 0;
  const std::string digits = line->substr(line->find("(port ") + 6);
  if (!absl::SimpleAtoi(digits.substr(0, digits.find(')')), &port) || port <= 0) {
    return absl::InternalError("no port in: " + *line);
  }
  int admin_port = 0;
  if (const size_t at = line->find("admin port "); at != std::string::npos) {
    const std::string admin = line->substr(at + 11);
    if (!absl::SimpleAtoi(admin.substr(0, admin.find(',')), &admin_port)) {
      return absl::InternalError("no admin port in: " + *line);
    }
  }
  return Server{*std::move(process), port, admin_port};
}

// etiquette-history on 127.0.0.1:`port` (0: any free port) in front of `redis_url`, with the
// HMAC secret at dir/hmac_secret (written here), every Redis read bounded by `redis_timeout_ms`
// and every write by `redis_write_timeout_ms` (defaults: as deployed). Its log is
// dir/<log_name>.
inline absl::StatusOr<Server> StartHistory(const std::string& dir, const std::string& redis_url,
                                           int port, const std::string& log_name,
                                           int redis_timeout_ms = 100,
                                           int redis_write_timeout_ms = 2000) {
  const std::string secret = dir + "/hmac_secret";
  if (!std::filesystem::exists(secret)) {
    std::ofstream(secret) << "fault-tests-hmac-secret-0123456789\n";
  }
  return StartServer({ETIQUETTE_HISTORY_BINARY, absl::StrCat("--listen=127.0.0.1:", port),
                      "--metrics_listen=127.0.0.1:0", "--redis=" + redis_url,
                      absl::StrCat("--redis_timeout_ms=", redis_timeout_ms),
                      absl::StrCat("--redis_write_timeout_ms=", redis_write_timeout_ms),
                      "--hmac_secret_file=" + secret, "--admin_listen="},
                     dir + "/" + log_name);
}

// etiquette-evaluator on a free port, wired to history at 127.0.0.1:`history_port` with a
// deadline of `history_timeout_ms` per history call (fail open, the default).
inline absl::StatusOr<Server> StartEvaluator(const std::string& dir, int history_port,
                                             const std::string& log_name,
                                             int history_timeout_ms = 50) {
  return StartServer(
      {ETIQUETTE_EVALUATOR_BINARY, "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
       absl::StrCat("--history=127.0.0.1:", history_port),
       absl::StrCat("--history_timeout_ms=", history_timeout_ms)},
      dir + "/" + log_name);
}

// A numeric field of /proc/<pid>/status ("VmRSS" in KiB, "Threads", ...).
inline absl::StatusOr<int64_t> ProcStatusNumber(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  if (!in) return absl::NotFoundError(absl::StrCat("no /proc/", pid, "/status"));
  const std::string prefix = field + ":";
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::istringstream fields(line.substr(prefix.size()));
    int64_t value = 0;
    if (fields >> value) return value;
  }
  return absl::NotFoundError(absl::StrCat("no ", field, " for ", pid));
}

// CPU time (user + system) `pid` has used so far, in seconds; -1 when unknown.
inline double CpuSeconds(pid_t pid) {
  const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));  // from field 3 (state) on
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::atoll(field.c_str());
    if (i == 15) stime = std::atoll(field.c_str());
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// CPU time the whole machine spent busy (all but idle and iowait), in seconds.
inline double MachineBusySeconds() {
  std::istringstream line(ReadFile("/proc/stat"));
  std::string cpu;
  line >> cpu;  // "cpu": the sum over all cores
  long long value = 0, busy = 0;
  for (int i = 0; i < 8 && line >> value; ++i) {
    if (i != 3 && i != 4) busy += value;  // user nice system [idle iowait] irq softirq steal
  }
  return static_cast<double>(busy) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// VmRSS of `pid` in KiB.
inline absl::StatusOr<int64_t> ResidentKib(pid_t pid) { return ProcStatusNumber(pid, "VmRSS"); }

// The lines of a log that are not "info" access lines, grouped: each distinct text (after the
// timestamp, with request ids and invitation ids cut off) with how often it occurs.
inline std::string NonInfoSummary(const std::string& path, int max_kinds = 20) {
  std::ifstream in(path);
  std::string line;
  std::vector<std::pair<std::string, int>> kinds;
  while (std::getline(in, line)) {
    if (line.find(" info ") != std::string::npos) continue;
    std::string text = line.substr(std::min(line.size(), line.find(' ') + 1));
    for (const char* cut : {"request_id=", "invitation_id=", "sender_id="}) {
      const size_t at = text.find(cut);
      if (at == std::string::npos) continue;
      const size_t end = text.find(' ', at);
      text.erase(at, end == std::string::npos ? std::string::npos : end - at);
    }
    auto it = std::find_if(kinds.begin(), kinds.end(),
                           [&](const auto& kind) { return kind.first == text; });
    if (it != kinds.end()) {
      ++it->second;
    } else if (static_cast<int>(kinds.size()) < max_kinds) {
      kinds.emplace_back(text, 1);
    }
  }
  std::string out;
  for (const auto& [text, count] : kinds) out += absl::StrCat(count, " x ", text, "\n");
  return out;
}

// A client deadline `d` from now.
inline void SetDeadline(grpc::ClientContext& context, absl::Duration d) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + d));
}

inline double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

// The q-quantile (0..1) of `values` (sorted in place); 0 when empty.
inline double Quantile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(q * (values.size() - 1) + 0.5));
  return values[at];
}

// One line of figures, prefixed so that they are easy to find in ctest's output.
inline void PrintFigures(const std::string& test, const std::string& figures) {
  std::cout << "[figures] " << test << ": " << figures << std::endl;
}

}  // namespace etiquette::faults
