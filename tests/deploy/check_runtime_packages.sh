#!/usr/bin/env bash
# deploy.dockerfile_runtime_packages: checks deploy/Dockerfile without a container engine, in
# seconds (container.image, tests/container, builds and runs the image with podman):
#   1. the runtime stage's package list (between "runtime-packages:begin" and ":end") is
#      exactly what the binaries load: every shared library that `ldd` lists for the built
#      binaries belongs (dpkg -S) to a listed package or to a dependency of one (Depends and
#      Pre-Depends, followed through the installed packages), and every listed package owns
#      one of those libraries (nothing else goes into the image). The binaries were built from
#      the same Debian 12 packages that the builder stage installs (scripts/install-deps.sh);
#   2. the build context, filtered by deploy/Dockerfile.dockerignore, holds every file the
#      Dockerfile copies and still configures with the builder's own cmake command (so the
#      ignore file drops nothing the build needs), and its install rules stage both binaries
#      and both default configs where the runtime stage expects them, and the protoset.
#
# usage: check_runtime_packages.sh SOURCE_DIR EVALUATOR HISTORY
set -euo pipefail

if (( $# != 3 )); then
  echo "usage: $0 SOURCE_DIR EVALUATOR HISTORY" >&2
  exit 2
fi
root=$(realpath "$1")
binaries=("$(realpath "$2")" "$(realpath "$3")")
dockerfile="$root/deploy/Dockerfile"
failed=0
fail() { echo "FAIL: $*"; failed=1; }

work_dir=$(mktemp -d)
trap 'rm -rf "$work_dir"' EXIT

# --- 1. Runtime packages against ldd ----------------------------------------------------------

mapfile -t listed < <(sed -n '/runtime-packages:begin/,/runtime-packages:end/p' "$dockerfile" |
  grep -v 'runtime-packages:' | sed 's/[\\[:space:]]//g' | grep -v '^$' | sort -u)
(( ${#listed[@]} > 0 )) || fail "no runtime-packages:begin/end block in deploy/Dockerfile"

# Every library file the binaries load (ldd: "name => /path (addr)" or "/path (addr)").
libraries=()
for binary in "${binaries[@]}"; do
  if ldd "$binary" | grep -q 'not found'; then
    fail "$(basename "$binary") has unresolved libraries: $(ldd "$binary" | grep 'not found')"
  fi
  mapfile -t -O "${#libraries[@]}" libraries < <(ldd "$binary" |
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
done
mapfile -t libraries < <(printf '%s\n' "${libraries[@]}" | sort -u)

# Each library's spellings as dpkg may have recorded it: ldd prints /lib/... where dpkg has
# /usr/lib/... (merged /usr) and symlinks where dpkg has the file. One dpkg -S for all of them.
spellings() {
  local path=$1
  printf '%s\n' "$path" "${path/#\/lib\//\/usr\/lib\/}" "${path/#\/usr\/lib\//\/lib\/}" \
    "$(readlink -f "$path")"
}
declare -A owner_of=()  # path -> package
while IFS= read -r line; do
  [[ $line == *": /"* ]] || continue  # "package[:arch][, package...]: /path"
  owner_of[${line#*: }]=${line%%[:,]*}
done < <(for library in "${libraries[@]}"; do spellings "$library"; done | sort -u |
           xargs dpkg -S 2>/dev/null || true)

declare -A needed=()  # package -> a library it provides
for library in "${libraries[@]}"; do
  package=""
  while read -r spelling; do
    package=${owner_of[$spelling]:-}
    [[ -z $package ]] || break
  done < <(spellings "$library")
  if [[ -z $package ]]; then
    fail "no Debian package owns $library"
    continue
  fi
  needed[$package]=$library
done

# Everything the listed packages bring with them: Depends and Pre-Depends, recursively, through
# the packages installed here (alternatives: whichever is installed).
declare -A closure=()
queue=("${listed[@]}")
while (( ${#queue[@]} > 0 )); do
  package=${queue[0]}
  queue=("${queue[@]:1}")
  [[ -z ${closure[$package]:-} ]] || continue
  closure[$package]=1
  depends=$(dpkg-query -W -f='${Depends}, ${Pre-Depends}' "$package" 2>/dev/null) || {
    fail "listed package $package is not a package installed here (misspelt?)"
    continue
  }
  for dependency in $(tr ',|' '\n' <<<"$depends" | sed 's/(.*)//; s/:any//' | tr -d ' '); do
    if dpkg-query -W -f='${Status}' "$dependency" 2>/dev/null | grep -q 'install ok installed'; then
      queue+=("$dependency")
    fi
  done
done

for package in "${!needed[@]}"; do
  [[ -n ${closure[$package]:-} ]] ||
    fail "the runtime stage lacks $package (it provides ${needed[$package]})"
done
for package in "${listed[@]}"; do
  [[ -n ${needed[$package]:-} ]] ||
    fail "the runtime stage installs $package, which provides no library the binaries load"
done
if (( failed == 0 )); then
  echo "ok: runtime packages (${listed[*]}) cover the ${#needed[@]} packages whose" \
       "libraries the binaries load, and nothing more"
fi

# --- 2. The build context, as the Dockerfile's builder sees it --------------------------------

# The ignore file's patterns, as anchored tar exclusions ("**/x" matches at any depth).
excludes=()
while read -r pattern; do
  [[ -z $pattern || $pattern == \#* ]] && continue
  if [[ $pattern == \*\*/* ]]; then
    excludes+=("--exclude=*/${pattern#\*\*/}")
  else
    excludes+=("--exclude=./$pattern")
  fi
done <"$root/deploy/Dockerfile.dockerignore"
mkdir "$work_dir/src"
tar -C "$root" --anchored --wildcards "${excludes[@]}" -cf - . | tar -C "$work_dir/src" -xf -
# Every COPY from the context (not --from=stage) must find its sources there.
while read -r -a words; do
  sources=("${words[@]:1:${#words[@]}-2}")  # Without COPY and the destination.
  for source in "${sources[@]}"; do
    [[ $source == --* ]] && continue
    [[ -e $work_dir/src/$source ]] ||
      fail "deploy/Dockerfile copies $source, which the filtered build context lacks"
  done
done < <(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$dockerfile" | grep -E '^COPY ' | grep -v -- '--from=')
grep -q 'cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF' \
  "$dockerfile" || fail "deploy/Dockerfile's cmake command changed: update this check"
if cmake -S "$work_dir/src" -B "$work_dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
     -DBUILD_TESTING=OFF -DETIQUETTE_BENCH=OFF -DETIQUETTE_WERROR=OFF \
     -DCMAKE_INSTALL_PREFIX=/usr/local -DCMAKE_INSTALL_SYSCONFDIR=/etc >"$work_dir/cmake.log" 2>&1; then
  context_ok=1
  for target in etiquette-evaluator etiquette-history; do
    if ! ninja -C "$work_dir/build" -t query "$target" >/dev/null 2>&1; then
      fail "the filtered build context has no target $target"
      context_ok=0
    fi
  done
  # The runtime stage copies what `cmake --install` staged: both binaries, and both configs in
  # /etc/etiquette/config (the Dockerfile's CMAKE_INSTALL_SYSCONFDIR).
  if ! grep -q '"/etc/etiquette/config"' "$work_dir/build/cmake_install.cmake"; then
    fail "with CMAKE_INSTALL_SYSCONFDIR=/etc the configs are not installed in /etc/etiquette/config"
    context_ok=0
  fi
  (( ! context_ok )) || echo "ok: the build context filtered by Dockerfile.dockerignore configures"
else
  fail "the build context filtered by Dockerfile.dockerignore does not configure:"
  sed 's/^/  | /' "$work_dir/cmake.log"
fi

# --- 3. The install rules, for real: a staged install from the tree that built the binaries --
build_dir=$(dirname "$(dirname "${binaries[0]}")")
if DESTDIR="$work_dir/stage" cmake --install "$build_dir" --prefix /usr/local \
     >"$work_dir/install.log" 2>&1; then
  install_ok=1
  for installed in usr/local/bin/etiquette-evaluator usr/local/bin/etiquette-history \
      usr/local/etc/etiquette/config/evaluator.yaml usr/local/etc/etiquette/config/history.yaml \
      usr/local/share/etiquette/etiquette.protoset; do
    [[ -f $work_dir/stage/$installed ]] || { fail "cmake --install did not install /$installed"; install_ok=0; }
  done
  (( ! install_ok )) || echo "ok: cmake --install stages both binaries, both configs and the protoset"
else
  fail "cmake --install failed:"
  sed 's/^/  | /' "$work_dir/install.log"
fi

if (( failed )); then
  echo "0 passed, 1 failed"
  exit 1
fi
echo "1 passed, 0 failed"
