#!/usr/bin/env bash
# Builds and runs the whole stack in the foreground until Ctrl-C:
#   redis-server        127.0.0.1:${REDIS_PORT:-6380}  data and append-only file under var/redis
#   etiquette-history   127.0.0.1:50052                admin token and HMAC secret under var/
#                       127.0.0.1:50053                admin service (plaintext, local only)
#   etiquette-evaluator 127.0.0.1:50051                asks history for every invitation
# Prometheus metrics: http://127.0.0.1:9101/metrics (evaluator), :9102 (history).
# Extra arguments go to etiquette-evaluator (for example --log_level=debug).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh" etiquette-evaluator etiquette-history

redis_port=${REDIS_PORT:-6380}
var="$root/var"
mkdir -p "$var/redis"
chmod 700 "$var"
# Secrets made once and kept: the admin token operators send, and the key of recipient hashes
# (changing it would orphan every stored pair).
for secret in admin_token hmac_secret; do
  if [[ ! -s "$var/$secret" ]]; then
    head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > "$var/$secret"
    chmod 600 "$var/$secret"
  fi
done

pids=()
# SIGINT, not SIGTERM: the services then skip their drain delay (--drain_delay_s, meant for
# Kubernetes' endpoint removal) and stop at once, after finishing the calls in flight.
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$var/redis" --save "" \
  --appendonly yes --appendfsync always --protected-mode yes --logfile "$var/redis.log" &
pids+=($!)
for _ in $(seq 100); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "redis-server failed; see $var/redis.log" >&2; exit 1; }
  sleep 0.1
done
redis-cli -p "$redis_port" ping >/dev/null || { echo "redis-server did not answer" >&2; exit 1; }

"$root/build/history/etiquette-history" --listen=127.0.0.1:50052 --admin_listen=127.0.0.1:50053 \
  --metrics_listen=127.0.0.1:9102 --redis="redis://127.0.0.1:$redis_port" \
  --config="$root/deploy/config/history.yaml" \
  --admin_token_file="$var/admin_token" --hmac_secret_file="$var/hmac_secret" &
pids+=($!)

"$root/build/evaluator/etiquette-evaluator" --listen=127.0.0.1:50051 --metrics_listen=127.0.0.1:9101 \
  --config="$root/deploy/config/evaluator.yaml" --history=127.0.0.1:50052 "$@" &
pids+=($!)

cat <<EOT

The stack is starting: evaluator 127.0.0.1:50051, history 127.0.0.1:50052 (admin service
127.0.0.1:50053), Redis 127.0.0.1:$redis_port (data in var/redis). Ctrl-C stops all three.
Try it from another terminal in $root (grpcurl: https://github.com/fullstorydev/grpcurl;
server reflection is on, so no proto files are needed):

EOT
# The examples are the README's, printed from it so that the two never differ.
sed -n '/<!-- grpcurl-examples:begin -->/,/<!-- grpcurl-examples:end -->/p' "$root/README.md" |
  grep -v -e '<!--' -e '^```'
echo
# Stop everything as soon as any of the three exits.
wait -n "${pids[@]}"
echo "a process of the stack exited; stopping the others" >&2
