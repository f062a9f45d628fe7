#!/usr/bin/env bash
# Installs every Debian 12 package the project needs to build, test and run, and does nothing
# when they are all present. Safe to run any number of times.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config git ca-certificates
  libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev grpc-proto
  libabsl-dev libhiredis-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  libssl-dev redis-server redis-tools
  libgtest-dev libgmock-dev prometheus-cpp-dev clang-14 clang-format-14 libclang-rt-14-dev libbenchmark-dev jq curl
  lua-check prometheus iproute2 stunnel4
)

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
