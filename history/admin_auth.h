#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace etiquette {

// Checks an admin call's "authorization" metadata against the configured token.
// - no token configured (`token` empty): PERMISSION_DENIED, admin calls are disabled;
// - header missing, not "Bearer <token>", or another token: UNAUTHENTICATED.
// The comparison takes the same time wherever the tokens differ.
absl::Status CheckAdminAuthorization(const std::optional<std::string>& token,
                                     const std::optional<absl::string_view>& authorization);

}  // namespace etiquette
