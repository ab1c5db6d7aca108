#!/bin/bash
# Real-client integration tests: every tests/it_*.sh, each against a fresh store.
set -u
# Tests never touch a real TPM unless they start their own (swtpm) and say so:
# a wrong-PIN test must not spend a real TPM's lockout tries.
export KERNTOK_TCTI=${KERNTOK_TCTI:-none}
B=$(cd "$1" && pwd)
fail=0
for t in tests/it_*.sh; do
  [ -e "$t" ] || continue
  name=$(basename "$t" .sh)
  dir=$(mktemp -d /tmp/kt-it.XXXXXX)
  if KERNTOK_DIR=$dir KT_BUILD=$B keyctl session - bash "$t" >"$dir.log" 2>&1; then
    echo "PASS $name"
  else
    echo "FAIL $name (log: $dir.log)"; tail -40 "$dir.log"; fail=1
  fi
  rm -rf "$dir"
done
exit $fail
