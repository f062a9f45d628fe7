#pragma once

#include <sys/stat.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace etiquette {

// Checks an admin call's "authorization" metadata against the configured token.
// - no token configured (`token` empty): PERMISSION_DENIED, admin calls are disabled;
// - header missing, not "Bearer <token>", or another token: UNAUTHENTICATED.
// The comparison takes the same time wherever the tokens differ.
absl::Status CheckAdminAuthorization(const std::optional<std::string>& token,
                                     const std::optional<absl::string_view>& authorization);

// The same against several tokens (during a rotation the old and the new one), any of which
// is accepted. Every token is compared, each in constant time, whichever matches. No tokens:
// PERMISSION_DENIED.
absl::Status CheckAdminAuthorization(const std::vector<std::string>& tokens,
                                     const std::optional<absl::string_view>& authorization);

// The content of an admin token file: one token per line (more than one while a rotation is in
// progress), whitespace around each trimmed, blank lines skipped. INVALID_ARGUMENT when no
// token is left. Messages never quote a token.
absl::StatusOr<std::vector<std::string>> ParseAdminTokens(absl::string_view content);

// The admin tokens, fixed or from a file. A file is read at Open and read again when it has
// changed: every Current() stats it (admin calls are rare, a stat is a few microseconds) and
// reads it again when its identity (device, inode: a Kubernetes ..data symlink swap gives a new
// one), size or modification or change time differ from the last read. A file that became
// unreadable or empty keeps the tokens last read (logged as an error, like a bad config reload).
class AdminTokens {
 public:
  static std::shared_ptr<AdminTokens> Fixed(std::vector<std::string> tokens);
  // NOT_FOUND when the file cannot be read, INVALID_ARGUMENT when it holds no token.
  static absl::StatusOr<std::shared_ptr<AdminTokens>> Open(const std::string& path);

  // The tokens now accepted.
  std::vector<std::string> Current();
  // Checks `authorization` against Current().
  absl::Status Check(const std::optional<absl::string_view>& authorization);

 private:
  struct FileIdentity {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    timespec modified{};
    timespec changed{};
    bool operator==(const FileIdentity& other) const;
  };
  AdminTokens(std::string path, std::vector<std::string> tokens)
      : path_(std::move(path)), tokens_(std::move(tokens)) {}
  static std::optional<FileIdentity> Identify(const std::string& path);
  // Reads and parses the file.
  static absl::StatusOr<std::vector<std::string>> Read(const std::string& path);

  const std::string path_;  // empty: fixed tokens
  std::mutex mutex_;
  std::vector<std::string> tokens_;
  std::optional<FileIdentity> identity_;
};

}  // namespace etiquette
