#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/health_check_service_interface.h"

namespace etiquette {

// Keeps a server's health in step with a dependency: runs `check` every `interval` on its own
// thread and marks the overall status and each of `names` SERVING while it returns OK,
// NOT_SERVING otherwise. Logs each change. Stops (and joins) on destruction.
class HealthWatcher {
 public:
  HealthWatcher(grpc::HealthCheckServiceInterface* health, std::vector<std::string> names,
                std::function<absl::Status()> check, absl::Duration interval);
  ~HealthWatcher();
  HealthWatcher(const HealthWatcher&) = delete;
  HealthWatcher& operator=(const HealthWatcher&) = delete;

 private:
  void Run();

  grpc::HealthCheckServiceInterface* const health_;
  const std::vector<std::string> names_;
  const std::function<absl::Status()> check_;
  const absl::Duration interval_;
  std::mutex mutex_;
  std::condition_variable stop_requested_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace etiquette
