#include "history/recipient_hasher.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace etiquette {
namespace {

std::string Hmac(const std::string& secret, const std::string& message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string KeyOf(const std::string& secret, const std::string& recipient_id) {
  std::string key;
  absl::WebSafeBase64Escape(Hmac(secret, recipient_id).substr(0, 16), &key);
  return key;
}

}  // namespace

absl::StatusOr<RecipientHasher> RecipientHasher::Create(std::string secret) {
  std::vector<std::string> secrets;
  secrets.push_back(std::move(secret));
  return Create(std::move(secrets));
}

absl::StatusOr<RecipientHasher> RecipientHasher::Create(std::vector<std::string> secrets) {
  if (secrets.empty()) return absl::InvalidArgumentError("no HMAC secret");
  std::vector<Secret> all;
  for (size_t i = 0; i < secrets.size(); ++i) {
    if (secrets[i].size() < kMinSecretBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("the HMAC secret", secrets.size() > 1 ? absl::StrCat(" ", i + 1) : "",
                       " must be at least ", kMinSecretBytes, " bytes"));
    }
    // The message differs from any member id ([A-Za-z0-9._:-]) and from LogTag's.
    std::string id = absl::BytesToHexString(Hmac(secrets[i], "key id").substr(0, 1));
    for (const Secret& earlier : all) {
      if (earlier.id == id) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the HMAC secrets ", &earlier - all.data() + 1, " and ", i + 1,
            earlier.secret == secrets[i] ? " are the same" : " have the same key id; make another",
            " (key id ", id, ")"));
      }
    }
    all.push_back(Secret{std::move(secrets[i]), std::move(id)});
  }
  return RecipientHasher(std::move(all));
}

absl::StatusOr<RecipientHasher> RecipientHasher::FromFileContent(const std::string& content) {
  std::vector<std::string> secrets;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    secrets.emplace_back(line);
  }
  return Create(std::move(secrets));
}

std::string RecipientHasher::LogTag(const std::string& member_id) const {
  return absl::BytesToHexString(Hmac(secrets_.front().secret, "log-tag:" + member_id).substr(0, 6));
}

std::string RecipientHasher::Key(const std::string& recipient_id) const {
  return KeyOf(secrets_.front().secret, recipient_id);
}

RecipientKeys RecipientHasher::Keys(const std::string& recipient_id) const {
  std::vector<RecipientKeys::Hashed> keys;
  keys.reserve(secrets_.size());
  for (const Secret& secret : secrets_) {
    keys.push_back(RecipientKeys::Hashed{secret.id, KeyOf(secret.secret, recipient_id)});
  }
  return RecipientKeys(std::move(keys));
}

std::vector<std::string> RecipientHasher::KeyIds() const {
  std::vector<std::string> ids;
  for (const Secret& secret : secrets_) ids.push_back(secret.id);
  return ids;
}

}  // namespace etiquette
