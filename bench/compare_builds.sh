#!/usr/bin/env bash
# Compares two builds of the evaluator on this machine: starts both (standalone, deployed
# config, --log_level=warn), then alternates closed-loop Evaluate runs of the load generator
# against each, so the machine's noise falls on both alike. Prints calls/s and the server's CPU
# per call (from /proc) for every run, then the medians.
#
#   bench/compare_builds.sh OLD_EVALUATOR NEW_EVALUATOR [ROUNDS] [SECONDS]
#   (e.g. a worktree of the old commit built with scripts/build.sh, against build/)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
old="$1" new="$2" rounds="${3:-8}" seconds="${4:-4}"
loadgen="$root/build/bench/etiquette-loadgen"
[[ -x "$loadgen" ]] || "$root/scripts/build.sh" etiquette-loadgen
work="$(mktemp -d)"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() {  # binary port
  "$1" --listen="127.0.0.1:$2" --metrics_listen= --log_level=warn \
    --config="$root/deploy/config/evaluator.yaml" >"$work/$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do  # until it answers, at most 10 s
    "$loadgen" --target="127.0.0.1:$2" --calls=1 --inflight=1 --quiet >/dev/null 2>&1 && return
    sleep 0.1
  done
  echo "compare_builds: $1 did not start" >&2; exit 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

port_old=$(free_port); start "$old" "$port_old"; pid_old=${pids[-1]}
port_new=$(free_port); start "$new" "$port_new"; pid_new=${pids[-1]}
ticks=$(getconf CLK_TCK)
echo "build calls/s server_cpu_us_per_call"
for _ in $(seq "$rounds"); do
  for which in old new; do
    port_var="port_$which" pid_var="pid_$which"
    before=$(cpu_ticks "${!pid_var}")
    "$loadgen" --target="127.0.0.1:${!port_var}" --duration_s="$seconds" --warmup_s=0 \
      --json="$work/run.json" --quiet >/dev/null
    after=$(cpu_ticks "${!pid_var}")
    jq -r --arg b "$which" --argjson c $((after - before)) --argjson t "$ticks" \
      '"\($b) \(.calls_per_s|floor) \((($c / $t) * 1e6 / .calls_ok)|floor)"' "$work/run.json"
  done
done | tee "$work/runs.txt"
for which in old new; do
  awk -v b="$which" '$1 == b {print $2, $3}' "$work/runs.txt" | sort -n -k1 | awk -v b="$which" \
    '{r[NR]=$1} END {printf "%s median calls/s %d\n", b, (NR % 2 ? r[(NR+1)/2] : (r[NR/2] + r[NR/2+1]) / 2)}'
  awk -v b="$which" '$1 == b {print $3}' "$work/runs.txt" | sort -n | awk -v b="$which" \
    '{r[NR]=$1} END {printf "%s median server CPU us a call %d\n", b, (NR % 2 ? r[(NR+1)/2] : (r[NR/2] + r[NR/2+1]) / 2)}'
done
