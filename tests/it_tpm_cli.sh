#!/bin/bash
# Integration: kerntok seal / unseal / unlock / lock / status against a
# swtpm started here, with pkcs11-tool as the application.  Run by
# tests/run-integration.sh from the repository root inside `keyctl session -`,
# with KERNTOK_DIR (a fresh store) and KT_BUILD exported.
set -euo pipefail
: "${KERNTOK_DIR:?}" "${KT_BUILD:?}"
K=$KT_BUILD/kerntok
M=$KT_BUILD/kerntok-pkcs11.so
PY=/usr/bin/python3
SO=so-pin-1234
PIN=user-1234
W=$(mktemp -d /tmp/kt-it-tpm.XXXXXX)
. tests/swtpm.sh

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
expect_rc() {
	local want=$1 rc=0; shift
	"$@" >"$W/out" 2>"$W/err" </dev/null || rc=$?
	if [ "$want" = '!' ]; then
		[ $rc -ne 0 ] || fail "expected failure: $*"
		[ -s "$W/err" ] || fail "no error message on stderr: $*"
	else
		[ $rc -eq "$want" ] || { cat "$W/out" "$W/err" >&2; fail "exit $rc, expected $want: $*"; }
	fi
}
has() { grep "$@" >/dev/null; }
json() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# status --json of the one token, field expression on `t`
st() { "$K" status --json --token it-tpm | json "(lambda t: $1)(d['tokens'][0])"; }

cleanup() {
	local rc=$? r
	set +e
	"$K" lock --token it-tpm >/dev/null 2>&1
	for r in $("$K" info --json 2>/dev/null | json \
	    '" ".join(str(t["keyring"]) for t in d["tokens"] if t["keyring"]) + " " + str(d["keyring"] or "")'); do
		keyctl invalidate "$r" 2>/dev/null
	done
	swtpm_stop
	rm -rf "$W"
	exit $rc
}
trap cleanup EXIT

command -v swtpm >/dev/null || fail "swtpm is not installed"
swtpm_start "$W/swtpm" || fail "swtpm did not start"
# a fresh swtpm allows 3 wrong tries before DA lockout; this script spends one

# ---- usage ----
for c in seal unseal unlock lock status; do
	expect_rc 0 "$K" "$c" --help
	grep -q "^Usage: kerntok $c" "$W/out" || fail "$c --help: no usage"
done
expect_rc 0 "$K" --help
for c in seal unseal unlock lock status; do grep -q "^  $c " "$W/out" || fail "--help lacks $c"; done
expect_rc '!' "$K" seal
expect_rc '!' "$K" unlock --token x --pin "$PIN"
expect_rc '!' "$K" unlock --token x --timeout 0
expect_rc '!' "$K" seal --token x --pcrs sha256:7
expect_rc '!' "$K" unseal --token x --boot --pin "$PIN"
expect_rc '!' "$K" lock --token nosuch
expect_rc '!' "$K" status extra
ok "usage and errors"

# ---- a token made with a TPM present ----
expect_rc 0 "$K" init --label it-tpm --so-pin "$SO" --pin "$PIN"
[ -f "$KERNTOK_DIR/tokens/0/tpm.so" ] && [ -f "$KERNTOK_DIR/tokens/0/tpm.user" ] ||
	fail "no TPM copies: $(ls "$KERNTOK_DIR/tokens/0")"
expect_rc 0 "$K" status
grep -q '^  protection: tpm$' "$W/out" || fail "status: $(cat "$W/out")"
grep -q '^  sealed:     so, user$' "$W/out" || fail "status copies: $(cat "$W/out")"
grep -q '^  unlocked:   no$' "$W/out" || fail "status lock state"
grep -q "^tpm: *$KERNTOK_TCTI, dictionary-attack counter 0/" "$W/out" || fail "status tpm line"
"$K" status --json > "$W/s.json"
[ "$(json 'd["tokens"][0]["protection"]' < "$W/s.json")" = tpm ] || fail "JSON protection"
[ "$(json 'd["tokens"][0]["sealed"]' < "$W/s.json")" = "['so', 'user']" ] || fail "JSON sealed"
[ "$(json 'd["tpm"]["reachable"] and d["tpm"]["da_counter"]' < "$W/s.json")" = 0 ] ||
	fail "JSON tpm: $(cat "$W/s.json")"
pkcs11-tool --module "$M" -T 2>/dev/null | has 'token model *: keyring+TPM' || fail "model"
echo secret > "$W/data"
pkcs11-tool --module "$M" --token-label it-tpm --login --pin "$PIN" \
	--write-object "$W/data" --type data --label hidden --private >/dev/null 2>&1 || fail "write"
ok "init seals to the TPM; status text and JSON"

# ---- boot copy, unlock, NULL-PIN login ----
expect_rc '!' "$K" unlock --token it-tpm
grep -q "no boot copy" "$W/err" || fail "unlock without boot copy: $(cat "$W/err")"
expect_rc '!' "$K" seal --token it-tpm --boot --pcrs sha999:1 --pin "$PIN"
expect_rc '!' "$K" seal --token it-tpm --boot --pcrs sha256:24 --pin "$PIN"
expect_rc '!' "$K" seal --token it-tpm --boot --pin wrong-pin
expect_rc 0 "$K" seal --token it-tpm --boot --pcrs sha256:0,2,4,7 --pin "$PIN"
grep -q "boot copy sealed to the current values of sha256:0,2,4,7" "$W/out" || fail "seal --boot"
[ "$(st 't["boot_pcrs"]')" = sha256:0,2,4,7 ] || fail "boot PCRs in JSON"
[ "$(st 't["pin_counters"]["user_fails"]')" = 0 ] || fail "good PIN resets the counter"
expect_rc 0 "$K" unlock --token it-tpm --timeout 3600
grep -q "^token it-tpm unlocked: key [0-9]* kt:unlock:" "$W/out" || fail "unlock: $(cat "$W/out")"
[ "$(st 't["unlocked"]')" = True ] || fail "status after unlock"
key=$(st 't["unlock_key"]')
keyctl rdescribe "$key" | has "^user;$(id -u);[0-9]*;[0-9a-f]*0000;kt:unlock:" ||
	fail "unlock key: $(keyctl rdescribe "$key")"
pkcs11-tool --module "$M" -T 2>/dev/null | has 'PIN pad present' || fail "protected path flag"
# pkcs11-tool uses the protected path (C_Login with NULL) when the flag is set
pkcs11-tool --module "$M" --token-label it-tpm --login --list-objects </dev/null > "$W/p" 2>&1 ||
	fail "NULL-PIN login: $(cat "$W/p")"
grep -q "label: *'hidden'" "$W/p" || fail "private object not listed after NULL-PIN login: $(cat "$W/p")"
ok "seal --boot, unlock, pkcs11-tool logs in without a PIN"

# ---- lock ----
expect_rc 0 "$K" lock --token it-tpm
grep -q "locked: its unlock key is gone" "$W/out" || fail "lock output"
[ "$(st 't["unlocked"]')" = False ] || fail "status after lock"
pkcs11-tool --module "$M" -T 2>/dev/null | has 'PIN pad present' && fail "flag after lock"
pkcs11-tool --module "$M" --token-label it-tpm --login --list-objects </dev/null >/dev/null 2>&1 &&
	fail "login without PIN after lock"
expect_rc 0 "$K" lock --token it-tpm
grep -q "was not unlocked" "$W/out" || fail "second lock"
ok "lock"

# ---- PCRs change: unlock refused, PINs still work, re-bind ----
command -v tpm2_pcrextend >/dev/null || fail "tpm2-tools missing"
tpm2_pcrextend -T "$KERNTOK_TCTI" 7:sha256=$(printf '%064x' 1) || fail "pcrextend"
expect_rc 1 "$K" unlock --token it-tpm
grep -q "PCR values changed since the boot copy was sealed: sha256:7 (sealed to sha256:0,2,4,7)" \
	"$W/err" || fail "unlock does not name the PCR: $(cat "$W/err")"
grep -q "kerntok seal --token it-tpm --boot --pcrs sha256:0,2,4,7" "$W/err" || fail "re-bind hint"
[ "$(st 't["unlocked"]')" = False ] || fail "unlocked anyway"
pkcs11-tool --module "$M" --token-label it-tpm --login --pin "$PIN" --list-objects 2>&1 |
	has "label: *'hidden'" || fail "PIN login after PCR change"
expect_rc 0 "$K" seal --token it-tpm --boot --pcrs sha256:0,2,4,7 --so-pin "$SO"
expect_rc 0 "$K" unlock --token it-tpm
expect_rc 0 "$K" lock --token it-tpm
ok "PCR change: refused naming sha256:7, PIN path intact, re-bound"

# ---- unseal / seal: software <-> TPM ----
expect_rc '!' "$K" unseal --token it-tpm --so-pin "$SO"             # user PIN missing, no tty
expect_rc 0 "$K" unseal --token it-tpm --so-pin "$SO" --pin "$PIN"
grep -q "protection software" "$W/out" || fail "unseal output"
ls "$KERNTOK_DIR/tokens/0" | has '^tpm\.' && fail "tpm.* files left: $(ls "$KERNTOK_DIR/tokens/0")"
[ "$(st 't["protection"]')" = software ] || fail "status after unseal"
"$K" status --token it-tpm | has '^  protection: software$' || fail "status text: software"
KERNTOK_TCTI=none pkcs11-tool --module "$M" --token-label it-tpm --login --pin "$PIN" \
	--list-objects 2>&1 | has "label: *'hidden'" || fail "software login"
expect_rc '!' "$K" unlock --token it-tpm
expect_rc '!' "$K" seal --token it-tpm --boot --pin "$PIN"
grep -q "protected in software" "$W/err" || fail "seal --boot on software: $(cat "$W/err")"
expect_rc '!' "$K" seal --token it-tpm --so-pin "$SO"                # both PINs needed
expect_rc 0 "$K" seal --token it-tpm --so-pin "$SO" --pin "$PIN"
grep -q "sealed to the TPM (copies: so, user)" "$W/out" || fail "seal output: $(cat "$W/out")"
expect_rc 0 "$K" seal --token it-tpm --pin "$PIN"
grep -q "re-sealed the user copy (the SO copy is as it was)" "$W/out" || fail "re-seal: $(cat "$W/out")"
pkcs11-tool --module "$M" --token-label it-tpm --login --pin "$PIN" --list-objects 2>&1 |
	has "label: *'hidden'" || fail "login after re-seal"
ok "unseal to software, seal back, re-seal one copy"

# ---- no TPM ----
KERNTOK_TCTI=none "$K" status > "$W/out" 2>&1 || true
grep -q "^new tokens: software" "$W/out" || fail "status without TPM: $(cat "$W/out")"
KERNTOK_TCTI=none pkcs11-tool --module "$M" --token-label it-tpm --login --pin "$PIN" \
	--list-objects >/dev/null 2>&1 && fail "TPM token opened without its TPM"
KERNTOK_TCTI=none "$K" init --label it-sw --so-pin "$SO" --pin "$PIN" >/dev/null
KERNTOK_TCTI=none "$K" status --token it-sw | has '^  protection: software$' || fail "software token"
ok "KERNTOK_TCTI=none"
