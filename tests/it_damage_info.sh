#!/bin/bash
# A damaged object file is reported by `kerntok info`, kept for the admin as
# *.damaged, never loaded; the undamaged object next to it is still served.
set -euo pipefail
M=$KT_BUILD/kerntok-pkcs11.so
K=$KT_BUILD/kerntok
fail() { echo "FAIL: $*"; exit 1; }
p11() { pkcs11-tool --module "$M" --token-label dmg "$@"; }

$K init --label dmg --so-pin 12345678 --pin 1234 >/dev/null
echo good > "$KERNTOK_DIR/good.bin"
echo bad > "$KERNTOK_DIR/bad.bin"
p11 --login --pin 1234 --write-object "$KERNTOK_DIR/good.bin" --type data --label good >/dev/null
p11 --login --pin 1234 --write-object "$KERNTOK_DIR/bad.bin" --type data --label bad >/dev/null
# find the file of "bad": the one whose payload contains the label
objs=$KERNTOK_DIR/tokens/0/objects
bad=$(grep -l bad "$objs"/*.obj | head -1)
[ -n "$bad" ] || fail "no object file for 'bad'"
printf '\xff' | dd of="$bad" bs=1 seek=40 conv=notrunc status=none   # flip a byte
# force a reload from disk: clear the token keyring
ring=$(keyctl search @u keyring "kt:token:0:dmg")
keyctl clear "$ring"
out=$(p11 --list-objects --type data)
echo "$out" | grep -q "'good'" || fail "undamaged object not served: $out"
echo "$out" | grep -q "'bad'" && fail "damaged object was loaded: $out"
info=$($K info)
echo "$info" | grep -q "damage:.*slot 0.*\.damaged" || fail "kerntok info does not report the damage: $info"
ls "$objs" | grep -q '\.damaged$' || fail "damaged file not kept"
$K delete-token --token dmg --force >/dev/null
echo "damage reported, kept, and not loaded"
