#!/usr/bin/env bash
# Prints the project's version (CMake project(VERSION) in CMakeLists.txt, its one place), for
# tags: docker build -f deploy/Dockerfile -t etiquette:"$(./scripts/version.sh)" .
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sed -n 's/^project(etiquette VERSION \([0-9.]*\) .*/\1/p' "$root/CMakeLists.txt"
