#!/bin/bash
# Debian's cloud kernel (a bzImage) under hv, as far as the host's KVM lets
# it go (PLATFORM.md; docs/hv.md "Linux guests"):
#  - kvm_pvm (kvm-probe says "kvm_pvm"; no VMX/SVM, guest ring 0 emulated):
#    unmodified Linux stops on an emulation failure (xrstor) soon after its
#    first console lines, so the check is "Linux version" on the serial
#    console (earlyprintk), after ~100 s: the decompressor runs emulated.
#  - real KVM (kvm_amd, kvm_intel; the nested test VM's SVM): the kernel
#    boots to userspace with the initramfs of tests/linux-initramfs.sh,
#    whose /init prints "xvm-linux-init: userspace reached" and powers off
#    (ACPI S5), and hv must exit with status 0. The kernel runs "quiet":
#    in the test VM each console byte costs exits worth ~10 ms, ~1 s a line.
# Prints what was reached and after how many seconds.
# timeout: 300
# prepare: tests/fetch-linux.sh && tests/linux-initramfs.sh
. "$(dirname "$0")/lib.sh"
require_kvm
K=$("$TOP/tests/fetch-linux.sh") || fail "could not fetch the Debian cloud kernel"
echo "kernel: $K ($(cat "$TOP/build/linux/package"))"
probe=$("$TOP/build/tests/tools/kvm-probe" 2>&1)
echo "${probe:-kvm-probe gave nothing}"
# Seconds to wait (lib.sh's waits stretch it in the test VM like the
# scenario's time limit, so it stays inside that): kvm_pvm emulates the
# decompressor (~100 s); with real KVM userspace comes in 1-2 s natively
# and 8-30 s in the test VM, so 90 s there (270 s in the VM) means a
# stalled guest, not a slow one.
budget=270

# wait_console REGEX: until the console has a matching line (0), hv has
# exited without one (1) or $budget seconds have passed (2). Once hv has
# exited, its status is in $HV_EXIT.
HV_EXIT=
wait_console() {
	local end
	end=$(deadline_in "$budget")
	while before "$end"; do
		grep -Eq -- "$1" "$TMP/linux.console" && return 0
		if ! kill -0 "$HV_PID" 2>/dev/null; then
			wait "$HV_PID"; HV_EXIT=$?
			grep -Eq -- "$1" "$TMP/linux.console" && return 0
			return 1
		fi
		sleep 0.1
	done
	grep -Eq -- "$1" "$TMP/linux.console" && return 0
	return 2
}
since() { echo $(( $(date +%s) - start )); }

case $probe in
*kvm_pvm*)
	start=$(date +%s)
	start_hv linux --memory 256 --vcpus 1 --kernel "$K" \
		--cmdline "earlyprintk=serial console=ttyS0"
	wait_console 'Linux version'
	case $? in
	1) show linux; fail "hv exited ($HV_EXIT) after $(since) s before 'Linux version'" ;;
	2) show linux; fail "no 'Linux version' on the console within $budget s" ;;
	esac
	pass "kvm_pvm: reached '$(grep -m1 -o 'Linux version [^ ]*' "$TMP/linux.console")' after $(since) s (the furthest point here: PLATFORM.md)"
	kill "$HV_PID" 2>/dev/null	# destroy (SIGTERM): it cannot get further
	;;
*)
	I=$("$TOP/tests/linux-initramfs.sh") || fail "could not build the initramfs"
	budget=90
	start=$(date +%s)
	start_hv linux --memory 256 --vcpus 1 --kernel "$K" --initrd "$I" \
		--cmdline "console=ttyS0 quiet panic=-1"
	wait_console 'xvm-linux-init: userspace reached'
	case $? in
	1) show linux; fail "hv exited ($HV_EXIT) after $(since) s before userspace" ;;
	2) show linux; fail "userspace not reached within $budget s" ;;
	esac
	t_user=$(since)
	echo "$(grep -m1 'xvm-linux-init: userspace' "$TMP/linux.console") after $t_user s"
	if [ -z "$HV_EXIT" ]; then
		wait_pid "$HV_PID" 60 ||
			{ show linux; fail "hv still running $(since) s in, after /init's poweroff"; }
		HV_EXIT=$WAIT_RC
	fi
	[ "$HV_EXIT" = 0 ] || { show linux; fail "hv exited $HV_EXIT after $(since) s, expected 0 (power-off)"; }
	grep -m1 -o 'xvm-linux-init: Linux version [^ ]*' "$TMP/linux.console" ||
		{ show linux; fail "/init printed no /proc/version"; }
	grep -q 'reboot: Power down' "$TMP/linux.console" ||
		{ show linux; fail "hv exited 0 but the kernel did not say 'reboot: Power down'"; }
	kind=$(echo "$probe" | grep -o 'kvm_[a-z]*' || echo "KVM")
	pass "$kind: userspace reached after $t_user s, powered off (ACPI S5, hv exit 0) after $(since) s"
	;;
esac
true
