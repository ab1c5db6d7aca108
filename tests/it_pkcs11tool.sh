#!/bin/bash
# Integration test: OpenSC's pkcs11-tool drives kerntok end to end.
# Run by tests/run-integration.sh from the repository root, inside
# `keyctl session -`, with KERNTOK_DIR (a fresh store) and KT_BUILD exported.
# Every pkcs11-tool invocation is a separate process, so this also checks
# that tokens, PINs and objects are shared between processes.
set -euo pipefail

. "$(dirname "$0")/lib_it.sh"
SO_PIN=12345678
PIN=1234
command -v pkcs11-tool >/dev/null || { echo "FAIL: pkcs11-tool missing"; exit 1; }

work=$(mktemp -d /tmp/kt-it-p11tool.XXXXXX)
cleanup() {
  kt_unlink_store
  rm -rf "$work"
}
trap cleanup EXIT

p11() { pkcs11-tool --module "$MOD" "$@"; }

# --------------------------------------------------------------------------
step "list slots: exactly one free (uninitialized) slot"
out=$(p11 -L)
echo "$out"
nfree=$(grep -c 'token state: *uninitialized' <<<"$out" || true)
[ "$nfree" = 1 ] || fail "expected exactly one uninitialized slot, found $nfree"
# "Slot N (0xID): ..." followed by "token state: uninitialized"
free_slot=$(kt_free_slot <<<"$out") || fail "could not parse the free slot id"
slot_dec=$((free_slot))
ok "free slot $free_slot"

step "init token t1 on the free slot"
p11 --init-token --slot "$free_slot" --label t1 --so-pin "$SO_PIN"
out=$(p11 -L)
echo "$out"
grep -q 'token label *: t1$' <<<"$out" || fail "-L does not show token t1"
nfree=$(grep -c 'token state: *uninitialized' <<<"$out" || true)
[ "$nfree" = 1 ] || fail "after init: expected one new free slot, found $nfree"
ok "token t1 listed, new free slot present"

step "init the user PIN as SO"
p11 --token-label t1 --init-pin --login --login-type so --so-pin "$SO_PIN" \
    --pin "$PIN"
grep -q 'PIN initialized' <<<"$(p11 -L)" ||
  fail "-L does not report the user PIN as initialized"
ok "user PIN initialized"

step "wrong PIN is refused"
if p11 --token-label t1 --login --pin 9999 --list-objects >"$work/wrong" 2>&1; then
  cat "$work/wrong"
  fail "login with a wrong PIN succeeded"
fi
ok "wrong PIN refused"

# --------------------------------------------------------------------------
step "write objects"
head -c 300 /dev/urandom >"$work/d1.bin"
printf 'private payload\n' >"$work/d2.bin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj /CN=kt -days 30 -keyout "$work/key.pem" -outform DER \
  -out "$work/cert.der" 2>/dev/null
p11 --token-label t1 --login --pin "$PIN" --write-object "$work/d1.bin" \
    --type data --label d1
p11 --token-label t1 --login --pin "$PIN" --write-object "$work/d2.bin" \
    --type data --label d2 --private
p11 --token-label t1 --login --pin "$PIN" --write-object "$work/cert.der" \
    --type cert --label c1 --id 01
ok "d1 (public data), d2 (private data), c1 (certificate) written"

step "list objects from another process, not logged in"
out=$(p11 --token-label t1 --list-objects)
echo "$out"
grep -Eq "label: *'?d1'?$" <<<"$out" || fail "d1 not listed"
grep -Eq "label: *'?c1'?$" <<<"$out" || fail "c1 not listed"
grep -Eq "label: *'?d2'?$" <<<"$out" && fail "private d2 listed without login"
ok "public objects listed, private hidden"

step "list objects logged in"
out=$(p11 --token-label t1 --login --pin "$PIN" --list-objects)
echo "$out"
for l in d1 d2 c1; do
  grep -Eq "label: *'?$l'?$" <<<"$out" || fail "$l not listed when logged in"
done
grep -A6 'Certificate Object' <<<"$out" | grep -qi 'subject: *DN: CN *= *kt' ||
  fail "certificate subject not shown as CN=kt"
grep -A6 'Certificate Object' <<<"$out" | grep -q 'ID: *01' ||
  fail "certificate ID 01 not shown"
ok "all three objects listed when logged in"

step "read objects back"
p11 --token-label t1 --read-object --type data --label d1 -o "$work/d1.out"
cmp "$work/d1.bin" "$work/d1.out" || fail "d1 read back differs"
p11 --token-label t1 --login --pin "$PIN" --read-object --type data \
    --label d2 -o "$work/d2.out"
cmp "$work/d2.bin" "$work/d2.out" || fail "d2 read back differs"
p11 --token-label t1 --read-object --type cert --id 01 -o "$work/c1.out"
cmp "$work/cert.der" "$work/c1.out" || fail "certificate read back differs"
ok "values read back unchanged"

# --------------------------------------------------------------------------
step "delete d1"
p11 --token-label t1 --login --pin "$PIN" --delete-object --type data \
    --label d1
out=$(p11 --token-label t1 --login --pin "$PIN" --list-objects)
echo "$out"
grep -Eq "label: *'?d1'?$" <<<"$out" && fail "d1 still listed after delete"
grep -Eq "label: *'?d2'?$" <<<"$out" || fail "d2 vanished with d1"
grep -Eq "label: *'?c1'?$" <<<"$out" || fail "c1 vanished with d1"
ok "d1 deleted, the others kept"

# --------------------------------------------------------------------------
step "the token keyring is visible with keyctl"
keyctl show @u | tee "$work/keys"
grep -q "keyring: $(kt_store_desc)\$" "$work/keys" ||
  fail "store keyring $(kt_store_desc) not under @u"
grep -q "keyring: kt:token:$slot_dec:t1\$" "$work/keys" ||
  fail "token keyring kt:token:$slot_dec:t1 not shown"
ok "store and token keyrings present"

step "objects survive clearing the token keyring (reload from disk)"
tr=$(keyctl search @u keyring "kt:token:$slot_dec:t1")
keyctl clear "$tr"
out=$(p11 --token-label t1 --login --pin "$PIN" --list-objects)
grep -Eq "label: *'?d2'?$" <<<"$out" || fail "d2 lost after keyctl clear"
grep -Eq "label: *'?c1'?$" <<<"$out" || fail "c1 lost after keyctl clear"
grep -Eq "label: *'?d1'?$" <<<"$out" && fail "deleted d1 came back from disk"
p11 --token-label t1 --login --pin "$PIN" --read-object --type data \
    --label d2 -o "$work/d2.again"
cmp "$work/d2.bin" "$work/d2.again" || fail "d2 differs after reload"
ok "reloaded from disk"

echo "$checks passed, 0 failed"
