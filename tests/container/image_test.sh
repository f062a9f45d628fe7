#!/usr/bin/env bash
# container.image: the image, built and run for real with podman (issue 14).
#   1. ./scripts/build-image.sh: base images from Debian's mirror (once), then deploy/Dockerfile
#      with --pull=never (layers and the ccache mount reused).
#   2. Redis, history and the evaluator as containers, --read-only, --user 65532:65532, on a
#      podman network of their own: health SERVING, one RecordResponse to history and one
#      Evaluate that history's answer changes (DECISION_BLOCK), i.e. evaluator -> history ->
#      Redis through the containers.
#   3. The rendered dev overlay (kubectl kustomize, as deploy.render_and_validate renders it):
#      its Deployments, ConfigMaps, the Redis StatefulSet as a Deployment, and test Secrets,
#      with `podman kube play` (tests/container/kube_for_podman.py says what it changes and
#      why); every readiness service SERVING on its health port and the same calls.
# The client (grpc_reflect_cli, with the contract's protoset) runs in each container's network
# namespace (nsenter) and calls 127.0.0.1, so no port is published. Everything the test made is
# removed on exit, failed or not.
#
# usage: image_test.sh SOURCE_DIR CACHE_DIR GRPC_REFLECT_CLI PROTOSET
set -euo pipefail

if (( $# != 4 )); then
  echo "usage: $0 SOURCE_DIR CACHE_DIR GRPC_REFLECT_CLI PROTOSET" >&2
  exit 2
fi
ROOT=$(realpath "$1")
mkdir -p "$2"
CACHE=$(realpath "$2")
CLI=$3
PROTOSET=$4
# shellcheck source=../deploy/lib.sh
source "$ROOT/tests/deploy/lib.sh"   # render()

readonly WAIT_S=60          # bound for a service to become SERVING / a call to succeed
readonly POLL_S=0.2
readonly IMAGE=localhost/etiquette:dev
readonly REDIS_IMAGE=localhost/etiquette-redis:dev
podman() { "$ROOT/scripts/podman.sh" "$@"; }

run_id="etq-ct-$$"
net=$run_id
work=$(mktemp -d)
containers=()
pods=()
volumes=()
cleanup() {
  local status=$?
  if (( status != 0 )); then
    local c p pod_containers=()
    for p in "${pods[@]}"; do
      pod_containers+=($(podman ps -a --filter "pod=$p" --format '{{.Names}}' 2>/dev/null | grep -v -- '-infra$'))
    done
    for c in "${containers[@]}" "${pod_containers[@]}"; do
      echo "--- logs of $c (last 20 lines)" >&2
      podman logs --tail 20 "$c" >&2 2>&1 || true
    done
  fi
  for c in "${containers[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1 || true; done
  for p in "${pods[@]}"; do podman pod rm -f -t 0 "$p" >/dev/null 2>&1 || true; done
  for v in "${volumes[@]}"; do podman volume rm -f "$v" >/dev/null 2>&1 || true; done
  podman network rm -f "$net" >/dev/null 2>&1 || true
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
now() { date +%s; }

# in_netns CONTAINER CLI-ARGS...: the client inside CONTAINER's network namespace.
in_netns() {
  local pid
  pid=$(podman inspect -f '{{.State.Pid}}' "$1")
  shift
  nsenter -t "$pid" -n "$CLI" -protoset "$PROTOSET" -plaintext "$@"
}

# await_serving CONTAINER PORT SERVICE: health Check answers SERVING within the bound.
await_serving() {
  local deadline=$(( $(now) + WAIT_S )) out
  while true; do
    if [[ $(podman inspect -f '{{.State.Running}}' "$1") != true ]]; then
      fail "$1 is not running (exit code $(podman inspect -f '{{.State.ExitCode}}' "$1"))"
    fi
    out=$(in_netns "$1" -d "{\"service\": \"$3\"}" "127.0.0.1:$2" \
            grpc.health.v1.Health/Check 2>&1) || true
    if grep -q '"SERVING"' <<<"$out"; then
      echo "ok: $1 health $3 on :$2 SERVING" >&2
      return 0
    fi
    (( $(now) < deadline )) || fail "$1: health $3 on :$2 not SERVING after ${WAIT_S}s: $out"
    sleep "$POLL_S"
  done
}

# retry LABEL CMD...: runs CMD until it succeeds, within the bound (a fresh stack's first
# call may meet a connection still being made); prints CMD's last output.
retry() {
  local label=$1 deadline=$(( $(now) + WAIT_S )) out
  shift
  until out=$("$@" 2>&1); do
    (( $(now) < deadline )) || fail "$label: $out"
    sleep "$POLL_S"
  done
  printf '%s\n' "$out"
}

# check_calls EVALUATOR_CTR HISTORY_CTR LABEL: RecordInvitation + RecordResponse
# (REPORTED_UNKNOWN) on history, then Evaluate of the same pair until it answers
# DECISION_BLOCK without degraded (bounded).
check_calls() {
  local ev=$1 hi=$2 label=$3 inv="inv-$3-$$" out deadline
  retry "$label: RecordInvitation" in_netns "$hi" -d "{\"invitationId\": \"$inv\",
      \"senderId\": \"m-sam\", \"recipientId\": \"m-kim\"}" \
    127.0.0.1:50052 etiquette.v1.SenderHistory/RecordInvitation >/dev/null
  retry "$label: RecordResponse" in_netns "$hi" -d "{\"invitationId\": \"$inv\",
      \"senderId\": \"m-sam\", \"recipientId\": \"m-kim\",
      \"response\": \"INVITATION_RESPONSE_REPORTED_UNKNOWN\"}" \
    127.0.0.1:50052 etiquette.v1.SenderHistory/RecordResponse >/dev/null
  echo "ok: $label RecordResponse through the history container" >&2
  deadline=$(( $(now) + WAIT_S ))
  while true; do
    out=$(in_netns "$ev" -d "{\"invitation\": {\"invitationId\": \"$inv-again\",
        \"sender\": {\"memberId\": \"m-sam\"}, \"recipient\": {\"memberId\": \"m-kim\"},
        \"note\": \"We both work on payments, let us connect.\"}}" \
      127.0.0.1:50051 etiquette.v1.InvitationEvaluator/Evaluate 2>&1) || true
    if grep -q DECISION_BLOCK <<<"$out" && ! grep -q '"degraded": true' <<<"$out"; then
      echo "ok: $label Evaluate through the evaluator container: DECISION_BLOCK from history" >&2
      return 0
    fi
    (( $(now) < deadline )) || fail "$label: Evaluate did not answer DECISION_BLOCK: $out"
    sleep "$POLL_S"
  done
}

# --- 1. the image ----------------------------------------------------------------------------
start=$(now)
"$ROOT/scripts/build-image.sh" dev >"$work/build.log" 2>&1 || {
  tail -50 "$work/build.log" >&2
  fail "scripts/build-image.sh"
}
echo "ok: images built in $(( $(now) - start ))s" >&2
for image in "$IMAGE" "$REDIS_IMAGE" localhost/etiquette-tls-sidecar:dev; do
  podman image exists "$image" || fail "no image $image after the build"
done
[[ $(podman inspect -f '{{.Config.User}}' "$IMAGE") == 65532:65532 ]] || fail "image user"
[[ $(podman inspect -f '{{.Config.User}}' localhost/etiquette-tls-sidecar:dev) == 65532:65532 ]] ||
  fail "tls-sidecar user"
# Captured first: `grep -q` would close the pipe early, and pipefail would count podman's SIGPIPE.
stunnel_version="$(podman run --rm --read-only localhost/etiquette-tls-sidecar:dev stunnel -version 2>&1 || true)"
grep -q '^stunnel [0-9]' <<<"$stunnel_version" || fail "stunnel in the tls-sidecar image"

podman network create "$net" >/dev/null

# Secrets made by the test, readable by the containers' uid (owned by root: 0444).
secrets="$work/secrets"
mkdir -m 0755 "$secrets"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$secrets/admin-token"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$secrets/hmac-secret"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$secrets/redis-password"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$secrets/redis-admin-password"
chmod 0444 "$secrets"/*

# --- 2. plain containers -----------------------------------------------------------------------
run() {  # NAME ARGS...: detached, read-only, uid 65532, on the test network
  local name="$run_id-$1"
  shift
  containers+=("$name")
  podman run -d --name "$name" --network "$net" --read-only --user 65532:65532 \
    --cap-drop ALL --security-opt no-new-privileges "$@" >/dev/null
}
run redis --tmpfs /data:rw,mode=0777 "$REDIS_IMAGE" \
  redis-server --port 6379 --dir /data --save '' --appendonly no \
  --requirepass "$(cat "$secrets/redis-password")"
run history -v "$secrets:/etc/etiquette/secrets:ro" "$IMAGE" etiquette-history \
  --listen=0.0.0.0:50052 --health_listen=0.0.0.0:9112 \
  --redis="redis://$run_id-redis:6379/0" \
  --redis_password_file=/etc/etiquette/secrets/redis-password \
  --admin_token_file=/etc/etiquette/secrets/admin-token \
  --hmac_secret_file=/etc/etiquette/secrets/hmac-secret
run evaluator "$IMAGE" etiquette-evaluator \
  --listen=0.0.0.0:50051 --health_listen=0.0.0.0:9111 --history="$run_id-history:50052"

await_serving "$run_id-history" 9112 etiquette.v1.SenderHistory
await_serving "$run_id-evaluator" 9111 etiquette.v1.InvitationEvaluator
for c in history evaluator; do
  [[ $(podman exec "$run_id-$c" id -u) == 65532 ]] || fail "$c does not run as 65532"
  [[ $(podman inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$run_id-$c") == true ]] ||
    fail "$c: root file system not read-only"
done
check_calls "$run_id-evaluator" "$run_id-history" containers
for c in "${containers[@]}"; do podman rm -f -t 0 "$c" >/dev/null; done
containers=()

# --- 3. the dev overlay with podman kube play --------------------------------------------------
render dev "$work/dev.yaml"
mkdir "$work/kube"
python3 "$ROOT/tests/container/kube_for_podman.py" "$work/dev.yaml" "$work/kube" "$REDIS_IMAGE" \
  "etiquette-history-secrets=admin-token=$secrets/admin-token" \
  "etiquette-history-secrets=hmac-secret=$secrets/hmac-secret" \
  "etiquette-redis=password=$secrets/redis-password" \
  "etiquette-redis-admin=password=$secrets/redis-admin-password" >"$work/workloads"
grep -q '^etiquette-redis ' "$work/workloads" || fail "no Redis workload in the dev overlay"
# Redis first, then history, then the evaluator; each reachable by its Service's name.
for name in etiquette-redis etiquette-history etiquette-evaluator; do
  read -r -a line < <(awk -v n="$name" '$1 == n' "$work/workloads")
  (( ${#line[@]} >= 2 )) || fail "no workload $name in the dev overlay"
  file=${line[1]}
  pods+=("$name-pod-0")
  volumes+=("${line[@]:2}")
  # A previous run's leftovers (kube play reuses a volume of the same name as it is).
  podman pod rm -f -t 0 "$name-pod-0" >/dev/null 2>&1 || true
  for v in "${line[@]:2}"; do podman volume rm -f "$v" >/dev/null 2>&1 || true; done
  podman kube play --network "$net:alias=$name" "$file" >"$work/play-$name.log" 2>&1 || {
    cat "$work/play-$name.log" >&2
    fail "podman kube play $name"
  }
done
ctr() { podman ps -a --filter "pod=$1-pod-0" --filter "name=$1-pod-0-$2" --format '{{.Names}}'; }
history_ctr=$(ctr etiquette-history history)
evaluator_ctr=$(ctr etiquette-evaluator evaluator)
[[ -n $history_ctr && -n $evaluator_ctr ]] || fail "kube play made no history/evaluator container"
await_serving "$history_ctr" 9112 etiquette.v1.SenderHistory
await_serving "$evaluator_ctr" 9111 etiquette.v1.InvitationEvaluator
for c in "$history_ctr" "$evaluator_ctr"; do
  [[ $(podman inspect -f '{{.Config.User}}' "$c") == 65532* ]] || fail "$c: user"
  [[ $(podman inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$c") == true ]] ||
    fail "$c: root file system not read-only"
done
check_calls "$evaluator_ctr" "$history_ctr" "kube-play"
echo "PASS: image built; stack served from containers and from podman kube play of the dev overlay" >&2
