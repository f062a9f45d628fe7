#!/usr/bin/env bash
# Builds the libFuzzer target fuzz/request_fuzzer.cc with clang-14, AddressSanitizer and
# UndefinedBehaviorSanitizer (the project's libraries instrumented too) in build-fuzz/, and runs
# it for a bounded time. Exits non-zero when it finds a crash, a leak, undefined behaviour or a
# broken API promise; the reproducer is written to fuzz/crashes/.
#
#   FUZZ_SECONDS=600 ./scripts/fuzz.sh          # run longer (default 60 s)
#   ./scripts/fuzz.sh -jobs=2 -workers=2        # extra arguments go to libFuzzer
#   FUZZ_JOBS=1 ./scripts/fuzz.sh               # ninja parallelism for the build
#   build-fuzz/fuzz/request_fuzzer fuzz/crashes/crash-XXXX   # replay one input
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${FUZZ_SECONDS:-60}"
"$root/scripts/install-deps.sh"

build="$root/build-fuzz"
if [[ ! -f "$build/build.ninja" ]]; then
  # -O1 keeps the sanitizers fast enough and the build short; asserts stay on (no -DNDEBUG).
  CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fsanitize=fuzzer-no-link \
-fno-sanitize-recover=all -fno-omit-frame-pointer" \
    -DBUILD_TESTING=OFF -DETIQUETTE_BENCH=OFF -DETIQUETTE_FUZZ=ON >/dev/null
fi
jobs=()
[[ -n "${FUZZ_JOBS:-}" ]] && jobs=(-j "$FUZZ_JOBS")
ninja -C "$build" "${jobs[@]}" request_fuzzer make_seed_corpus

# Seeds: the committed ones (fuzz/corpus/) and freshly generated ones; what the run discovers
# goes to build-fuzz/corpus/ (the first directory), kept between runs.
mkdir -p "$build/corpus" "$build/seeds" "$root/fuzz/crashes"
"$build/fuzz/make_seed_corpus" "$build/seeds"

log="$build/fuzz.log"
echo "fuzz: running request_fuzzer for ${seconds} s (log: $log)"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:print_stacktrace=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
status=0
"$build/fuzz/request_fuzzer" "$build/corpus" "$build/seeds" "$root/fuzz/corpus" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$root/fuzz/crashes/" "$@" >"$log" 2>&1 || status=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
if [[ $status -ne 0 ]]; then
  tail -n 80 "$log"
  echo "fuzz: FAILED (exit $status): reproducer in fuzz/crashes/; replay with" \
    "build-fuzz/fuzz/request_fuzzer fuzz/crashes/<file>" >&2
  exit "$status"
fi
echo "fuzz: clean: ${runs:-?} inputs in ${seconds} s (${rate:-?} exec/s)," \
  "${cov:-cov: ?}, peak RSS ${peak:-?} MB, corpus $(ls "$build/corpus" | wc -l) inputs"
echo "fuzz: run longer with FUZZ_SECONDS=3600 ./scripts/fuzz.sh (or -jobs=N -workers=N)"
