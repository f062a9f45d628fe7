#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace etiquette {

inline constexpr size_t kMaxInvitationIdBytes = 128;
inline constexpr size_t kMaxMemberIdBytes = 64;

// Checks an id against the contract shared by both services: 1 to `max_bytes` bytes of
// [A-Za-z0-9._:-]. The charset keeps every id inside its own storage keys and out of log
// injection. On failure appends "<path>: <reason>" to `errors`.
void CheckId(absl::string_view id, size_t max_bytes, absl::string_view path,
             std::vector<std::string>* errors);

}  // namespace etiquette
