#!/usr/bin/env bash
# The rules engine's CPU per evaluation, bounded in instructions (bench/instructions.sh:
# callgrind, independent of the machine's load), so that a change that makes the typical
# evaluation costlier fails here rather than in a noisy items/s figure. The bounds are the
# counts of 2026-12-06 (English 18,402, German 24,595, Japanese 45,238 on Debian 12's g++ 12,
# Release) plus ~8%; and the three stay in the proportions of their targets (issue 15:
# 1,000,000, 500,000 and 250,000 evaluations/s): German at most 2x English, Japanese at most 4x.
#   instructions_test.sh MICRO_BENCH_BINARY SOURCE_DIR
set -euo pipefail
binary="$1" root="$2"
declare -A bound=([BM_RulesEngine_Typical]=19900 [BM_RulesEngine_TypicalGerman]=26600
                  [BM_RulesEngine_TypicalJapanese]=48900)
declare -A count
failed=0
while read -r name instructions evaluations; do
  count[$name]=$instructions
  echo "$name: $instructions instructions an evaluation ($evaluations evaluations), bound ${bound[$name]}"
  if (( instructions > bound[$name] )); then
    echo "FAIL: $name costs $instructions instructions, over ${bound[$name]}" >&2
    failed=1
  fi
done < <("$root/bench/instructions.sh" "$binary" BM_RulesEngine_Typical \
           BM_RulesEngine_TypicalGerman BM_RulesEngine_TypicalJapanese)
for name in "${!bound[@]}"; do
  [[ -n "${count[$name]:-}" ]] || { echo "FAIL: no count for $name" >&2; exit 1; }
done
english=${count[BM_RulesEngine_Typical]}
if (( count[BM_RulesEngine_TypicalGerman] > 2 * english )); then
  echo "FAIL: German costs more than twice English" >&2
  failed=1
fi
if (( count[BM_RulesEngine_TypicalJapanese] > 4 * english )); then
  echo "FAIL: Japanese costs more than four times English" >&2
  failed=1
fi
exit "$failed"
