#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what clang-format (.clang-format at the root)
# makes of it, and names the files. Fix with: ./scripts/check-format.sh --fix
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
"./scripts/install-deps.sh"
mapfile -t files < <(git ls-files '*.cc' '*.h')
if [[ "${1:-}" == --fix ]]; then
  clang-format-14 -i "${files[@]}"
  exit 0
fi
clang-format-14 --dry-run -Werror "${files[@]}"
echo "check-format: ${#files[@]} files formatted as .clang-format says"
