#include "history/admin_auth.h"

#include <openssl/crypto.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "spdlog/spdlog.h"

namespace etiquette {
namespace {

// The token of "Bearer <token>", or UNAUTHENTICATED.
absl::StatusOr<absl::string_view> PresentedToken(
    const std::optional<absl::string_view>& authorization) {
  if (!authorization.has_value()) {
    return absl::UnauthenticatedError("missing \"authorization: Bearer <token>\" metadata");
  }
  constexpr absl::string_view kScheme = "Bearer ";
  absl::string_view presented = absl::StripAsciiWhitespace(*authorization);
  if (!absl::StartsWithIgnoreCase(presented, kScheme)) {
    return absl::UnauthenticatedError("authorization must be \"Bearer <token>\"");
  }
  presented.remove_prefix(kScheme.size());
  return absl::StripAsciiWhitespace(presented);
}

// CRYPTO_memcmp's time does not depend on where the bytes differ; only lengths leak.
bool SameToken(absl::string_view presented, const std::string& token) {
  return !token.empty() && presented.size() == token.size() &&
         CRYPTO_memcmp(presented.data(), token.data(), token.size()) == 0;
}

absl::Status Disabled() {
  return absl::PermissionDeniedError(
      "admin calls are disabled: the service runs without --admin_token_file");
}

}  // namespace

absl::Status CheckAdminAuthorization(const std::optional<std::string>& token,
                                     const std::optional<absl::string_view>& authorization) {
  if (!token.has_value() || token->empty()) return Disabled();
  return CheckAdminAuthorization(std::vector<std::string>{*token}, authorization);
}

absl::Status CheckAdminAuthorization(const std::vector<std::string>& tokens,
                                     const std::optional<absl::string_view>& authorization) {
  if (tokens.empty()) return Disabled();
  absl::StatusOr<absl::string_view> presented = PresentedToken(authorization);
  if (!presented.ok()) return presented.status();
  bool match = false;
  for (const std::string& token : tokens) match |= SameToken(*presented, token);  // all of them
  if (!match) return absl::UnauthenticatedError("invalid admin token");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseAdminTokens(absl::string_view content) {
  std::vector<std::string> tokens;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) tokens.emplace_back(line);
  }
  if (tokens.empty()) return absl::InvalidArgumentError("holds no token");
  return tokens;
}

bool AdminTokens::FileIdentity::operator==(const FileIdentity& o) const {
  return device == o.device && inode == o.inode && size == o.size &&
         modified.tv_sec == o.modified.tv_sec && modified.tv_nsec == o.modified.tv_nsec &&
         changed.tv_sec == o.changed.tv_sec && changed.tv_nsec == o.changed.tv_nsec;
}

std::shared_ptr<AdminTokens> AdminTokens::Fixed(std::vector<std::string> tokens) {
  return std::shared_ptr<AdminTokens>(new AdminTokens("", std::move(tokens)));
}

absl::StatusOr<std::shared_ptr<AdminTokens>> AdminTokens::Open(const std::string& path) {
  const std::optional<FileIdentity> identity = Identify(path);
  absl::StatusOr<std::vector<std::string>> tokens = Read(path);
  if (!tokens.ok()) return tokens.status();
  std::shared_ptr<AdminTokens> result(new AdminTokens(path, std::move(*tokens)));
  result->identity_ = identity;
  return result;
}

std::optional<AdminTokens::FileIdentity> AdminTokens::Identify(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;  // follows the symlinks
  return FileIdentity{st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
}

absl::StatusOr<std::vector<std::string>> AdminTokens::Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open the file"));
  std::stringstream content;
  content << in.rdbuf();
  absl::StatusOr<std::vector<std::string>> tokens = ParseAdminTokens(content.str());
  if (!tokens.ok()) {
    return absl::Status(tokens.status().code(),
                        absl::StrCat(path, ": ", tokens.status().message()));
  }
  return tokens;
}

std::vector<std::string> AdminTokens::Current() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (path_.empty()) return tokens_;
  const std::optional<FileIdentity> identity = Identify(path_);
  if (identity.has_value() && identity_.has_value() && *identity == *identity_) return tokens_;
  // Changed (or unreadable): stat again after the read, so that a write racing with it is
  // seen at the next call.
  absl::StatusOr<std::vector<std::string>> tokens = Read(path_);
  if (!tokens.ok()) {
    if (identity_.has_value()) {
      spdlog::error("admin token file: {}; keeping the {} token(s) read before",
                    tokens.status().ToString(), tokens_.size());
    }
    identity_ = std::nullopt;  // retried at the next call
    return tokens_;
  }
  if (*tokens != tokens_) {
    spdlog::info("admin token file reloaded: {} token(s)", tokens->size());
  }
  tokens_ = std::move(*tokens);
  identity_ = identity;
  return tokens_;
}

absl::Status AdminTokens::Check(const std::optional<absl::string_view>& authorization) {
  return CheckAdminAuthorization(Current(), authorization);
}

}  // namespace etiquette
