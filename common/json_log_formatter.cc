#include "common/json_log_formatter.h"

#include <cstdint>
#include <ctime>
#include <utility>

#include "absl/strings/string_view.h"
#include "common/json_escape.h"
#include "spdlog/details/log_msg.h"
#include "spdlog/details/os.h"

namespace etiquette {
namespace {

void Append(absl::string_view text, spdlog::memory_buf_t& dest) {
  dest.append(text.data(), text.data() + text.size());
}

}  // namespace

JsonLogFormatter::JsonLogFormatter(std::string members_logger_name)
    : members_logger_name_(std::move(members_logger_name)) {}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const auto since_epoch = msg.time.time_since_epoch();
  const auto second = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  if (second != cached_second_) {
    const std::tm tm = spdlog::details::os::gmtime(static_cast<std::time_t>(second.count()));
    char text[64];
    const size_t size = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
    cached_prefix_.assign(text, size);
    cached_second_ = second;
  }
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch) -
                      std::chrono::duration_cast<std::chrono::microseconds>(second);
  // ".uuuuuu": always 0 to 999999.
  char fraction[7] = {'.'};
  int64_t digits = micros.count();
  for (int i = 6; i >= 1; --i, digits /= 10) fraction[i] = static_cast<char>('0' + digits % 10);

  Append("{\"ts\":\"", dest);
  Append(cached_prefix_, dest);
  Append(absl::string_view(fraction, sizeof(fraction)), dest);
  Append("Z\",\"level\":\"", dest);
  const spdlog::string_view_t level = spdlog::level::to_string_view(msg.level);
  dest.append(level.data(), level.data() + level.size());
  const absl::string_view payload(msg.payload.data(), msg.payload.size());
  if (absl::string_view(msg.logger_name.data(), msg.logger_name.size()) == members_logger_name_) {
    Append("\",", dest);
    Append(payload, dest);
  } else {
    Append("\",\"msg\":\"", dest);
    AppendJsonEscaped(payload, dest);
    dest.push_back('"');
  }
  dest.push_back('}');
  Append(spdlog::details::os::default_eol, dest);
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>(members_logger_name_);
}

}  // namespace etiquette
