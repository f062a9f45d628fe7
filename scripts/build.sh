#!/usr/bin/env bash
# Installs missing packages, configures build/ (Release, Ninja) once and builds the given
# targets (all when none). Shared by run.sh and test.sh so both reuse one build tree.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
build="$root/build"
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DETIQUETTE_WERROR=ON -DETIQUETTE_BENCH=ON
fi
targets=("$@")
ninja -C "$build" "${targets[@]}"
