#!/bin/bash
# demo.sh - kerntok end to end: a token made through the module, objects
# written by a stock PKCS#11 application (pkcs11-tool), the same objects seen
# as kernel keys and from a second process, then the token deleted again.
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
cleanup() {
	local rc=$? rings
	set +e
	rings=$("$K" info --json 2>/dev/null | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(str(t["keyring"]) for t in d["tokens"] if t["keyring"]), d["keyring"] or "")')
	for r in $rings; do keyctl invalidate "$r" 2>/dev/null; done
	rm -rf "$KERNTOK_DIR"
	exit $rc
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

mkdir -m 700 "$WORK"
printf '%s\n' "$SO_PIN" > "$WORK/so.pin"

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

step "7. delete the token: SO PIN checked, keyring invalidated, directory removed"
run "$K" delete-token --token demo --so-pin-file "$WORK/so.pin"
run "$K" list

step "done"
