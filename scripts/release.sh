#!/usr/bin/env bash
# Cuts a release X.Y.Z on a clean tree: sets the version in its one place (CMake
# `project(VERSION)` in CMakeLists.txt), records the contract as released
# (proto/released/etiquette-vX.Y.Z.binpb, a buf image that `buf breaking` checks every later
# change against), turns CHANGELOG.md's "Unreleased" section into "## X.Y.Z - <date>", and sets
# the production overlay's image tag. Then commit and tag:
#   ./scripts/release.sh 1.1.0 && git add -A && git commit -m "Release 1.1.0" && git tag v1.1.0
# The contract must first pass `scripts/check-contract.sh breaking` against the last release.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
version=${1:?usage: release.sh X.Y.Z}
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
sed -i "s/^\(    newTag: \)\"[0-9.]*\"$/\1\"$version\"/" deploy/overlays/production/kustomization.yaml
echo "release: $current -> $version; contract recorded in proto/released/etiquette-v$version.binpb"
echo "release: now: git add -A && git commit -m \"Release $version\" && git tag v$version"
