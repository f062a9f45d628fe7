#pragma once

// Where and how the history service talks to Redis: one server or the seeds of a cluster, the
// bounds on each call, the pipelined connections per node, the replicas a write waits for.
// Parsed from a URL by ParseRedisUrl (history/redis_url.h).

#include <map>
#include <string>
#include <vector>

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
  // Redis ACL user (Redis 6+): with a user, every connection (each cluster node's too) sends
  // AUTH <user> <password>; without, AUTH <password> (the default user) when there is a
  // password. A user needs a password (the caller checks).
  std::string user;
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

  // Redis Cluster behind a TLS sidecar (--redis_node_map): the address each node announces
  // (EndpointName: "host:port", as CLUSTER SLOTS and MOVED name it) -> the local address to
  // dial for it (the sidecar's port for that node). When not empty, a node missing from it is
  // never dialled (its calls answer UNAVAILABLE), so that the password goes only to nodes the
  // sidecar knows and verifies; the seeds are dialled as given.
  std::map<std::string, RedisEndpoint> node_map;
  // Set by the router on a node that node_map refuses: why its connections fail, undialled.
  std::string refused;

  bool cluster() const { return !cluster_seeds.empty(); }
};

}  // namespace etiquette
