#!/usr/bin/env bash
# Makes the base images deploy/Dockerfile starts FROM, debian:12 and debian:12-slim, from
# Debian's own mirror (no container registry is reachable here): `mmdebstrap --variant=minbase
# bookworm`, imported with `podman import`. Does nothing when both are present.
#
# One root file system serves both names: minbase with merged /usr and, like Docker's -slim,
# without man pages, docs and locales (they matter to neither stage). Its apt sources are the
# host's Debian entries (/etc/apt/sources.list{,.d}), so apt in the build uses the same mirror.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
podman=("$here/podman.sh")
names=(docker.io/library/debian:12 docker.io/library/debian:12-slim)

have_all=1
for n in "${names[@]}"; do
  "${podman[@]}" image exists "$n" || have_all=0
done
(( have_all )) && exit 0

# The host's Debian bookworm entries, as one-line sources (deb822 stanzas and sources.list).
sources=$(mktemp)
work=$(mktemp -d)
trap 'rm -rf "$sources" "$work"' EXIT
suite_re='^bookworm(-updates|-security|-backports)?$'
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [[ -f $f ]] || continue
  awk -v re="$suite_re" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
    if ($(i+1) ~ re) { line = "deb " $i; for (j = i+1; j <= NF; j++) line = line " " $j; print line } }' \
    "$f" >>"$sources"
done
for f in /etc/apt/sources.list.d/*.sources; do
  [[ -f $f ]] || continue
  awk -v re="$suite_re" '
    function flush(  u, s, nu, ns, a, b, k, m) {
      if (types ~ /(^| )deb( |$)/ && uris != "") {
        nu = split(uris, a, " "); ns = split(suites, b, " ")
        for (k = 1; k <= nu; k++) for (m = 1; m <= ns; m++)
          if (b[m] ~ re) print "deb " a[k] " " b[m] " " comps
      }
      types = uris = suites = comps = ""
    }
    /^[ \t]*$/ { flush(); next }
    /^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
    /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
    /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
    /^Components:/ { sub(/^Components:[ \t]*/, ""); comps = $0 }
    END { flush() }' "$f" >>"$sources"
done
if [[ ! -s $sources ]]; then
  echo "base-image: no Debian bookworm entry in /etc/apt/sources.list*" >&2
  exit 1
fi
echo "base-image: mmdebstrap --variant=minbase bookworm from:" >&2
sed 's/^/  /' "$sources" >&2

mmdebstrap --variant=minbase --mode=root --format=tar --quiet \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  bookworm "$work/rootfs.tar" "$sources"
# PATH as Docker's debian images set it: podman import sets none, and kube play needs one.
"${podman[@]}" import --change 'CMD ["bash"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  "$work/rootfs.tar" "${names[0]}" >/dev/null
for n in "${names[@]:1}"; do
  "${podman[@]}" tag "${names[0]}" "$n"
done
echo "base-image: tagged ${names[*]}" >&2
