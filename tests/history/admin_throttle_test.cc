// The per-peer throttle of failed admin calls (history/admin_throttle.h), on a fake clock.
#include "history/admin_throttle.h"

#include "gtest/gtest.h"
#include "history/admin_auth.h"

namespace etiquette {
namespace {

class AdminThrottleTest : public ::testing::Test {
 protected:
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  AdminThrottle throttle_{[this] { return now_; }, /*max_failures=*/3, absl::Minutes(1)};
};

TEST_F(AdminThrottleTest, PeerHostDropsThePort) {
  EXPECT_EQ(AdminThrottle::PeerHost("ipv4:10.1.2.3:41234"), "ipv4:10.1.2.3");
  EXPECT_EQ(AdminThrottle::PeerHost("ipv6:[::1]:5000"), "ipv6:[::1]");
  EXPECT_EQ(AdminThrottle::PeerHost("unix:/tmp/socket"), "unix:/tmp/socket");
}

TEST_F(AdminThrottleTest, ThrottledAfterMaxFailuresWithinTheWindowWhateverThePort) {
  for (int i = 0; i < 2; ++i) throttle_.RecordFailure("ipv4:10.0.0.1:1000");
  EXPECT_TRUE(throttle_.Check("ipv4:10.0.0.1:1001").ok());
  now_ += absl::Seconds(10);
  throttle_.RecordFailure("ipv4:10.0.0.1:1002");
  const absl::Status refused = throttle_.Check("ipv4:10.0.0.1:2000");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(AdminRefusalReason(refused), "throttled");
  // Another host is not affected.
  EXPECT_TRUE(throttle_.Check("ipv4:10.0.0.2:1000").ok());
  // Once the oldest failures are a minute old, the peer may try again (one failure within the
  // window is left: two more throttle it again).
  now_ += absl::Seconds(49);
  EXPECT_FALSE(throttle_.Check("ipv4:10.0.0.1:1").ok());
  now_ += absl::Seconds(1);
  EXPECT_TRUE(throttle_.Check("ipv4:10.0.0.1:1").ok());
  throttle_.RecordFailure("ipv4:10.0.0.1:1");
  EXPECT_TRUE(throttle_.Check("ipv4:10.0.0.1:1").ok());
  throttle_.RecordFailure("ipv4:10.0.0.1:1");
  EXPECT_EQ(throttle_.Check("ipv4:10.0.0.1:1").code(), absl::StatusCode::kResourceExhausted);
  // A minute after the last failures, all clear.
  now_ += absl::Minutes(1);
  EXPECT_TRUE(throttle_.Check("ipv4:10.0.0.1:1").ok());
}

TEST_F(AdminThrottleTest, RemembersABoundedNumberOfPeers) {
  for (size_t i = 0; i < AdminThrottle::kMaxPeers + 10; ++i) {
    now_ += absl::Microseconds(1);
    for (int k = 0; k < 3; ++k) throttle_.RecordFailure("ipv4:10.9." + std::to_string(i) + ":1");
  }
  // The latest are still throttled; the first ones were forgotten.
  EXPECT_FALSE(
      throttle_.Check("ipv4:10.9." + std::to_string(AdminThrottle::kMaxPeers + 9) + ":1").ok());
  EXPECT_TRUE(throttle_.Check("ipv4:10.9.0:1").ok());
}

}  // namespace
}  // namespace etiquette
