#!/bin/sh
# The dev Redis's init container: renders the ACL file template (users.acl of the ConfigMap) with
# the passwords of the Secrets, so that no password sits in a ConfigMap and none is written in
# clear anywhere: Redis reads `#<sha256>` password hashes (ACL "#" rule).
#   usage: render-acl.sh TEMPLATE OUTPUT    env: DEFAULT_PASSWORD, HISTORY_PASSWORD
# Drops comment and blank lines (Redis 7.0 refuses comments in an ACL file), replaces
# ${DEFAULT_PASSWORD_SHA256} and ${HISTORY_PASSWORD_SHA256}, and refuses a template that still
# has a ${...} after that (a placeholder nobody fills). Passwords are trimmed like the services'
# secret files (surrounding whitespace), so history's AUTH matches.
set -eu
template=$1 output=$2
digest() {
  printf '%s' "$1" | tr -d '\r\n' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' |
    sha256sum | cut -d' ' -f1
}
: "${DEFAULT_PASSWORD:?from the Secret etiquette-redis, key password}"
: "${HISTORY_PASSWORD:?from the Secret etiquette-history-redis, key password}"
default_hash=$(digest "$DEFAULT_PASSWORD")
history_hash=$(digest "$HISTORY_PASSWORD")
sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' \
    -e "s/\${DEFAULT_PASSWORD_SHA256}/$default_hash/g" \
    -e "s/\${HISTORY_PASSWORD_SHA256}/$history_hash/g" "$template" >"$output.tmp"
if grep -n '\${' "$output.tmp" >&2; then
  echo "render-acl.sh: $template has a placeholder other than the two above" >&2
  rm -f "$output.tmp"
  exit 1
fi
mv "$output.tmp" "$output"
echo "render-acl.sh: $(grep -c '^user ' "$output") ACL users written to $output"
