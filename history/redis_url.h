#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "history/redis/redis_options.h"

namespace etiquette {

// Parses a Redis URL into options (timeouts and connections keep their defaults):
//   redis://[[user]:password@]host:port[/db]                   one Redis;
//   redis-cluster://[[user]:password@]host:port[,host:port...]  a Redis Cluster, given by seed
//                                                              nodes (no db: a cluster has only
//                                                              db 0).
// A host is a name, an IPv4 address or a bracketed IPv6 address; the port is required
// (1-65535); db is a decimal number (default 0). The user (a Redis ACL user: AUTH user
// password) and the password may be percent-encoded (%40 for '@', %3A for ':' in a user name);
// a user needs a password. Schemes are case-insensitive. INVALID_ARGUMENT says what is wrong,
// and never contains the user name or the password.
absl::StatusOr<RedisOptions> ParseRedisUrl(const std::string& url);

// Applies the credential files to `options` (each file trimmed, see common/secret_file.h; an
// empty path leaves the URL's value): `user_file` names the Redis ACL user (--redis_user_file),
// `password_file` its password (--redis_password_file). A user without a password is refused.
// Errors name the flag, never the secret.
// Applies --redis_node_map to `options` (a cluster URL's): comma-separated
// "announced-host:port=local-host:port" entries, each cluster node's announced address (as
// CLUSTER SLOTS and MOVED name it) and the loopback address of the TLS sidecar's port for it
// (see RedisOptions::node_map). Empty: nothing. INVALID_ARGUMENT naming the flag.
absl::Status ApplyRedisNodeMap(const std::string& node_map, RedisOptions& options);

absl::Status ReadRedisCredentials(const std::string& user_file, const std::string& password_file,
                                  RedisOptions& options);

}  // namespace etiquette
