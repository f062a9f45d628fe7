#pragma once

// protobuf's own log lines (GOOGLE_LOG: a string field that is not UTF-8 when a request is
// parsed, a message too large to serialize, ...) go to the default spdlog logger, at the
// matching level, in the process's log format, instead of raw "[libprotobuf ERROR ...]" lines
// on stderr.

#include <string>

#include "google/protobuf/stubs/logging.h"

namespace etiquette {

// What a protobuf log line becomes: "protobuf: <message> (<file>:<line>)", with every byte
// outside printable ASCII replaced by '?' and the message cut at kMaxProtobufLogBytes. protobuf
// names types and fields in its messages, never field values; the replacement and the cut keep
// a value it might quote (and bytes that are not UTF-8) from reaching the log whole.
inline constexpr size_t kMaxProtobufLogBytes = 256;
std::string ProtobufLogLine(const char* filename, int line, const std::string& message);

// Installs the handler (google::protobuf::SetLogHandler); ConfigureLogging calls it. FATAL
// lines are logged as critical (protobuf aborts after them).
void RouteProtobufLogsToSpdlog();

}  // namespace etiquette
