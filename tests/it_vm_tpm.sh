#!/bin/bash
# Integration: boot-time unlock on a real TPM device in a VM, across a
# reboot: two kvm-run boots over the same TPM state and token directory
# (tests/vm_tpm.sh phase1, phase2).  Skips, saying why, when kvm-run or QEMU
# is missing or cannot boot a guest (exit 125).
set -u
: "${KT_BUILD:?}"
KVM_RUN="$(dirname "$0")/../../shared/vm/kvm-run"

skip() { echo "SKIP VM TPM test: $*"; exit 0; }
[ -x "$KVM_RUN" ] || skip "no kvm-run at $KVM_RUN"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"

S=$(mktemp -d /tmp/kt-vm-tpm.XXXXXX)
trap 'rm -rf "$S"' EXIT
mkdir "$S/tpm"
# the store lives on the scratch directory: it must survive the "reboot"
export KERNTOK_DIR=$S/store KT_BUILD

for phase in phase1 phase2; do
	rc=0
	"$KVM_RUN" --timeout 600 --tpm-state "$S/tpm" --scratch "$S" -- tests/vm_tpm.sh $phase || rc=$?
	case $rc in
	0) ;;
	125) skip "kvm-run could not boot the guest in $phase (exit 125)" ;;
	*) echo "FAIL: vm_tpm.sh $phase exited $rc" >&2; exit 1 ;;
	esac
done
echo "ok - VM TPM: sealed in one boot, unlocked after the next, refused after a PCR change"
