#include "history/admin_auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <bitset>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "spdlog/spdlog.h"

namespace etiquette {
namespace {

constexpr absl::string_view kReasonPayload = "type.etiquette/admin_auth_failure_reason";

// The token of "Bearer <token>", or UNAUTHENTICATED.
absl::StatusOr<absl::string_view> PresentedToken(
    const std::optional<absl::string_view>& authorization) {
  if (!authorization.has_value()) {
    return AdminRefused(absl::StatusCode::kUnauthenticated,
                        "missing \"authorization: Bearer <token>\" metadata", "missing_token");
  }
  constexpr absl::string_view kScheme = "Bearer ";
  absl::string_view presented = absl::StripAsciiWhitespace(*authorization);
  if (!absl::StartsWithIgnoreCase(presented, kScheme)) {
    return AdminRefused(absl::StatusCode::kUnauthenticated,
                        "authorization must be \"Bearer <token>\"", "missing_token");
  }
  presented.remove_prefix(kScheme.size());
  return absl::StripAsciiWhitespace(presented);
}

absl::Status Disabled() {
  return AdminRefused(absl::StatusCode::kPermissionDenied,
                      "admin calls are disabled: the service runs without --admin_token_file",
                      "disabled");
}

}  // namespace

absl::Status CheckAdminTokenStrength(absl::string_view token) {
  if (token.size() < kMinAdminTokenBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("an admin token must be at least ", kMinAdminTokenBytes, " bytes"));
  }
  std::bitset<256> seen;
  for (char c : token) seen.set(static_cast<unsigned char>(c));
  if (seen.count() < kMinAdminTokenDistinctBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("an admin token must have at least ", kMinAdminTokenDistinctBytes,
                     " distinct characters (e.g. openssl rand -hex 32)"));
  }
  return absl::OkStatus();
}

AdminTokenDigest DigestAdminToken(absl::string_view token) {
  AdminTokenDigest digest{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
  return digest;
}

absl::Status AdminRefused(absl::StatusCode code, absl::string_view message,
                          absl::string_view reason) {
  absl::Status status(code, message);
  status.SetPayload(kReasonPayload, absl::Cord(reason));
  return status;
}

std::string AdminRefusalReason(const absl::Status& refusal) {
  const auto reason = refusal.GetPayload(kReasonPayload);
  return reason.has_value() ? std::string(*reason) : "other";
}

absl::Status CheckAdminAuthorization(const std::optional<std::string>& token,
                                     const std::optional<absl::string_view>& authorization) {
  if (!token.has_value() || token->empty()) return Disabled();
  return CheckAdminAuthorization(std::vector<AdminTokenDigest>{DigestAdminToken(*token)},
                                 authorization);
}

std::string AdminTokenRef(const AdminTokenDigest& digest) {
  unsigned char hash[SHA256_DIGEST_LENGTH];
  SHA256(digest.data(), digest.size(), hash);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string ref = "token:";
  for (int i = 0; i < 6; ++i) {
    ref.push_back(kHex[hash[i] >> 4]);
    ref.push_back(kHex[hash[i] & 0xf]);
  }
  return ref;
}

absl::Status CheckAdminAuthorization(const std::vector<AdminTokenDigest>& digests,
                                     const std::optional<absl::string_view>& authorization,
                                     AdminTokenDigest* matched) {
  if (digests.empty()) return Disabled();
  absl::StatusOr<absl::string_view> presented = PresentedToken(authorization);
  if (!presented.ok()) return presented.status();
  // Digests of equal length: neither the length of the token nor where it differs shows in the
  // time; CRYPTO_memcmp's time does not depend on the bytes.
  const AdminTokenDigest digest = DigestAdminToken(*presented);
  bool match = false;
  for (const AdminTokenDigest& known : digests) {  // all of them
    match |= CRYPTO_memcmp(digest.data(), known.data(), digest.size()) == 0;
  }
  if (presented->empty() || !match) {
    return AdminRefused(absl::StatusCode::kUnauthenticated, "invalid admin token", "wrong_token");
  }
  if (matched != nullptr) *matched = digest;  // equal to the one that matched
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseAdminTokens(absl::string_view content) {
  std::vector<std::string> tokens;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    if (absl::Status s = CheckAdminTokenStrength(line); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": ", s.message()));
    }
    tokens.emplace_back(line);
  }
  if (tokens.empty()) return absl::InvalidArgumentError("holds no token");
  return tokens;
}

bool AdminTokens::FileIdentity::operator==(const FileIdentity& o) const {
  return device == o.device && inode == o.inode && size == o.size &&
         modified.tv_sec == o.modified.tv_sec && modified.tv_nsec == o.modified.tv_nsec &&
         changed.tv_sec == o.changed.tv_sec && changed.tv_nsec == o.changed.tv_nsec;
}

std::shared_ptr<AdminTokens> AdminTokens::Fixed(const std::vector<std::string>& tokens) {
  std::vector<AdminTokenDigest> digests;
  for (const std::string& token : tokens) digests.push_back(DigestAdminToken(token));
  return std::shared_ptr<AdminTokens>(new AdminTokens("", std::move(digests)));
}

absl::StatusOr<std::shared_ptr<AdminTokens>> AdminTokens::Open(const std::string& path) {
  const std::optional<FileIdentity> identity = Identify(path);
  absl::StatusOr<std::vector<AdminTokenDigest>> digests = Read(path);
  if (!digests.ok()) return digests.status();
  std::shared_ptr<AdminTokens> result(new AdminTokens(path, std::move(*digests)));
  result->identity_ = identity;
  return result;
}

std::optional<AdminTokens::FileIdentity> AdminTokens::Identify(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;  // follows the symlinks
  return FileIdentity{st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
}

absl::StatusOr<std::vector<AdminTokenDigest>> AdminTokens::Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open the file"));
  std::stringstream content;
  content << in.rdbuf();
  absl::StatusOr<std::vector<std::string>> tokens = ParseAdminTokens(content.str());
  if (!tokens.ok()) {
    return absl::Status(tokens.status().code(),
                        absl::StrCat(path, ": ", tokens.status().message()));
  }
  std::vector<AdminTokenDigest> digests;
  for (const std::string& token : *tokens) digests.push_back(DigestAdminToken(token));
  return digests;
}

std::vector<AdminTokenDigest> AdminTokens::Current() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (path_.empty()) return digests_;
  const std::optional<FileIdentity> identity = Identify(path_);
  if (identity.has_value() && identity_.has_value() && *identity == *identity_) return digests_;
  // Changed (or unreadable): stat again after the read, so that a write racing with it is
  // seen at the next call.
  absl::StatusOr<std::vector<AdminTokenDigest>> digests = Read(path_);
  if (!digests.ok()) {
    if (identity_.has_value()) {
      spdlog::error("admin token file: {}; keeping the {} token(s) read before",
                    digests.status().ToString(), digests_.size());
    }
    identity_ = std::nullopt;  // retried at the next call
    return digests_;
  }
  if (*digests != digests_) {
    spdlog::info("admin token file reloaded: {} token(s)", digests->size());
  }
  digests_ = std::move(*digests);
  identity_ = identity;
  return digests_;
}

absl::Status AdminTokens::Check(const std::optional<absl::string_view>& authorization,
                                AdminTokenDigest* matched) {
  return CheckAdminAuthorization(Current(), authorization, matched);
}

}  // namespace etiquette
