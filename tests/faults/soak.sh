#!/usr/bin/env bash
# The soak of issue 5: 60 s at 80% of the maximum rate across both services (real
# redis-server, etiquette-history, etiquette-evaluator wired to it), zero errors, resident
# memory growth under 10%. See tests/faults/soak_test.cc. ~75 s; prints "[figures] soak ...".
#
#   tests/faults/soak.sh                              # build fault_tests in build/, run the soak
#   ETIQUETTE_SOAK=1 ./scripts/test.sh                # the whole test run, then the soak
#   ETIQUETTE_SOAK_SECONDS=600 tests/faults/soak.sh   # longer (also _LOAD=0.8,
#                                                     # _WARMUP_SECONDS=10, _MAX_SECONDS=5,
#                                                     # _REDIS_PAUSE_MS=600, 0: no freeze)
#   BUILD_DIR=build-x tests/faults/soak.sh            # another build tree (ninja fault_tests)
#   SOAK_NO_BUILD=1 tests/faults/soak.sh              # already built (scripts/test.sh does so)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
if [[ -z "${SOAK_NO_BUILD:-}" ]]; then
  if [[ -n "${BUILD_DIR:-}" ]]; then
    ninja -C "$build" fault_tests
  else
    "$root/scripts/build.sh" fault_tests  # installs missing packages, configures build/ once
  fi
fi
ETIQUETTE_SOAK=1 exec "$build/tests/fault_tests" --gtest_filter='SoakTest.*' "$@"
