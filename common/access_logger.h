#pragma once

// The access log: one line per served call (the audit trail), on its own spdlog logger.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "spdlog/logger.h"

namespace etiquette {

// The access logger's spdlog name: sinks and formatters tell its lines apart by it
// (BatchingStderrSink lets them wait, JsonLogFormatter writes their members as the line's own).
inline constexpr char kAccessLoggerName[] = "access";

// A field of an access line after the common ones: a service's own id or number.
struct AccessField {
  static AccessField Text(std::string name, std::string value) {
    return {std::move(name), std::move(value), /*quoted=*/true};
  }
  static AccessField Number(std::string name, int64_t value) {
    return {std::move(name), std::to_string(value), /*quoted=*/false};
  }

  std::string name;   // [a-z_]+, written as is
  std::string value;  // Text: escaped when written; Number: decimal digits
  bool quoted = true;
};

// One served call. Only ids, codes and numbers: never notes, names, headlines, summaries,
// company or group names, admin tokens.
struct AccessRecord {
  std::string method;  // "Evaluate"
  std::string code;    // gRPC code name: "OK", "INVALID_ARGUMENT", ...
  int64_t duration_us = 0;
  std::string request_id;           // empty: not logged
  std::vector<AccessField> fields;  // logged after the others, in this order
};

// Writes AccessRecords at info level on an spdlog logger of their own (named
// kAccessLoggerName; its level silences them as any logger's does). JSON format: the line's
// payload is the JSON members "msg":"rpc","method":"Evaluate","code":"OK","duration_us":123,
// "request_id":"...",<fields> for JsonLogFormatter to put after ts and level; text format:
// "rpc method=Evaluate code=OK duration_us=123 request_id=... <name>=<value>...", bytes outside
// [A-Za-z0-9._:-] in the text values written as \xNN, so a value can never forge a field.
class AccessLogger {
 public:
  enum class Format { kText, kJson };

  AccessLogger(std::shared_ptr<spdlog::logger> logger, Format format)
      : logger_(std::move(logger)), format_(format) {}

  void Log(const AccessRecord& record) const;

 private:
  const std::shared_ptr<spdlog::logger> logger_;
  const Format format_;
};

// Makes `logger` the process's access logger (ConfigureLogging does). Like
// spdlog::set_default_logger: not while other threads log.
void SetAccessLogger(std::shared_ptr<AccessLogger> logger);

// Logs `record` on the process's access logger. Before any SetAccessLogger: in text format on
// the default logger's sinks.
void LogAccess(const AccessRecord& record);

}  // namespace etiquette
