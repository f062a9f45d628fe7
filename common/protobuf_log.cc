#include "common/protobuf_log.h"

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace etiquette {
namespace {

spdlog::level::level_enum SpdlogLevel(google::protobuf::LogLevel level) {
  switch (level) {
    case google::protobuf::LOGLEVEL_INFO:
      return spdlog::level::info;
    case google::protobuf::LOGLEVEL_WARNING:
      return spdlog::level::warn;
    case google::protobuf::LOGLEVEL_ERROR:
      return spdlog::level::err;
    case google::protobuf::LOGLEVEL_FATAL:
      return spdlog::level::critical;
  }
  return spdlog::level::err;
}

void Handle(google::protobuf::LogLevel level, const char* filename, int line,
            const std::string& message) {
  spdlog::log(SpdlogLevel(level), "{}", ProtobufLogLine(filename, line, message));
}

}  // namespace

std::string ProtobufLogLine(const char* filename, int line, const std::string& message) {
  std::string text = message.substr(0, kMaxProtobufLogBytes);
  for (char& c : text) {
    if (c < 0x20 || c > 0x7e) c = '?';  // char may be signed: bytes >= 0x80 are negative
  }
  if (message.size() > kMaxProtobufLogBytes) text += "...";
  return absl::StrCat("protobuf: ", text, " (", filename == nullptr ? "?" : filename, ":", line,
                      ")");
}

void RouteProtobufLogsToSpdlog() { google::protobuf::SetLogHandler(&Handle); }

}  // namespace etiquette
