#!/usr/bin/env bash
# Builds deploy/Dockerfile with podman, offline apart from the Debian mirror (--pull=never):
#   etiquette:dev              both services (stage runtime; what the dev overlay runs)
#   etiquette-tls-sidecar:dev  stunnel for TLS to Redis (stage tls-sidecar)
#   etiquette-redis:dev        Debian's redis-server (stage redis; for tests/container)
# Installs what is missing, makes the base images once (scripts/base-image.sh). Layers and the
# ccache mount are reused, so a rebuild after a source change compiles only what changed.
#   ./scripts/build-image.sh [TAG]      (default tag: dev)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tag=${1:-dev}
"$root/scripts/install-deps.sh"
"$root/scripts/base-image.sh"
build() {  # STAGE IMAGE
  echo "build-image: $1 -> $2:$tag" >&2
  "$root/scripts/podman.sh" build --pull=never --layers -f "$root/deploy/Dockerfile" \
    --ignorefile "$root/deploy/Dockerfile.dockerignore" \
    --target "$1" -t "$2:$tag" "$root"
}
build runtime etiquette
build tls-sidecar etiquette-tls-sidecar
build redis etiquette-redis
