#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace etiquette {

// Failed admin calls per peer host: once a host has had `max_failures` within `window`, its
// admin calls are refused with RESOURCE_EXHAUSTED (reason "throttled", see AdminRefused) before
// anything else is looked at, until the oldest of those failures is older than the window.
// Successful calls do not reset it. Peers are gRPC peer strings ("ipv4:10.1.2.3:41234",
// "ipv6:[::1]:5000"); the port is dropped, so that reconnecting does not help. At most
// kMaxPeers hosts are remembered (the oldest forgotten first). Thread-safe.
class AdminThrottle {
 public:
  static constexpr int kDefaultMaxFailures = 10;
  static constexpr size_t kMaxPeers = 4096;

  explicit AdminThrottle(Clock clock, int max_failures = kDefaultMaxFailures,
                         absl::Duration window = absl::Minutes(1));

  // OK, or the refusal for a throttled peer.
  absl::Status Check(absl::string_view peer);
  // Counts a failed call of `peer` (a throttled one included: a peer that keeps trying stays
  // throttled).
  void RecordFailure(absl::string_view peer);

  // "ipv4:10.1.2.3:41234" -> "ipv4:10.1.2.3"; "ipv6:[::1]:5000" -> "ipv6:[::1]".
  static std::string PeerHost(absl::string_view peer);

 private:
  void Prune(std::deque<absl::Time>& failures, absl::Time now) const;

  const Clock clock_;
  const int max_failures_;
  const absl::Duration window_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<absl::Time>> failures_;
};

}  // namespace etiquette
