#!/usr/bin/env bash
# Installs missing packages, builds everything and runs every test through ctest. Exits
# non-zero on any failure. This is what CI runs (.ci/run).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure --no-tests=error -j2 "$@"
