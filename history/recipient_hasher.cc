#include "history/recipient_hasher.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace etiquette {

absl::StatusOr<RecipientHasher> RecipientHasher::Create(std::string secret) {
  if (secret.size() < kMinSecretBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the HMAC secret must be at least ", kMinSecretBytes, " bytes"));
  }
  return RecipientHasher(std::move(secret));
}

std::string RecipientHasher::LogTag(const std::string& member_id) const {
  const std::string message = "log-tag:" + member_id;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 6));
}

std::string RecipientHasher::Key(const std::string& recipient_id) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(recipient_id.data()), recipient_id.size(), digest,
       &length);
  std::string key;
  absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<const char*>(digest), 16), &key);
  return key;
}

}  // namespace etiquette
