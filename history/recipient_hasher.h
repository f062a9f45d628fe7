#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace etiquette {

// Turns recipient ids into the keys the store keeps instead: HMAC-SHA256 under a secret,
// truncated to 128 bits, base64url (22 characters). Without the secret the stored keys cannot
// be linked back to members.
class RecipientHasher {
 public:
  // The secret must be at least kMinSecretBytes long.
  static constexpr size_t kMinSecretBytes = 16;
  static absl::StatusOr<RecipientHasher> Create(std::string secret);

  std::string Key(const std::string& recipient_id) const;
  // What logs say instead of a member id: 12 hex digits of an HMAC under the same secret, of
  // another message than Key's (so the tag is none of the stored keys, and cannot be turned
  // back into the id without the secret).
  std::string LogTag(const std::string& member_id) const;

 private:
  explicit RecipientHasher(std::string secret) : secret_(std::move(secret)) {}
  std::string secret_;
};

}  // namespace etiquette
