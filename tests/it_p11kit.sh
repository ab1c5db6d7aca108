#!/bin/bash
# Integration: kerntok behind p11-kit — module config, the proxy, GnuTLS
# (p11tool), and remoting (p11-kit server + p11-kit-client.so, and a
# `remote: |p11-kit remote ...` module config).  Run by
# tests/run-integration.sh from the repository root inside `keyctl session -`,
# with KERNTOK_DIR (a fresh store) and KT_BUILD (absolute) exported.
#
# p11-kit reads ~/.config/pkcs11/modules/ only for non-root users ("skipping
# user config in program running as root"), so as root this script re-runs
# itself in a private mount namespace with a temporary directory bound over
# /usr/share/p11-kit/modules: the system's config is never touched.
set -euo pipefail
: "${KERNTOK_DIR:?}" "${KT_BUILD:?}"
K=$KT_BUILD/kerntok
M=$KT_BUILD/kerntok-pkcs11.so
LIBDIR=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
PROXY=$LIBDIR/p11-kit-proxy.so
CLIENT=$LIBDIR/pkcs11/p11-kit-client.so
SO=so-pin-1234
PIN=user-1234
LABEL=it-p11kit

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
note() { echo "note - $*"; }
has() { grep "$@" >/dev/null; }

for f in "$PROXY" "$CLIENT"; do
	[ -e "$f" ] || fail "$f missing (p11-kit-modules: dpkg -L p11-kit-modules)"
done

if [ "$(id -u)" = 0 ] && [ -z "${KT_P11KIT_NS:-}" ]; then
	if unshare --mount --propagation private true 2>/dev/null; then
		exec unshare --mount --propagation private env KT_P11KIT_NS=1 bash "$0" "$@"
	fi
	# no mount namespace (a restricted container): the module config cannot be
	# installed without touching the system's; only the socket part runs
	KT_P11KIT_NS=none
fi

W=$(mktemp -d /tmp/kt-it-p11kit.XXXXXX)
SRV_PID=
cleanup() {
	local rc=$? r
	set +e
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	for r in $("$K" info --json 2>/dev/null | python3 -c 'import json,sys
d = json.load(sys.stdin)
print(" ".join(str(t["keyring"]) for t in d["tokens"] if t["keyring"]), d["keyring"] or "")'); do
		keyctl invalidate "$r" 2>/dev/null
	done
	rm -rf "$W"
	exit $rc
}
trap cleanup EXIT

# ---- module config ----
CONF=1
if [ "${KT_P11KIT_NS:-}" = none ]; then
	CONF=
	MODDIR=$W/unused
	mkdir -p "$MODDIR"
	note "root without a mount namespace: p11-kit ignores user config for root;" \
	     "list-modules, p11tool, proxy and remote: config checks SKIPPED"
elif [ -n "${KT_P11KIT_NS:-}" ]; then
	MODDIR=$W/modules
	mkdir -p "$MODDIR"
	mount --bind "$MODDIR" /usr/share/p11-kit/modules || fail "bind mount in the namespace"
	[ -d /etc/pkcs11/modules ] && mount --bind "$MODDIR" /etc/pkcs11/modules
else
	export HOME=$W/home XDG_CONFIG_HOME=$W/home/.config
	MODDIR=$HOME/.config/pkcs11/modules
	mkdir -p "$MODDIR"
fi
printf 'module: %s\n' "$M" > "$MODDIR/kerntok.module"

"$K" init --label "$LABEL" --so-pin "$SO" --pin "$PIN" >/dev/null
echo "p11-kit data" > "$W/data"

if [ -n "$CONF" ]; then
# ---- p11-kit list-modules ----
p11-kit list-modules > "$W/lm" 2>&1 || { cat "$W/lm"; fail "p11-kit list-modules"; }
has -E "^kerntok: $M" "$W/lm" || { cat "$W/lm"; fail "list-modules: no kerntok module"; }
has -E "token: $LABEL\$" "$W/lm" || { cat "$W/lm"; fail "list-modules: no token $LABEL"; }
has "library-manufacturer: kerntok" "$W/lm" || fail "list-modules: manufacturer"
ok "p11-kit list-modules shows the module and token $LABEL"

# ---- GnuTLS through p11-kit ----
p11tool --list-tokens > "$W/tok" 2>&1 || { cat "$W/tok"; fail "p11tool --list-tokens"; }
has "token=$LABEL" "$W/tok" || { cat "$W/tok"; fail "p11tool does not see token=$LABEL"; }
URL=$(grep -m1 "URL: .*token=$LABEL" "$W/tok" | sed 's/.*URL: //')
ok "p11tool --list-tokens: $URL"
GNUTLS_PIN=$PIN p11tool --login --write --label gnutls-data --no-mark-private \
	--secret-key 00112233445566778899aabbccddeeff "$URL" > "$W/gw" 2>&1 ||
	note "p11tool --write of a secret key: $(tail -1 "$W/gw")"
GNUTLS_PIN=$PIN p11tool --login --list-all "$URL" > "$W/gl" 2>&1 ||
	{ cat "$W/gl"; fail "p11tool --list-all"; }
ok "p11tool --login --list-all works ($(grep -c 'Object [0-9]' "$W/gl" || true) objects)"

# ---- the proxy module (pkcs11-tool through p11-kit-proxy.so) ----
pkcs11-tool --module "$PROXY" -L > "$W/pl" 2>&1 || { cat "$W/pl"; fail "pkcs11-tool via proxy -L"; }
has -E "token label +: $LABEL" "$W/pl" || { cat "$W/pl"; fail "proxy: token not served"; }
pkcs11-tool --module "$PROXY" --token-label "$LABEL" --login --pin "$PIN" \
	--write-object "$W/data" --type data --label via-proxy > "$W/pw" 2>&1 ||
	{ cat "$W/pw"; fail "proxy: write a data object"; }
pkcs11-tool --module "$M" --token-label "$LABEL" --login --pin "$PIN" -O > "$W/po" 2>&1 ||
	{ cat "$W/po"; fail "direct: list objects"; }
has "label: *'via-proxy'" "$W/po" || { cat "$W/po"; fail "object written via the proxy not seen directly"; }
ok "pkcs11-tool via p11-kit-proxy.so serves the token; its object is seen directly"
fi

# ---- remoting: p11-kit server + p11-kit-client.so ----
p11-kit server -f --provider "$M" -n "$W/sock" "pkcs11:token=$LABEL" > "$W/srv.out" 2> "$W/srv.err" &
SRV_PID=$!
for _ in $(seq 100); do [ -S "$W/sock" ] && break; sleep 0.05; done
[ -S "$W/sock" ] || { cat "$W/srv.err"; fail "p11-kit server: no socket"; }
for _ in $(seq 40); do has P11_KIT_SERVER_ADDRESS "$W/srv.out" && break; sleep 0.05; done
has "P11_KIT_SERVER_ADDRESS=unix:path=$W/sock" "$W/srv.out" ||
	{ cat "$W/srv.out" "$W/srv.err"; fail "server did not print its address"; }
export P11_KIT_SERVER_ADDRESS=unix:path=$W/sock
pkcs11-tool --module "$CLIENT" -L > "$W/cl" 2>&1 || { cat "$W/cl"; fail "client -L"; }
has -E "token label +: $LABEL" "$W/cl" || { cat "$W/cl"; fail "client: token not listed"; }
pkcs11-tool --module "$CLIENT" --login --pin "$PIN" -O > "$W/co" 2>&1 ||
	{ cat "$W/co"; fail "client: list objects"; }
[ -z "$CONF" ] || has "label: *'via-proxy'" "$W/co" || { cat "$W/co"; fail "client: objects not listed"; }
pkcs11-tool --module "$CLIENT" --login --pin "$PIN" --write-object "$W/data" \
	--type data --label via-remote > "$W/cw" 2>&1 || { cat "$W/cw"; fail "client: write object"; }
"$K" list > "$W/kl" 2>&1 || { cat "$W/kl"; fail "kerntok list"; }
pkcs11-tool --module "$M" --token-label "$LABEL" -O > "$W/do" 2>&1 || fail "direct -O"
has "label: *'via-remote'" "$W/do" || { cat "$W/do"; fail "object created remotely not seen locally"; }
ok "p11-kit server + p11-kit-client.so: lists and creates objects"

# signing through the socket, once the module lists a sign mechanism
pkcs11-tool --module "$M" --slot-index 0 -M > "$W/mech" 2>&1 || true
if has -E "^ *ECDSA, .*sign" "$W/mech" && has "EC-KEY-PAIR-GEN\|ECDSA-KEY-PAIR-GEN" "$W/mech"; then
	pkcs11-tool --module "$CLIENT" --login --pin "$PIN" --keypairgen --key-type EC:prime256v1 \
		--id 4b54 --label remote-ec > "$W/kg" 2>&1 || { cat "$W/kg"; fail "client: EC keypairgen"; }
	head -c 32 /dev/urandom > "$W/msg"
	pkcs11-tool --module "$CLIENT" --login --pin "$PIN" --sign -m ECDSA --id 4b54 \
		-i "$W/msg" -o "$W/sig" > "$W/sg" 2>&1 || { cat "$W/sg"; fail "client: ECDSA sign"; }
	[ "$(stat -c %s "$W/sig")" = 64 ] || fail "ECDSA P-256 signature is $(stat -c %s "$W/sig") bytes"
	pkcs11-tool --module "$M" --token-label "$LABEL" --login --pin "$PIN" --verify -m ECDSA \
		--id 4b54 -i "$W/msg" --signature-file "$W/sig" > "$W/vf" 2>&1 ||
		{ cat "$W/vf"; fail "signature made remotely does not verify locally"; }
	ok "ECDSA key generated and signed through the socket; verified locally"
elif has -E "SHA256-HMAC.*sign" "$W/mech"; then
	note "no ECDSA yet; HMAC only: remote signing covered by ECDSA once it exists"
else
	note "no sign mechanism listed yet: remote signing skipped"
fi
kill "$SRV_PID"
wait "$SRV_PID" 2>/dev/null || true
SRV_PID=
ok "p11-kit server stopped"

# ---- remote: module config ----
if [ -z "$CONF" ]; then
	echo "PASS it_p11kit (socket part only)"
	exit 0
fi
rm -f "$MODDIR/kerntok.module"
printf 'remote: |p11-kit remote %s\n' "$M" > "$MODDIR/kerntok-remote.module"
p11-kit list-modules > "$W/lr" 2>&1 || { cat "$W/lr"; fail "list-modules (remote)"; }
has -E "^kerntok-remote:" "$W/lr" || { cat "$W/lr"; fail "remote module not listed"; }
has -E "token: $LABEL\$" "$W/lr" || { cat "$W/lr"; fail "remote module: token not shown"; }
pkcs11-tool --module "$PROXY" -O --token-label "$LABEL" --login --pin "$PIN" > "$W/ro" 2>&1 ||
	{ cat "$W/ro"; fail "proxy -> remote: objects"; }
has "label: *'via-remote'" "$W/ro" || { cat "$W/ro"; fail "proxy -> remote: object missing"; }
ok "remote: |p11-kit remote ... config: listed, token and objects served"
echo "PASS it_p11kit"
