#!/usr/bin/env bash
# Installs missing packages, builds everything and runs every test through ctest. Exits
# non-zero on any failure. This is what CI runs (.ci/run).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
"$root/scripts/fuzz.sh"  # bounded libFuzzer run (clang-14, ASan+UBSan, build-fuzz/; FUZZ_SECONDS=60)
cd "$root/build"
ctest --output-on-failure --no-tests=error -j2 "$@"
if [[ "${ETIQUETTE_SOAK:-}" == 1 ]]; then SOAK_NO_BUILD=1 "$root/tests/faults/soak.sh"; fi  # 60 s soak (issue 5), only when asked: ETIQUETTE_SOAK=1 ./scripts/test.sh
