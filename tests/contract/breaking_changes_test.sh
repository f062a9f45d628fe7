#!/usr/bin/env bash
# contract.breaking_changes_detected: scripts/check-contract.sh breaking must refuse a copy of
# proto/ with each kind of change that breaks old callers (wire or JSON), and accept the copy
# unchanged and with an added field. Each mutation must really change the copy (else the test
# fails: the proto it edits has moved on).
# usage: breaking_changes_test.sh SOURCE_DIR
set -euo pipefail
root=$(realpath "${1:?usage: breaking_changes_test.sh SOURCE_DIR}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# check NAME EXPECT FILE PERL_SUBSTITUTION: a fresh copy of proto/, FILE edited, the check run;
# EXPECT is "refused" or "accepted".
check() {
  local name=$1 expect=$2 file=$3 edit=$4 copy="$work/$1" status=0
  cp -r "$root/proto" "$copy"
  if [[ -n $edit ]]; then
    perl -0pi -e "$edit" "$copy/etiquette/v1/$file"
    if cmp -s "$root/proto/etiquette/v1/$file" "$copy/etiquette/v1/$file"; then
      fail "$name: the edit changed nothing in $file"
      return
    fi
  fi
  "$root/scripts/check-contract.sh" breaking "$copy" >"$work/$name.log" 2>&1 || status=$?
  if [[ $expect == refused && $status -eq 0 ]]; then
    fail "$name: a breaking change was accepted"
  elif [[ $expect == accepted && $status -ne 0 ]]; then
    fail "$name: a compatible contract was refused:"
    sed 's/^/  | /' "$work/$name.log"
  else
    echo "ok: $name $expect$( [[ $expect == refused ]] && echo ": $(head -1 "$work/$name.log")")"
  fi
}

check unchanged accepted invitation.proto ''
check field_added accepted invitation.proto 's/(message Invitation \{)/$1\n  string added_for_the_test = 90;/'
check field_renumbered refused invitation.proto 's/string invitation_id = 1;/string invitation_id = 99;/'
check field_type_changed refused invitation.proto 's/bool has_photo = 5;/string has_photo = 5;/'
check field_renamed refused invitation.proto 's/mutual_connections = 2;/mutual_contacts = 2;/'
check field_deleted refused invitation.proto 's/\n[^\n]*bool recipient_email_confirmed = 7;//'
check enum_value_renamed refused invitation.proto 's/FAMILIARITY_FRIEND = 6;/FAMILIARITY_CLOSE_FRIEND = 6;/'
check rpc_deleted refused evaluator.proto 's/\n[^\n]*rpc ListRules\([^\n]*//'

if (( failed )); then exit 1; fi
echo "every breaking change refused, compatible contracts accepted"
