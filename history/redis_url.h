#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "history/redis/redis_options.h"

namespace etiquette {

// Parses a Redis URL into options (timeouts and connections keep their defaults):
//   redis://[:password@]host:port[/db]                   one Redis;
//   redis-cluster://[:password@]host:port[,host:port...]  a Redis Cluster, given by seed nodes
//                                                        (no db: a cluster has only db 0).
// A host is a name, an IPv4 address or a bracketed IPv6 address; the port is required
// (1-65535); db is a decimal number (default 0). The password may be percent-encoded (%40 for
// '@', ...); usernames (Redis ACL users) are not supported. Schemes are case-insensitive.
// INVALID_ARGUMENT says what is wrong, and never contains the password.
absl::StatusOr<RedisOptions> ParseRedisUrl(const std::string& url);

}  // namespace etiquette
