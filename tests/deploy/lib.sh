# Shared by the deploy tests (sourced, not run). Needs: ROOT (source dir), CACHE (a folder in
# the build tree that outlives test runs).

# The overlays every test covers: each folder under deploy/overlays.
overlays() {
  local dir
  for dir in "$ROOT"/deploy/overlays/*/; do
    basename "$dir"
  done
}

# render OVERLAY OUT_FILE: `kubectl kustomize` as an operator would run it (no extra flags).
render() {
  if ! command -v kubectl >/dev/null; then
    echo "FAIL: kubectl not found (it renders the kustomize overlays)" >&2
    return 1
  fi
  if ! kubectl kustomize "$ROOT/deploy/overlays/$1" >"$2"; then
    echo "FAIL: kubectl kustomize deploy/overlays/$1 failed" >&2
    return 1
  fi
}

# install_node_modules: installs the exact packages of tests/deploy/package-lock.json into
# $CACHE/node (npm ci: reproducible, integrity-checked), unless the copy there was installed
# from the same lock file. Serialised with flock: ctest may run both deploy tests at once and
# they share the folder.
install_node_modules() {
  local node_dir="$CACHE/node"
  mkdir -p "$node_dir"
  (
    flock 9
    if [[ -d $node_dir/node_modules ]] &&
       cmp -s "$ROOT/tests/deploy/package-lock.json" "$node_dir/installed-package-lock.json"; then
      exit 0
    fi
    cp "$ROOT/tests/deploy/package.json" "$ROOT/tests/deploy/package-lock.json" "$node_dir/"
    rm -rf "$node_dir/node_modules" "$node_dir/installed-package-lock.json"
    echo "deploy tests: npm ci into $node_dir" >&2
    if ! (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >&2); then
      echo "FAIL: npm ci failed (the npm registry must be reachable on the first run)" >&2
      exit 1
    fi
    cp "$ROOT/tests/deploy/package-lock.json" "$node_dir/installed-package-lock.json"
  ) 9>"$node_dir.lock"
}

# run_node SCRIPT ARGS...: runs tests/deploy/SCRIPT with those packages. ESM `import` looks for
# node_modules from the script's own folder upwards (NODE_PATH does not apply), so the .mjs
# files run from a private copy under $CACHE/node. Sets NODE_RUN_DIR for the caller's trap.
NODE_RUN_DIR=""
run_node() {
  local script=$1 status=0
  shift
  NODE_RUN_DIR=$(mktemp -d "$CACHE/node/run.XXXXXX")
  cp "$ROOT"/tests/deploy/*.mjs "$NODE_RUN_DIR/"
  node "$NODE_RUN_DIR/$script" "$@" || status=$?
  rm -rf "$NODE_RUN_DIR"
  NODE_RUN_DIR=""
  return "$status"
}
