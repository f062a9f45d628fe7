#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "history/recipient_keys.h"

namespace etiquette {

// Turns recipient ids into the keys the store keeps instead: HMAC-SHA256 under a secret,
// truncated to 128 bits, base64url (22 characters). Without the secret the stored keys cannot
// be linked back to members.
//
// Key rotation: several secrets, the first one writes, all of them read (Keys). Each has a key id,
// derived from the secret itself (so that an operator cannot mislabel one): 2 hex digits of an
// HMAC under it of a fixed message, in the name of each recipient index in Redis (3 bytes more
// a name, which Redis's allocator absorbs: 160 bytes an index key with or without, measured).
// Two secrets with the same id (1 chance in 256) are refused: make another.
class RecipientHasher {
 public:
  // Every secret must be at least kMinSecretBytes long.
  static constexpr size_t kMinSecretBytes = 16;
  static absl::StatusOr<RecipientHasher> Create(std::string secret);
  // The first secret writes; at least one, no two alike or with the same key id.
  static absl::StatusOr<RecipientHasher> Create(std::vector<std::string> secrets);
  // The content of --hmac_secret_file: one secret a line, surrounding whitespace trimmed, empty
  // lines and lines starting with '#' skipped.
  static absl::StatusOr<RecipientHasher> FromFileContent(const std::string& content);

  // The recipient's key under the first secret.
  std::string Key(const std::string& recipient_id) const;
  // The recipient's key under every secret, the first secret's first, each with its key id.
  RecipientKeys Keys(const std::string& recipient_id) const;
  // The key ids, in the order of the secrets.
  std::vector<std::string> KeyIds() const;
  // What logs say instead of a member id: 12 hex digits of an HMAC under the first secret, of
  // another message than Key's (so the tag is none of the stored keys, and cannot be turned
  // back into the id without the secret).
  std::string LogTag(const std::string& member_id) const;

 private:
  struct Secret {
    std::string secret;
    std::string id;
  };
  explicit RecipientHasher(std::vector<Secret> secrets) : secrets_(std::move(secrets)) {}
  std::vector<Secret> secrets_;
};

}  // namespace etiquette
