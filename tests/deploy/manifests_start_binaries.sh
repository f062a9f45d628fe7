#!/usr/bin/env bash
# deploy.manifests_start_binaries: for every overlay under deploy/overlays, starts the real
# etiquette-evaluator and etiquette-history (and redis-server) with exactly the command, args,
# env, files and ports that the rendered manifests give them, and checks that every gRPC probe
# answers SERVING, every scrape target answers HTTP 200, the evaluator reaches history, and
# SIGTERM ends each service with exit 0 inside its termination grace period. A manifest that
# drifts from the binaries (a flag they do not have, a probe on the wrong port, a file that is
# not mounted) fails here. The details, and what exactly is replaced (hosts, ports, mounted
# files, secrets), are in start_binaries.mjs.
#
# This half renders the overlays, makes the test PKI with the openssl command line (a CA and
# one certificate for servers and clients, naming 127.0.0.1, localhost and every Service), and
# cleans up: every process the Node half started is in PID_FILE and is killed on exit.
#
# usage: manifests_start_binaries.sh SOURCE_DIR CACHE_DIR EVALUATOR HISTORY GRPC_REFLECT_CLI
set -euo pipefail

readonly KILL_POLLS=50  # x 0.1 s after SIGTERM before SIGKILL, for leftovers only.

if (( $# != 5 )); then
  echo "usage: $0 SOURCE_DIR CACHE_DIR EVALUATOR HISTORY GRPC_REFLECT_CLI" >&2
  exit 2
fi
ROOT=$(realpath "$1")
mkdir -p "$2"
CACHE=$(realpath "$2")
evaluator=$(realpath "$3") history=$(realpath "$4") cli=$(realpath "$5")
# shellcheck source=lib.sh
source "$ROOT/tests/deploy/lib.sh"

for tool in openssl redis-server redis-cli node; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found" >&2; exit 1; }
done

work_dir=$(mktemp -d)
pid_file="$work_dir/pids"
: >"$pid_file"

# Normally the Node half has stopped everything already; this catches the rest (a crash, a
# signal to this script).
cleanup() {
  local pid i
  while read -r pid; do
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid" 2>/dev/null || true
    for (( i = 0; i < KILL_POLLS; i++ )); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  done <"$pid_file"
  rm -rf "$work_dir"
  [[ -z $NODE_RUN_DIR ]] || rm -rf "$NODE_RUN_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# make_pki DIR NAME...: ca.crt/ca.key, and leaf.crt/leaf.key signed by it for NAME... and
# 127.0.0.1, usable as a server and as a client certificate (gRPC checks the key usage).
make_pki() {
  local dir=$1 san="IP:127.0.0.1" name
  shift
  for name in "$@"; do san+=",DNS:$name"; done
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=etiquette deploy test CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>"$dir/openssl.log"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=etiquette deploy test" -keyout "$dir/leaf.key" -out "$dir/leaf.csr" \
    2>>"$dir/openssl.log"
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=$san" >"$dir/leaf.ext"
  openssl x509 -req -in "$dir/leaf.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 2 -extfile "$dir/leaf.ext" -out "$dir/leaf.crt" 2>>"$dir/openssl.log"
}

install_node_modules
rendered=()
for overlay in $(overlays); do
  render "$overlay" "$work_dir/$overlay.yaml"
  rendered+=("$overlay=$work_dir/$overlay.yaml")
done
# (Not `mapfile < <(...)`: a failure there would go unnoticed.)
names=$(run_node start_binaries.mjs sans "${rendered[@]}")
mapfile -t names <<<"$names"
make_pki "$work_dir/pki" "${names[@]}"
run_node start_binaries.mjs run "$work_dir/run" "$work_dir/pki" "$pid_file" \
  "$evaluator" "$history" "$cli" "${rendered[@]}"
