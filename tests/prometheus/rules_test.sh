#!/usr/bin/env bash
# The alert rules (deploy/prometheus/etiquette-rules.yml), with Debian's promtool:
#   rules_test.sh check      promtool check rules; every alert has a severity (page | ticket),
#                            a summary, a description and a runbook_url docs/runbooks/<alert>.md
#                            that exists; the PrometheusRule of deploy/base is the same rules
#   rules_test.sh test       promtool test rules tests/prometheus/etiquette-rules*-test.yml, after
#                            checking that every alert has a test where it fires and one where it
#                            stays silent
#   rules_test.sh dashboard  every panel query of deploy/grafana/etiquette-dashboard.json parses
#                            (promtool check rules on them as recording rules, $__rate_interval
#                            as 1m) and every recording rule a panel reads exists
#   rules_test.sh mutations  each alert in turn made never to fire, then always to fire: its own
#                            unit tests must fail both times (they guard every alert both ways)
set -euo pipefail
root="$1"
mode="$2"
rules="$root/deploy/prometheus/etiquette-rules.yml"
tests=("$root/tests/prometheus/etiquette-rules-test.yml" "$root/tests/prometheus/etiquette-rules-day-test.yml")
fail() { echo "FAIL: $*" >&2; exit 1; }
alerts=$(sed -n 's/^ *- alert: *\([A-Za-z0-9]*\)$/\1/p' "$rules")
[[ $(wc -l <<<"$alerts") -ge 19 ]] || fail "expected at least 19 alerts in $rules"

case "$mode" in
  check)
    promtool check rules "$rules"
    for alert in $alerts; do
      # The alert's block: from its line to the next rule.
      block=$(awk -v a="$alert" '$0 ~ "- alert: "a"$" {on=1; print; next}
                                 on && /^ *- (alert|record):/ {exit} on {print}' "$rules")
      grep -Eq '^ +severity: (page|ticket)$' <<<"$block" || fail "$alert: no severity page|ticket"
      grep -Eq '^ +summary: ".+"$' <<<"$block" || fail "$alert: no summary"
      grep -Eq '^ +description: ".+"$' <<<"$block" || fail "$alert: no description"
      grep -Fq "runbook_url: \"docs/runbooks/$alert.md\"" <<<"$block" ||
        fail "$alert: runbook_url is not docs/runbooks/$alert.md"
      [[ -s "$root/docs/runbooks/$alert.md" ]] || fail "$alert: docs/runbooks/$alert.md is missing"
      grep -Fq "# $alert" "$root/docs/runbooks/$alert.md" || fail "$alert: runbook has no '# $alert' title"
    done
    "$root/deploy/prometheus/generate-prometheus-rule.sh" --check
    echo "ok: $(wc -w <<<"$alerts") alerts, each with severity, summary, description and runbook"
    ;;
  test)
    for alert in $alerts; do
      grep -Eqh "^  - name: $alert fires" "${tests[@]}" || fail "$alert: no test where it fires"
      grep -Eqh "^  - name: $alert stays silent" "${tests[@]}" ||
        fail "$alert: no test where it stays silent"
    done
    promtool test rules "${tests[@]}"
    ;;
  dashboard)
    dashboard="$root/deploy/grafana/etiquette-dashboard.json"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    jq -r '[.panels[] | select(.type != "row") | .targets[].expr] | .[]' "$dashboard" > "$work/exprs"
    [[ $(wc -l < "$work/exprs") -ge 20 ]] || fail "expected at least 20 panel queries"
    {
      echo "groups:"
      echo "  - name: dashboard"
      echo "    rules:"
      n=0
      while IFS= read -r expr; do
        n=$((n + 1))
        echo "      - record: dashboard:query_$n"
        printf '        expr: %s\n' "$(jq -Rn --arg e "${expr//\$__rate_interval/1m}" '$e')"
      done < "$work/exprs"
    } > "$work/dashboard-rules.yml"
    promtool check rules "$work/dashboard-rules.yml" > "$work/check" 2>&1 || { cat "$work/check"; fail "a panel query does not parse"; }
    if grep -q FAILED "$work/check"; then cat "$work/check"; fail "promtool check rules"; fi
    for rule in $(grep -o 'etiquette:[a-z_]*:[a-z_0-9]*' "$work/exprs" | sort -u); do
      grep -q -- "- record: $rule$" "$rules" || fail "the dashboard reads $rule, which no rule records"
    done
    echo "ok: $(wc -l < "$work/exprs") panel queries parse"
    ;;
  mutations)
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/deploy/prometheus" "$work/tests/prometheus"
    for alert in $alerts; do
      # The alert's own tests, with the header (rule_files, evaluation_interval) of their file.
      for file in "${tests[@]}"; do
        if grep -Eq "^  - name: $alert " "$file"; then
          awk -v a="$alert" '
            /^tests:/ { print; head = 1; next }
            !head { print; next }
            /^  - name: / { on = index($0, "  - name: " a " ") == 1 }
            on { print }' "$file" > "$work/tests/prometheus/alert-test.yml"
        fi
      done
      cp "$rules" "$work/deploy/prometheus/etiquette-rules.yml"
      promtool test rules "$work/tests/prometheus/alert-test.yml" > /dev/null ||
        fail "$alert: its own tests do not pass on the unchanged rules"
      for replacement in "vector(0) > 1" "vector(1)"; do
        # Replace the alert's expression (one line or a block) and its `for:` by the mutant.
        awk -v a="$alert" -v r="$replacement" '
          $0 ~ "- alert: "a"$" { on = 1; print; next }
          on && /^ *expr:/ { sub(/expr:.*/, "expr: " r); print; skip = 1; next }
          on && skip && /^ *(for|labels):/ { skip = 0; if ($1 == "for:") { on = 0; next } on = 0 }
          skip { next }
          { print }' "$rules" > "$work/deploy/prometheus/etiquette-rules.yml"
        promtool check rules "$work/deploy/prometheus/etiquette-rules.yml" > /dev/null ||
          fail "$alert: the mutant rules file is invalid"
        if promtool test rules "$work/tests/prometheus/alert-test.yml" > /dev/null 2>&1; then
          fail "$alert with expr '$replacement': the unit tests still pass"
        fi
      done
    done
    echo "ok: every alert's tests fail when it never fires and when it always fires"
    ;;
  *) fail "unknown mode $mode" ;;
esac
