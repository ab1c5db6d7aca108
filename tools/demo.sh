#!/bin/bash
# demo.sh - kerntok end to end: a token made through the module, objects
# written by a stock PKCS#11 application (pkcs11-tool), the same objects seen
# as kernel keys and from a second process, the storage key sealed to a TPM
# and unlocked without a PIN, then the token deleted again.
# The TPM: /dev/tpmrm0 when present, else a swtpm started (and stopped) here.
# Usage: tools/demo.sh <build dir>   (make demo)
set -euo pipefail

B=$(cd "${1:-build}" && pwd)
K=$B/kerntok
M=$B/kerntok-pkcs11.so
P11=(pkcs11-tool --module "$M" --token-label demo)
SO_PIN=demo-so-pin
PIN=demo-pin
PY=/usr/bin/python3

export KERNTOK_DIR
KERNTOK_DIR=$(mktemp -d /tmp/kerntok-demo.XXXXXX)
WORK=$KERNTOK_DIR/work            # scratch files, removed with the store

# Keyrings outlive this script (they hang off @u): invalidate ours on any exit.
# The unlock key lives in the persistent keyring: lock; swtpm: stop it by PID.
cleanup() {
	local rc=$? rings
	set +e
	"$K" lock --token demo >/dev/null 2>&1
	rings=$("$K" info --json 2>/dev/null | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(str(t["keyring"]) for t in d["tokens"] if t["keyring"]), d["keyring"] or "")')
	for r in $rings; do keyctl invalidate "$r" 2>/dev/null; done
	[ -n "${SWTPM_PID:-}" ] && swtpm_stop
	rm -rf "$KERNTOK_DIR"
	exit $rc
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

mkdir -m 700 "$WORK"
printf '%s\n' "$SO_PIN" > "$WORK/so.pin"

# The TPM every step uses (KERNTOK_TCTI): the kernel's resource manager when
# there is one, else a throw-away swtpm (one client at a time: every kerntok
# process opens it only for the length of one operation).
SWTPM_PID=
if [ -c /dev/tpmrm0 ] && [ -r /dev/tpmrm0 ] && [ -w /dev/tpmrm0 ]; then
	export KERNTOK_TCTI=device:/dev/tpmrm0
elif command -v swtpm >/dev/null; then
	. "$(dirname "$0")/../tests/swtpm.sh"
	swtpm_start "$KERNTOK_DIR/swtpm"        # exports KERNTOK_TCTI, SWTPM_PID
else
	export KERNTOK_TCTI=none
	echo "(no /dev/tpmrm0 and no swtpm: the token is protected in software; TPM step skipped)"
fi

step "1. a token in a fresh store ($KERNTOK_DIR), made through the module"
run "$K" init --label demo --so-pin-file "$WORK/so.pin" --pin "$PIN" --max-tries 5

step "2. objects written by pkcs11-tool: a data object, a private one, a certificate"
echo "hello from kerntok" > "$WORK/hello.txt"
run "${P11[@]}" --login --pin "$PIN" --write-object "$WORK/hello.txt" --type data --label hello
run "${P11[@]}" --login --pin "$PIN" --write-object "$WORK/hello.txt" --type data --label secret-note --private
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/key.pem" \
	-subj "/CN=kerntok demo" -days 30 -outform DER -out "$WORK/cert.der" 2>/dev/null
run "${P11[@]}" --login --pin "$PIN" --write-object "$WORK/cert.der" --type cert --label demo-cert --id 01

step "3. the token as kerntok sees it: each object is a kernel key, its serial the handle"
run "$K" list
step "   ... and logged in, the private object too"
run "$K" list --token demo --pin "$PIN"

step "4. the same keys as keyctl shows them (the store keyring under @u)"
store=$("$K" info --json | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["keyring"])')
run keyctl show "$store"

step "5. a second process in a fresh session keyring sees the objects at once"
run keyctl session - "${P11[@]}" --list-objects

step "6. store, keyrings, PIN counters, key quota, crypto engine"
run "$K" info

# crypto (after issue 3): keygen + sign with pkcs11-tool and openssl
step "6a. crypto: an EC P-256 key pair made in the token, a file signed there, openssl verifies"
run "${P11[@]}" --login --pin "$PIN" --keypairgen --key-type EC:prime256v1 --label demo-ec --id 02
# the public key leaves the token as DER SubjectPublicKeyInfo; the private key never does
run "${P11[@]}" --read-object --type pubkey --id 02 -o "$WORK/demo-ec.der"
openssl pkey -pubin -inform DER -in "$WORK/demo-ec.der" -out "$WORK/demo-ec.pem"
# CKM_ECDSA_SHA256 gives r||s; --signature-format openssl writes it as the DER
# ECDSA-Sig-Value openssl expects
run "${P11[@]}" --login --pin "$PIN" --sign --id 02 -m ECDSA-SHA256 --signature-format openssl \
	-i "$WORK/hello.txt" -o "$WORK/hello.sig"
run openssl dgst -sha256 -verify "$WORK/demo-ec.pem" -signature "$WORK/hello.sig" "$WORK/hello.txt"
echo "tampered" >> "$WORK/hello.txt"
if openssl dgst -sha256 -verify "$WORK/demo-ec.pem" -signature "$WORK/hello.sig" "$WORK/hello.txt" >/dev/null 2>&1; then
	echo "unexpected: the signature verifies over a changed file"; exit 1
fi
echo "(after changing hello.txt the signature no longer verifies)"

if [ "$KERNTOK_TCTI" != none ]; then
	step "6b. the storage key is sealed to the TPM ($KERNTOK_TCTI): no software wrap on disk"
	run "$K" status --token demo
	step "    a boot copy sealed to PCR values, no PIN (kerntok-unlock@demo.service runs unlock)"
	run "$K" seal --token demo --boot --pcrs sha256:0,2,4,7 --pin "$PIN"
	run "$K" unlock --token demo
	run "$K" status --token demo
	step "    unlocked: pkcs11-tool logs in without a PIN (protected authentication path)"
	pkcs11-tool --module "$M" --list-token-slots 2>/dev/null | grep -E 'token (label|model|flags)'
	run "${P11[@]}" --login --list-objects --type data </dev/null
	step "    locked again: a PIN is needed"
	run "$K" lock --token demo
	if "${P11[@]}" --login --list-objects </dev/null >/dev/null 2>&1; then
		echo "unexpected: login without PIN after lock"; exit 1
	fi
	echo "(pkcs11-tool --login without --pin now fails: no terminal to ask on)"
fi

step "7. delete the token: SO PIN checked, keyring invalidated, directory removed"
run "$K" delete-token --token demo --so-pin-file "$WORK/so.pin"
run "$K" list

step "done"
