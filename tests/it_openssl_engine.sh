#!/bin/bash
# Integration test: OpenSSL 3 uses kerntok keys through the pkcs11 engine
# (libengine-pkcs11-openssl, libp11): a temporary openssl.cnf loads the engine
# with MODULE_PATH = kerntok, and `openssl ... -engine pkcs11 -keyform engine`
# signs certificate requests, a self-signed certificate and files, decrypts
# (RSA v1.5, OAEP) and derives (ECDH) with token keys; stock openssl checks
# every result with the public keys pkcs11-tool exports.
# `-engine pkcs11` makes the engine the process's default for RSA and EC, so
# this also checks that kerntok's own OpenSSL use ignores an application's
# default ENGINE.
# Run by tests/run-integration.sh from the repository root, inside
# `keyctl session -`, with KERNTOK_DIR (a fresh store) and KT_BUILD exported.
set -euo pipefail
# a command that fails outside the explicit checks still says what failed
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)"' ERR

. "$(dirname "$0")/lib_it.sh"
SO_PIN=12345678
PIN=1234
LABEL=engine
[ -x "$KT" ] || { echo "FAIL: no kerntok CLI at $KT"; exit 1; }
command -v pkcs11-tool >/dev/null || { echo "FAIL: pkcs11-tool missing (apt install opensc)"; exit 1; }
enginesdir=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p')
ENGINE_SO="$enginesdir/pkcs11.so"
[ -f "$ENGINE_SO" ] ||
  { echo "FAIL: no pkcs11 engine at $ENGINE_SO (apt install libengine-pkcs11-openssl)"; exit 1; }

work=$(mktemp -d /tmp/kt-it-engine.XXXXXX)
cleanup() {
  kt_unlink_store
  rm -rf "$work"
}
trap cleanup EXIT

p11u() { pkcs11-tool --module "$MOD" --token-label "$LABEL" --login --pin "$PIN" "$@"; }
# the engine, with the key's URI and PIN (RFC 7512 pin-value)
key() { echo "pkcs11:token=$LABEL;object=$1;type=private?pin-value=$PIN"; }
eng() { openssl "$1" -engine pkcs11 "${@:2}"; }

# --------------------------------------------------------------------------
step "token $LABEL (kerntok init), RSA 2048 and EC P-256 key pairs (pkcs11-tool)"
must "$KT" init --label "$LABEL" --so-pin "$SO_PIN" --pin "$PIN"
# No Ed25519 key in this token: libp11 0.4.12 (Debian 12) fails the whole key
# enumeration ("Unable to enumerate private keys") on a CKK_EC_EDWARDS key.
must p11u --keypairgen --key-type rsa:2048 --label rsa --id 01
must p11u --keypairgen --key-type EC:prime256v1 --label ec --id 02
for id in 01 02; do
  pkcs11-tool --module "$MOD" --token-label "$LABEL" --read-object --type pubkey --id "$id" \
    -o "$work/pub$id.der" >/dev/null 2>&1 || fail "cannot export public key $id"
  openssl pkey -pubin -inform DER -in "$work/pub$id.der" -out "$work/pub$id.pem" ||
    fail "openssl cannot read public key $id"
done
ok "keys made, public keys exported"

cat >"$work/openssl.cnf" <<EOF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = $ENGINE_SO
MODULE_PATH = $MOD
init = 0
[req]
distinguished_name = req_dn
prompt = no
[req_dn]
CN = kerntok
EOF
export OPENSSL_CONF="$work/openssl.cnf"

step "the engine loads kerntok"
out=$(openssl engine -t -c pkcs11 2>&1) || { echo "$out"; fail "openssl engine pkcs11 failed"; }
echo "$out"
grep -q 'available' <<<"$out" || fail "pkcs11 engine not available"
ok "pkcs11 engine available"

spki() { openssl pkey -pubin -in "$1" -outform DER | sha256sum; }

# --------------------------------------------------------------------------
step "certificate requests signed by token keys; openssl req -verify"
must eng req -new -keyform engine -key "$(key rsa)" -subj /CN=kt-rsa -out "$work/rsa.csr"
must eng req -new -keyform engine -key "$(key ec)" -subj /CN=kt-ec -sha384 -out "$work/ec.csr"
for k in rsa:01 ec:02; do
  n=${k%:*} id=${k#*:}
  out=$(openssl req -verify -noout -in "$work/$n.csr" 2>&1) || { echo "$out"; fail "$n CSR does not verify"; }
  echo "$out"
  openssl req -in "$work/$n.csr" -noout -pubkey >"$work/$n.csr.pub"
  [ "$(spki "$work/$n.csr.pub")" = "$(spki "$work/pub$id.pem")" ] ||
    fail "$n CSR does not carry the token's public key"
done
openssl req -in "$work/ec.csr" -noout -text | grep -q 'ecdsa-with-SHA384' || fail "EC CSR is not ECDSA-SHA384"
ok "RSA and EC CSRs verify and carry the token keys"

step "a self-signed certificate from the RSA key, with RSA-PSS"
must eng req -new -x509 -days 7 -keyform engine -key "$(key rsa)" -subj /CN=kt-ca \
  -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -out "$work/ca.crt"
openssl verify -CAfile "$work/ca.crt" "$work/ca.crt" || fail "self-signed certificate does not verify"
openssl x509 -in "$work/ca.crt" -noout -text | grep -q 'rsassaPss' || fail "certificate not RSA-PSS signed"
ok "self-signed RSA-PSS certificate verifies"

# --------------------------------------------------------------------------
step "openssl dgst / pkeyutl sign a file with token keys; openssl verifies"
head -c 50000 /dev/urandom >"$work/data"
openssl dgst -sha256 -binary "$work/data" >"$work/data.sha256"
must eng dgst -sha256 -keyform engine -sign "$(key rsa)" -out "$work/s1" "$work/data"
openssl dgst -sha256 -verify "$work/pub01.pem" -signature "$work/s1" "$work/data" ||
  fail "RSA PKCS#1 v1.5 signature (dgst) rejected"
must eng dgst -sha256 -keyform engine -sign "$(key rsa)" -sigopt rsa_padding_mode:pss \
  -sigopt rsa_pss_saltlen:32 -out "$work/s2" "$work/data"
openssl dgst -sha256 -verify "$work/pub01.pem" -sigopt rsa_padding_mode:pss \
  -sigopt rsa_pss_saltlen:32 -signature "$work/s2" "$work/data" || fail "RSA-PSS signature (dgst) rejected"
must eng dgst -sha256 -keyform engine -sign "$(key ec)" -out "$work/s3" "$work/data"
openssl dgst -sha256 -verify "$work/pub02.pem" -signature "$work/s3" "$work/data" ||
  fail "ECDSA signature (dgst) rejected"
must eng pkeyutl -sign -keyform engine -inkey "$(key ec)" -in "$work/data.sha256" -out "$work/s4"
openssl pkeyutl -verify -pubin -inkey "$work/pub02.pem" -in "$work/data.sha256" -sigfile "$work/s4" ||
  fail "ECDSA signature (pkeyutl) rejected"
must eng pkeyutl -sign -keyform engine -inkey "$(key rsa)" -pkeyopt digest:sha256 \
  -in "$work/data.sha256" -out "$work/s5"
openssl dgst -sha256 -verify "$work/pub01.pem" -signature "$work/s5" "$work/data" ||
  fail "RSA signature (pkeyutl) rejected"
# RSA PKCS#1 v1.5 is deterministic: dgst and pkeyutl give the same bytes
cmp -s "$work/s1" "$work/s5" || fail "RSA v1.5 signatures of dgst and pkeyutl differ"
printf '\x01' | dd of="$work/s1" bs=1 seek=9 conv=notrunc status=none
! openssl dgst -sha256 -verify "$work/pub01.pem" -signature "$work/s1" "$work/data" >/dev/null 2>&1 ||
  fail "openssl accepted a damaged signature"
ok "RSA v1.5, RSA-PSS, ECDSA signatures (dgst, pkeyutl) verified by openssl"

# --------------------------------------------------------------------------
step "RSA decryption in the token (v1.5, OAEP-SHA256) of openssl ciphertexts"
head -c 48 /dev/urandom >"$work/secret"
openssl pkeyutl -encrypt -pubin -inkey "$work/pub01.pem" -in "$work/secret" -out "$work/c1"
must eng pkeyutl -decrypt -keyform engine -inkey "$(key rsa)" -in "$work/c1" -out "$work/p1"
cmp -s "$work/secret" "$work/p1" || fail "RSA v1.5 decryption differs"
oaep=(-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256)
openssl pkeyutl -encrypt -pubin -inkey "$work/pub01.pem" "${oaep[@]}" -in "$work/secret" -out "$work/c2"
must eng pkeyutl -decrypt -keyform engine -inkey "$(key rsa)" "${oaep[@]}" -in "$work/c2" -out "$work/p2"
cmp -s "$work/secret" "$work/p2" || fail "RSA-OAEP decryption differs"
ok "RSA v1.5 and OAEP decryption"

step "ECDH in the token against an openssl peer key"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/peer.key"
openssl pkey -in "$work/peer.key" -pubout -out "$work/peer.pem"
must eng pkeyutl -derive -keyform engine -inkey "$(key ec)" -peerkey "$work/peer.pem" -out "$work/z1"
openssl pkeyutl -derive -inkey "$work/peer.key" -peerkey "$work/pub02.pem" -out "$work/z2"
[ "$(stat -c %s "$work/z1")" = 32 ] || fail "ECDH secret is not 32 bytes"
cmp -s "$work/z1" "$work/z2" || fail "ECDH secrets differ between the token and openssl"
ok "ECDH shared secret matches openssl's"

echo "PASS: $checks checks"
