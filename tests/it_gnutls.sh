#!/bin/bash
# Integration test: GnuTLS drives kerntok.  p11tool initializes the token,
# generates RSA and ECDSA keys, lists and exports them and runs --test-sign
# (RSA PKCS#1 v1.5, RSA-PSS, ECDSA, EdDSA); certtool makes self-signed
# certificates with token keys (openssl verifies them) and p11tool stores one
# in the token; gnutls-serv serves TLS with a token key and openssl s_client
# completes the handshake against it.
# Run by tests/run-integration.sh from the repository root, inside
# `keyctl session -`, with KERNTOK_DIR (a fresh store) and KT_BUILD exported.
set -euo pipefail
# a command that fails outside the explicit checks still says what failed
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)"' ERR

. "$(dirname "$0")/lib_it.sh"
LABEL=gnutls
export GNUTLS_PIN=1234 GNUTLS_SO_PIN=12345678
PY=/usr/bin/python3
for c in p11tool certtool gnutls-serv pkcs11-tool openssl; do
  command -v $c >/dev/null || { echo "FAIL: $c missing (apt install gnutls-bin opensc openssl)"; exit 1; }
done

work=$(mktemp -d /tmp/kt-it-gnutls.XXXXXX)
serv_pid=
cleanup() {
  if [ -n "$serv_pid" ]; then kill "$serv_pid" 2>/dev/null; wait "$serv_pid" 2>/dev/null; fi
  kt_unlink_store
  rm -rf "$work"
}
trap cleanup EXIT

p11t() { p11tool --provider "$MOD" "$@"; }
TOK="pkcs11:token=$LABEL"
priv() { echo "$TOK;object=$1;type=private"; }
pub() { echo "$TOK;object=$1;type=public"; }

# --------------------------------------------------------------------------
step "p11tool initializes the free slot's token and its user PIN"
out=$(pkcs11-tool --module "$MOD" -L)
free_slot=$(kt_free_slot <<<"$out") || fail "no free slot in: $out"
# GnuTLS lists no uninitialized token: address the slot by its id
must p11t --initialize --label "$LABEL" "pkcs11:slot-id=$((free_slot))"
must p11t --initialize-pin "$TOK"
out=$(p11t --list-tokens)
echo "$out"
grep -q "Label: $LABEL\$" <<<"$out" || fail "p11tool --list-tokens does not show $LABEL"
grep -q 'Manufacturer: kerntok' <<<"$out" || fail "manufacturer is not kerntok"
grep -q 'Requires login' <<<"$out" || fail "token does not say it requires login"
ok "token $LABEL initialized by p11tool"

# --------------------------------------------------------------------------
step "p11tool --generate-privkey: RSA 2048 and ECDSA P-256"
must p11t --login --generate-privkey rsa --bits 2048 --label grsa --outfile "$work/grsa.gen.pem" "$TOK"
must p11t --login --generate-privkey ecdsa --curve secp256r1 --label gec --outfile "$work/gec.gen.pem" "$TOK"
openssl pkey -pubin -in "$work/grsa.gen.pem" -noout -text | grep -q 'Public-Key: (2048 bit)' ||
  fail "generated RSA public key is not 2048 bits"
openssl pkey -pubin -in "$work/gec.gen.pem" -noout -text | grep -q 'NIST CURVE: P-256' ||
  fail "generated EC public key is not on P-256"
# GnuTLS 3.7 asks for Ed25519 key pairs with CKM_EDDSA instead of
# CKM_EC_EDWARDS_KEY_PAIR_GEN (a GnuTLS bug; kerntok answers
# CKR_MECHANISM_INVALID): make the Ed25519 key with pkcs11-tool.
must pkcs11-tool --module "$MOD" --token-label "$LABEL" --login --pin "$GNUTLS_PIN" \
  --keypairgen --key-type EC:edwards25519 --label ged --id 0e
ok "RSA, ECDSA (p11tool) and Ed25519 (pkcs11-tool) key pairs generated"

step "p11tool --list-all: public keys without login, private keys only with it"
out=$(p11t --list-all "$TOK")
echo "$out"
for k in grsa gec ged; do
  grep -q "object=$k;type=public" <<<"$out" || fail "public key $k not listed without login"
done
grep -q 'type=private' <<<"$out" && fail "a private key is listed without login"
out=$(p11t --login --list-all "$TOK")
echo "$out"
for k in grsa gec ged; do
  grep -q "object=$k;type=private" <<<"$out" || fail "private key $k not listed when logged in"
  grep -q "object=$k;type=public" <<<"$out" || fail "public key $k not listed when logged in"
done
grep -A1 "object=grsa;type=private" <<<"$out" | grep -q 'Private key (RSA-2048)' ||
  fail "grsa is not shown as an RSA-2048 private key"
grep -A1 "object=gec;type=private" <<<"$out" | grep -q 'Private key (EC/ECDSA-SECP256R1)' ||
  fail "gec is not shown as an EC P-256 private key"
grep -A1 "object=ged;type=private" <<<"$out" | grep -q 'Private key (EdDSA (Ed25519))' ||
  fail "ged is not shown as an Ed25519 private key"
grep -A3 "object=grsa;type=private" <<<"$out" | grep 'Flags:' | grep -q 'CKA_SENSITIVE' ||
  fail "grsa private key is not sensitive"
out=$(p11t --login --list-privkeys "$TOK")
[ "$(grep -c 'type=private' <<<"$out")" = 3 ] || { echo "$out"; fail "--list-privkeys does not list 3 keys"; }
ok "listing: 3 public keys public, 3 private keys private"

step "p11tool --export / --export-pubkey match the generated public keys"
for k in grsa gec; do
  must p11t --export "$(pub $k)" --outfile "$work/$k.exp.pem"
  must p11t --login --export-pubkey "$(priv $k)" --outfile "$work/$k.exp2.pem"
  a=$(openssl pkey -pubin -in "$work/$k.gen.pem" -outform DER | sha256sum)
  b=$(openssl pkey -pubin -in "$work/$k.exp.pem" -outform DER | sha256sum)
  c=$(openssl pkey -pubin -in "$work/$k.exp2.pem" -outform DER | sha256sum)
  [ "$a" = "$b" ] && [ "$a" = "$c" ] || fail "$k: exported public keys differ from the generated one"
done
must p11t --export "$(pub ged)" --outfile "$work/ged.exp.pem"
openssl pkey -pubin -in "$work/ged.exp.pem" -noout -text | grep -q 'ED25519 Public-Key' ||
  fail "exported ged is not an Ed25519 public key"
ok "public keys exported (SPKI) and identical"

# --------------------------------------------------------------------------
step "p11tool --test-sign: RSA, RSA-PSS, ECDSA, EdDSA"
test_sign() {   # NAME EXPECTED-ALGORITHM [options] URL
  local name=$1 alg=$2 out rc=0; shift 2
  out=$(p11t --login --test-sign "$@" 2>&1) || rc=$?
  echo "$out"
  [ "$rc" = 0 ] || fail "$name: p11tool --test-sign exited $rc"
  grep -q "Signing using $alg\.\.\. ok" <<<"$out" || fail "$name: signing with $alg not ok"
  grep -q 'Verifying against private key parameters... ok' <<<"$out" ||
    fail "$name: verification against the private key's parameters failed"
  grep -q 'Verifying against public key in the token... ok' <<<"$out" ||
    fail "$name: verification against the token's public key failed"
}
test_sign RSA RSA-SHA256 "$(priv grsa)"
test_sign RSA-PSS RSA-PSS-SHA256 --sign-params rsa-pss "$(priv grsa)"
test_sign RSA-SHA384 RSA-SHA384 --hash sha384 "$(priv grsa)"
test_sign ECDSA ECDSA-SHA256 "$(priv gec)"
test_sign EdDSA EdDSA-Ed25519 --hash sha512 "$(priv ged)"
ok "test-sign: RSA v1.5 (SHA-256, SHA-384), RSA-PSS, ECDSA, EdDSA"

# --------------------------------------------------------------------------
step "certtool: self-signed certificates signed by token keys, openssl verifies"
cat >"$work/tmpl" <<'EOF'
cn = kerntok gnutls
expiration_days = 30
dns_name = localhost
ip_address = 127.0.0.1
signing_key
encryption_key
tls_www_server
EOF
must certtool --provider "$MOD" --generate-self-signed --load-privkey "$(priv gec)" \
  --template "$work/tmpl" --outfile "$work/gec.crt"
must certtool --provider "$MOD" --generate-self-signed --load-privkey "$(priv grsa)" \
  --sign-params rsa-pss --template "$work/tmpl" --outfile "$work/grsa.crt"
for k in gec grsa; do
  openssl verify -CAfile "$work/$k.crt" "$work/$k.crt" || fail "openssl rejects the $k self-signed certificate"
  a=$(openssl x509 -in "$work/$k.crt" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)
  b=$(openssl pkey -pubin -in "$work/$k.gen.pem" -outform DER | sha256sum)
  [ "$a" = "$b" ] || fail "$k certificate does not carry the token's public key"
done
openssl x509 -in "$work/grsa.crt" -noout -text | grep -q 'Signature Algorithm: rsassaPss' ||
  fail "grsa certificate is not RSA-PSS signed"
ok "2 certificates (ECDSA, RSA-PSS) signed in the token, verified by openssl"

step "p11tool --write stores the certificate next to its key"
must p11t --login --write --load-certificate "$work/gec.crt" --label gec \
  --id "$(p11t --list-all "$(pub gec)" | awk '/ID:/ { print $2; exit }')" "$TOK"
out=$(p11t --list-all-certs "$TOK")
echo "$out"
grep -q 'object=gec;type=cert' <<<"$out" || fail "certificate gec not listed"
must p11t --export "$TOK;object=gec;type=cert" --outfile "$work/gec.back.crt"
cmp -s <(openssl x509 -in "$work/gec.crt" -outform DER) <(openssl x509 -in "$work/gec.back.crt" -outform DER) ||
  fail "certificate read back from the token differs"
ok "certificate stored and read back"

# --------------------------------------------------------------------------
step "gnutls-serv with token keys; openssl s_client connects (TLS 1.3 and 1.2)"
tls_round() {   # KEY CERT TLSVERSION-OPTION SIGTYPE [s_client options]
  local key=$1 crt=$2 ver=$3 sigtype=$4 port out; shift 4
  port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  gnutls-serv --provider "$MOD" --x509certfile "$crt" --x509keyfile "$(priv "$key")" \
    -p "$port" --echo >"$work/serv.log" 2>&1 &
  serv_pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$serv_pid" 2>/dev/null || { cat "$work/serv.log"; fail "gnutls-serv exited"; }
    sleep 0.1
  done
  # send one line, keep stdin open until the echo is back (or 10 s), then EOF
  : >"$work/s_client.out"
  { echo "kerntok-echo-$key"
    for _ in $(seq 100); do
      grep -q "^kerntok-echo-$key\$" "$work/s_client.out" && break
      sleep 0.1
    done; } |
    timeout 20 openssl s_client -connect "127.0.0.1:$port" "$ver" "$@" -CAfile "$crt" \
      -verify_return_error -verify_hostname localhost -servername localhost -nocommands \
      >"$work/s_client.out" 2>&1 || true
  out=$(cat "$work/s_client.out")
  kill "$serv_pid" 2>/dev/null; wait "$serv_pid" 2>/dev/null || true
  serv_pid=
  grep -q 'Verify return code: 0 (ok)' <<<"$out" || { echo "$out"; fail "$key $ver: certificate not verified"; }
  grep -q "^kerntok-echo-$key\$" <<<"$out" || { echo "$out"; fail "$key $ver: no echo through TLS"; }
  grep -E '^(New, |Peer signature type|Peer signing digest)' <<<"$out" | sed "s/^/  $key $ver: /"
  grep -q "^Peer signature type: $sigtype\$" <<<"$out" || fail "$key $ver: server signature is not $sigtype"
}
tls_round gec "$work/gec.crt" -tls1_3 ECDSA
tls_round grsa "$work/grsa.crt" -tls1_3 RSA-PSS
tls_round grsa "$work/grsa.crt" -tls1_2 RSA-PSS
tls_round grsa "$work/grsa.crt" -tls1_2 RSA -sigalgs RSA+SHA256      # PKCS#1 v1.5
ok "TLS handshakes signed by token keys (ECDSA, RSA-PSS, RSA v1.5) verified by openssl"

echo "PASS: $checks checks"
