#!/usr/bin/env bash
# podman with the project's settings (scripts/podman/containers.conf); arguments as podman's.
#   ./scripts/podman.sh images
set -euo pipefail
CONTAINERS_CONF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/podman/containers.conf"
export CONTAINERS_CONF
exec podman "$@"
