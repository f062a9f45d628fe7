#!/usr/bin/env bash
# Runs every grpcurl command printed in README.md, as printed and in order, against a fresh
# stack like scripts/run.sh's (redis-server, etiquette-history, etiquette-evaluator wired to
# it), with grpc_reflect_cli (tests/tools) standing in for grpcurl. Passes (exit 0) when there
# are at least MIN_COMMANDS such commands, every one exits 0, and every output shows what the
# comment just above its command promises: a decision (DECISION_SEND, ...), a standing state
# (STANDING_STATE_RESTRICTED, ...) or SERVING.
#
# Then it runs every command a second time, against a second fresh stack, the way production
# is used (server reflection off): with `-protoset PROTOSET` (the build's etiquette.protoset)
# added unless the command already has one, and proves that no reflection call was made, two
# ways: the CLI runs with GRPC_REFLECT_CLI_NO_REFLECTION set (it then refuses to open a
# reflection stream; checked once on a plain command), and both servers' own metrics count no
# grpc.reflection call at all on that stack (while the first stack's count some). The README
# must show at least one -protoset command; those run with the variable set in both passes.
#
# usage: readme_grpcurl_test.sh EVALUATOR_BINARY HISTORY_BINARY GRPC_REFLECT_CLI README_MD
#                               PROTOSET
#
# A command is a line of a fenced code block that starts with `grpcurl`, plus the lines that
# continue it: a line ending in a backslash, or an open single-quoted string (the -d JSON).
# In each, `grpcurl` becomes the CLI's path and 127.0.0.1:50051 and 127.0.0.1:50052 (what
# scripts/run.sh serves on) become the test servers' ports, and the image's protoset path
# (IMAGE_PROTOSET) becomes PROTOSET; it then runs under `bash -c` in a folder whose
# var/admin_token is the test history's admin token and whose build/proto/etiquette.protoset is
# PROTOSET, so quoting, $(cat ...) and build paths work as in a user's shell at the repository
# root.
set -euo pipefail

readonly MIN_COMMANDS=4
readonly MIN_PROTOSET_COMMANDS=1
readonly EVALUATOR_ADDRESS="127.0.0.1:50051"
readonly HISTORY_ADDRESS="127.0.0.1:50052"
readonly HISTORY_ADMIN_ADDRESS="127.0.0.1:50053"   # history's admin listener (--admin_listen)
readonly IMAGE_PROTOSET="/usr/local/share/etiquette/etiquette.protoset"
readonly BUILD_PROTOSET="build/proto/etiquette.protoset"   # Relative to the repository root.
readonly NO_REFLECTION_ENV="GRPC_REFLECT_CLI_NO_REFLECTION"
unset "$NO_REFLECTION_ENV"   # Set only where this script means it.
readonly STARTUP_POLLS=100      # x 0.1 s: the server gets ~10 s to log its port.
readonly SHUTDOWN_POLLS=100     # x 0.1 s after SIGTERM before SIGKILL.
readonly COMMAND_TIMEOUT=90s    # Backstop only; the CLI bounds its own connect and calls.

if (( $# != 5 )); then
  echo "usage: $0 EVALUATOR_BINARY HISTORY_BINARY GRPC_REFLECT_CLI README_MD PROTOSET" >&2
  exit 2
fi
# Absolute, since the commands run in a scratch folder.
evaluator=$(realpath "$1") history=$(realpath "$2") cli=$(realpath "$3") readme=$(realpath "$4")
protoset=$(realpath "$5")
readonly evaluator history cli readme protoset

work_dir=$(mktemp -d)
pids=()
evaluator_port="" history_port="" history_admin_port=""
# shellcheck disable=SC2034  # Read as ${!name} by check_reflection_calls.
evaluator_metrics_port="" history_metrics_port=""

# Stops every process started so far (SIGTERM, then SIGKILL if it lingers).
stop_processes() {
  local pid i
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid" 2>/dev/null || true
    for (( i = 0; i < SHUTDOWN_POLLS; i++ )); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}

# Stops every process and removes the scratch files.
cleanup() {
  stop_processes
  rm -rf "$work_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_grpc_server NAME RESULT_VAR METRICS_VAR COMMAND...: starts one of the project's
# servers on free ports (--listen and --metrics_listen on 127.0.0.1:0), logging to
# NAME.log, and sets RESULT_VAR and METRICS_VAR to the ports it logs as "(port N)" and
# "metrics port M". Exits the test if it dies or does not log them in time. (Not run in
# $(...): pids must reach cleanup.)
start_grpc_server() {
  local name=$1 result=$2 metrics_result=$3 log="$work_dir/$1.log" i port metrics_port
  shift 3
  : >"$log"   # Exists before the poll reads it; the child opens it asynchronously.
  "$@" --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 >"$log" 2>&1 &
  pids+=($!)
  for (( i = 0; i < STARTUP_POLLS; i++ )); do
    port=$(sed -n 's/.*(port \([0-9][0-9]*\)).*/\1/p' "$log" | head -n 1)
    metrics_port=$(sed -n 's/.*metrics port \([1-9][0-9]*\).*/\1/p' "$log" | head -n 1)
    if [[ -n $port && -n $metrics_port ]]; then
      printf -v "$result" '%s' "$port"
      printf -v "$metrics_result" '%s' "$metrics_port"
      return 0
    fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then
      echo "FAIL: $name exited during startup:" >&2
      sed 's/^/  | /' "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "FAIL: $name did not log '(port N)' and 'metrics port M' within" \
       "$(( STARTUP_POLLS / 10 )) s:" >&2
  sed 's/^/  | /' "$log" >&2
  exit 1
}

# start_redis RESULT_VAR: starts redis-server on a free loopback port (a random one, retried if
# taken) and sets RESULT_VAR to it.
start_redis() {
  local result=$1 attempt port i
  for (( attempt = 0; attempt < 10; attempt++ )); do
    port=$(( 20000 + RANDOM % 40000 ))
    redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
      --dir "$work_dir" --logfile "$work_dir/redis.log" &
    pids+=($!)
    for (( i = 0; i < STARTUP_POLLS; i++ )); do
      kill -0 "${pids[-1]}" 2>/dev/null || break
      if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
        printf -v "$result" '%s' "$port"
        return 0
      fi
      sleep 0.1
    done
  done
  echo "FAIL: could not start redis-server" >&2
  exit 1
}

# start_stack LABEL: the stack of scripts/run.sh, on free ports, with empty storage; sets
# evaluator_port, history_port, history_admin_port and the metrics ports. LABEL prefixes the servers' logs.
start_stack() {
  local label=$1 redis_port
  mkdir -p "$work_dir/var" "$work_dir/$(dirname "$BUILD_PROTOSET")"
  echo "readme-test-admin-token-0123456789abcdef" >"$work_dir/var/admin_token"
  echo "readme-test-hmac-secret-0123456789" >"$work_dir/hmac_secret"
  ln -sfn "$protoset" "$work_dir/$BUILD_PROTOSET"
  start_redis redis_port
  start_grpc_server "$label-etiquette-history" history_port history_metrics_port "$history" \
    "--redis=redis://127.0.0.1:$redis_port" "--admin_token_file=$work_dir/var/admin_token" \
    "--hmac_secret_file=$work_dir/hmac_secret" "--admin_listen=127.0.0.1:0"
  history_admin_port=$(sed -n 's/.*admin port \([1-9][0-9]*\).*/\1/p' \
    "$work_dir/$label-etiquette-history.log" | head -n 1)
  if [[ -z $history_admin_port ]]; then
    echo "FAIL: etiquette-history did not log 'admin port N'" >&2
    exit 1
  fi
  start_grpc_server "$label-etiquette-evaluator" evaluator_port evaluator_metrics_port \
    "$evaluator" "--history=127.0.0.1:$history_port"
}

# reflection_calls METRICS_PORT: prints how many grpc.reflection.* calls the server on that
# metrics port has handled (etiquette_grpc_server_handled_total, summed over its series).
reflection_calls() {
  local port=$1 response
  # bash's /dev/tcp, as curl is not among the project's dependencies.
  response=$(exec 3<>"/dev/tcp/127.0.0.1/$port" &&
             printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 && cat <&3) || {
    echo "FAIL: cannot read the metrics on port $port" >&2
    exit 1
  }
  grep -q '^etiquette_grpc_server_handled_total{' <<<"$response" || {
    echo "FAIL: no etiquette_grpc_server_handled_total in the metrics on port $port" >&2
    exit 1
  }
  awk '/^etiquette_grpc_server_handled_total\{/ && /grpc_service="grpc\.reflection\./ {
         sum += $NF } END { printf "%d\n", sum }' <<<"$response"
}

# Promises the README's comments make in words rather than an enum value, and the grep -E
# pattern the output of the first command after such a comment must match.
declare -A PHRASE_PROMISES=(
  ["fails only its own slot (error.code 3)"]='"code": 3'
  ["m-kim reported m-sam"]='"recipientReportedSender": true'
)

# Prints, NUL-separated, pairs of (promised value, command) for the grpcurl commands of the
# fenced code blocks of markdown file $1, with backslash-newline continuations removed and
# newlines inside single quotes kept. The promised value is a grep -E pattern: the first
# DECISION_*, STANDING_STATE_* or SERVING word of the comment line just above the command, in
# quotes (as JSON prints an enum value); or, for the first command after a comment holding one
# of PHRASE_PROMISES' phrases, that phrase's pattern; or empty.
extract_commands() {
  local line buffer="" in_fence=0 quotes comment="" promised="" phrase comment_used=0
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line =~ ^[[:space:]]*(\`\`\`|~~~) ]]; then
      # A command still open at the end of its block is emitted as is; it will fail.
      [[ -z $buffer ]] || printf '%s\0%s\0' "$promised" "$buffer"
      buffer=""
      in_fence=$(( 1 - in_fence ))
      continue
    fi
    (( in_fence )) || continue
    if [[ -z $buffer && ! $line =~ ^[[:space:]]*grpcurl([[:space:]]|$) ]]; then
      comment=$line
      comment_used=0
      continue
    fi
    if [[ -z $buffer ]]; then
      promised=$(grep -oE 'DECISION_[A-Z_]+|STANDING_STATE_[A-Z]+|SERVING' <<<"$comment" |
                   head -n 1 || true)
      [[ -z $promised ]] || promised="\"$promised\""
      if (( ! comment_used )); then
        for phrase in "${!PHRASE_PROMISES[@]}"; do
          [[ $comment != *"$phrase"* ]] || promised=${PHRASE_PROMISES[$phrase]}
        done
      fi
      comment_used=1
      [[ $comment == \#* ]] || promised=""
    fi
    buffer+=$line
    quotes=${buffer//[^\']/}
    if (( ${#quotes} % 2 == 1 )); then
      buffer+=$'\n'           # Inside '...': the newline is part of the argument.
    elif [[ $buffer == *\\ ]]; then
      buffer=${buffer%\\}     # Line continuation.
    else
      printf '%s\0%s\0' "$promised" "$buffer"
      buffer=""
    fi
  done <"$1"
  [[ -z $buffer ]] || printf '%s\0%s\0' "$promised" "$buffer"
}

# One line describing command $1 for the report.
one_line() {
  local text=${1//$'\n'/ }
  echo "$text" | tr -s ' '
}

# True if command $1 (as printed) already gives grpcurl a descriptor set.
uses_protoset() {
  [[ $1 =~ (^|[[:space:]])--?protoset([[:space:]=]|$) ]]
}

# Runs README command $1 against the test stack; its output must contain "$2" (quoted, as JSON
# prints an enum value) unless $2 is empty. In pass $3 = protoset, `-protoset PROTOSET` is
# added unless the command has a -protoset already. A command with -protoset runs with
# NO_REFLECTION_ENV set. Prints "ok: ..." or "FAIL: ..." with the command's output; returns
# non-zero on failure.
run_command() {
  local original=$1 promised=$2 pass=$3 command quoted_cli quoted_protoset
  local output="$work_dir/output" status=0 no_reflection=""
  command=${original#"${original%%[![:space:]]*}"}   # Without leading blanks.
  if [[ $command != *"$EVALUATOR_ADDRESS"* && $command != *"$HISTORY_ADDRESS"* &&
        $command != *"$HISTORY_ADMIN_ADDRESS"* ]]; then
    echo "FAIL: $(one_line "$original")"
    echo "  | uses none of $EVALUATOR_ADDRESS, $HISTORY_ADDRESS, $HISTORY_ADMIN_ADDRESS, where" \
         "scripts/run.sh serves"
    return 1
  fi
  printf -v quoted_cli '%q' "$cli"
  printf -v quoted_protoset '%q' "$protoset"
  if [[ $pass == protoset ]] && ! uses_protoset "$command"; then
    command="$quoted_cli -protoset $quoted_protoset${command#grpcurl}"
  else
    command="$quoted_cli${command#grpcurl}"
  fi
  uses_protoset "$command" && no_reflection=1
  command=${command//"$EVALUATOR_ADDRESS"/127.0.0.1:$evaluator_port}
  command=${command//"$HISTORY_ADDRESS"/127.0.0.1:$history_port}
  command=${command//"$HISTORY_ADMIN_ADDRESS"/127.0.0.1:$history_admin_port}
  command=${command//"$IMAGE_PROTOSET"/$quoted_protoset}
  (cd "$work_dir" && if [[ -n $no_reflection ]]; then export "$NO_REFLECTION_ENV=1"; fi &&
     timeout "$COMMAND_TIMEOUT" bash -c "$command") >"$output" 2>&1 </dev/null || status=$?
  if (( status == 0 )) && { [[ -z $promised ]] || grep -qE -- "$promised" "$output"; }; then
    echo "ok: $(one_line "$original")${promised:+ (shows $promised)}${no_reflection:+ [-protoset, no reflection]}"
    return 0
  fi
  echo "FAIL: $(one_line "$original")${no_reflection:+ [-protoset, no reflection]}"
  echo "  | exit status $status${promised:+, expected to show $promised}"
  sed 's/^/  | /' "$output"
  return 1
}

# run_pass PASS: runs every README command (see run_command); adds to passed, failed and
# protoset_commands (the README commands that have a -protoset of their own).
run_pass() {
  local pass=$1 promised command
  echo "--- pass $pass: README commands$([[ $pass == protoset ]] &&
    echo " with -protoset $protoset, $NO_REFLECTION_ENV set") against a fresh stack"
  while IFS= read -r -d '' promised && IFS= read -r -d '' command; do
    if run_command "$command" "$promised" "$pass"; then
      passed=$(( passed + 1 ))
    else
      failed=$(( failed + 1 ))
    fi
    if [[ $pass == reflection ]] && uses_protoset "$command"; then
      protoset_commands=$(( protoset_commands + 1 ))
    fi
  done < <(extract_commands "$readme")
}

# check_reflection_calls PASS: after pass reflection, both servers must have counted reflection
# calls (so the metric does see them); after pass protoset, none at all. Adds to failed.
check_reflection_calls() {
  local pass=$1 server port calls
  sleep 0.5   # A server counts a call when its status is sent, just after the client has it.
  for server in evaluator history; do
    port=${server}_metrics_port
    calls=$(reflection_calls "${!port}")
    if [[ $pass == reflection ]] && (( calls == 0 )); then
      echo "FAIL: etiquette-$server counted no grpc.reflection call in pass reflection; the" \
           "metric cannot prove that pass protoset makes none"
      failed=$(( failed + 1 ))
    elif [[ $pass == protoset ]] && (( calls != 0 )); then
      echo "FAIL: etiquette-$server counted $calls grpc.reflection call(s) in pass protoset"
      failed=$(( failed + 1 ))
    else
      echo "ok: etiquette-$server counted $calls grpc.reflection call(s) in pass $pass"
    fi
  done
}

# The CLI honours NO_REFLECTION_ENV: with it set, a command that needs reflection fails, saying
# why, so the protoset pass cannot have used reflection unnoticed. Adds to passed or failed.
check_no_reflection_guard() {
  local output="$work_dir/guard_output" status=0
  env "$NO_REFLECTION_ENV=1" "$cli" -plaintext "127.0.0.1:$evaluator_port" list \
    >"$output" 2>&1 </dev/null || status=$?
  if (( status != 0 )) && grep -q "$NO_REFLECTION_ENV" "$output"; then
    echo "ok: with $NO_REFLECTION_ENV set, a command without -protoset fails (exit $status)"
    passed=$(( passed + 1 ))
  else
    echo "FAIL: with $NO_REFLECTION_ENV set, a command without -protoset should fail naming it"
    echo "  | exit status $status"
    sed 's/^/  | /' "$output"
    failed=$(( failed + 1 ))
  fi
}

# The CLI reads `-d @` from stdin, as grpcurl does: here a request padded past the 128 KiB a
# single argument may hold, which -d JSON could not carry. Adds to passed or failed.
check_request_from_stdin() {
  local output="$work_dir/stdin_output" status=0
  { head -c 200000 /dev/zero | tr '\0' ' '; echo '{"service": "etiquette.v1.InvitationEvaluator"}'; } |
    "$cli" -plaintext -d @ "127.0.0.1:$evaluator_port" grpc.health.v1.Health/Check \
    >"$output" 2>&1 || status=$?
  if (( status == 0 )) && grep -q '"SERVING"' "$output"; then
    echo "ok: -d @ reads a 200 KB request from stdin"
    passed=$(( passed + 1 ))
  else
    echo "FAIL: -d @ should read the request from stdin"
    echo "  | exit status $status"
    sed 's/^/  | /' "$output"
    failed=$(( failed + 1 ))
  fi
}

main() {
  local log
  passed=0 failed=0 protoset_commands=0
  [[ -r $readme ]] || { echo "FAIL: cannot read $readme" >&2; exit 1; }
  [[ -s $protoset ]] || { echo "FAIL: no descriptor set at $protoset (target etiquette_protoset)" >&2; exit 1; }

  start_stack reflection
  run_pass reflection
  local commands=$(( passed + failed ))
  check_reflection_calls reflection
  check_no_reflection_guard
  check_request_from_stdin
  stop_processes

  start_stack protoset
  run_pass protoset
  check_reflection_calls protoset

  local too_few=0
  if (( commands < MIN_COMMANDS )); then
    echo "FAIL: found $commands grpcurl commands in $readme, expected at least $MIN_COMMANDS"
    too_few=1
  fi
  if (( protoset_commands < MIN_PROTOSET_COMMANDS )); then
    echo "FAIL: found $protoset_commands grpcurl -protoset commands in $readme, expected at" \
         "least $MIN_PROTOSET_COMMANDS"
    too_few=1
  fi
  echo "$passed passed, $failed failed"
  if (( failed > 0 || too_few )); then
    for log in "$work_dir"/*-etiquette-*.log; do
      echo "$(basename "$log"):"
      sed 's/^/  | /' "$log"
    done
    exit 1
  fi
}

main
