#pragma once

#include <functional>

#include "absl/time/time.h"

namespace etiquette {

// The current time; injected so that tests control it.
using Clock = std::function<absl::Time()>;

}  // namespace etiquette
