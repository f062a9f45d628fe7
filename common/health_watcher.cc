#include "common/health_watcher.h"

#include <chrono>

#include "spdlog/spdlog.h"

namespace etiquette {

HealthWatcher::HealthWatcher(grpc::HealthCheckServiceInterface* health,
                             std::vector<std::string> names, std::function<absl::Status()> check,
                             absl::Duration interval)
    : health_(health),
      names_(std::move(names)),
      check_(std::move(check)),
      interval_(interval),
      thread_([this] { Run(); }) {}

HealthWatcher::~HealthWatcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  stop_requested_.notify_all();
  thread_.join();
}

void HealthWatcher::Run() {
  bool serving = true;  // the server starts SERVING
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    const absl::Status status = check_();
    lock.lock();
    if (stopping_) break;
    if (status.ok() != serving) {
      serving = status.ok();
      health_->SetServingStatus(serving);
      for (const std::string& name : names_) health_->SetServingStatus(name, serving);
      if (serving) {
        spdlog::info("dependency is back: SERVING");
      } else {
        spdlog::warn("dependency check failed, NOT_SERVING: {}", std::string(status.message()));
      }
    }
    stop_requested_.wait_for(lock, absl::ToChronoMilliseconds(interval_),
                             [this] { return stopping_; });
  }
}

}  // namespace etiquette
