#!/bin/bash
# Integration test: PyKCS11 (python3-pykcs11) drives kerntok through
# tests/pykcs11_flow.py: C_InitToken/C_InitPIN, key generation (RSA, EC, AES),
# sign/verify (RSA v1.5, RSA-PSS, ECDSA), encrypt/decrypt (AES-GCM, RSA-OAEP),
# wrap/unwrap (AES key wrap, RSA-OAEP) and ECDH, each result asserted and
# checked against python3-cryptography.  Each step is its own process.
# Run by tests/run-integration.sh from the repository root, inside
# `keyctl session -`, with KERNTOK_DIR (a fresh store) and KT_BUILD exported.
set -euo pipefail
# a command that fails outside the explicit checks still says what failed
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)"' ERR

. "$(dirname "$0")/lib_it.sh"
SO_PIN=12345678
PIN=1234
LABEL=pykcs11
# Debian's python3-pykcs11 is for the system python; a pyenv python3 on PATH lacks it
PY=/usr/bin/python3
FLOW="$(cd "$(dirname "$0")" && pwd)/pykcs11_flow.py"
[ -f "$FLOW" ] || { echo "FAIL: no $FLOW"; exit 1; }
"$PY" -c 'import PyKCS11, cryptography' ||
  { echo "FAIL: $PY lacks PyKCS11 / cryptography (apt install python3-pykcs11 python3-cryptography)"; exit 1; }

cleanup() {
  kt_unlink_store
}
trap cleanup EXIT

flow() { "$PY" "$FLOW" "$MOD" "$@" || fail "pykcs11_flow.py $1 failed (exit $?)"; }

step "init: C_InitToken on the free slot, C_InitPIN"
flow init "$LABEL" "$SO_PIN" "$PIN"
step "setup: generate RSA 2048, EC P-256 and AES-256 token keys"
flow setup "$LABEL" "$PIN"
step "run (a new process): sign/verify, encrypt/decrypt, wrap/unwrap, derive"
flow run "$LABEL" "$PIN"

step "a wrong PIN is refused"
if out=$("$PY" "$FLOW" "$MOD" run "$LABEL" 0000 2>&1); then
  fail "pykcs11_flow.py run succeeded with a wrong PIN"
fi
grep -q 'CKR_PIN_INCORRECT' <<<"$out" || { echo "$out"; fail "wrong PIN: no CKR_PIN_INCORRECT"; }
echo "PASS"
