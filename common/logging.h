#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "spdlog/common.h"

namespace etiquette {

// Sends the default spdlog logger to stderr as "text" (human-readable) or "json" (one object a
// line: ts, level, msg, plus the access fields of LogAccess lines). `level` is an spdlog level
// name: trace, debug, info, warn, error, critical, off. Callers never pass invitation notes,
// names or headlines to the logger. Access lines (LogAccess) reach stderr within 100 ms, in
// batches; every other line at once (a terminal gets every line at once, in color).
absl::Status ConfigureLogging(const std::string& format, const std::string& level);

// The same, writing to `sink` instead of stderr (tests capture the output this way).
absl::Status ConfigureLogging(const std::string& format, const std::string& level,
                              spdlog::sink_ptr sink);

// One served call: the audit trail. Only ids, codes and numbers: never notes, names, headlines,
// summaries, company or group names, admin tokens.
struct AccessRecord {
  std::string method;  // "Evaluate"
  std::string code;    // gRPC code name: "OK", "INVALID_ARGUMENT", ...
  int64_t duration_us = 0;
  std::string request_id;     // empty: not logged
  std::string invitation_id;  // empty: not logged (none, or it failed validation)
  int64_t batch_size = -1;    // < 0: not logged (not a batch call)
};

// Logs `record` at info level on the default logger. JSON format: the access fields are fields
// of the line's object, {"ts":...,"level":"info","msg":"rpc","method":"Evaluate","code":"OK",
// "duration_us":123,"request_id":"...","invitation_id":"..."}; text format:
// "rpc method=Evaluate code=OK duration_us=123 request_id=... invitation_id=...". Bytes outside
// [A-Za-z0-9._:-] in the text values are written as \xNN, so a value can never forge a field.
void LogAccess(const AccessRecord& record);

}  // namespace etiquette
