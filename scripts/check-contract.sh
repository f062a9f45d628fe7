#!/usr/bin/env bash
# The contract's checks, run by ./scripts/test.sh (as the ctest tests contract.*):
#   lint      buf lint: buf's standard rules and a comment on everything (proto/buf.yaml)
#   breaking  buf breaking: proto/etiquette keeps wire, JSON and generated-code compatibility with the last
#             released contract, proto/released/etiquette-v<newest>.binpb (written by
#             scripts/release.sh), so a fresh clone needs no tags and no network to check it
# usage: check-contract.sh lint|breaking [PROTO_DIR]   (PROTO_DIR: another copy of proto/)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
check=${1:?usage: check-contract.sh lint|breaking [PROTO_DIR]}
export BUF_WORKDIR="${2:-$root/proto}"
case "$check" in
  lint)
    "$root/scripts/buf.sh" lint
    echo "contract: buf lint clean"
    ;;
  breaking)
    released=$(ls "$root"/proto/released/etiquette-v*.binpb 2>/dev/null | sort -V | tail -1)
    [[ -n $released ]] || { echo "contract: no released contract in proto/released/" >&2; exit 1; }
    "$root/scripts/buf.sh" breaking --against "$released"
    echo "contract: compatible with $(basename "$released")"
    ;;
  *)
    echo "usage: check-contract.sh lint|breaking [PROTO_DIR]" >&2
    exit 2
    ;;
esac
