#!/bin/bash
# Run every CUnit test binary; each gets a private KERNTOK_DIR and a fresh
# session keyring so tests never see each other's tokens.
# KT_VALGRIND=1 runs them under valgrind (errors fail the run).
set -u
# Tests never touch a real TPM unless they start their own (swtpm) and say so:
# a wrong-PIN test must not spend a real TPM's lockout tries.
export KERNTOK_TCTI=${KERNTOK_TCTI:-none}
B=$1; shift
fail=0
for t in "$@"; do
  name=$(basename "$t")
  dir=$(mktemp -d /tmp/kt-unit.XXXXXX)
  run=("$t")
  if [ "${KT_VALGRIND:-0}" = 1 ]; then
    run=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
         --suppressions=tests/valgrind.supp --child-silent-after-fork=yes "$t")
  fi
  if KERNTOK_DIR=$dir KT_BUILD=$B keyctl session - "${run[@]}" >"$dir.log" 2>&1; then
    echo "PASS $name"
  else
    echo "FAIL $name (log: $dir.log)"; tail -40 "$dir.log"; fail=1
  fi
  # Tests clean their own keyrings; this removes the store directory.
  rm -rf "$dir"
done
exit $fail
