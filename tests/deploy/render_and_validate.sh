#!/usr/bin/env bash
# deploy.render_and_validate: renders every overlay under deploy/overlays with plain
# `kubectl kustomize` and validates every object against the Kubernetes API schemas
# (kubernetes-models, installed here by npm ci from the committed package-lock.json), then
# checks the deployment's invariants (validate.mjs: resources, securityContext, gRPC probes on
# the health port, termination grace vs --shutdown_grace_s, scrape annotations, references
# between objects, Secrets documented in deploy/README.md).
#
# usage: render_and_validate.sh SOURCE_DIR CACHE_DIR
set -euo pipefail

if (( $# != 2 )); then
  echo "usage: $0 SOURCE_DIR CACHE_DIR" >&2
  exit 2
fi
ROOT=$(realpath "$1")
mkdir -p "$2"
CACHE=$(realpath "$2")
# shellcheck source=lib.sh
source "$ROOT/tests/deploy/lib.sh"

work_dir=$(mktemp -d)
cleanup() {
  rm -rf "$work_dir"
  [[ -z $NODE_RUN_DIR ]] || rm -rf "$NODE_RUN_DIR"
}
trap cleanup EXIT

install_node_modules
rendered=()
for overlay in $(overlays); do
  render "$overlay" "$work_dir/$overlay.yaml"
  rendered+=("$overlay=$work_dir/$overlay.yaml")
done
if (( ${#rendered[@]} < 2 )); then
  echo "FAIL: expected at least the dev and production overlays under deploy/overlays" >&2
  exit 1
fi
run_node validate.mjs "$ROOT/deploy/README.md" "${rendered[@]}"
