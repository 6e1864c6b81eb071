#!/bin/bash
# Debian's cloud kernel boots under hv as a bzImage far enough to print
# "Linux version" on the serial console (earlyprintk). It cannot go further
# on this machine (PLATFORM.md: unmodified Linux hits an emulation failure
# in ring 0), and every ring-0 instruction is emulated, so this is slow.
# timeout: 900
. "$(dirname "$0")/lib.sh"
require_kvm
K=$("$TOP/tests/fetch-linux.sh") || fail "could not fetch the Debian cloud kernel"
echo "kernel: $K ($(cat "$TOP/build/linux/package"))"
start=$(date +%s)
start_hv linux --memory 256 --vcpus 1 --kernel "$K" \
	--cmdline "earlyprintk=serial console=ttyS0"
wait_for_line "$TMP/linux.console" 'Linux version' 840 || {
	show linux; fail "no 'Linux version' on the console"; }
pass "$(grep -m1 -o 'Linux version [^ ]*' "$TMP/linux.console") after $(( $(date +%s) - start )) s"
kill -0 $HV_PID 2>/dev/null && kill $HV_PID
true
