#!/bin/bash
# vm_tpm.sh - boot-time unlock on a real TPM device (/dev/tpmrm0), across a
# reboot.  Runs inside kvm-run (tests/it_vm_tpm.sh drives it):
#   kvm-run --tpm-state T --scratch S -- tests/vm_tpm.sh phase1
#   kvm-run --tpm-state T --scratch S -- tests/vm_tpm.sh phase2   (the "reboot")
# KERNTOK_DIR must be on the scratch directory, the only thing besides the
# TPM state that survives between the two boots; KT_BUILD is the build dir.
#   phase1: init a token on device:/dev/tpmrm0 (the default), a private
#           object in it, seal its boot copy to sha256:0,2,4,7.
#   phase2: `kerntok unlock` (what kerntok-unlock@.service runs), then a
#           login without PIN (pkcs11-tool uses C_Login(CKU_USER, NULL, 0)
#           when the token reports a protected authentication path); then
#           PCR 7 is extended, and unlock is refused naming it, while the PIN
#           still logs in.
set -euo pipefail
: "${KERNTOK_DIR:?}" "${KT_BUILD:?}"
K=$KT_BUILD/kerntok
M=$KT_BUILD/kerntok-pkcs11.so
SO=vm-so-pin
PIN=vm-user-pin
L=vm-tpm
unset KERNTOK_TCTI                  # the default: device:/dev/tpmrm0
export TSS2_LOG=all+none

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

[ "${KERNTOK_IN_VM:-}" = 1 ] || fail "run me through kvm-run (tests/it_vm_tpm.sh)"
[ -c /dev/tpmrm0 ] || fail "no /dev/tpmrm0 in the guest"
keyctl new_session >/dev/null       # our own session keyring

case ${1:-} in
phase1)
	step "phase 1: token on /dev/tpmrm0, boot copy sealed to sha256:0,2,4,7"
	rm -rf "$KERNTOK_DIR"
	run "$K" init --label $L --so-pin $SO --pin $PIN
	[ -f "$KERNTOK_DIR/tokens/0/tpm.user" ] || fail "no TPM copy"
	echo "sealed in the VM" > "$KERNTOK_DIR/data"
	pkcs11-tool --module "$M" --token-label $L --login --pin $PIN --write-object \
		"$KERNTOK_DIR/data" --type data --label vm-secret --private >/dev/null 2>&1 ||
		fail "write private object"
	run "$K" seal --token $L --boot --pcrs sha256:0,2,4,7 --pin $PIN
	run "$K" status | tee "$KERNTOK_DIR/status1"
	grep -q '^  protection: tpm$' "$KERNTOK_DIR/status1" || fail "not TPM-protected"
	grep -q '^tpm: *device:/dev/tpmrm0' "$KERNTOK_DIR/status1" || fail "not on /dev/tpmrm0"
	tpm2_pcrread -T device:/dev/tpmrm0 sha256:0,2,4,7 > "$KERNTOK_DIR/pcrs1" 2>&1 || true
	ok "phase 1"
	;;
phase2)
	step "phase 2 (after the reboot): unlock as kerntok-unlock@$L.service does"
	[ -f "$KERNTOK_DIR/tokens/0/tpm.boot" ] || fail "phase 1 did not run"
	tpm2_pcrread -T device:/dev/tpmrm0 sha256:0,2,4,7 > "$KERNTOK_DIR/pcrs2" 2>&1 || true
	cmp -s "$KERNTOK_DIR/pcrs1" "$KERNTOK_DIR/pcrs2" ||
		{ diff "$KERNTOK_DIR/pcrs1" "$KERNTOK_DIR/pcrs2" >&2 || true; }
	run "$K" unlock --token $L || fail "unlock after reboot"
	step "login without a PIN: C_Login(CKU_USER, NULL_PTR, 0)"
	pkcs11-tool --module "$M" -T 2>/dev/null | grep -q 'PIN pad present' ||
		fail "no protected authentication path"
	run pkcs11-tool --module "$M" --token-label $L --login --list-objects </dev/null \
		> "$KERNTOK_DIR/objs" 2>&1 || fail "NULL-PIN login: $(cat "$KERNTOK_DIR/objs")"
	cat "$KERNTOK_DIR/objs"
	grep -q "label: *'vm-secret'" "$KERNTOK_DIR/objs" || fail "private object not visible"
	ok "unlocked at boot, logged in without PIN"

	step "PCR 7 changes (say, Secure Boot state): unlock is refused, naming it"
	run "$K" lock --token $L
	run tpm2_pcrextend -T device:/dev/tpmrm0 7:sha256=$(printf '%064x' 7)
	rc=0
	"$K" unlock --token $L 2> "$KERNTOK_DIR/err" || rc=$?
	cat "$KERNTOK_DIR/err"
	[ $rc = 1 ] || fail "unlock with a changed PCR 7 exited $rc"
	grep -q 'PCR values changed since the boot copy was sealed: sha256:7 ' "$KERNTOK_DIR/err" ||
		fail "the refusal does not name PCR 7"
	pkcs11-tool --module "$M" --token-label $L --login --list-objects </dev/null \
		>/dev/null 2>&1 && fail "logged in without PIN while locked"
	pkcs11-tool --module "$M" --token-label $L --login --pin $PIN --list-objects 2>&1 |
		grep -q "label: *'vm-secret'" || fail "PIN login after the PCR change"
	ok "refused with PCR 7 named; the PIN still logs in"
	;;
*)
	echo "usage: $0 phase1|phase2" >&2
	exit 2
	;;
esac
