#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace etiquette {

// The content of a secret file (a token, a key), surrounding whitespace trimmed. NOT_FOUND when
// it cannot be read, INVALID_ARGUMENT when it is empty. The secret never appears in messages.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

}  // namespace etiquette
