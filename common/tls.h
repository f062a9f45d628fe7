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
  // How often the files are read again (gRPC's FileWatcherCertificateProvider): a changed
  // certificate, key or CA applies to the connections made after it, and connections already
  // made go on with what they had. The cert and key must change together: replace them in one
  // step, as Kubernetes does for a mounted Secret (a ..data symlink swapped to a new directory).
  int refresh_s = 60;
  // The flags that name the files, for start-up errors ("--tls_cert: ...: cannot open ...").
  std::string cert_flag = "--tls_cert";
  std::string key_flag = "--tls_key";
  std::string ca_flag = "--tls_client_ca";
};

// Plaintext when `files` is all empty; TLS with cert and key; and with ca also, mutual TLS:
// clients must present a certificate signed by it. The files are watched (see refresh_s).
// INVALID_ARGUMENT for a cert without a key (or the reverse) or a ca without them; NOT_FOUND for a
// file that cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files);

// Plaintext when `files` is all empty; TLS trusting `ca` (required for TLS); with cert and key
// also, a client certificate for mutual TLS. The files are watched (see refresh_s); the server's
// name is checked against the target's host, or GRPC_SSL_TARGET_NAME_OVERRIDE_ARG.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& files);

}  // namespace etiquette
