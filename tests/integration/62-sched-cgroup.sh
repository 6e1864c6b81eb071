#!/bin/bash
# The credit scheduler's cgroup module (xvmd/sched.c) on real guests,
# without xvmd: two spinning hv guests pinned to host CPU 1 in cgroups with
# weights 512 and 256 get cgroup CPU time in a ratio of 2 (+-10%) over
# 10 s, and cap=25 holds a spinning guest at or under 27% of a CPU.
# timeout: 120
. "$(dirname "$0")/lib.sh"
require_kvm
TRY=$TOP/build/tests/tools/sched-try
[ -x "$TRY" ] || fail "$TRY not built"
[ "$(id -u)" = 0 ] || skip "needs root to create cgroups"
awk '$3 == "cgroup" && $4 ~ /(^|,)cpu(,|$)/ { f = 1 } END { exit !f }' /proc/mounts ||
	grep -q cpu /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null ||
	skip "no cgroup hierarchy with the cpu controller"
ncpu=$(nproc --all)
cpu=$((ncpu > 1 ? 1 : 0))

# field OUT KEY: the value of KEY=... in sched-try's output
field() { grep -o "$2=[0-9.]*" <<<"$1" | head -n1 | cut -d= -f2; }

out=$("$TRY" -s 10 -c "$cpu" -H "$BIN/hv" -k "$GUEST" 512 256) ||
	fail "sched-try 512 256 failed: $out"
echo "$out"
ratio=$(field "$out" ratio)
[ -n "$ratio" ] || fail "no ratio in sched-try output"
awk -v r="$ratio" 'BEGIN { exit !(r >= 1.8 && r <= 2.2) }' ||
	fail "weights 512/256: CPU-time ratio $ratio, expected 2 +-10%"
pass "weights 512/256 on CPU $cpu: CPU-time ratio $ratio"

out=$("$TRY" -s 10 -H "$BIN/hv" -k "$GUEST" 256:25) ||
	fail "sched-try 256:25 failed: $out"
echo "$out"
pct=$(field "$out" pct)
awk -v p="$pct" 'BEGIN { exit !(p <= 27.0 && p >= 15.0) }' ||
	fail "cap=25: guest used $pct% of a CPU, expected 15..27%"
pass "cap=25: spinning guest used $pct% of a CPU"
