#include "common/tls.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace etiquette {
namespace {

// The files must be readable at start-up: a typo fails there, not at the first handshake
// (the watcher would only log it and keep the connection from being made).
absl::Status CheckReadable(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open the file"));
  return absl::OkStatus();
}

absl::Status CheckAllReadable(const TlsFiles& files) {
  const std::pair<const std::string*, const std::string*> paths[] = {
      {&files.cert, &files.cert_flag}, {&files.key, &files.key_flag}, {&files.ca, &files.ca_flag}};
  for (const auto& [path, flag] : paths) {
    if (path->empty()) continue;
    if (absl::Status s = CheckReadable(*path); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(*flag, ": ", s.message()));
    }
  }
  if (files.refresh_s <= 0) return absl::InvalidArgumentError("TLS refresh must be > 0 s");
  return absl::OkStatus();
}

// Watches the files that are set (an empty path is not watched).
std::shared_ptr<grpc::experimental::FileWatcherCertificateProvider> WatchFiles(
    const TlsFiles& files) {
  return std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      files.key, files.cert, files.ca, static_cast<unsigned int>(files.refresh_s));
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files) {
  if (files.cert.empty() && files.key.empty() && files.ca.empty()) {
    return grpc::InsecureServerCredentials();
  }
  if (files.cert.empty() || files.key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(files.cert_flag, " and ", files.key_flag,
                                                   " go together (and ", files.ca_flag,
                                                   " needs both)"));
  }
  if (absl::Status s = CheckAllReadable(files); !s.ok()) return s;
  grpc::experimental::TlsServerCredentialsOptions options(WatchFiles(files));
  options.watch_identity_key_cert_pairs();
  if (files.ca.empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& files) {
  if (files.cert.empty() && files.key.empty() && files.ca.empty()) {
    return grpc::InsecureChannelCredentials();
  }
  if (files.ca.empty()) return absl::InvalidArgumentError("TLS to a server needs its CA file");
  if (files.cert.empty() != files.key.empty()) {
    return absl::InvalidArgumentError("a client certificate needs its key, and the reverse");
  }
  if (absl::Status s = CheckAllReadable(files); !s.ok()) return s;
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(WatchFiles(files));
  options.watch_root_certs();
  if (!files.cert.empty()) options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  return grpc::experimental::TlsCredentials(options);
}

}  // namespace etiquette
