#include "common/signals.h"

#include <pthread.h>

#include "absl/time/clock.h"

namespace etiquette {

sigset_t BlockServerSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

int WaitForServerSignal(const sigset_t& signals) {
  int signal = 0;
  while (sigwait(&signals, &signal) != 0) {
  }
  return signal;
}

int WaitForServerSignalFor(const sigset_t& signals, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return 0;
    const timespec wait = absl::ToTimespec(left);
    const int signal = sigtimedwait(&signals, nullptr, &wait);
    if (signal > 0) return signal;
    // EAGAIN: the time is up (checked above); EINTR: another signal interrupted the wait.
  }
}

}  // namespace etiquette
