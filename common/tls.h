#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace etiquette {

// PEM files for one side of a connection. All empty means plaintext.
struct TlsFiles {
  std::string cert;  // certificate chain
  std::string key;   // private key
  std::string ca;    // server: require client certificates signed by it; client: trust it
};

// Plaintext when `files` is all empty; TLS with cert and key; and with ca also, mutual TLS:
// clients must present a certificate signed by it. INVALID_ARGUMENT for a cert without a key
// (or the reverse) or a ca without them; NOT_FOUND for a file that cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files);

// Plaintext when `files` is all empty; TLS trusting `ca` (required for TLS); with cert and key
// also, a client certificate for mutual TLS.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& files);

}  // namespace etiquette
