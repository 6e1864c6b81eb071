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
# timeout: 900
# prepare: tests/fetch-linux.sh && tests/linux-initramfs.sh
. "$(dirname "$0")/lib.sh"
require_kvm
K=$("$TOP/tests/fetch-linux.sh") || fail "could not fetch the Debian cloud kernel"
echo "kernel: $K ($(cat "$TOP/build/linux/package"))"
probe=$("$TOP/build/tests/tools/kvm-probe" 2>&1)
echo "${probe:-kvm-probe gave nothing}"
# Seconds to wait (lib.sh's waits stretch it in the test VM like the
# scenario's time limit, so it stays inside that): kvm_pvm emulates the
# decompressor, ~100 s of hv's CPU time; on a busy machine (2 cores, load
# 8) hv gets a quarter of a CPU and needs 400 s of wall time (at load 16,
# a tenth: 222 s of wall time gave it 23 s of CPU). So there the bound is
# hv's CPU time, cpu_budget (200 s: twice what it takes), plus a stall
# check (hv used no CPU for 60 s: a guest that stopped, not a slow one);
# the wall-clock budget, what is left of the scenario's limit, only ends
# the wait before tests/run's kill. With real KVM userspace comes in 1-2 s
# natively and 8-30 s in the test VM, so 90 s there (270 s in the VM)
# means a stalled guest, not a slow one.
budget= cpu_budget=

# hv_cpu_ticks, hv_cpu_secs: the CPU time hv has used (all its threads).
hv_cpu_ticks() {
	local t
	t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$HV_PID/stat" 2>/dev/null)
	echo "${t:-0}"
}
hv_cpu_secs() { echo $(( $(hv_cpu_ticks) / $(getconf CLK_TCK) )); }

# wait_console REGEX: until the console has a matching line (0), hv has
# exited without one (1) or $budget seconds (or, with cpu_budget, that
# many seconds of hv's CPU time, or 60 s without any) have passed (2).
# Once hv has exited, its status is in $HV_EXIT.
HV_EXIT=
wait_console() {
	local end n=0 cpu last=-1 stall= hz
	hz=$(getconf CLK_TCK)
	end=$(deadline_in "$budget")
	while before "$end"; do
		grep -Eq -- "$1" "$TMP/linux.console" && return 0
		if [ -n "$cpu_budget" ] && ((++n % 10 == 0)); then
			cpu=$(hv_cpu_ticks)
			if [ "$cpu" != "$last" ]; then
				last=$cpu stall=$(deadline_in 60)
			elif ! before "$stall"; then
				echo "hv used no CPU for 60 s (at $((cpu / hz)) s of CPU, $(since) s in)"
				break
			fi
			if [ "$cpu" -ge $((cpu_budget * hz)) ]; then
				echo "hv used $((cpu / hz)) s of CPU in $(since) s"
				break
			fi
		fi
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
	cpu_budget=200 budget=$((870 - SECONDS))
	start=$(date +%s)
	start_hv linux --memory 256 --vcpus 1 --kernel "$K" \
		--cmdline "earlyprintk=serial console=ttyS0"
	wait_console 'Linux version'
	case $? in
	1) show linux; fail "hv exited ($HV_EXIT) after $(since) s before 'Linux version'" ;;
	2) show linux; fail "no 'Linux version' on the console after $(since) s, hv having used $(hv_cpu_secs) s of CPU (bounds: $cpu_budget s of CPU, $budget s)" ;;
	esac
	pass "kvm_pvm: reached '$(grep -m1 -o 'Linux version [^ ]*' "$TMP/linux.console")' after $(since) s, $(hv_cpu_secs) s of hv's CPU time (the furthest point here: PLATFORM.md)"
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
