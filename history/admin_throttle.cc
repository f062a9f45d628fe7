#include "history/admin_throttle.h"

#include <utility>

#include "history/admin_auth.h"

namespace etiquette {

AdminThrottle::AdminThrottle(Clock clock, int max_failures, absl::Duration window)
    : clock_(std::move(clock)), max_failures_(max_failures), window_(window) {}

std::string AdminThrottle::PeerHost(absl::string_view peer) {
  const size_t colon = peer.rfind(':');
  const size_t scheme = peer.find(':');
  // No port after the address (e.g. "unix:/path"): the whole string.
  if (colon == absl::string_view::npos || colon == scheme) return std::string(peer);
  return std::string(peer.substr(0, colon));
}

void AdminThrottle::Prune(std::deque<absl::Time>& failures, absl::Time now) const {
  while (!failures.empty() && now - failures.front() >= window_) failures.pop_front();
}

absl::Status AdminThrottle::Check(absl::string_view peer) {
  const absl::Time now = clock_();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = failures_.find(PeerHost(peer));
  if (it == failures_.end()) return absl::OkStatus();
  Prune(it->second, now);
  if (it->second.empty()) {
    failures_.erase(it);
    return absl::OkStatus();
  }
  if (static_cast<int>(it->second.size()) < max_failures_) return absl::OkStatus();
  return AdminRefused(absl::StatusCode::kResourceExhausted,
                      "too many failed admin calls from this peer; try again later", "throttled");
}

void AdminThrottle::RecordFailure(absl::string_view peer) {
  const absl::Time now = clock_();
  std::lock_guard<std::mutex> lock(mutex_);
  std::string host = PeerHost(peer);
  if (failures_.size() >= kMaxPeers && failures_.find(host) == failures_.end()) {
    // Forget the hosts whose failures have all aged out; if none has, the one seen longest ago.
    for (auto it = failures_.begin(); it != failures_.end();) {
      Prune(it->second, now);
      it = it->second.empty() ? failures_.erase(it) : std::next(it);
    }
    if (failures_.size() >= kMaxPeers) {
      auto oldest = failures_.begin();
      for (auto it = failures_.begin(); it != failures_.end(); ++it) {
        if (it->second.back() < oldest->second.back()) oldest = it;
      }
      failures_.erase(oldest);
    }
  }
  std::deque<absl::Time>& failures = failures_[std::move(host)];
  Prune(failures, now);
  failures.push_back(now);
  // Only the last max_failures matter.
  while (static_cast<int>(failures.size()) > max_failures_) failures.pop_front();
}

}  // namespace etiquette
