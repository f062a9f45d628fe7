#include "common/access_logger.h"

#include <atomic>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/json_escape.h"
#include "spdlog/spdlog.h"

namespace etiquette {
namespace {

bool IsSafeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

// " key=value", with bytes outside the id charset as \xNN.
void AppendTextField(absl::string_view key, absl::string_view value, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  absl::StrAppend(out, " ", key, "=");
  for (char c : value) {
    if (IsSafeChar(c)) {
      out->push_back(c);
    } else {
      const unsigned char byte = static_cast<unsigned char>(c);
      const char escaped[] = {'\\', 'x', kHex[byte >> 4], kHex[byte & 0xf]};
      out->append(escaped, sizeof(escaped));
    }
  }
}

// ,"key":"value"
void AppendJsonField(absl::string_view key, absl::string_view value, std::string* out) {
  absl::StrAppend(out, ",\"", key, "\":\"");
  AppendJsonEscaped(value, *out);
  out->push_back('"');
}

std::string JsonMembers(const AccessRecord& record) {
  std::string members = "\"msg\":\"rpc\"";
  AppendJsonField("method", record.method, &members);
  AppendJsonField("code", record.code, &members);
  absl::StrAppend(&members, ",\"duration_us\":", record.duration_us);
  if (!record.request_id.empty()) AppendJsonField("request_id", record.request_id, &members);
  for (const AccessField& field : record.fields) {
    if (field.quoted) {
      AppendJsonField(field.name, field.value, &members);
    } else {
      absl::StrAppend(&members, ",\"", field.name, "\":", field.value);
    }
  }
  return members;
}

std::string TextLine(const AccessRecord& record) {
  std::string line = "rpc";
  AppendTextField("method", record.method, &line);
  AppendTextField("code", record.code, &line);
  absl::StrAppend(&line, " duration_us=", record.duration_us);
  if (!record.request_id.empty()) AppendTextField("request_id", record.request_id, &line);
  for (const AccessField& field : record.fields) {
    if (field.quoted) {
      AppendTextField(field.name, field.value, &line);
    } else {
      absl::StrAppend(&line, " ", field.name, "=", field.value);
    }
  }
  return line;
}

// The process's access logger: `owner` keeps it, `current` is read without a lock.
struct Installed {
  std::mutex mutex;
  std::shared_ptr<AccessLogger> owner;  // guarded by mutex
  std::atomic<AccessLogger*> current{nullptr};
};

Installed& TheInstalled() {
  static auto* installed = new Installed;
  return *installed;
}

// Text lines on the default logger's sinks, until ConfigureLogging sets one.
AccessLogger& CurrentAccessLogger() {
  Installed& installed = TheInstalled();
  if (AccessLogger* logger = installed.current.load(std::memory_order_acquire)) return *logger;
  std::lock_guard<std::mutex> lock(installed.mutex);
  if (installed.owner == nullptr) {
    const spdlog::logger& fallback = *spdlog::default_logger_raw();
    auto logger = std::make_shared<spdlog::logger>(kAccessLoggerName, fallback.sinks().begin(),
                                                   fallback.sinks().end());
    logger->set_level(fallback.level());
    installed.owner =
        std::make_shared<AccessLogger>(std::move(logger), AccessLogger::Format::kText);
    installed.current.store(installed.owner.get(), std::memory_order_release);
  }
  return *installed.owner;
}

}  // namespace

void AccessLogger::Log(const AccessRecord& record) const {
  if (!logger_->should_log(spdlog::level::info)) return;
  const std::string payload = format_ == Format::kJson ? JsonMembers(record) : TextLine(record);
  logger_->log(spdlog::level::info, spdlog::string_view_t(payload.data(), payload.size()));
}

void SetAccessLogger(std::shared_ptr<AccessLogger> logger) {
  Installed& installed = TheInstalled();
  std::lock_guard<std::mutex> lock(installed.mutex);
  installed.current.store(logger.get(), std::memory_order_release);
  installed.owner = std::move(logger);
}

void LogAccess(const AccessRecord& record) { CurrentAccessLogger().Log(record); }

}  // namespace etiquette
