#!/bin/bash
# The credit scheduler through stock virsh against xvmd: two spin guests
# with their vCPU pinned to the same host CPU (virsh vcpupin) and weights
# 512 and 256 (virsh schedinfo --set) get CPU time in a ratio of 2 (+-10%)
# over 10 s, as `virsh dominfo` reports it; then cap=25 holds the first,
# alone on that CPU, at or under 27% of a CPU (35% in the nested test VM,
# see below).
# timeout: 180
. "$(dirname "$0")/lib.sh"
require_kvm
[ "$(id -u)" = 0 ] || skip "needs root (cgroups)"
command -v virsh >/dev/null || fail "virsh is not installed (libvirt-clients)"
[ -x "$BIN/xvmd" ] || fail "$BIN/xvmd is not built"
awk '$3 == "cgroup" && $4 ~ /(^|,)cpu(,|$)/ { f = 1 } END { exit !f }' /proc/mounts ||
	grep -q cpu /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null ||
	skip "no cgroup hierarchy with the cpu controller"

ID=$((RANDOM % 90000 + 10000))
A=spinA$ID B=spinB$ID
cpu=$(($(nproc --all) > 1 ? 1 : 0))

# xvmd on $XVM_RUNDIR/libvirt-sock with its own cgroup parent; every hv
# it started, xvmd and the cgroups go at exit (tests/integration/xvmdlib.sh).
. "$(dirname "$0")/xvmdlib.sh"
export LIBVIRT_DEFAULT_URI=$URI
vsh() { V "$@" 2>&1 || { echo "virsh $*: failed" >&2; return 1; }; }

# define_spin NAME: a defined and started 1-vCPU spin guest.
define_spin() {
	dom_xml "$1" "workload=spin"
	vsh define "$TMP/$1.xml" >/dev/null || fail "virsh define $1"
	vsh start "$1" >/dev/null || fail "virsh start $1"
}

# cputime DOM: `virsh dominfo`'s CPU time in seconds ("CPU time: 3.4s").
cputime() {
	vsh dominfo "$1" | sed -n 's/^CPU time: *\([0-9.]*\)s$/\1/p'
}

# wait_cpu DOM SECS: until the guest has used SECS of CPU (it boots, then spins).
wait_cpu() {
	local i t
	local end; end=$(deadline_in 30)
	while before "$end"; do
		t=$(cputime "$1")
		awk -v t="${t:-0}" -v s="$2" 'BEGIN { exit !(t >= s) }' && return 0
		sleep 0.1
	done
	fail "$1 used only ${t:-?} s of CPU in 30 s"
}

xvmd_start
define_spin "$A"
define_spin "$B"
for d in $A $B; do
	vsh vcpupin "$d" 0 "$cpu" >/dev/null || fail "virsh vcpupin $d 0 $cpu"
done
vsh schedinfo "$A" --set weight=512 >/dev/null || fail "schedinfo --set weight=512"
vsh schedinfo "$B" --set weight=256 >/dev/null || fail "schedinfo --set weight=256"
si=$(vsh schedinfo "$A")
echo "$si"
grep -Eq '^Scheduler *: *credit$' <<<"$si" || fail "schedinfo does not show scheduler credit"
grep -Eq '^weight *: *512$' <<<"$si" || fail "schedinfo $A does not show weight 512"
grep -Eq '^cap *: *0$' <<<"$si" || fail "schedinfo $A does not show cap 0"
pinned=$(vsh vcpuinfo "$A" | sed -n 's/^CPU Affinity: *//p')
pass "$A: scheduler credit, weight 512, vCPU 0 affinity $pinned"

wait_cpu "$A" 0.3
wait_cpu "$B" 0.3
a0=$(cputime "$A") b0=$(cputime "$B")
sleep 10
a1=$(cputime "$A") b1=$(cputime "$B")
ratio=$(awk -v a0="$a0" -v a1="$a1" -v b0="$b0" -v b1="$b1" \
	'BEGIN { if (b1 - b0 <= 0) print "inf"; else printf "%.3f", (a1 - a0) / (b1 - b0) }')
echo "  $A: $a0 s -> $a1 s; $B: $b0 s -> $b1 s; ratio $ratio"
awk -v r="$ratio" 'BEGIN { exit !(r != "inf" && r >= 1.8 && r <= 2.2) }' ||
	fail "weights 512/256 on CPU $cpu: CPU-time ratio $ratio, expected 2 +-10%"
pass "weights 512/256 on CPU $cpu: CPU-time ratio $ratio over 10 s"

vsh destroy "$B" >/dev/null || fail "virsh destroy $B"
# For the record: what A takes alone and uncapped (other work shares the CPU).
a0=$(cputime "$A"); sleep 3; a1=$(cputime "$A")
echo "  $A alone, no cap: $(awk -v a0="$a0" -v a1="$a1" 'BEGIN { printf "%.0f", (a1 - a0) * 100 / 3 }')% of a CPU"
vsh schedinfo "$A" --set cap=25 >/dev/null || fail "schedinfo --set cap=25"
vsh schedinfo "$A" | grep -Eq '^cap *: *25$' || fail "schedinfo $A does not show cap 25"
sleep 1
a0=$(cputime "$A")
sleep 10
a1=$(cputime "$A")
pct=$(awk -v a0="$a0" -v a1="$a1" 'BEGIN { printf "%.1f", (a1 - a0) * 10 }')
echo "  $A: $a0 s -> $a1 s over 10 s = $pct%"
# Natively the cap holds within 2 points. In the nested VM the kernel's
# CFS bandwidth control throttles at its tick, and emulated ticks come
# late, so a capped group overruns a little (28% measured there): 35% is
# allowed there, still far below what the guest takes uncapped (100%).
hi=27.0
[ "${XVM_IN_TEST_VM:-0}" = 1 ] && hi=35.0
awk -v p="$pct" -v hi="$hi" 'BEGIN { exit !(p <= hi && p >= 10.0) }' ||
	fail "cap=25: $A used $pct% of a CPU, expected at most $hi% (and some)"
pass "cap=25: $A used $pct% of a CPU"
