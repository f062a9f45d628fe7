#!/bin/sh
# Renders Redis's ACL file (redis.conf: aclfile) from the template users.acl next to this
# script: each password placeholder becomes the SHA-256 of that password (Redis's '#<hex>'
# form, so the rendered file holds hashes, never a password), the comments go (an ACL file takes
# none). Passwords are read from files and trimmed as etiquette-history trims
# --redis_password_file (surrounding white space), so the hash matches what history sends.
#   render-users-acl.sh <history-password-file> <admin-password-file> [template] > users.acl
# POSIX sh + coreutils (sha256sum), so that it also runs in the redis image.
set -eu
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 <history-password-file> <admin-password-file> [template]" >&2
  exit 2
fi
template=${3:-$(dirname "$0")/users.acl}

# The trimmed content of a password file, hashed; refuses a missing or empty file.
hash_of() {
  if [ ! -r "$1" ]; then
    echo "$0: $1: cannot read the password file" >&2
    exit 1
  fi
  # Trim leading and trailing white space (spaces, tabs, newlines) of the whole file.
  trimmed=$(cat "$1")
  trimmed=${trimmed#"${trimmed%%[![:space:]]*}"}
  trimmed=${trimmed%"${trimmed##*[![:space:]]}"}
  if [ -z "$trimmed" ]; then
    echo "$0: $1: the password file is empty" >&2
    exit 1
  fi
  if [ ${#trimmed} -lt 16 ]; then
    echo "$0: $1: the password is shorter than 16 characters" >&2
    exit 1
  fi
  printf '%s' "$trimmed" | sha256sum | cut -c1-64
}

history=$(hash_of "$1")
admin=$(hash_of "$2")
grep -v '^#' "$template" | grep -v '^[[:space:]]*$' |
  sed -e "s/@ETIQUETTE_HISTORY_PASSWORD_SHA256@/$history/" \
    -e "s/@ETIQUETTE_ADMIN_PASSWORD_SHA256@/$admin/"
