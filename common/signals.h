#pragma once

#include <csignal>

#include "absl/time/time.h"

namespace etiquette {

// The signals a server acts on: SIGINT and SIGTERM stop it, SIGHUP reloads its config.
// BlockServerSignals() blocks them in the calling thread and every thread started after it, so
// call it before starting any; then WaitForServerSignal() takes them one at a time.
sigset_t BlockServerSignals();
int WaitForServerSignal(const sigset_t& signals);
// The same, giving up after `timeout`: 0 when no signal came.
int WaitForServerSignalFor(const sigset_t& signals, absl::Duration timeout);

}  // namespace etiquette
