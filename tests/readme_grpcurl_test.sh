#!/usr/bin/env bash
# Runs every grpcurl command printed in README.md, as printed, against a fresh evaluator, with
# grpc_reflect_cli (tests/tools) standing in for grpcurl. Passes (exit 0) when there are at
# least MIN_COMMANDS such commands, every one exits 0, and every output shows what the comment
# just above its command promises: a decision (DECISION_SEND, ...) or SERVING.
#
# usage: readme_grpcurl_test.sh EVALUATOR_BINARY GRPC_REFLECT_CLI README_MD
#
# A command is a line of a fenced code block that starts with `grpcurl`, plus the lines that
# continue it: a line ending in a backslash, or an open single-quoted string (the -d JSON).
# In each, `grpcurl` becomes the CLI's path and 127.0.0.1:50051 (what scripts/run.sh serves
# on) becomes the test server's port; it then runs under `bash -c`, so quoting works as in a
# user's shell.
set -euo pipefail

readonly MIN_COMMANDS=4
readonly README_ADDRESS="127.0.0.1:50051"
readonly STARTUP_POLLS=100      # x 0.1 s: the server gets ~10 s to log its port.
readonly SHUTDOWN_POLLS=100     # x 0.1 s after SIGTERM before SIGKILL.
readonly COMMAND_TIMEOUT=90s    # Backstop only; the CLI bounds its own connect and calls.

if (( $# != 3 )); then
  echo "usage: $0 EVALUATOR_BINARY GRPC_REFLECT_CLI README_MD" >&2
  exit 2
fi
readonly evaluator=$1 cli=$2 readme=$3

work_dir=$(mktemp -d)
server_pid=""
server_port=""

# Stops the server (SIGTERM, then SIGKILL if it lingers) and removes the scratch files.
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for (( i = 0; i < SHUTDOWN_POLLS; i++ )); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts the evaluator on a free port and sets server_pid, then server_port once it is
# serving. Exits the test if the server dies or does not log "(port N)" in time.
start_server() {
  local log="$work_dir/server.log"
  : >"$log"   # Exists before the poll reads it; the child opens it asynchronously.
  "$evaluator" --listen=127.0.0.1:0 >"$log" 2>&1 &
  server_pid=$!
  local i
  for (( i = 0; i < STARTUP_POLLS; i++ )); do
    server_port=$(sed -n 's/.*(port \([0-9][0-9]*\)).*/\1/p' "$log" | head -n 1)
    [[ -z $server_port ]] || return 0
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "FAIL: the evaluator exited during startup:" >&2
      sed 's/^/  | /' "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "FAIL: the evaluator did not log '(port N)' within $(( STARTUP_POLLS / 10 )) s:" >&2
  sed 's/^/  | /' "$log" >&2
  exit 1
}

# Prints, NUL-separated, pairs of (promised value, command) for the grpcurl commands of the
# fenced code blocks of markdown file $1, with backslash-newline continuations removed and
# newlines inside single quotes kept. The promised value is the first DECISION_* or SERVING
# word of the comment line just above the command, or empty.
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
      promised=$(grep -oE 'DECISION_[A-Z_]+|SERVING' <<<"$comment" | head -n 1 || true)
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

# Runs README command $1 against the server on port $2; its output must contain "$3" (quoted,
# as JSON prints an enum value) unless $3 is empty. Prints "ok: ..." or "FAIL: ..." with the
# command's output; returns non-zero on failure.
run_command() {
  local original=$1 port=$2 promised=$3 command quoted_cli output="$work_dir/output" status=0
  command=${original#"${original%%[![:space:]]*}"}   # Without leading blanks.
  if [[ $command != *"$README_ADDRESS"* ]]; then
    echo "FAIL: $(one_line "$original")"
    echo "  | does not use $README_ADDRESS, the address scripts/run.sh serves on"
    return 1
  fi
  printf -v quoted_cli '%q' "$cli"
  command="$quoted_cli${command#grpcurl}"
  command=${command//"$README_ADDRESS"/127.0.0.1:$port}
  timeout "$COMMAND_TIMEOUT" bash -c "$command" >"$output" 2>&1 </dev/null || status=$?
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
  start_server
  while IFS= read -r -d '' promised && IFS= read -r -d '' command; do
    if run_command "$command" "$server_port" "$promised"; then
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
    echo "server log:"
    sed 's/^/  | /' "$work_dir/server.log"
    exit 1
  fi
}

main
