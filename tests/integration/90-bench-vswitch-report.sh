#!/bin/bash
# bench/vswitch in its smallest form (1 round of 1 s at 64 bytes, vswitchd
# and OVS-DPDK with NORMAL, size table only) with --report: it exits 0,
# prints the table with vswitchd's column and the ratio line, writes
# vswitch.csv with its header and one row per setup that forwarded
# frames, measures OVS-DPDK or says why not, and leaves nothing behind
# (its network namespace, DPDK runtime directories, processes). No speed
# is asserted: that is what the benchmark itself is for.
# timeout: 150
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root"
dir=$(mktemp -d /tmp/xvm-bench-test.XXXXXX)
at_exit rm -rf "$dir"
"$TOP/bench/vswitch" -r 1 -t 1 -s 64 -x "vswitchd ovs-normal" -S --report "$dir" \
	>"$dir/out" 2>"$dir/err" &
pid=$!
at_exit kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
cat "$dir/out"
[ $rc = 0 ] || { tail -n 20 "$dir/err"; fail "bench/vswitch exited with $rc"; }
pass "bench/vswitch -r 1 -t 1 -s 64 -S exited 0"

grep -q '^SIZE .*VSW_MPPS' "$dir/out" || fail "no table header with VSW_MPPS"
grep -Eq '^64 +[0-9]+\.[0-9]{3} ' "$dir/out" || fail "no 64-byte row in the table"
grep -q '^load average at the start: ' "$dir/out" || fail "no load average at the start"
grep -q '^load average at the end: ' "$dir/out" || fail "no load average at the end"
[ "$(head -n 1 "$dir/vswitch.csv")" = \
	"part,setup,size,round,param,frames,secs,mpps,gbps,cpu_secs,ns_per_frame,stalled,naps,busy_pct,pcyc" ] ||
	fail "vswitch.csv header: $(head -n 1 "$dir/vswitch.csv")"
# vswitchd's row: 15 columns, frames > 0, CPU time, naps, the PMD's busy
# share (0-100%) and its processing cycles per frame counted.
awk -F, '$1 == "size" && $2 == "vswitchd" && $3 == 64 && NF == 15 && $6 > 0 && $10 != "" && $13 != "" &&
	$14 != "" && $14 > 0 && $14 <= 100 && $15 > 0 { ok = 1 }
	END { exit !ok }' "$dir/vswitch.csv" || fail "no vswitchd row with frames: $(cat "$dir/vswitch.csv")"
pass "vswitch.csv has its header and vswitchd's row ($(grep '^size,vswitchd' "$dir/vswitch.csv"))"
if grep -q '^OVS-DPDK not measured: ' "$dir/out"; then
	# Allowed (the package may be missing): it must say why, once.
	grep '^OVS-DPDK not measured: ' "$dir/out"
	pass "OVS-DPDK could not run here and the bench says why"
else
	awk -F, '$1 == "size" && $2 == "ovs-normal" && $6 > 0 && $10 > 0 && $15 > 0 { ok = 1 } END { exit !ok }' \
		"$dir/vswitch.csv" || fail "no ovs-normal row with frames, CPU time and processing cycles per frame"
	# ("-" where the round stalled: a 1-second round on a busy machine)
	grep -Eq '^  64 +vswitchd/ovs-normal +([0-9.]+x|-) +\(rounds min .* cycles/frame ([0-9.]+x|-)$' "$dir/out" ||
		fail "no vswitchd/ovs-normal ratio line with the cycles per frame ratio"
	pass "OVS-DPDK measured: $(grep '^size,ovs-normal' "$dir/vswitch.csv")"
fi
# Nothing left: namespace, DPDK files under its prefixes, processes.
[ ! -e "/run/netns/xvmb${pid}ovs" ] || fail "network namespace xvmb${pid}ovs left behind"
ls -d /var/run/dpdk/xvmb"$pid"* 2>/dev/null && fail "DPDK runtime directories left behind"
left=$(pgrep -f -- "xvmb$pid")
[ -z "$left" ] || fail "processes left behind: $left"
ovs=$(sed -n 's/^bench\/vswitch: OVS .*, pid \([0-9]*\)$/\1/p' "$dir/err")
[ -z "$ovs" ] || ! kill -0 "$ovs" 2>/dev/null || fail "ovs-vswitchd (pid $ovs) left running"
pass "bench/vswitch left no namespace, DPDK runtime directory or process"
