#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace etiquette {

// Runs `task` on its own thread now and then every `interval` until destroyed; the destructor
// wakes the thread and joins it (a running task finishes first).
class PeriodicTask {
 public:
  PeriodicTask(absl::Duration interval, std::function<void()> task);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  const absl::Duration interval_;
  const std::function<void()> task_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// Keeps a server's health in step with a dependency: runs `check` every `interval` and calls
// `set_serving` with its outcome whenever that changes (the server starts SERVING). Logs each
// change.
std::unique_ptr<PeriodicTask> WatchHealth(std::function<absl::Status()> check,
                                          std::function<void(bool)> set_serving,
                                          absl::Duration interval);

// Calls `on_change` whenever the file at `path` changes: another inode, size or modification
// time, following symlinks, so that a Kubernetes ConfigMap update (a symlink swap) counts.
// Polls every `interval`.
std::unique_ptr<PeriodicTask> WatchFile(const std::string& path, absl::Duration interval,
                                        std::function<void()> on_change);

// Hands the memory glibc's allocator keeps after a burst of calls back to the kernel
// (malloc_trim), so that resident memory follows the load down again instead of staying at the
// burst's high-water mark.
void ReleaseFreeMemory();

// ReleaseFreeMemory every `interval`.
std::unique_ptr<PeriodicTask> ReleaseFreeMemoryEvery(absl::Duration interval);

}  // namespace etiquette
