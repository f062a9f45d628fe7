#!/usr/bin/env bash
# Cuts a release X.Y.Z on a clean tree: sets the version in its one place (CMake
# `project(VERSION)` in CMakeLists.txt), records the contract as released
# (proto/released/etiquette-vX.Y.Z.binpb, a buf image that `buf breaking` checks every later
# change against), turns CHANGELOG.md's "Unreleased" section into "## X.Y.Z - <date>", and sets
# the production overlay's image tags, resetting their digests to the all-zero placeholder (no
# image of X.Y.Z exists yet). Then commit and tag:
#   ./scripts/release.sh 1.1.0 && git add -A && git commit -m "Release 1.1.0" && git tag v1.1.0
# The contract must first pass `scripts/check-contract.sh breaking` against the last release.
# Once the images are pushed, pin each by the digest the registry reports (deploy/README.md,
# "Image digests"), and commit:
#   ./scripts/release.sh pin etiquette sha256:<64 hex>
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
overlay=deploy/overlays/production/kustomization.yaml
placeholder=sha256:0000000000000000000000000000000000000000000000000000000000000000

if [[ ${1:-} == pin ]]; then
  usage="usage: release.sh pin IMAGE sha256:DIGEST"
  image=${2:?$usage} digest=${3:?$usage}
  [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "release: $digest is not sha256:<64 hex>" >&2; exit 2; }
  [[ $digest != "$placeholder" ]] || { echo "release: $digest is the placeholder" >&2; exit 2; }
  # The digest line of the `- name: IMAGE` entry of `images:`.
  if ! awk -v image="$image" -v digest="$digest" '
      /^  - name: / { current = $3 }
      current == image && /^    digest: / { $0 = "    digest: " digest; done = 1 }
      { print }
      END { exit done ? 0 : 1 }' "$overlay" >"$overlay.tmp"; then
    rm -f "$overlay.tmp"
    echo "release: no image $image with a digest in $overlay" >&2
    exit 1
  fi
  mv "$overlay.tmp" "$overlay"
  echo "release: $image pinned to $digest in $overlay"
  exit 0
fi

version=${1:?usage: release.sh X.Y.Z | release.sh pin IMAGE sha256:DIGEST}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "release: $version is not X.Y.Z" >&2; exit 2; }
current=$(./scripts/version.sh)
[[ -n $current ]] || { echo "release: no project(etiquette VERSION ...) in CMakeLists.txt" >&2; exit 1; }
if [[ -z "${RELEASE_ALLOW_DIRTY:-}" && -n $(git status --porcelain) ]]; then
  echo "release: the tree has uncommitted changes" >&2
  exit 1
fi
if [[ -e proto/released/etiquette-v$version.binpb ]]; then
  echo "release: $version was already released" >&2
  exit 1
fi
if [[ $(printf '%s\n%s\n' "$current" "$version" | sort -V | tail -1) != "$version" ]]; then
  echo "release: $version is older than the current $current" >&2
  exit 1
fi
grep -q '^## Unreleased$' CHANGELOG.md || { echo "release: CHANGELOG.md has no '## Unreleased'" >&2; exit 1; }
if [[ -n $(ls proto/released/*.binpb 2>/dev/null) ]]; then
  ./scripts/check-contract.sh breaking
fi

sed -i "s/^project(etiquette VERSION $current /project(etiquette VERSION $version /" CMakeLists.txt
mkdir -p proto/released
./scripts/buf.sh build -o "released/etiquette-v$version.binpb"
today=$(date -u +%F)
sed -i "s/^## Unreleased$/## Unreleased\n\n## $version - $today/" CHANGELOG.md
sed -i -e "s/^\(    newTag: \)\"[0-9.]*\"$/\1\"$version\"/" \
  -e "s/^\(    digest: \)sha256:[0-9a-f]*$/\1$placeholder/" "$overlay"
echo "release: $current -> $version; contract recorded in proto/released/etiquette-v$version.binpb"
echo "release: now: git add -A && git commit -m \"Release $version\" && git tag v$version"
echo "release: after pushing the images: scripts/release.sh pin IMAGE sha256:DIGEST, for each"
