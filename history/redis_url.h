#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace etiquette {

// One Redis server's address.
struct RedisEndpoint {
  std::string host;
  int port = 0;
};

// Where and how the history service talks to Redis.
struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECTed on connect when not 0 (never in cluster mode)
  // Bound on connecting and on each read (GetFacts, Ping, CLUSTER SLOTS); past it a call
  // answers UNAVAILABLE.
  absl::Duration timeout = absl::Milliseconds(100);
  // Bound on each write (every script that changes a sender). Longer than reads: with
  // appendfsync always Redis answers a write only after its fsync, and a disk can stall for a
  // second or more; a write that would succeed after the stall is worth more to its caller than
  // an UNAVAILABLE and a retry. (Redis itself waits up to 2 s for a slow everysec fsync before
  // it delays writes.) Never longer than the caller's deadline.
  absl::Duration write_timeout = absl::Seconds(2);
  // Connections kept open per kind of call (reads, writes), each shared by every call of that
  // kind (pipelined); in cluster mode, per node. Reads never wait behind a write's longer
  // timeout.
  int connections = 2;
  // > 0: a write is acknowledged only once this many replicas of its master have it (Redis
  // WAIT, one per round of pipelined writes), so that a failover to a replica loses no
  // acknowledged write; else UNAVAILABLE within write_timeout, and the caller retries. 0: the
  // master's acknowledgement (and its append-only file) is enough.
  int wait_replicas = 0;
  // Redis Cluster mode when not empty: the seed nodes the slot map is first learned from
  // (host and port above are then the first seed). Empty: one Redis at host:port.
  std::vector<RedisEndpoint> cluster_seeds;

  bool cluster() const { return !cluster_seeds.empty(); }
};

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
