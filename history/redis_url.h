#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace etiquette {

// Where and how the history service talks to Redis.
struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECTed on connect when not 0
  // Bound on connecting and on each command round trip; past it a call answers UNAVAILABLE.
  absl::Duration timeout = absl::Milliseconds(100);
  // Connections kept open (one call uses one connection at a time).
  int pool_size = 4;
};

// Parses `redis://[:password@]host:port[/db]` into options (timeout and pool_size keep their
// defaults). The host is a name, an IPv4 address or a bracketed IPv6 address; the port is
// required (1-65535); db is a decimal number (default 0). The password may be percent-encoded
// (%40 for '@', ...); usernames (Redis ACL users) are not supported.
// INVALID_ARGUMENT says what is wrong, and never contains the password.
absl::StatusOr<RedisOptions> ParseRedisUrl(const std::string& url);

}  // namespace etiquette
