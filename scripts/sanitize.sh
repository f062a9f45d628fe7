#!/usr/bin/env bash
# The unit, gRPC and Redis tests built with g++'s AddressSanitizer, LeakSanitizer and
# UndefinedBehaviorSanitizer, and run (the Redis ones against the redis-server they start).
# Not part of ./scripts/test.sh, which already fuzzes the request path under ASan + UBSan
# (scripts/fuzz.sh): this build takes ~20 minutes on 2 cores. Run it after changing code that
# handles memory by hand (note_text.cc's split, the Redis reply parser).
#   scripts/sanitize.sh            (build directory: build-asan/, or $SANITIZE_BUILD_DIR)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SANITIZE_BUILD_DIR:-$root/build-asan}"
targets=(evaluator_unit_tests notes_corpus_tests evaluator_grpc_tests history_unit_tests
         history_redis_client_unit_tests history_cluster_unit_tests history_redis_tests
         history_privacy_tests)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DETIQUETTE_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -O1" >/dev/null
ninja -C "$build" "${targets[@]}"
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
cd "$root"
failed=()
for target in "${targets[@]}"; do
  echo "== $target"
  # ReleaseFreeMemoryTest measures glibc malloc's behaviour, which ASan's allocator replaces.
  if ! "$build/tests/$target" --gtest_filter='-ReleaseFreeMemoryTest.*' --gtest_brief=1; then
    failed+=("$target")
  fi
done
if (( ${#failed[@]} > 0 )); then
  echo "sanitize: failed: ${failed[*]}" >&2
  exit 1
fi
echo "sanitize: ${#targets[@]} test binaries clean"
