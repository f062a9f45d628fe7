#include "common/logging.h"

#include <unistd.h>

#include <memory>
#include <utility>

#include "common/access_logger.h"
#include "common/batching_stderr_sink.h"
#include "common/json_log_formatter.h"
#include "common/protobuf_log.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace etiquette {

absl::Status ConfigureLogging(const std::string& format, const std::string& level,
                              spdlog::sink_ptr sink) {
  spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  // from_str answers "off" for any unknown name; only accept "off" when asked for.
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(
        "--log_level: expected one of trace, debug, info, warn, "
        "error, critical, off; got \"" +
        level + "\"");
  }
  if (format != "json" && format != "text") {
    return absl::InvalidArgumentError("--log_format: expected text or json, got \"" + format +
                                      "\"");
  }
  const bool json = format == "json";
  if (sink == nullptr) {
    if (!json && ::isatty(STDERR_FILENO)) {
      sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    } else {
      sink = std::make_shared<BatchingStderrSink>(kAccessLoggerName);
    }
  }
  // The formatter belongs to the sink, which both loggers share.
  if (json) {
    sink->set_formatter(std::make_unique<JsonLogFormatter>(kAccessLoggerName));
  } else {
    sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  auto logger = std::make_shared<spdlog::logger>("", sink);
  logger->set_level(parsed);
  auto access = std::make_shared<spdlog::logger>(kAccessLoggerName, sink);
  access->set_level(parsed);
  SetAccessLogger(std::make_shared<AccessLogger>(
      std::move(access), json ? AccessLogger::Format::kJson : AccessLogger::Format::kText));
  spdlog::set_default_logger(std::move(logger));
  RouteProtobufLogsToSpdlog();
  return absl::OkStatus();
}

absl::Status ConfigureLogging(const std::string& format, const std::string& level) {
  return ConfigureLogging(format, level, nullptr);
}

}  // namespace etiquette
