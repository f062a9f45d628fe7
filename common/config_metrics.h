#pragma once

// Config loading, for both services:
//   etiquette_config_reloads_total{result}                                    counter
//   etiquette_config_info{rules_version} (evaluator) / {version} (history)    gauge, 1

#include <memory>
#include <mutex>
#include <string>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace etiquette {

// etiquette_config_reloads_total{result="ok"|"failed"} and
// etiquette_config_info{<version_label>="<version>"} = 1 for the active version only. Keeps
// the registry alive; thread-safe.
class ConfigMetrics {
 public:
  // `version_label`: "rules_version" (evaluator) or "version" (history).
  ConfigMetrics(std::shared_ptr<prometheus::Registry> registry, std::string version_label);

  // The active config, without counting a reload (start-up). The previous version's series is
  // removed.
  void SetActiveVersion(const std::string& version);
  // A reload attempt. ok: counts result="ok" and makes `version` the active one. Failed:
  // counts result="failed"; the last good version stays active (`version` is ignored).
  void RecordReload(bool ok, const std::string& version);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  const std::string version_label_;
  prometheus::Counter& reloads_ok_;
  prometheus::Counter& reloads_failed_;
  prometheus::Family<prometheus::Gauge>& info_;
  std::mutex mutex_;
  prometheus::Gauge* active_ = nullptr;  // guarded by mutex_
  std::string active_version_;           // guarded by mutex_
};

}  // namespace etiquette
