#include "history/admin_auth.h"

#include <openssl/crypto.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace etiquette {

absl::Status CheckAdminAuthorization(const std::optional<std::string>& token,
                                     const std::optional<absl::string_view>& authorization) {
  if (!token.has_value() || token->empty()) {
    return absl::PermissionDeniedError(
        "admin calls are disabled: the service runs without --admin_token_file");
  }
  if (!authorization.has_value()) {
    return absl::UnauthenticatedError("missing \"authorization: Bearer <token>\" metadata");
  }
  constexpr absl::string_view kScheme = "Bearer ";
  absl::string_view presented = absl::StripAsciiWhitespace(*authorization);
  if (!absl::StartsWithIgnoreCase(presented, kScheme)) {
    return absl::UnauthenticatedError("authorization must be \"Bearer <token>\"");
  }
  presented.remove_prefix(kScheme.size());
  presented = absl::StripAsciiWhitespace(presented);
  // CRYPTO_memcmp's time does not depend on where the bytes differ; only lengths leak.
  if (presented.size() != token->size() ||
      CRYPTO_memcmp(presented.data(), token->data(), token->size()) != 0) {
    return absl::UnauthenticatedError("invalid admin token");
  }
  return absl::OkStatus();
}

}  // namespace etiquette
