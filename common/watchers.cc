#include "common/watchers.h"

#include <malloc.h>
#include <sys/stat.h>

#include <tuple>

#include "spdlog/spdlog.h"

namespace etiquette {

PeriodicTask::PeriodicTask(absl::Duration interval, std::function<void()> task)
    : interval_(interval), task_(std::move(task)), thread_([this] {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stopping_) {
          lock.unlock();
          task_();
          lock.lock();
          wake_.wait_for(lock, absl::ToChronoMilliseconds(interval_), [this] { return stopping_; });
        }
      }) {}

PeriodicTask::~PeriodicTask() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::unique_ptr<PeriodicTask> WatchHealth(std::function<absl::Status()> check,
                                          std::function<void(bool)> set_serving,
                                          absl::Duration interval) {
  auto serving = std::make_shared<bool>(true);  // only the task's thread touches it
  return std::make_unique<PeriodicTask>(
      interval, [check = std::move(check), set_serving = std::move(set_serving), serving] {
        const absl::Status status = check();
        if (status.ok() == *serving) return;
        *serving = status.ok();
        set_serving(*serving);
        if (*serving) {
          spdlog::info("dependency is back: SERVING");
        } else {
          spdlog::warn("dependency check failed, NOT_SERVING: {}", status.ToString());
        }
      });
}

std::unique_ptr<PeriodicTask> WatchFile(const std::string& path, absl::Duration interval,
                                        std::function<void()> on_change) {
  using Identity = std::tuple<bool, ino_t, off_t, int64_t, int64_t>;
  auto identity = [path]() -> Identity {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return {false, 0, 0, 0, 0};
    return {true, st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
  };
  auto last = std::make_shared<Identity>(identity());  // only the task's thread touches it
  return std::make_unique<PeriodicTask>(interval,
                                        [identity, last, on_change = std::move(on_change)] {
                                          const Identity now = identity();
                                          if (now == *last) return;
                                          *last = now;
                                          on_change();
                                        });
}

void ReleaseFreeMemory() { malloc_trim(0); }

std::unique_ptr<PeriodicTask> ReleaseFreeMemoryEvery(absl::Duration interval) {
  return std::make_unique<PeriodicTask>(interval, [] { ReleaseFreeMemory(); });
}

}  // namespace etiquette
