#include "history/admin_listener.h"

#include <utility>

#include "common/status.h"

namespace etiquette {

void AddAdminListenerFlags(CommandLine& command_line, AdminListenerFlags& flags) {
  command_line.AddString("admin_listen", &flags.listen,
                         "address of the admin service (SenderHistoryAdmin, served only there), "
                         "host:port; empty = no admin service");
  command_line.AddString("admin_tls_cert", &flags.tls.cert,
                         "admin listener's certificate (PEM); empty = plaintext");
  command_line.AddString("admin_tls_key", &flags.tls.key, "admin listener's private key (PEM)");
  command_line.AddString("admin_tls_client_ca", &flags.tls.ca,
                         "require admin clients' certificates signed by this CA (PEM)");
  command_line.AddString("admin_allowed_identities", &flags.allowed_identities,
                         "comma-separated URI or DNS SANs, one of which an admin client's "
                         "certificate must carry (needs --admin_tls_client_ca); empty = any");
  flags.tls.cert_flag = "--admin_tls_cert";
  flags.tls.key_flag = "--admin_tls_key";
  flags.tls.ca_flag = "--admin_tls_client_ca";
}

absl::StatusOr<AdminListener> MakeAdminListener(const ServerFlags& server,
                                                const AdminListenerFlags& flags) {
  AdminListener result;
  absl::StatusOr<AllowedIdentities> identities = AllowedIdentities::Parse(flags.allowed_identities);
  if (!identities.ok()) return ForFlag("--admin_allowed_identities", identities.status());
  if (flags.listen.empty()) return result;
  if (server.require_tls) {
    if (flags.tls.cert.empty()) return TlsRequired("--admin_tls_cert");
    if (flags.tls.key.empty()) return TlsRequired("--admin_tls_key");
    if (flags.tls.ca.empty()) return TlsRequired("--admin_tls_client_ca");
    if (identities->empty()) return TlsRequired("--admin_allowed_identities");
  }
  if (!identities->empty() && flags.tls.ca.empty()) {
    return absl::FailedPreconditionError(
        "--admin_allowed_identities needs mutual TLS on the admin listener: "
        "--admin_tls_client_ca (with --admin_tls_cert and --admin_tls_key)");
  }
  TlsFiles tls = flags.tls;
  tls.refresh_s = server.tls.refresh_s;
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = MakeServerCredentials(tls);
  if (!credentials.ok()) return credentials.status();
  result.enabled = true;
  result.options.address = flags.listen;
  result.options.credentials = std::move(*credentials);
  result.options.bounds = server.bounds;
  result.identities = std::move(*identities);
  return result;
}

}  // namespace etiquette
