#!/usr/bin/env bash
# Runs buf (https://buf.build), the version pinned by scripts/tools/package-lock.json, with the
# given arguments from proto/ (where buf.yaml is). Installs it first with `npm ci` into
# build/tools/ when that copy is missing or came from another lock file (the npm registry must
# be reachable then); serialised with flock, since ctest may run several buf tests at once.
#   scripts/buf.sh lint
#   scripts/buf.sh breaking --against released/etiquette-v1.0.0.binpb
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${ETIQUETTE_TOOLS_DIR:-$root/build/tools}"
mkdir -p "$tools"
(
  flock 9
  if [[ -x $tools/node_modules/.bin/buf ]] &&
     cmp -s "$root/scripts/tools/package-lock.json" "$tools/installed-package-lock.json"; then
    exit 0
  fi
  command -v npm >/dev/null || { echo "buf.sh: npm not found (Node.js 20 is on the machine)" >&2; exit 1; }
  cp "$root/scripts/tools/package.json" "$root/scripts/tools/package-lock.json" "$tools/"
  rm -rf "$tools/node_modules" "$tools/installed-package-lock.json"
  echo "buf.sh: npm ci into $tools" >&2
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >&2)
  cp "$root/scripts/tools/package-lock.json" "$tools/installed-package-lock.json"
) 9>"$tools.lock"
cd "${BUF_WORKDIR:-$root/proto}"
exec "$tools/node_modules/.bin/buf" "$@"
