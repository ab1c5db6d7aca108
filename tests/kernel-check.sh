#!/bin/bash
# Run the kcapi known-answer tests on the kernel crypto path (AF_ALG).
#
#   tests/kernel-check.sh [TEST_BINARY]      (from the repo root)
#
# The dev/CI kernel has no AF_ALG, so on the host this boots the shared
# kvm-run guest (Debian 6.12 kernel with AF_ALG and key-by-serial) and runs
# itself there; kvm-run sets KERNTOK_IN_VM=1 in the guest.  In the guest the
# binary runs with KERNTOK_CRYPTO=kernel and must show that the kernel path
# was really taken: AF_ALG available, operations completed on AF_ALG, and
# the logon-key (key-by-serial) comparison with OpenSSL passed.
# No kvm-run, or a guest that cannot start (exit 125): SKIP, exit 0, said
# out loud.  A guest timeout (124) is a failure: it is how a hung AF_ALG
# read would show.
set -u
bin=${1:-build/tests/test_kcapi}

if [ -n "${KERNTOK_IN_VM:-}" ]; then
	[ -x "$bin" ] || { echo "FAIL kernel-check: no test binary $bin"; exit 1; }
	echo "== kernel-check in guest: kernel $(uname -r)"
	log=$(mktemp)
	start=$(date +%s)
	KERNTOK_CRYPTO=kernel "$bin" >"$log" 2>&1
	rc=$?
	cat "$log"
	fail=0
	grep -q '^kernel path: AVAILABLE' "$log" || { echo "kernel-check: AF_ALG not usable in guest"; fail=1; }
	ops=$(sed -n 's/^kernel ops completed: \([0-9]*\)$/\1/p' "$log")
	[ "${ops:-0}" -gt 0 ] || { echo "kernel-check: no operation ran on AF_ALG"; fail=1; }
	grep -q '^key-by-serial: PASS' "$log" || { echo "kernel-check: key-by-serial did not pass"; fail=1; }
	[ "$rc" -eq 0 ] || { echo "kernel-check: test binary exited $rc"; fail=1; }
	rm -f "$log"
	if [ "$fail" -ne 0 ]; then
		echo "FAIL kernel crypto path ($(( $(date +%s) - start ))s in guest)"
		exit 1
	fi
	echo "PASS kernel crypto path: $ops AF_ALG operations, key-by-serial ok ($(( $(date +%s) - start ))s in guest)"
	exit 0
fi

# KVM_RUN overrides; else the workplace's copy beside the repo, or at /work/shared.
kvm="${KVM_RUN:-$(dirname "$0")/../../shared/vm/kvm-run}"
[ -x "$kvm" ] || kvm=/work/shared/vm/kvm-run
if [ ! -x "$kvm" ]; then
	echo "SKIP kernel crypto path: kvm-run not found at $kvm"
	exit 0
fi
if [ ! -x "$bin" ]; then
	echo "FAIL kernel-check: no test binary $bin (build it first)"
	exit 1
fi
mkdir -p build
start=$(date +%s)
err=$(mktemp)
"$kvm" --scratch "$PWD/build" --timeout 300 -- "$0" "$bin" 2>"$err"
rc=$?
case $rc in
0)
	echo "kernel-check: guest run took $(( $(date +%s) - start ))s (boot included)"
	;;
125)
	echo "SKIP kernel crypto path: kvm-run could not start the guest (exit 125):"
	tail -5 "$err" | sed 's/^/  /'
	rc=0
	;;
124)
	echo "FAIL kernel crypto path: guest timed out (a hung AF_ALG call?)"
	tail -20 "$err" | sed 's/^/  /'
	;;
*)
	tail -20 "$err" | sed 's/^/  /'
	;;
esac
rm -f "$err"
exit $rc
