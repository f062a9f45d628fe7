#!/usr/bin/env bash
# contract.release: the version lives in one place and everything that names it agrees.
#   1. The tree as it is: scripts/version.sh (CMake project(VERSION)) is the newest recorded
#      contract proto/released/etiquette-v<version>.binpb, has its CHANGELOG.md heading, is
#      the production overlay's image tag, what both binaries print for --version, and what
#      they log at start-up and export as etiquette_build_info{version}.
#   2. scripts/release.sh on a copy of the tree: cutting 99.0.0 bumps the version, records
#      the contract, writes the changelog heading above the unreleased entries, and retags
#      production (every image, digests reset to the placeholder); cutting it again, or an
#      older version, is refused; `release.sh pin IMAGE DIGEST` pins that image only, and
#      refuses a malformed digest or an unknown image.
# usage: release_test.sh SOURCE_DIR EVALUATOR HISTORY
set -euo pipefail
root=$(realpath "${1:?usage: release_test.sh SOURCE_DIR EVALUATOR HISTORY}")
evaluator=${2:?} history=${3:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

version=$("$root/scripts/version.sh")
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "scripts/version.sh printed '$version'"
newest=$(ls "$root"/proto/released/etiquette-v*.binpb 2>/dev/null | sort -V | tail -1 || true)
[[ $(basename "$newest") == "etiquette-v$version.binpb" ]] ||
  fail "the newest released contract is '$(basename "$newest")', not etiquette-v$version.binpb"
grep -q "^## $version - [0-9-]*\$" "$root/CHANGELOG.md" || fail "CHANGELOG.md has no '## $version - <date>'"
overlay=deploy/overlays/production/kustomization.yaml
tags=$(sed -n 's/^    newTag: "\(.*\)"$/\1/p' "$root/$overlay" | sort -u | tr '\n' ' ')
[[ $tags == "$version " ]] || fail "the production overlay's image tags are '$tags', not $version"
for binary in "$evaluator" "$history"; do
  printed=$("$binary" --version 2>&1) || fail "$(basename "$binary") --version exited non-zero"
  [[ $printed == "$(basename "$binary") $version" ]] ||
    fail "$(basename "$binary") --version printed '$printed', not '$(basename "$binary") $version'"
done

# Each binary, started: its start-up line and its etiquette_build_info metric carry the version.
head -c 32 /dev/urandom | base64 >"$work/hmac_secret"
for binary in "$evaluator" "$history"; do
  name=$(basename "$binary")
  args=(--listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0)
  [[ $name == etiquette-history ]] && args+=(--redis=redis://127.0.0.1:1 --hmac_secret_file="$work/hmac_secret" --admin_listen=127.0.0.1:0)
  "$binary" "${args[@]}" 2>"$work/$name.log" &
  pid=$!
  port=""
  for (( i = 0; i < 100; i++ )); do  # up to 10 s for the start-up line
    port=$(sed -n 's/.* serving on .* metrics port \([0-9]*\),.*/\1/p' "$work/$name.log")
    [[ -n $port ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $port ]]; then
    fail "$name logged no start-up line:"
    sed 's/^/  | /' "$work/$name.log"
  else
    grep -q "$name $version serving on " "$work/$name.log" ||
      fail "$name's start-up line lacks '$name $version serving on': $(grep 'serving on' "$work/$name.log")"
    metrics=$(curl -sf "http://127.0.0.1:$port/metrics") || fail "$name: no /metrics on port $port"
    grep -q "^etiquette_build_info{version=\"$version\"} 1\$" <<<"$metrics" ||
      fail "$name: /metrics has no etiquette_build_info{version=\"$version\"} 1"
  fi
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
(( failed )) || echo "ok: version $version everywhere (CMake, contract, changelog, tag, --version, log, metric)"

# 2. The release script, on a copy (the files git tracks, plus what is staged or new).
copy="$work/tree"
mkdir "$copy"
(cd "$root" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$copy")
export ETIQUETTE_TOOLS_DIR="${ETIQUETTE_TOOLS_DIR:-$root/build/tools}"
# A digest pinned for the last release: cutting the next one resets it to the placeholder.
"$copy/scripts/release.sh" pin etiquette-tls-sidecar sha256:$(printf 'cd%.0s' {1..32}) >/dev/null ||
  fail "release.sh pin etiquette-tls-sidecar failed"
if RELEASE_ALLOW_DIRTY=1 "$copy/scripts/release.sh" 99.0.0 >"$work/release.log" 2>&1; then
  [[ $("$copy/scripts/version.sh") == 99.0.0 ]] || fail "release.sh did not set the version"
  [[ -s $copy/proto/released/etiquette-v99.0.0.binpb ]] || fail "release.sh recorded no contract"
  tags=$(sed -n 's/^    newTag: "\(.*\)"$/\1/p' "$copy/$overlay" | sort -u | tr '\n' ' ')
  [[ $tags == "99.0.0 " ]] || fail "release.sh did not retag every production image: '$tags'"
  zero=sha256:$(printf '0%.0s' {1..64})
  digests=$(sed -n 's/^    digest: //p' "$copy/$overlay" | sort -u | tr '\n' ' ')
  [[ $digests == "$zero " ]] || fail "release.sh did not reset the digests to the placeholder: '$digests'"
  digest=sha256:$(printf 'ab%.0s' {1..32})
  "$copy/scripts/release.sh" pin etiquette "$digest" >/dev/null 2>&1 || fail "release.sh pin etiquette failed"
  pinned=$(awk '/^  - name: /{n=$3} /^    digest: /{print n "=" $2}' "$copy/$overlay" | tr '\n' ' ')
  [[ $pinned == "etiquette=$digest etiquette-tls-sidecar=$zero " ]] ||
    fail "release.sh pin etiquette: digests are now '$pinned'"
  cp "$copy/$overlay" "$work/overlay.before"
  "$copy/scripts/release.sh" pin etiquette sha256:abc >/dev/null 2>&1 &&
    fail "release.sh pinned a malformed digest"
  "$copy/scripts/release.sh" pin no-such-image "$digest" >/dev/null 2>&1 &&
    fail "release.sh pinned an image the overlay does not have"
  cmp -s "$copy/$overlay" "$work/overlay.before" || fail "a refused pin changed the overlay"
  headings=$(grep '^## ' "$copy/CHANGELOG.md" | head -2 | tr '\n' '|')
  [[ $headings == "## Unreleased|## 99.0.0 - $(date -u +%F)|" ]] ||
    fail "CHANGELOG.md headings after release.sh: $headings"
  RELEASE_ALLOW_DIRTY=1 "$copy/scripts/release.sh" 99.0.0 >/dev/null 2>&1 &&
    fail "release.sh cut 99.0.0 twice"
  RELEASE_ALLOW_DIRTY=1 "$copy/scripts/release.sh" 98.0.0 >/dev/null 2>&1 &&
    fail "release.sh cut 98.0.0 after 99.0.0"
  (( failed )) || echo "ok: release.sh 99.0.0 on a copy: version, contract, changelog, tags, digests, pin"
else
  fail "release.sh 99.0.0 failed on a copy:"
  sed 's/^/  | /' "$work/release.log"
fi

if (( failed )); then exit 1; fi
echo "release: consistent"
