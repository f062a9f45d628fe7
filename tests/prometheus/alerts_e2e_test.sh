#!/usr/bin/env bash
# prometheus.alerts_end_to_end: a real Prometheus (Debian's 2.42) scraping the real evaluator and
# history (every 1 s, rules evaluated every 1 s) in front of a real redis-server, all on
# loopback, under a light load (Evaluate with history, RecordInvitation, ~10 calls/s each):
#   1. no alert of the two before the outage;
#   2. Redis is killed: EtiquetteRedisUnreachable and EtiquetteVerdictsDegraded fire within
#      FIRE_BOUND_S (/api/v1/alerts);
#   3. meanwhile every dashboard panel query returns data (/api/v1/query);
#   4. Redis is restarted: both resolve within RESOLVE_BOUND_S (their 1 m rate windows drain).
# The rules are deploy/prometheus/etiquette-rules.yml with every `for:` shortened to 5 s (test
# only; in production EtiquetteRedisUnreachable and EtiquetteVerdictsDegraded wait 1 m more).
# Prints the measured timeline as "[timeline] ..." lines.
# Usage: alerts_e2e_test.sh ROOT EVALUATOR HISTORY GRPC_REFLECT_CLI
set -euo pipefail
root="$1" evaluator="$2" history="$3" cli="$4"
FIRE_BOUND_S=45
RESOLVE_BOUND_S=120
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for log in "$work"/*.log; do echo "--- $log"; tail -n 20 "$log"; done >&2
  exit 1
}

# A loopback port nothing listens on (the binaries themselves bind port 0 and print theirs).
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 40000))
    [[ -z $(ss -Hltn "sport = :$port") ]] && { echo "$port"; return; }
  done
  fail "no free port"
}
# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.5 s until it succeeds.
wait_for() {
  local seconds="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || fail "not within ${seconds}s: $what"
    sleep 0.5
  done
}
log_port() {  # log_port LOG WORD: the number after "WORD port " in the serving line
  sed -n "s/.* $2 port \([0-9]*\).*/\1/p" "$1" | head -n 1
}
serving() { grep -q 'serving on' "$1"; }

redis_port=$(free_port)
start_redis() {
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    >> "$work/redis.log" 2>&1 &
  redis_pid=$!
  pids+=("$redis_pid")
  wait_for 10 "redis-server answers" redis-cli -p "$redis_port" ping
}
start_redis

echo "alerts-e2e-hmac-secret-0123456789abcdef" > "$work/hmac_secret"
"$history" --listen=127.0.0.1:0 --health_listen= --metrics_listen=127.0.0.1:0 \
  --redis="redis://127.0.0.1:$redis_port" --hmac_secret_file="$work/hmac_secret" --admin_listen= \
  > "$work/history.log" 2>&1 &
pids+=($!)
wait_for 10 "history serving" serving "$work/history.log"
history_port=$(sed -n 's/.*serving on [^ ]* (port \([0-9]*\)).*/\1/p' "$work/history.log" | head -n 1)
history_metrics=$(log_port "$work/history.log" metrics)

"$evaluator" --listen=127.0.0.1:0 --health_listen= --metrics_listen=127.0.0.1:0 \
  --history="127.0.0.1:$history_port" > "$work/evaluator.log" 2>&1 &
pids+=($!)
wait_for 10 "evaluator serving" serving "$work/evaluator.log"
evaluator_port=$(sed -n 's/.*serving on [^ ]* (port \([0-9]*\)).*/\1/p' "$work/evaluator.log" | head -n 1)
evaluator_metrics=$(log_port "$work/evaluator.log" metrics)
[[ -n $history_port && -n $history_metrics && -n $evaluator_port && -n $evaluator_metrics ]] ||
  fail "ports not found in the serving lines"

sed -E 's/^( +for: ).*/\15s/' "$root/deploy/prometheus/etiquette-rules.yml" > "$work/rules.yml"
cat > "$work/prometheus.yml" <<CONFIG
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["$work/rules.yml"]
scrape_configs:
  - job_name: etiquette-evaluator
    static_configs: [{targets: ["127.0.0.1:$evaluator_metrics"]}]
  - job_name: etiquette-history
    static_configs: [{targets: ["127.0.0.1:$history_metrics"]}]
CONFIG
prometheus_port=$(free_port)
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prometheus_port" > "$work/prometheus.log" 2>&1 &
pids+=($!)
api="http://127.0.0.1:$prometheus_port/api/v1"
wait_for 20 "Prometheus ready" curl -sf "http://127.0.0.1:$prometheus_port/-/ready" -o /dev/null

# Load: one Evaluate (which asks history) and one RecordInvitation after the other.
(
  i=0
  while true; do
    i=$((i + 1))
    "$cli" -plaintext -d '{"invitation": {"invitationId": "inv-'$i'", "sender": {"memberId": "m-a"},
        "recipient": {"memberId": "m-b"}, "note": "Hi, we met at the Berlin meetup."}}' \
      "127.0.0.1:$evaluator_port" etiquette.v1.InvitationEvaluator/Evaluate > /dev/null 2>&1 || true
    "$cli" -plaintext -d '{"invitationId": "inv-'$i'", "senderId": "m-a", "recipientId": "m-b"}' \
      "127.0.0.1:$history_port" etiquette.v1.SenderHistory/RecordInvitation > /dev/null 2>&1 || true
  done
) &
pids+=($!)

series_count() {  # series_count PROMQL
  curl -s -G "$api/query" --data-urlencode "query=$1" | jq '.data.result | length'
}
has_data() { [[ $(series_count "$1") -gt 0 ]]; }
# The 1 h and 6 h recording rules need two scrapes of traffic; wait for the last panel's input.
wait_for 60 "Evaluate traffic recorded" has_data 'etiquette:verdicts_degraded:error_ratio_rate6h'

alert_state() {  # alert_state NAME: firing, pending or none
  curl -s "$api/alerts" |
    jq -r --arg a "$1" '[.data.alerts[] | select(.labels.alertname == $a) | .state] | first // "none"'
}
firing() { [[ $(alert_state "$1") == firing ]]; }
resolved() { [[ $(alert_state "$1") == none ]]; }
for alert in EtiquetteRedisUnreachable EtiquetteVerdictsDegraded; do
  [[ $(alert_state "$alert") == none ]] || fail "$alert is $(alert_state "$alert") before the outage"
done

# 2. Kill Redis.
kill -9 "$redis_pid"
killed_at=$SECONDS
for alert in EtiquetteRedisUnreachable EtiquetteVerdictsDegraded; do
  wait_for $((FIRE_BOUND_S - (SECONDS - killed_at))) "$alert firing after Redis was killed" \
    firing "$alert"
  echo "[timeline] $alert firing $((SECONDS - killed_at)) s after Redis was killed (bound ${FIRE_BOUND_S} s)"
done

# 3. Every dashboard panel's query returns data ($__rate_interval as 1m); during the outage, so
# that Redis errors and degraded verdicts exist.
while IFS= read -r expr; do
  query="${expr//\$__rate_interval/1m}"
  wait_for 30 "panel query returns data: $query" has_data "$query"
done < <(jq -r '.panels[] | select(.type != "row") | .targets[].expr' \
  "$root/deploy/grafana/etiquette-dashboard.json")
echo "ok: every dashboard panel query returns data"

# 4. Redis back (empty: the test's data does not matter).
start_redis
back_at=$SECONDS
for alert in EtiquetteRedisUnreachable EtiquetteVerdictsDegraded; do
  wait_for $((RESOLVE_BOUND_S - (SECONDS - back_at))) "$alert resolved after Redis returned" \
    resolved "$alert"
  echo "[timeline] $alert resolved $((SECONDS - back_at)) s after Redis returned (bound ${RESOLVE_BOUND_S} s)"
done
echo "ok: the Redis and degraded-verdicts alerts fire and resolve within their bounds"
