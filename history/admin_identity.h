#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace etiquette {

// The subject alternative names of an admin caller's verified client certificate (gRPC's
// AuthContext properties "peer_uri" and "peer_dns"); both empty without a certificate.
struct PeerIdentity {
  std::vector<std::string> uris;
  std::vector<std::string> dns_names;
};

// --admin_allowed_identities: the client identities that may make admin calls, each a URI SAN
// (it contains "://", e.g. spiffe://cluster.local/ns/etiquette-ops/sa/etiquette-operator;
// compared exactly) or a DNS SAN (e.g. operator.etiquette-ops.svc; compared ignoring ASCII
// case; no wildcards). Checked before the token.
class AllowedIdentities {
 public:
  // Comma-separated, whitespace around each trimmed; "" is the empty list (no identity check).
  // INVALID_ARGUMENT for an empty entry, whitespace or '*' inside one.
  static absl::StatusOr<AllowedIdentities> Parse(absl::string_view list);

  bool empty() const { return uris_.empty() && dns_names_.empty(); }
  // The list as configured, for the start-up line.
  std::string ToString() const;

  // OK when the list is empty or `peer` carries one of its names; otherwise PERMISSION_DENIED
  // (reason "identity", see AdminRefused), saying whether the peer had no certificate SAN at all.
  absl::Status Check(const PeerIdentity& peer) const;

 private:
  std::vector<std::string> uris_;
  std::vector<std::string> dns_names_;
};

}  // namespace etiquette
