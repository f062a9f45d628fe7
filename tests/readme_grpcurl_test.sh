#!/usr/bin/env bash
# Runs every grpcurl command printed in README.md, as printed and in order, against a fresh
# stack like scripts/run.sh's (redis-server, etiquette-history, etiquette-evaluator wired to
# it), with grpc_reflect_cli (tests/tools) standing in for grpcurl. Passes (exit 0) when there
# are at least MIN_COMMANDS such commands, every one exits 0, and every output shows what the
# comment just above its command promises: a decision (DECISION_SEND, ...), a standing state
# (STANDING_STATE_RESTRICTED, ...) or SERVING.
#
# usage: readme_grpcurl_test.sh EVALUATOR_BINARY HISTORY_BINARY GRPC_REFLECT_CLI README_MD
#
# A command is a line of a fenced code block that starts with `grpcurl`, plus the lines that
# continue it: a line ending in a backslash, or an open single-quoted string (the -d JSON).
# In each, `grpcurl` becomes the CLI's path and 127.0.0.1:50051 and 127.0.0.1:50052 (what
# scripts/run.sh serves on) become the test servers' ports; it then runs under `bash -c` in a
# folder whose var/admin_token is the test history's admin token, so quoting and $(cat ...)
# work as in a user's shell at the repository root.
set -euo pipefail

readonly MIN_COMMANDS=4
readonly EVALUATOR_ADDRESS="127.0.0.1:50051"
readonly HISTORY_ADDRESS="127.0.0.1:50052"
readonly STARTUP_POLLS=100      # x 0.1 s: the server gets ~10 s to log its port.
readonly SHUTDOWN_POLLS=100     # x 0.1 s after SIGTERM before SIGKILL.
readonly COMMAND_TIMEOUT=90s    # Backstop only; the CLI bounds its own connect and calls.

if (( $# != 4 )); then
  echo "usage: $0 EVALUATOR_BINARY HISTORY_BINARY GRPC_REFLECT_CLI README_MD" >&2
  exit 2
fi
# Absolute, since the commands run in a scratch folder.
evaluator=$(realpath "$1") history=$(realpath "$2") cli=$(realpath "$3") readme=$(realpath "$4")
readonly evaluator history cli readme

work_dir=$(mktemp -d)
pids=()
evaluator_port=""
history_port=""

# Stops every process (SIGTERM, then SIGKILL if it lingers) and removes the scratch files.
cleanup() {
  local pid
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
  rm -rf "$work_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_grpc_server NAME RESULT_VAR COMMAND...: starts one of the project's servers on free
# ports (--listen and --metrics_listen on 127.0.0.1:0) and sets RESULT_VAR to the port it logs as "(port N)". Exits the
# test if it dies or does not log it in time. (Not run in $(...): pids must reach cleanup.)
start_grpc_server() {
  local name=$1 result=$2 log="$work_dir/$1.log" i port
  shift 2
  : >"$log"   # Exists before the poll reads it; the child opens it asynchronously.
  "$@" --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 >"$log" 2>&1 &
  pids+=($!)
  for (( i = 0; i < STARTUP_POLLS; i++ )); do
    port=$(sed -n 's/.*(port \([0-9][0-9]*\)).*/\1/p' "$log" | head -n 1)
    if [[ -n $port ]]; then
      printf -v "$result" '%s' "$port"
      return 0
    fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then
      echo "FAIL: $name exited during startup:" >&2
      sed 's/^/  | /' "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "FAIL: $name did not log '(port N)' within $(( STARTUP_POLLS / 10 )) s:" >&2
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

# The stack of scripts/run.sh, on free ports; sets evaluator_port and history_port.
start_stack() {
  mkdir -p "$work_dir/var"
  echo "readme-test-admin-token" >"$work_dir/var/admin_token"
  echo "readme-test-hmac-secret-0123456789" >"$work_dir/hmac_secret"
  local redis_port
  start_redis redis_port
  start_grpc_server etiquette-history history_port "$history" \
    "--redis=redis://127.0.0.1:$redis_port" "--admin_token_file=$work_dir/var/admin_token" \
    "--hmac_secret_file=$work_dir/hmac_secret"
  start_grpc_server etiquette-evaluator evaluator_port "$evaluator" \
    "--history=127.0.0.1:$history_port"
}

# Prints, NUL-separated, pairs of (promised value, command) for the grpcurl commands of the
# fenced code blocks of markdown file $1, with backslash-newline continuations removed and
# newlines inside single quotes kept. The promised value is the first DECISION_*,
# STANDING_STATE_* or SERVING word of the comment line just above the command, or empty.
extract_commands() {
  local line buffer="" in_fence=0 quotes comment="" promised=""
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
      continue
    fi
    if [[ -z $buffer ]]; then
      promised=$(grep -oE 'DECISION_[A-Z_]+|STANDING_STATE_[A-Z]+|SERVING' <<<"$comment" |
                   head -n 1 || true)
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

# Runs README command $1 against the test stack; its output must contain "$2" (quoted, as JSON
# prints an enum value) unless $2 is empty. Prints "ok: ..." or "FAIL: ..." with the command's
# output; returns non-zero on failure.
run_command() {
  local original=$1 promised=$2 command quoted_cli output="$work_dir/output" status=0
  command=${original#"${original%%[![:space:]]*}"}   # Without leading blanks.
  if [[ $command != *"$EVALUATOR_ADDRESS"* && $command != *"$HISTORY_ADDRESS"* ]]; then
    echo "FAIL: $(one_line "$original")"
    echo "  | uses neither $EVALUATOR_ADDRESS nor $HISTORY_ADDRESS, where scripts/run.sh serves"
    return 1
  fi
  printf -v quoted_cli '%q' "$cli"
  command="$quoted_cli${command#grpcurl}"
  command=${command//"$EVALUATOR_ADDRESS"/127.0.0.1:$evaluator_port}
  command=${command//"$HISTORY_ADDRESS"/127.0.0.1:$history_port}
  (cd "$work_dir" && timeout "$COMMAND_TIMEOUT" bash -c "$command") >"$output" 2>&1 </dev/null ||
    status=$?
  if (( status == 0 )) && { [[ -z $promised ]] || grep -q "\"$promised\"" "$output"; }; then
    echo "ok: $(one_line "$original")${promised:+ (shows $promised)}"
    return 0
  fi
  echo "FAIL: $(one_line "$original")"
  echo "  | exit status $status${promised:+, expected to show \"$promised\"}"
  sed 's/^/  | /' "$output"
  return 1
}

main() {
  local passed=0 failed=0 too_few=0 promised command
  [[ -r $readme ]] || { echo "FAIL: cannot read $readme" >&2; exit 1; }
  start_stack
  while IFS= read -r -d '' promised && IFS= read -r -d '' command; do
    if run_command "$command" "$promised"; then
      passed=$(( passed + 1 ))
    else
      failed=$(( failed + 1 ))
    fi
  done < <(extract_commands "$readme")

  if (( passed + failed < MIN_COMMANDS )); then
    echo "FAIL: found $(( passed + failed )) grpcurl commands in $readme," \
         "expected at least $MIN_COMMANDS"
    too_few=1
  fi
  echo "$passed passed, $failed failed"
  if (( failed > 0 || too_few )); then
    for log in "$work_dir"/etiquette-*.log; do
      echo "$(basename "$log"):"
      sed 's/^/  | /' "$log"
    done
    exit 1
  fi
}

main
