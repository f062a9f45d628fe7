// The server signal helpers: the drain delay's wait gives up after its time and takes a signal
// that arrives meanwhile (SIGINT / a second SIGTERM cut the delay short, SIGHUP reloads).
#include "common/signals.h"

#include <pthread.h>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace etiquette {
namespace {

TEST(SignalsTest, WaitForServerSignalForTimesOutThenTakesAPendingSignal) {
  const sigset_t signals = BlockServerSignals();
  const absl::Time start = absl::Now();
  EXPECT_EQ(WaitForServerSignalFor(signals, absl::Milliseconds(50)), 0);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
  EXPECT_EQ(WaitForServerSignalFor(signals, absl::ZeroDuration()), 0);
  // To this thread only (the signal is blocked here, so it waits as pending).
  ASSERT_EQ(pthread_kill(pthread_self(), SIGHUP), 0);
  EXPECT_EQ(WaitForServerSignalFor(signals, absl::Seconds(5)), SIGHUP);
  ASSERT_EQ(pthread_kill(pthread_self(), SIGINT), 0);
  EXPECT_EQ(WaitForServerSignal(signals), SIGINT);
}

}  // namespace
}  // namespace etiquette
