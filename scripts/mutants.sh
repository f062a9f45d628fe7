#!/usr/bin/env bash
# Mutation check (issue 18): applies each small deliberate breakage listed in
# tests/mutants/mutants.txt to a copy-safe work tree, builds the named targets in build-mutants/
# and runs the named ctest tests; a mutant is "killed" when a test fails. Prints one line per
# mutant and a summary; exits 1 if any mutant survived, did not compile, or no longer applies
# (its `from` text is not found exactly once). Not part of CI: about a minute per mutant.
#
#   ./scripts/mutants.sh                 # every mutant
#   ./scripts/mutants.sh clamp pending   # only those whose name contains one of the words
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
list="$root/tests/mutants/mutants.txt"
build="$root/build-mutants"
cd "$root"

# One build tree of its own (no -Werror: a mutant that only adds a warning is still a mutant).
if [[ ! -f "$build/build.ninja" ]]; then
  "$root/scripts/install-deps.sh"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DETIQUETTE_WERROR=OFF \
    -DETIQUETTE_BENCH=OFF >/dev/null
fi

# Blocks of "key: value" lines separated by blank lines; '#' lines are comments.
names=() files=() froms=() tos=() builds=() tests=()
flush() {
  if [[ -n "${name:-}" ]]; then
    names+=("$name") files+=("$file") froms+=("$from") tos+=("$to") builds+=("$targets")
    tests+=("$regex")
  fi
  name="" file="" from="" to="" targets="" regex=""
}
name=""
while IFS= read -r line || [[ -n "$line" ]]; do
  [[ "$line" =~ ^# ]] && continue
  if [[ -z "${line// /}" ]]; then flush; continue; fi
  key="${line%%:*}" value="${line#*:}"
  value="${value#"${value%%[![:space:]]*}"}"  # leading blanks off
  case "$key" in
    name) name="$value" ;; file) file="$value" ;; from) from="$value" ;; to) to="$value" ;;
    build) targets="$value" ;; test) regex="$value" ;;
    *) echo "mutants.txt: unknown key '$key'" >&2; exit 2 ;;
  esac
done <"$list"
flush

selected() {  # selected NAME [WORD...]: no words selects every mutant
  [[ $# -eq 1 ]] && return 0
  local n="$1"; shift
  for word in "$@"; do [[ "$n" == *"$word"* ]] && return 0; done
  return 1
}

# The unmutated sources must pass the selected tests, or a "kill" means nothing.
base_targets=() base_tests=()
for i in "${!names[@]}"; do
  selected "${names[$i]}" "$@" || continue
  read -r -a targets <<<"${builds[$i]}"
  for t in "${targets[@]}"; do [[ " ${base_targets[*]} " == *" $t "* ]] || base_targets+=("$t"); done
  [[ " ${base_tests[*]} " == *" ${tests[$i]} "* ]] || base_tests+=("${tests[$i]}")
done
[[ ${#base_targets[@]} -gt 0 ]] || { echo "mutants: none selected" >&2; exit 2; }
echo "mutants: baseline (${base_targets[*]})"
ninja -C "$build" -j2 "${base_targets[@]}" >"$build/mutant.log" 2>&1 ||
  { echo "mutants: the unmutated build fails (build-mutants/mutant.log)" >&2; exit 2; }
# One ctest run per regex: CMake's regular expressions take at most 9 groups.
for regex in "${base_tests[@]}"; do
  (cd "$build" && ctest -R "$regex" --no-tests=error -j2 --timeout 300 >"$build/mutant-test.log" 2>&1) ||
    { echo "mutants: the unmutated tests fail: $regex (build-mutants/mutant-test.log)" >&2; exit 2; }
done

saved="" saved_file=""
restore() { if [[ -n "$saved" ]]; then cp "$saved" "$saved_file"; rm -f "$saved"; saved=""; fi; }
trap restore EXIT INT TERM

killed=0 survived=0 broken=0 total=0 built=()
for i in "${!names[@]}"; do
  selected "${names[$i]}" "$@" || continue
  total=$((total + 1))
  n="${names[$i]}" f="${files[$i]}"
  count=$(FROM="${froms[$i]}" perl -0ne '$c = () = /\Q$ENV{FROM}\E/g; print $c' "$f")
  if [[ "$count" != 1 ]]; then
    printf 'STALE     %s (%s: the text is found %s times)\n' "$n" "$f" "$count"
    broken=$((broken + 1)); continue
  fi
  if ! git diff --quiet -- "$f"; then
    echo "mutants: $f has uncommitted changes; commit or stash them first" >&2; exit 2
  fi
  saved="$(mktemp)" saved_file="$f"
  cp "$f" "$saved"
  FROM="${froms[$i]}" TO="${tos[$i]}" perl -0pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/' "$f"
  # Every target built so far is rebuilt too: a test binary left from an earlier mutant would
  # otherwise still hold that mutant.
  read -r -a targets <<<"${builds[$i]}"
  for t in "${targets[@]}"; do [[ " ${built[*]} " == *" $t "* ]] || built+=("$t"); done
  if ! ninja -C "$build" -j2 "${built[@]}" >"$build/mutant.log" 2>&1; then
    printf 'NO BUILD  %s (see build-mutants/mutant.log)\n' "$n"
    broken=$((broken + 1)); restore; continue
  fi
  if (cd "$build" && ctest -R "${tests[$i]}" --no-tests=error -j2 --timeout 300 \
        >"$build/mutant-test.log" 2>&1); then
    printf 'SURVIVED  %s (%s; tests: %s)\n' "$n" "$f" "${tests[$i]}"
    survived=$((survived + 1))
  else
    failed=$(grep -c -E '\*\*\*Failed|\(Failed\)|\*\*\*Timeout|Not Run' "$build/mutant-test.log" || true)
    printf 'killed    %s (%s tests failed)\n' "$n" "$failed"
    killed=$((killed + 1))
  fi
  restore
done
[[ ${#built[@]} -gt 0 ]] && ninja -C "$build" -j2 "${built[@]}" >/dev/null 2>&1 || true
echo "mutants: $killed killed, $survived survived, $broken stale or not building, of $total"
[[ $survived -eq 0 && $broken -eq 0 ]]
