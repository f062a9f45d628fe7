#pragma once

#include <string>

#include "absl/status/status.h"

namespace etiquette {

// Sends the default spdlog logger to stderr as "text" (human-readable) or "json" (one object a
// line: ts, level, msg). `level` is an spdlog level name: trace, debug, info, warn, error,
// critical, off. Callers never pass invitation notes, names or headlines to the logger.
absl::Status ConfigureLogging(const std::string& format, const std::string& level);

}  // namespace etiquette
