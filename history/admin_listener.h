#pragma once

// History's admin listener (--admin_listen): SenderHistoryAdmin on its own port, with its own
// TLS (--admin_tls_*) and the client identities allowed to call it (--admin_allowed_identities).

#include <string>

#include "absl/status/statusor.h"
#include "common/command_line.h"
#include "common/grpc_server.h"
#include "common/server_flags.h"
#include "common/tls.h"
#include "history/admin_identity.h"

namespace etiquette {

struct AdminListenerFlags {
  std::string listen = "0.0.0.0:50053";
  TlsFiles tls;  // its refresh_s is --tls_refresh_s
  std::string allowed_identities;
};

// --admin_listen, --admin_tls_cert, --admin_tls_key, --admin_tls_client_ca,
// --admin_allowed_identities.
void AddAdminListenerFlags(CommandLine& command_line, AdminListenerFlags& flags);

struct AdminListener {
  bool enabled = false;       // --admin_listen set
  GrpcServerOptions options;  // address, credentials, the server's bounds; no health port
  AllowedIdentities identities;
};

// Checks the flags: identities need mutual TLS (--admin_tls_client_ca); with --require_tls an
// enabled listener needs --admin_tls_cert, --admin_tls_key, --admin_tls_client_ca and
// --admin_allowed_identities. Errors name the flag (FAILED_PRECONDITION, or the TLS files' own).
absl::StatusOr<AdminListener> MakeAdminListener(const ServerFlags& server,
                                                const AdminListenerFlags& flags);

}  // namespace etiquette
