#!/usr/bin/env bash
# Builds and runs the stack in the foreground until Ctrl-C: for now the evaluator, standalone,
# on 127.0.0.1:50051. Extra arguments go to etiquette-evaluator (for example --log_level=debug).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh" etiquette-evaluator

listen=127.0.0.1:50051
cat <<'EOT'

etiquette-evaluator is starting on 127.0.0.1:50051 (Ctrl-C stops it).
Try it from another terminal (grpcurl: https://github.com/fullstorydev/grpcurl; server
reflection is on, so no proto files are needed):

EOT
# The examples are the README's, printed from it so that the two never differ.
sed -n '/<!-- grpcurl-examples:begin -->/,/<!-- grpcurl-examples:end -->/p' "$root/README.md" |
  grep -v -e '<!--' -e '^```'
echo
exec "$root/build/evaluator/etiquette-evaluator" --listen="$listen" \
  --config="$root/deploy/config/evaluator.yaml" "$@"
