# tests/lib_it.sh - what the tests/it_*.sh integration tests share.  Sourced,
# after `set -euo pipefail`, from the repository root:
#     . "$(dirname "$0")/lib_it.sh"
# (Not named it_*.sh: tests/run-integration.sh runs every tests/it_*.sh.)
#
# Sets MOD (the module, an absolute path) and KT (the kerntok tool) from
# KT_BUILD, fails when the module is missing, and defines fail, step, ok
# (counts $checks), must, kt_store_desc, kt_unlink_store, kt_free_slot and
# kt_init_token.

: "${KT_BUILD:=build}"
: "${KERNTOK_DIR:?KERNTOK_DIR must be set}"
MOD="$KT_BUILD/kerntok-pkcs11.so"
case "$MOD" in /*) ;; *) MOD="$PWD/$MOD" ;; esac
KT="$KT_BUILD/kerntok"
[ -f "$MOD" ] || { echo "FAIL: no module at $MOD"; exit 1; }

fail() { echo "FAIL: $*"; exit 1; }
step() { echo "== $*"; }
checks=0
ok() { checks=$((checks + 1)); echo "ok: $*"; }
must() {          # run CMD..., show its output, fail with it when it exits non-zero
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  echo "$out"
  [ "$rc" = 0 ] || fail "exit $rc: $*"
}

# "kerntok:<16 hex>": the description of this store's keyring
kt_store_desc() {
  local real hex
  real=$(realpath "$KERNTOK_DIR")
  hex=$(printf '%s' "$real" | sha256sum | cut -c1-16)
  echo "kerntok:$hex"
}

# Tests clean their own keyrings: drops this store's keyring from @u.
kt_unlink_store() {
  local id
  id=$(keyctl search @u keyring "$(kt_store_desc)" 2>/dev/null) &&
    keyctl unlink "$id" @u >/dev/null 2>&1 || true
}

# The id (as pkcs11-tool prints it: 0x...) of the first slot whose token is
# uninitialized, from `pkcs11-tool -L` output on stdin; returns 1 if none.
kt_free_slot() {
  local id
  id=$(awk '/^Slot [0-9]+ \(0x[0-9a-fA-F]+\)/ { id = $3; gsub(/[():]/, "", id) }
            /token state: *uninitialized/ { print id; exit }')
  [ -n "$id" ] && echo "$id"
}

# kt_init_token LABEL SO_PIN PIN: pkcs11-tool initializes the free slot's
# token as LABEL and sets its user PIN; prints the slot id (the tools'
# output goes to stderr).  Use as slot=$(kt_init_token ...) || fail ...
kt_init_token() {
  local label=$1 so=$2 pin=$3 out slot
  out=$(pkcs11-tool --module "$MOD" -L)
  slot=$(kt_free_slot <<<"$out") || { echo "FAIL: no free slot in: $out" >&2; return 1; }
  must pkcs11-tool --module "$MOD" --init-token --slot "$slot" --label "$label" \
    --so-pin "$so" >&2
  must pkcs11-tool --module "$MOD" --token-label "$label" --login --login-type so \
    --so-pin "$so" --init-pin --pin "$pin" >&2
  echo "$slot"
}
