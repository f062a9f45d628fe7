#include "history/admin_identity.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "history/admin_auth.h"

namespace etiquette {

absl::StatusOr<AllowedIdentities> AllowedIdentities::Parse(absl::string_view list) {
  AllowedIdentities result;
  if (absl::StripAsciiWhitespace(list).empty()) return result;
  for (absl::string_view entry : absl::StrSplit(list, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) return absl::InvalidArgumentError("an empty identity in the list");
    for (char c : entry) {
      if (absl::ascii_isspace(static_cast<unsigned char>(c)) || c == '*') {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", entry, "\": whitespace or '*' in an identity (no wildcards)"));
      }
    }
    if (absl::StrContains(entry, "://")) {
      result.uris_.emplace_back(entry);
    } else {
      result.dns_names_.push_back(absl::AsciiStrToLower(entry));
    }
  }
  return result;
}

std::string AllowedIdentities::ToString() const {
  std::vector<std::string> all = uris_;
  all.insert(all.end(), dns_names_.begin(), dns_names_.end());
  return absl::StrJoin(all, ",");
}

absl::Status AllowedIdentities::Check(const PeerIdentity& peer) const {
  if (empty()) return absl::OkStatus();
  for (const std::string& uri : peer.uris) {
    for (const std::string& allowed : uris_) {
      if (uri == allowed) return absl::OkStatus();
    }
  }
  for (const std::string& name : peer.dns_names) {
    for (const std::string& allowed : dns_names_) {
      if (absl::EqualsIgnoreCase(name, allowed)) return absl::OkStatus();
    }
  }
  if (peer.uris.empty() && peer.dns_names.empty()) {
    return AdminRefused(absl::StatusCode::kPermissionDenied,
                        "admin calls need a client certificate with an allowed URI or DNS SAN",
                        "identity");
  }
  return AdminRefused(absl::StatusCode::kPermissionDenied,
                      "the client certificate's identity is not allowed to make admin calls",
                      "identity");
}

}  // namespace etiquette
