#!/usr/bin/env bash
# Writes the PrometheusRule (Prometheus Operator, monitoring.coreos.com/v1) of the kustomize base
# from the plain rules file, which is the source: the same groups, indented under `spec`.
#   deploy/prometheus/generate-prometheus-rule.sh           rewrites deploy/base/monitoring/prometheus-rule.yaml
#   deploy/prometheus/generate-prometheus-rule.sh --check   exits 1 when that file is stale
# The test prometheus.rules_in_sync runs --check.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rules="$root/deploy/prometheus/etiquette-rules.yml"
target="$root/deploy/base/monitoring/prometheus-rule.yaml"

render() {
  cat <<'HEADER'
# GENERATED from deploy/prometheus/etiquette-rules.yml by
# deploy/prometheus/generate-prometheus-rule.sh: edit that file and rerun the script.
# Needs the Prometheus Operator's CRDs in the cluster (kube-prometheus-stack and the like).
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: etiquette
  labels:
    app.kubernetes.io/part-of: etiquette
spec:
HEADER
  # Drop the file's leading comment block, indent everything else by two spaces.
  awk 'started || !/^#/ { started = 1; print }' "$rules" | sed -e 's/^\(.\)/  \1/'
}

if [[ "${1:-}" == "--check" ]]; then
  if ! diff -u "$target" <(render); then
    echo "FAIL: $target is stale; run deploy/prometheus/generate-prometheus-rule.sh" >&2
    exit 1
  fi
  echo "ok: $target matches $rules"
else
  render > "$target"
fi
