#!/usr/bin/env bash
# Closed-loop Evaluate load with h2load (Debian nghttp2-client), an HTTP/2 load generator that is
# not the project's, against any InvitationEvaluator on plaintext HTTP/2:
#
#   bench/h2load/run_h2load.sh --target HOST:PORT --body FILE --grpc-body BIN --json OUT
#       [--duration S] [--warmup S] [--connections C] [--streams M] [--threads T]
#       [--metrics HOST:PORT]
#
# FILE is the framed EvaluateRequest (`etiquette-grpc-body request FILE`); BIN is
# etiquette-grpc-body. h2load counts HTTP statuses only, and a gRPC error is an HTTP 200 with a
# non-zero grpc-status trailer, so before the load the same body is sent once with nghttp: its
# trailers must say grpc-status 0 and its DATA must be an EvaluateResponse with a verdict for the
# invitation (`etiquette-grpc-body check-response`). The server answers every copy of that body
# alike (no state, fixed clock-independent input), so a valid first answer plus h2load's count
# of 2xx answers, no other status, no failed, errored or timed-out request, is every answer a
# gRPC OK. With --metrics (a server with the project's Prometheus interceptor, e.g. the
# evaluator), the server's own count is checked too: its OK answers to Evaluate grew by at least
# the calls h2load counted (the warm-up's calls are OK too). Its non-OK answers are reported
# (non_ok_at_server): when the duration ends h2load resets the streams in flight, some with
# their request half sent, and the server answers those INVALID_ARGUMENT or CANCELLED; h2load
# counts none of them. Any of those checks failing exits 1 with h2load's output.
#
# C connections with M streams each, T threads: C*M calls in flight (bench/run.sh: as many
# connections and threads as etiquette-loadgen, 2, and the same total in flight). OUT gets
# {calls_per_s, calls_ok, calls_failed, status_2xx, latency_ms: {mean, max}, loadgen_cpu_cores,
# tool: "h2load"}: the shape bench/run.sh reads from the load generator's report.
set -euo pipefail

target="" body="" grpc_body="" json="" metrics="" duration=10 warmup=2 connections=2 streams=16 threads=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --target) target="$2"; shift ;;
    --body) body="$2"; shift ;;
    --grpc-body) grpc_body="$2"; shift ;;
    --json) json="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    --streams) streams="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --metrics) metrics="$2"; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
if [[ -z "$target" || -z "$body" || -z "$grpc_body" || -z "$json" ]]; then
  echo "--target, --body, --grpc-body and --json are required" >&2
  exit 2
fi
if ! command -v h2load >/dev/null || ! command -v nghttp >/dev/null; then
  echo "h2load and nghttp not found: scripts/install-deps.sh installs nghttp2-client" >&2
  exit 2
fi

url="http://$target/etiquette.v1.InvitationEvaluator/Evaluate"
headers=(-H 'content-type: application/grpc' -H 'te: trailers')
work="$(mktemp -d /tmp/etiquette-h2load.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# 1. One call with nghttp (POST because of --data; prior-knowledge HTTP/2 on http://).
nghttp -v -n --data="$body" "${headers[@]}" "$url" > "$work/verbose.txt" 2>&1 || true
nghttp --data="$body" "${headers[@]}" "$url" > "$work/answer.bin" 2>"$work/nghttp.err" || true
# nghttp -v: "[  0.007] recv (stream_id=13) grpc-status: 0".
if ! grep -Eq 'recv \(stream_id=[0-9]+\) grpc-status: 0$' "$work/verbose.txt" ||
  ! grep -Eq 'recv \(stream_id=[0-9]+\) :status: 200$' "$work/verbose.txt"; then
  echo "run_h2load: the check call did not answer grpc-status 0; nghttp says:" >&2
  grep -E ':status|grpc-status|grpc-message|error|ERROR' "$work/verbose.txt" >&2 || cat "$work/verbose.txt" >&2
  exit 1
fi
if ! "$grpc_body" check-response "$work/answer.bin" > "$work/check.txt"; then
  echo "run_h2load: the check call's answer is not a valid verdict" >&2
  exit 1
fi

# "OK NOT_OK": the server's Evaluate answers so far, from its metrics endpoint.
server_counts() {
  curl -sf "http://$metrics/metrics" | awk '
    /^etiquette_grpc_server_handled_total\{/ && /grpc_method="Evaluate"/ &&
    /grpc_service="etiquette.v1.InvitationEvaluator"/ {
      if ($0 ~ /grpc_code="OK"/) ok += $NF; else other += $NF }
    END {printf "%d %d\n", ok, other}'
}
ok0=0 other0=0
[[ -n "$metrics" ]] && read -r ok0 other0 < <(server_counts)

# 2. The load. h2load's own CPU: the children's times of this subshell (bash `times`).
(
  h2load -D "$duration" --warm-up-time="$warmup" -c "$connections" -m "$streams" -t "$threads" \
    --data="$body" "${headers[@]}" "$url" > "$work/h2load.txt" 2>&1
  echo "rc=$?" >> "$work/h2load.txt"
  times > "$work/times.txt"
) || true
out="$work/h2load.txt"
# "finished in 10.00s, 12345.60 req/s, 1.2MB/s"
rps=$(awk '/^finished in/ {gsub(",", "", $4); print $4}' "$out")
# "requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout"
read -r total _ succeeded failed errored timeout < <(awk '/^requests:/ {
  gsub(",", ""); print $2, $6, $8, $10, $12, $14}' "$out")
# "status codes: N 2xx, N 3xx, N 4xx, N 5xx"
read -r s2 s3 s4 s5 < <(awk '/^status codes:/ {gsub(",", ""); print $3, $5, $7, $9}' "$out")
# "time for request:  MIN  MAX  MEAN  SD  +/- sd" (units us, ms or s)
to_ms() { awk -v v="$1" 'BEGIN{ if (v ~ /us$/) printf "%.4f", v / 1000; else if (v ~ /ms$/) printf "%.4f", v + 0;
  else printf "%.4f", v * 1000 }'; }
read -r tmax tmean < <(awk '/^time for request:/ {print $5, $6}' "$out")
if [[ -z "$rps" || -z "$succeeded" || -z "$s2" ]] || ! grep -q '^rc=0$' "$out" ||
  [[ "$failed" != 0 || "$errored" != 0 || "$timeout" != 0 || "$s3" != 0 || "$s4" != 0 ||
     "$s5" != 0 || "$s2" != "$succeeded" || "$succeeded" -eq 0 ]]; then
  echo "run_h2load: h2load failed or saw answers other than 2xx; its output:" >&2
  cat "$out" >&2
  exit 1
fi
ok_at_server=null non_ok_at_server=null
if [[ -n "$metrics" ]]; then
  read -r ok1 other1 < <(server_counts)
  ok_at_server=$((ok1 - ok0))
  non_ok_at_server=$((other1 - other0))
  if [[ $ok_at_server -lt $succeeded ]]; then
    echo "run_h2load: h2load counted $succeeded answers but the server answered only" \
      "$ok_at_server OK ($non_ok_at_server not OK)" >&2
    cat "$out" >&2
    exit 1
  fi
fi
# `times`' second line: the children's user and system time, "0m1.234s 0m0.567s".
cpu_s=$(sed -n 2p "$work/times.txt" | awk '{
  s = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); s += a[1] * 60 + a[2] }
  print s}')
wall=$(awk -v d="$duration" -v w="$warmup" 'BEGIN{print d + w}')
jq -n --argjson rps "$rps" --argjson ok "$succeeded" --argjson total "$total" \
  --argjson s2 "$s2" --argjson mean "$(to_ms "$tmean")" --argjson max "$(to_ms "$tmax")" \
  --argjson cpu "$(awk -v c="$cpu_s" -v w="$wall" 'BEGIN{printf "%.3f", c / w}')" \
  --arg target "$target" --argjson c "$connections" --argjson m "$streams" --argjson t "$threads" \
  --arg check "$(cat "$work/check.txt")" --argjson ok_srv "$ok_at_server" \
  --argjson non_ok_srv "$non_ok_at_server" '
  {tool: "h2load", target: $target, method: "Evaluate", mode: "closed",
   inflight: ($c * $m), connections: $c, streams_per_connection: $m, threads: $t,
   calls_per_s: $rps, calls_ok: $ok, calls_failed: 0, requests_total: $total, status_2xx: $s2,
   latency_ms: {mean: $mean, max: $max}, loadgen_cpu_cores: $cpu, check_call: $check,
   ok_at_server: $ok_srv, non_ok_at_server: $non_ok_srv}' > "$json"
sed 's/^/    /' "$out" | grep -E 'finished in|requests:|status codes:|time for request' >&2 || true
