#!/usr/bin/env bash
# Instructions per RulesEngine::Evaluate for each named micro-benchmark: callgrind counts the
# instructions executed inside RulesEngine::Evaluate (--toggle-collect) over a short and a
# longer run of the benchmark, and the difference is divided by the difference in calls of
# Evaluate (so that one-time costs, such as the first evaluation's lazily built tables, cancel).
# Unlike items/s, the count does not depend on what else the machine runs, so it compares
# builds on a shared machine (and tests/bench/instructions_test.sh bounds it).
#
#   bench/instructions.sh MICRO_BENCH_BINARY BM_NAME...
#   (e.g. bench/instructions.sh build/bench/etiquette-micro-bench BM_RulesEngine_Typical)
# Prints one line per benchmark: "<name> <instructions per evaluation> <evaluations>".
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 MICRO_BENCH_BINARY BM_NAME..." >&2; exit 2; }
binary="$1"
shift
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Prints "<instructions> <evaluations>" of one callgrind run of benchmark $1 for $2 seconds.
measure() {
  valgrind --tool=callgrind --toggle-collect='etiquette::RulesEngine::Evaluate*' \
    --callgrind-out-file="$work/out" "$binary" --benchmark_filter="^$1\$" \
    --benchmark_min_time="$2" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
  python3 - "$work/out" <<'PY'
import re, sys
names, caller, callee, total, evaluations = {}, "", "", 0, 0
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    line = line.rstrip("\n")
    m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line)
    if m:
        if m.group(3):
            names[m.group(2)] = m.group(3)
        if m.group(1) == "fn":
            caller = names[m.group(2)]
        else:
            callee = names[m.group(2)]
        continue
    if line.startswith("calls=") and callee.startswith("etiquette::RulesEngine::Evaluate(") \
            and not caller.startswith("etiquette::RulesEngine::Evaluate("):
        evaluations += int(line.split("=")[1].split()[0])
    if line.startswith("summary:") or line.startswith("totals:"):
        total = int(line.split()[1])
print(total, evaluations)
PY
}
for name in "$@"; do
  read -r short_total short_calls < <(measure "$name" 0.01)
  read -r long_total long_calls < <(measure "$name" 0.2)
  if (( long_calls <= short_calls )); then
    echo "instructions.sh: $name: the longer run made no more calls ($short_calls, $long_calls)" >&2
    exit 1
  fi
  echo "$name $(( (long_total - short_total) / (long_calls - short_calls) )) $(( long_calls - short_calls ))"
done
