#include "common/config_metrics.h"

#include <utility>

namespace etiquette {

ConfigMetrics::ConfigMetrics(std::shared_ptr<prometheus::Registry> registry,
                             std::string version_label)
    : registry_(std::move(registry)),
      version_label_(std::move(version_label)),
      reloads_ok_(prometheus::BuildCounter()
                      .Name("etiquette_config_reloads_total")
                      .Help("Config reload attempts by result (ok, failed: the last good config "
                            "stays).")
                      .Register(*registry_)
                      .Add({{"result", "ok"}})),
      reloads_failed_(prometheus::BuildCounter()
                          .Name("etiquette_config_reloads_total")
                          .Help("Config reload attempts by result (ok, failed: the last good "
                                "config stays).")
                          .Register(*registry_)
                          .Add({{"result", "failed"}})),
      info_(prometheus::BuildGauge()
                .Name("etiquette_config_info")
                .Help("The active config's version: 1 for the active one only.")
                .Register(*registry_)) {}

void ConfigMetrics::SetActiveVersion(const std::string& version) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (active_ != nullptr && version == active_version_) return;
  if (active_ != nullptr) info_.Remove(active_);
  active_ = &info_.Add({{version_label_, version}});
  active_->Set(1);
  active_version_ = version;
}

void ConfigMetrics::RecordReload(bool ok, const std::string& version) {
  if (!ok) {
    reloads_failed_.Increment();
    return;
  }
  reloads_ok_.Increment();
  SetActiveVersion(version);
}

}  // namespace etiquette
