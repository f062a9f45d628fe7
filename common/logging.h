#pragma once

// The process's logging: the default spdlog logger and the access logger (common/
// access_logger.h), both on the same sink so that their lines stay in order.

#include <string>

#include "absl/status/status.h"
#include "spdlog/common.h"

namespace etiquette {

// Sends the default spdlog logger and the access logger to stderr as "text" (human-readable)
// or "json" (one object a line: ts, level, msg, plus the access fields of access lines; see
// JsonLogFormatter). `level` is an spdlog level name: trace, debug, info, warn, error,
// critical, off; it applies to both loggers. Callers never pass invitation notes, names or
// headlines to the logger. Access lines reach stderr within 100 ms, in batches; every other
// line at once (BatchingStderrSink; a terminal gets every line at once, in color). protobuf's own
// log lines go to the default logger too (RouteProtobufLogsToSpdlog, common/protobuf_log.h).
absl::Status ConfigureLogging(const std::string& format, const std::string& level);

// The same, writing to `sink` instead of stderr (tests capture the output this way).
absl::Status ConfigureLogging(const std::string& format, const std::string& level,
                              spdlog::sink_ptr sink);

}  // namespace etiquette
