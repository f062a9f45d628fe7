#pragma once

// One Redis server: its pooled pipelined connections per lane, the scripts it has loaded, and
// whether a connection to it failed lately.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "history/redis/pipelined_connection.h"
#include "history/redis/redis_options.h"

namespace etiquette::redis {

// "host:port", with an IPv6 host in brackets: a node's name in maps and messages.
std::string EndpointName(const RedisEndpoint& endpoint);

// Reads and writes have their own connections per node, so that a read never waits in a
// round bounded by a write's longer timeout (options.write_timeout).
enum class Lane { kReads = 0, kWrites = 1 };

// A node that failed a connection is asked for the slot map after the others for this long.
inline constexpr absl::Duration kSuspectFor = absl::Seconds(1);

class Node {
 public:
  // Scripts are numbered 0..kMaxScripts-1 by the caller (see loaded()).
  static constexpr int kMaxScripts = 64;

  // max(1, options.connections) connections per lane to `endpoint` (options' host and port are
  // replaced; db 0 in cluster mode). Writes wait for options.wait_replicas, reads never.
  // Connections open on first use.
  Node(const RedisOptions& options, RedisEndpoint endpoint);
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const RedisEndpoint& endpoint() const { return endpoint_; }
  const std::string& name() const { return name_; }

  // The connection for the next call of that lane: one between rounds if there is one (the
  // call goes out at once), else each in turn.
  Connection& connection(Lane lane);

  // Whether script number `script` is known to be loaded on the node (SCRIPT LOAD answered;
  // no NOSCRIPT since).
  bool loaded(int script) const { return (loaded_.load() & Bit(script)) != 0; }
  void set_loaded(int script, bool loaded) {
    if (loaded) {
      loaded_.fetch_or(Bit(script));
    } else {
      loaded_.fetch_and(~Bit(script));
    }
  }

  // A connection to it failed (cluster mode: it is asked for the slot map after the others).
  void NoteFailure() { failed_at_ns_.store(absl::GetCurrentTimeNanos()); }
  // It failed a connection less than kSuspectFor before `now`.
  bool Suspect(absl::Time now) const;

 private:
  static uint64_t Bit(int script) { return uint64_t{1} << script; }

  const RedisEndpoint endpoint_;
  const std::string name_;
  const RedisOptions connection_options_;
  struct LaneConnections {
    std::vector<std::unique_ptr<Connection>> connections;
    std::atomic<uint32_t> next{0};
  };
  std::array<LaneConnections, 2> lanes_;  // by Lane
  std::atomic<uint64_t> loaded_{0};       // bit n: script n
  std::atomic<int64_t> failed_at_ns_{0};
};

}  // namespace etiquette::redis
