#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace etiquette::testing {

// A child process for tests: fork/exec, stdout and stderr appended to a log file, in its own
// process group, killed (SIGKILL) when the test process dies. The destructor SIGKILLs the
// group and reaps the child.
class ChildProcess {
 public:
  // `argv[0]` is the program's path (no PATH search).
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(std::vector<std::string> argv,
                                                             const std::string& log_path);
  ~ChildProcess();

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // Sends `sig` to the process (FAILED_PRECONDITION once it was reaped).
  absl::Status Signal(int sig);

  // The exit code, or 128 + the signal that ended it. DEADLINE_EXCEEDED while it still runs
  // after `timeout`. Polls; the result is remembered.
  absl::StatusOr<int> WaitForExit(absl::Duration timeout);

  // False once the process ended (reaps it).
  bool Running();

  // The first complete line of the log containing `substring`. Polls the file every 10 ms;
  // FAILED_PRECONDITION as soon as the process exited without such a line, DEADLINE_EXCEEDED
  // after `timeout`.
  absl::StatusOr<std::string> WaitForLogLine(const std::string& substring, absl::Duration timeout);

 private:
  ChildProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  // Reaps without blocking; true when the process has ended.
  bool Reap();
  std::optional<std::string> FindLine(const std::string& substring, bool include_partial) const;

  const pid_t pid_;
  const std::string log_path_;
  std::optional<int> exit_code_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
// -1 when no socket could be bound.
int FreeTcpPort();

}  // namespace etiquette::testing
