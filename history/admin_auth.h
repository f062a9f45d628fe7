#pragma once

#include <sys/stat.h>

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace etiquette {

// An admin token is at least 32 bytes with at least 10 distinct byte values (so "aaaa...a",
// "abababab..." or a short word repeated are refused; `openssl rand -hex 32` passes with near
// certainty: 64 hex digits showing fewer than 10 of the 16 is about 1 in 10^13).
inline constexpr size_t kMinAdminTokenBytes = 32;
inline constexpr size_t kMinAdminTokenDistinctBytes = 10;

// INVALID_ARGUMENT, without quoting the token, when `token` is weaker than that.
absl::Status CheckAdminTokenStrength(absl::string_view token);

// The SHA-256 of a token: the only form in which tokens are kept and compared.
using AdminTokenDigest = std::array<unsigned char, 32>;
AdminTokenDigest DigestAdminToken(absl::string_view token);

// Why an admin call was refused, the `reason` label of
// etiquette_history_admin_auth_failures_total; carried by every refusal of the functions below
// (AdminRefusalReason reads it).
//   "disabled"       no admin token configured
//   "missing_token"  no "authorization: Bearer <token>" metadata, or another scheme
//   "wrong_token"    a token that is not one of the configured ones
//   "identity"       the client certificate carries none of --admin_allowed_identities
//   "throttled"      too many failures from that peer lately (AdminThrottle)
absl::Status AdminRefused(absl::StatusCode code, absl::string_view message,
                          absl::string_view reason);
// The reason of a refusal from AdminRefused; "other" for any other status.
std::string AdminRefusalReason(const absl::Status& refusal);

// Checks an admin call's "authorization" metadata against the configured token.
// - no token configured (`token` empty): PERMISSION_DENIED, admin calls are disabled;
// - header missing, not "Bearer <token>", or another token: UNAUTHENTICATED.
// Only digests are compared, in constant time.
absl::Status CheckAdminAuthorization(const std::optional<std::string>& token,
                                     const std::optional<absl::string_view>& authorization);

// The same against several token digests (during a rotation the old and the new one), any of
// which is accepted. Every digest is compared, each in constant time, whichever matches. No
// digests: PERMISSION_DENIED.
// `matched` (null: not wanted): set to the digest that matched, when OK.
absl::Status CheckAdminAuthorization(const std::vector<AdminTokenDigest>& digests,
                                     const std::optional<absl::string_view>& authorization,
                                     AdminTokenDigest* matched = nullptr);

// How the audit trail names a token: "token:" and the first 12 hex digits of the SHA-256 of its
// digest (48 bits of a hash of a hash: names a line of the token file, reveals nothing of it).
std::string AdminTokenRef(const AdminTokenDigest& digest);

// The content of an admin token file: one token per line (more than one while a rotation is in
// progress), whitespace around each trimmed, blank lines skipped. INVALID_ARGUMENT when no
// token is left or one is weak (CheckAdminTokenStrength; the message names its line). Messages
// never quote a token.
absl::StatusOr<std::vector<std::string>> ParseAdminTokens(absl::string_view content);

// The admin tokens, fixed or from a file. A file is read at Open and read again when it has
// changed: every Current() stats it (admin calls are rare, a stat is a few microseconds) and
// reads it again when its identity (device, inode: a Kubernetes ..data symlink swap gives a new
// one), size or modification or change time differ from the last read. A file that became
// unreadable or empty keeps the tokens last read (logged as an error, like a bad config reload).
class AdminTokens {
 public:
  // Tokens as given, unchecked (tests); files are checked (ParseAdminTokens).
  static std::shared_ptr<AdminTokens> Fixed(const std::vector<std::string>& tokens);
  // NOT_FOUND when the file cannot be read, INVALID_ARGUMENT when it holds no token.
  static absl::StatusOr<std::shared_ptr<AdminTokens>> Open(const std::string& path);

  // The digests of the tokens now accepted.
  std::vector<AdminTokenDigest> Current();
  // Checks `authorization` against Current().
  absl::Status Check(const std::optional<absl::string_view>& authorization,
                     AdminTokenDigest* matched = nullptr);

 private:
  struct FileIdentity {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    timespec modified{};
    timespec changed{};
    bool operator==(const FileIdentity& other) const;
  };
  AdminTokens(std::string path, std::vector<AdminTokenDigest> digests)
      : path_(std::move(path)), digests_(std::move(digests)) {}
  static std::optional<FileIdentity> Identify(const std::string& path);
  // Reads and parses the file; the tokens' digests.
  static absl::StatusOr<std::vector<AdminTokenDigest>> Read(const std::string& path);

  const std::string path_;  // empty: fixed tokens
  std::mutex mutex_;
  std::vector<AdminTokenDigest> digests_;
  std::optional<FileIdentity> identity_;
};

}  // namespace etiquette
