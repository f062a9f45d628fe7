#!/usr/bin/env bash
# The client service config shown in the README is deploy/grpc/service-config.json, byte for
# byte (the file is what callers and the evaluator's own channel use).
set -euo pipefail
root="$1"
shown="$(sed -n '/<!-- service-config:begin -->/,/<!-- service-config:end -->/p' "$root/README.md" |
  grep -v -e '<!--' -e '^```')"
if ! diff <(printf '%s\n' "$shown") "$root/deploy/grpc/service-config.json"; then
  echo "README.md's service config differs from deploy/grpc/service-config.json" >&2
  exit 1
fi
echo "1 passed, 0 failed"
