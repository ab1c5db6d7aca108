#!/bin/bash
# Integration test: OpenSC's pkcs11-tool runs its own self-test (--test)
# against kerntok with RSA, EC and AES keys in the token, then generates keys
# and signs/verifies with RSA-PSS, ECDSA and EdDSA; every signature is also
# checked by openssl with the public key pkcs11-tool exported.
# Run by tests/run-integration.sh from the repository root, inside
# `keyctl session -`, with KERNTOK_DIR (a fresh store) and KT_BUILD exported.
set -euo pipefail
# a command that fails outside the explicit checks still says what failed
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)"' ERR

. "$(dirname "$0")/lib_it.sh"
SO_PIN=12345678
PIN=1234
LABEL=p11test
command -v pkcs11-tool >/dev/null || { echo "FAIL: pkcs11-tool missing (apt install opensc)"; exit 1; }
command -v openssl >/dev/null || { echo "FAIL: openssl missing"; exit 1; }

work=$(mktemp -d /tmp/kt-it-p11test.XXXXXX)
cleanup() {
  kt_unlink_store
  rm -rf "$work"
}
trap cleanup EXIT

p11() { pkcs11-tool --module "$MOD" "$@"; }
p11u() { p11 --token-label "$LABEL" --login --pin "$PIN" "$@"; }

# --------------------------------------------------------------------------
step "init token $LABEL on the free slot, set the user PIN"
kt_init_token "$LABEL" "$SO_PIN" "$PIN" >/dev/null
ok "token $LABEL ready"

# --------------------------------------------------------------------------
step "generate RSA 2048, EC P-256 and AES-256 keys with pkcs11-tool"
must p11u --keypairgen --key-type rsa:2048 --label rsa --id 01
must p11u --keypairgen --key-type EC:prime256v1 --label ec --id 02
must p11u --keygen --key-type AES:32 --label aes --id 03
out=$(p11u --list-objects)
for l in rsa ec aes; do
  grep -Eq "label: *'?$l'?$" <<<"$out" || { echo "$out"; fail "key $l not listed"; }
done
grep -q 'Public Key Object; RSA 2048 bits' <<<"$out" || fail "no 2048-bit RSA public key"
grep -q 'Secret Key Object; AES length 32' <<<"$out" || fail "no 32-byte AES key"
ok "3 keys generated and listed"

# --------------------------------------------------------------------------
step "pkcs11-tool --test --login --allow-sw"
rc=0
out=$(p11u --test --allow-sw 2>&1) || rc=$?
echo "$out"
[ "$rc" = 0 ] || fail "pkcs11-tool --test exited $rc"
grep -q '^No errors' <<<"$out" || fail "pkcs11-tool --test did not report 'No errors'"
# OpenSC probes C_SignUpdate with the first (single-part) sign mechanism,
# CKM_RSA_PKCS, and expects CKR_FUNCTION_NOT_SUPPORTED there: it prints that
# as a warning and goes on with C_Sign.  Any other "failed" is a failure.
bad=$(grep -E 'failed|ERR|[Ee]rror' <<<"$out" |
  grep -v '^warning: PKCS11 function C_SignUpdate failed: rv = CKR_FUNCTION_NOT_SUPPORTED' |
  grep -v '^No errors' || true)
[ -z "$bad" ] || fail "pkcs11-tool --test reported: $bad"
# OpenSC prints "Mechanism not supported" (and counts no error) when the
# module refuses a mechanism's parameters: e.g. OAEP without a label, for
# which OpenSC 0.23 passes CK_RSA_PKCS_OAEP_PARAMS.source = 0.
! grep -q 'Mechanism not supported' <<<"$out" ||
  fail "pkcs11-tool --test: a mechanism was refused ('Mechanism not supported')"
for want in 'SHA256: OK' 'RSA-PKCS: OK' 'SHA256-RSA-PKCS: OK' 'RSA-X-509: OK' \
            'SHA1-RSA-PKCS: OK' 'seems to be OK'; do
  grep -q -- "$want" <<<"$out" || fail "pkcs11-tool --test: no '$want'"
done
sed -n '/^Decryption/,$p' <<<"$out" | grep -q 'RSA-PKCS-OAEP: .*' ||
  fail "pkcs11-tool --test did not try RSA-PKCS-OAEP decryption"
[ "$(sed -n '/^Decryption/,$p' <<<"$out" | grep -A2 'RSA-PKCS-OAEP' | grep -c '^OK')" = 2 ] ||
  fail "pkcs11-tool --test: RSA-PKCS-OAEP decryption (with and without a label) not OK twice"
ok "pkcs11-tool --test: digests, RSA signatures, verify, decryption, RNG"

step "pkcs11-tool --decrypt: openssl encrypts (v1.5, OAEP-SHA256), the token decrypts"
p11 --token-label "$LABEL" --read-object --type pubkey --id 01 -o "$work/rsa.der" >/dev/null 2>&1 ||
  fail "cannot export the RSA public key"
head -c 32 /dev/urandom >"$work/secret"
openssl pkeyutl -encrypt -pubin -keyform DER -inkey "$work/rsa.der" -in "$work/secret" -out "$work/c1"
must p11u --decrypt --id 01 -m RSA-PKCS -i "$work/c1" -o "$work/p1"
cmp -s "$work/secret" "$work/p1" || fail "RSA-PKCS decryption differs"
openssl pkeyutl -encrypt -pubin -keyform DER -inkey "$work/rsa.der" -in "$work/secret" -out "$work/c2" \
  -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256
must p11u --decrypt --id 01 -m RSA-PKCS-OAEP --hash-algorithm SHA256 --mgf MGF1-SHA256 \
  -i "$work/c2" -o "$work/p2"
cmp -s "$work/secret" "$work/p2" || fail "RSA-PKCS-OAEP decryption differs"
ok "RSA-PKCS and RSA-PKCS-OAEP decryption by pkcs11-tool"

# --------------------------------------------------------------------------
# Public keys as pkcs11-tool exports them.  OpenSC 0.23 writes RSA and EC
# public keys as DER but Ed25519 ones as PEM: accept either.
export_pub() {   # ID OUT.pem
  local id=$1 out=$2
  p11 --token-label "$LABEL" --read-object --type pubkey --id "$id" -o "$work/pub$id.raw" >/dev/null 2>&1 ||
    fail "pkcs11-tool --read-object --type pubkey --id $id failed"
  if head -c 10 "$work/pub$id.raw" | grep -q -- '-----BEGIN'; then
    openssl pkey -pubin -in "$work/pub$id.raw" -out "$out" ||
      fail "openssl cannot read the exported PEM public key $id"
  else
    openssl pkey -pubin -inform DER -in "$work/pub$id.raw" -out "$out" ||
      fail "openssl cannot read the exported DER public key $id"
  fi
}

head -c 20000 /dev/urandom >"$work/data"
cp "$work/data" "$work/data.bad"
printf '\x55' | dd of="$work/data.bad" bs=1 seek=1000 conv=notrunc status=none
cmp -s "$work/data" "$work/data.bad" && printf '\xaa' | dd of="$work/data.bad" bs=1 seek=1000 conv=notrunc status=none

# sign with pkcs11-tool, verify with pkcs11-tool; damaged data must not verify
sign_verify() {  # ID MECH SIG [extra sign options]
  local id=$1 mech=$2 sig=$3; shift 3
  must p11u --sign --id "$id" -m "$mech" -i "$work/data" -o "$sig" "$@"
  [ -s "$sig" ] || fail "$mech: empty signature"
  out=$(p11u --verify --id "$id" -m "$mech" -i "$work/data" --signature-file "$sig" "$@" 2>&1) ||
    { echo "$out"; fail "$mech: pkcs11-tool --verify failed"; }
  echo "$out"
  grep -q 'Signature is valid' <<<"$out" || fail "$mech: pkcs11-tool did not say 'Signature is valid'"
  if out=$(p11u --verify --id "$id" -m "$mech" -i "$work/data.bad" --signature-file "$sig" "$@" 2>&1) &&
     grep -q 'Signature is valid' <<<"$out"; then
    fail "$mech: pkcs11-tool verified a signature over damaged data"
  fi
}

step "RSA-PSS: a new RSA key, SHA256-RSA-PKCS-PSS"
must p11u --keypairgen --key-type rsa:2048 --label pss --id 11
sign_verify 11 SHA256-RSA-PKCS-PSS "$work/pss.sig"
[ "$(stat -c %s "$work/pss.sig")" = 256 ] || fail "RSA-PSS signature is not 256 bytes"
export_pub 11 "$work/pss.pem"
openssl dgst -sha256 -verify "$work/pss.pem" -sigopt rsa_padding_mode:pss \
  -sigopt rsa_pss_saltlen:32 -signature "$work/pss.sig" "$work/data" ||
  fail "openssl rejected the token's RSA-PSS signature"
! openssl dgst -sha256 -verify "$work/pss.pem" -sigopt rsa_padding_mode:pss \
  -sigopt rsa_pss_saltlen:32 -signature "$work/pss.sig" "$work/data.bad" >/dev/null 2>&1 ||
  fail "openssl accepted the RSA-PSS signature over damaged data"
ok "SHA256-RSA-PKCS-PSS: pkcs11-tool and openssl verify"

step "ECDSA: a new P-256 key, ECDSA-SHA256"
must p11u --keypairgen --key-type EC:prime256v1 --label ecdsa --id 12
sign_verify 12 ECDSA-SHA256 "$work/ec.sig"
[ "$(stat -c %s "$work/ec.sig")" = 64 ] || fail "ECDSA P-256 signature (r||s) is not 64 bytes"
must p11u --sign --id 12 -m ECDSA-SHA256 -i "$work/data" -o "$work/ec.der" --signature-format openssl
export_pub 12 "$work/ec.pem"
openssl dgst -sha256 -verify "$work/ec.pem" -signature "$work/ec.der" "$work/data" ||
  fail "openssl rejected the token's ECDSA signature"
! openssl dgst -sha256 -verify "$work/ec.pem" -signature "$work/ec.der" "$work/data.bad" >/dev/null 2>&1 ||
  fail "openssl accepted the ECDSA signature over damaged data"
ok "ECDSA-SHA256: pkcs11-tool and openssl verify"

step "EdDSA: a new Ed25519 key (EC:edwards25519), EDDSA"
# OpenSC 0.23 knows the curve as edwards25519 (EC:Ed25519 is not accepted)
must p11u --keypairgen --key-type EC:edwards25519 --label ed --id 13
sign_verify 13 EDDSA "$work/ed.sig"
[ "$(stat -c %s "$work/ed.sig")" = 64 ] || fail "Ed25519 signature is not 64 bytes"
export_pub 13 "$work/ed.pem"
openssl pkey -pubin -in "$work/ed.pem" -noout -text | grep -q 'ED25519 Public-Key' ||
  fail "the exported EdDSA public key is not an Ed25519 key"
openssl pkeyutl -verify -pubin -inkey "$work/ed.pem" -rawin -in "$work/data" \
  -sigfile "$work/ed.sig" || fail "openssl rejected the token's Ed25519 signature"
! openssl pkeyutl -verify -pubin -inkey "$work/ed.pem" -rawin -in "$work/data.bad" \
  -sigfile "$work/ed.sig" >/dev/null 2>&1 || fail "openssl accepted the Ed25519 signature over damaged data"
ok "EDDSA (Ed25519): pkcs11-tool and openssl verify"

step "pkcs11-tool --test again, with the EdDSA and second RSA/EC keys present"
rc=0
out=$(p11u --test --allow-sw 2>&1) || rc=$?
[ "$rc" = 0 ] && grep -q '^No errors' <<<"$out" || { echo "$out"; fail "second --test run failed (exit $rc)"; }
ok "pkcs11-tool --test passes with 5 key pairs and an AES key"

echo "PASS: $checks checks"
