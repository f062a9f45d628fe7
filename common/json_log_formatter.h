#pragma once

// The spdlog formatter of --log_format=json: one JSON object a line.

#include <chrono>
#include <memory>
#include <string>

#include "spdlog/formatter.h"

namespace etiquette {

// Formats each line as {"ts":"2024-05-01T12:00:00.123456Z","level":"info","msg":"..."} (UTC,
// microseconds; the message escaped as a JSON string). The lines of the logger named
// `members_logger_name` (the access logger) carry their own members instead of a message:
// their payload ("\"msg\":\"rpc\",\"method\":\"Evaluate\",...") is written as is after
// "level". Not thread-safe: spdlog sinks format under their own lock.
class JsonLogFormatter final : public spdlog::formatter {
 public:
  explicit JsonLogFormatter(std::string members_logger_name);

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;

 private:
  const std::string members_logger_name_;
  // "YYYY-MM-DDTHH:MM:SS" of cached_second_: one gmtime a second, not one a line.
  std::chrono::seconds cached_second_{-1};
  std::string cached_prefix_;
};

}  // namespace etiquette
