#!/usr/bin/env bash
# Installs every Debian 12 package the project needs to build, test and run, and does nothing
# when they are all present. Safe to run any number of times.
#   install-deps.sh               everything: build, tests, tools, container engine
#   install-deps.sh --build-only  only what building the two binaries and the protoset needs
#                                 (deploy/Dockerfile's build stage)
set -euo pipefail

# Building etiquette-evaluator, etiquette-history and the protoset (plus ccache, which the
# image build uses through a cache mount).
build_packages=(
  cmake ninja-build g++ pkg-config git ca-certificates ccache
  libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev grpc-proto
  libabsl-dev libhiredis-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  libssl-dev prometheus-cpp-dev libicu-dev
)
# Tests, fuzzers, benchmarks (libbenchmark-dev, jq; nghttp2-client: h2load and nghttp for
# bench/h2load/run_h2load.sh; valgrind: bench/instructions.sh) and tools on a developer's
# machine and CI.
test_packages=(
  redis-server redis-tools
  libgtest-dev libgmock-dev clang-14 clang-format-14 libclang-rt-14-dev libbenchmark-dev jq curl
  nghttp2-client valgrind
  lua-check prometheus iproute2 python3-yaml
  stunnel4
  # The container test (tests/container): podman with runc (crun rejects this machine's cgroup
  # layout), its network stack, and mmdebstrap for the base image (no registry is reachable).
  podman runc netavark aardvark-dns catatonit iptables mmdebstrap
)

packages=("${build_packages[@]}")
case "${1:-}" in
  --build-only) ;;
  "") packages+=("${test_packages[@]}") ;;
  *) echo "usage: $0 [--build-only]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
