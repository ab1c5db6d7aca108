#!/bin/bash
# Integration: the kerntok command against the real module, pkcs11-tool and
# keyctl.  Run by tests/run-integration.sh from the repository root inside
# `keyctl session -`, with KERNTOK_DIR (a fresh store) and KT_BUILD exported.
set -euo pipefail
: "${KERNTOK_DIR:?}" "${KT_BUILD:?}"
K=$KT_BUILD/kerntok
M=$KT_BUILD/kerntok-pkcs11.so
PY=/usr/bin/python3
SO=so-pin-1234
PIN=user-1234
W=$(mktemp -d /tmp/kt-it-cli.XXXXXX)

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
# expect_rc N cmd...: run cmd, its exit code must be N (0) or non-zero (!)
expect_rc() {
	local want=$1 rc=0; shift
	"$@" >"$W/out" 2>"$W/err" || rc=$?
	if [ "$want" = '!' ]; then
		[ $rc -ne 0 ] || fail "expected failure: $*"
		[ -s "$W/err" ] || fail "no error message on stderr: $*"
	else
		[ $rc -eq "$want" ] || { cat "$W/err" >&2; fail "exit $rc, expected $want: $*"; }
	fi
}
# has [grep options] PATTERN: like grep -q, but reads all its input (no
# SIGPIPE to the writer, which pipefail would report)
has() { grep "$@" >/dev/null; }
# json EXPR: evaluate a python expression on `d`, the JSON document on stdin
json() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# The store and token keyrings hang off @u and outlive the session: drop ours.
cleanup() {
	local rc=$? r
	set +e
	for r in $("$K" info --json 2>/dev/null | json \
	    '" ".join(str(t["keyring"]) for t in d["tokens"] if t["keyring"]) + " " + str(d["keyring"] or "")'); do
		keyctl invalidate "$r" 2>/dev/null
	done
	rm -rf "$W"
	exit $rc
}
trap cleanup EXIT

# ---- usage ----
expect_rc 0 "$K" --help
grep -q delete-token "$W/out" || fail "--help does not list commands"
for c in init list info delete-token; do
	expect_rc 0 "$K" "$c" --help
	grep -q "^Usage: kerntok $c" "$W/out" || fail "$c --help: no usage"
done
expect_rc '!' "$K"
expect_rc '!' "$K" frobnicate
expect_rc '!' "$K" init --so-pin "$SO" --pin "$PIN" </dev/null          # no label
expect_rc '!' "$K" init --label x --pin "$PIN" </dev/null                # no SO PIN, no tty
expect_rc '!' "$K" init --label x --so-pin "$SO" --pin "$PIN" --max-tries 0
expect_rc '!' "$K" init --label 123456789012345678901234567890123 --so-pin "$SO" --pin "$PIN"
expect_rc '!' "$K" delete-token --so-pin "$SO"                          # no token
expect_rc '!' "$K" list --bogus
expect_rc '!' "$K" info extra
ok "usage and errors"

# ---- init and list ----
expect_rc 0 "$K" init --label it-cli --so-pin "$SO" --pin "$PIN" --max-tries 4
grep -q "token it-cli initialized in slot 0" "$W/out" || fail "init output: $(cat "$W/out")"
expect_rc '!' "$K" init --label it-cli --so-pin "$SO" --pin "$PIN"       # label taken
printf '%s\n' "$PIN" > "$W/pin"
printf '%s\n' "$SO" > "$W/so"
weird='we"ird\lab é'                 # JSON escaping; 14 bytes
expect_rc 0 "$K" init --label "$weird" --so-pin-file "$W/so" --pin-file "$W/pin"
expect_rc 0 "$K" list
grep -q 'slot 0: token "it-cli"' "$W/out" || fail "list lacks the token"
grep -q 'slot 1: token' "$W/out" || fail "list lacks the second token"
grep -q 'free slot: 2' "$W/out" || fail "list lacks the free slot"
"$K" list --json > "$W/list.json"
json 'd["tokens"][1]["label"]' < "$W/list.json" > "$W/l"
[ "$(cat "$W/l")" = "$weird" ] || fail "JSON label: $(cat "$W/l")"
serial=$(pkcs11-tool --module "$M" -L | awk -F': *' '/serial num/ && !n++ { print $2 }')
[ "$(json 'd["tokens"][0]["serial"]' < "$W/list.json")" = "$serial" ] || fail "token serial"
[ "$(json 'd["tokens"][0]["flags"]["user_pin_initialized"]' < "$W/list.json")" = True ] ||
	fail "user PIN flag"
ok "init, list, JSON"

# ---- objects through pkcs11-tool: serial = handle = kernel key ----
P11=(pkcs11-tool --module "$M" --token-label it-cli --login --pin "$PIN")
echo "public bytes" > "$W/data"
h_pub=$("${P11[@]}" --write-object "$W/data" --type data --label pub 2>&1 | sed -n 's/^Data object //p')
h_priv=$("${P11[@]}" --write-object "$W/data" --type data --label hidden --private 2>&1 |
	sed -n 's/^Data object //p')
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/k.pem" \
	-subj /CN=it-cli -days 1 -outform DER -out "$W/c.der" 2>/dev/null
"${P11[@]}" --write-object "$W/c.der" --type cert --label crt --id a1b2 >/dev/null 2>&1
{ [ -n "$h_pub" ] && [ -n "$h_priv" ]; } || fail "pkcs11-tool printed no handles"

"$K" list --json --token it-cli > "$W/list.json"
ring=$(json 'd["tokens"][0]["keyring"]' < "$W/list.json")
keyctl rlist "$ring" | tr ' ' '\n' | sort > "$W/ring"
for s in $(json '" ".join(str(o["serial"]) for o in d["tokens"][0]["objects"])' < "$W/list.json"); do
	grep -qx "$s" "$W/ring" || fail "list serial $s not in keyring $ring"
	keyctl rdescribe "$s" | has "^user;.*;kt:" || fail "key $s is not a kt: key"
done
json '[o["serial"] for o in d["tokens"][0]["objects"] if o["label"] == "pub"][0]' \
	< "$W/list.json" | has -x "$h_pub" || fail "data object serial != pkcs11-tool handle $h_pub"
[ "$(json '[o["id"] for o in d["tokens"][0]["objects"] if o["label"] == "crt"][0]' \
	< "$W/list.json")" = a1b2 ] || fail "certificate id"
keyctl rdescribe "$h_pub" | has "^user;.*;kt:data:" || fail "keyctl view of $h_pub"
ok "objects: list serial = keyctl key = pkcs11-tool handle"

# ---- private objects: a count, or the list after login ----
[ "$(json 'd["tokens"][0]["private_hidden"]' < "$W/list.json")" = 1 ] || fail "private count"
"$K" list --token it-cli | has "1 private object (log in to list)" || fail "private count text"
"$K" list --token it-cli | has "$h_priv" && fail "private object listed without login"
keyctl rdescribe "$h_priv" | has ";kt:private:" || fail "keyring name of the private object"
expect_rc 0 "$K" list --token it-cli --pin-file "$W/pin"
grep -q "^  $h_priv .*label=\"hidden\".*private=yes" "$W/out" || fail "private object after login"
grep -q "log in to list" "$W/out" && fail "count shown although logged in"
expect_rc '!' "$K" list --pin "$PIN"                                    # two tokens: ambiguous
expect_rc '!' "$K" list --token it-cli --pin wrong-pin
ok "private objects"

# ---- a second process in a fresh session sees the same handles ----
keyctl session - pkcs11-tool --module "$M" --token-label it-cli --list-objects > "$W/p2" 2>&1
grep -q "Data object $h_pub" "$W/p2" || fail "second process: $(cat "$W/p2")"

# ---- info ----
expect_rc 0 "$K" info
grep -Eq '^quota: +keys [0-9]+/[0-9]+, bytes [0-9]+/[0-9]+' "$W/out" || fail "info quota"
grep -q "^store: *$KERNTOK_DIR" "$W/out" || fail "info store"
grep -q '^crypto:' "$W/out" || fail "info crypto"
grep -q "keyring $ring, 3 objects, protection software, wrong PINs: user 1/4" "$W/out" ||
	fail "info token line: $(grep token: "$W/out")"
"$K" info --json > "$W/info.json"
[ "$(json 'd["quota"]["maxkeys"] > 0 and d["tokens"][0]["objects"]' < "$W/info.json")" = 3 ] ||
	fail "info JSON"
store=$(json 'd["keyring"]' < "$W/info.json")
keyctl rlist "$store" | tr ' ' '\n' | has -x "$ring" || fail "token ring not in store ring"
ok "info"

# ---- delete-token ----
expect_rc '!' "$K" delete-token --token it-cli --so-pin wrong-so-pin
[ -d "$KERNTOK_DIR/tokens/0" ] || fail "wrong SO PIN removed the directory"
keyctl describe "$ring" >/dev/null || fail "wrong SO PIN removed the keyring"
expect_rc 0 "$K" delete-token --token it-cli --so-pin-file "$W/so"
grep -q "removed keyring $ring" "$W/out" || fail "delete output: $(cat "$W/out")"
[ ! -e "$KERNTOK_DIR/tokens/0" ] || fail "token directory still there"
keyctl describe "$ring" >/dev/null 2>&1 && fail "token keyring $ring still alive"
keyctl describe "$h_pub" >/dev/null 2>&1 && fail "object key $h_pub still alive"
keyctl rlist "$store" | tr ' ' '\n' | has -x "$ring" && fail "token ring still linked"
"$K" list | has it-cli && fail "deleted token still listed"
expect_rc '!' "$K" delete-token --token it-cli --force
expect_rc 0 "$K" delete-token --token "$weird" --force
"$K" list | has "no tokens" || fail "tokens left"
ok "delete-token"
