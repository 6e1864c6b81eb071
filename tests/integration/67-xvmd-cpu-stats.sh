#!/bin/bash
# virsh cpu-stats and python's getCPUStats against xvmd, natively with or
# without KVM (hv is tests/tools/fake-hv: the numbers are its process's,
# which is what xvmd reads for any hv): the totals (cpu_time, user_time,
# system_time) agree with the domain's cgroup (hv's /proc/PID/stat where
# there is none) and grow as it runs; per host CPU, cpu_time from
# cpuacct.usage_percpu (cgroup v1), or where the host keeps no such account
# (v2) none and virsh says so; the host's CPU count right;
# a shut-off domain is refused with libvirt's errors, the daemon serving on.
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
command -v virsh >/dev/null || fail "virsh not installed (libvirt-clients)"
PY=/usr/bin/python3
"$PY" -c 'import libvirt' 2>/dev/null || fail "python3-libvirt not installed"
xvmd_start --hv "$TOP/tests/tools/fake-hv"

dom_xml c1 "workload=spin"
V define "$TMP/c1.xml" >/dev/null || fail "define c1"
expect_fail "domain is not running" cpu-stats c1 --total
V start c1 >/dev/null || fail "start c1"
wait_for_line "$(conlog c1)" '^guest: spin t=2' 30 || fail "c1 did not run"
pid=$(cat "$XVM_RUNDIR/hv/c1.pid" 2>/dev/null)
[ -n "$pid" ] || fail "no hv pid for c1"

out=$(V cpu-stats c1 --total) || fail "cpu-stats --total: $out"
echo "$out"
for f in cpu_time user_time system_time; do
	echo "$out" | grep -Eq "^[[:space:]]+$f +[0-9]+\.[0-9]+ seconds$" ||
		fail "cpu-stats --total lacks $f: $out"
done
# The numbers come from the domain's cgroup (as dominfo's CPU time):
# cpuacct.stat (v1, ticks) or cpu.stat (v2, us); without one from hv's
# /proc/PID/stat. Compare with the same source (a tick or two may pass
# between the two readings).
hz=$(getconf CLK_TCK)
tick=$((1000000000 / hz))
ns() { echo "$out" | sed -n "s/^[[:space:]]*$1 *\([0-9]*\)\.\([0-9]*\) seconds$/\1\2/p" | sed 's/^0*//'; }
u=$(ns user_time); s=$(ns system_time); u=${u:-0}; s=${s:-0}
src=
for cg in /sys/fs/cgroup/cpuacct/"$XVMD_CGROUP"/c1 /sys/fs/cgroup/cpu,cpuacct/"$XVMD_CGROUP"/c1 \
	  /sys/fs/cgroup/cpu/"$XVMD_CGROUP"/c1 /sys/fs/cgroup/unified/"$XVMD_CGROUP"/c1 /sys/fs/cgroup/"$XVMD_CGROUP"/c1; do
	if [ -r "$cg/cpuacct.stat" ]; then
		eu=$(( $(awk '$1=="user"{print $2}' "$cg/cpuacct.stat") * tick ))
		es=$(( $(awk '$1=="system"{print $2}' "$cg/cpuacct.stat") * tick ))
		src="$cg/cpuacct.stat"; break
	elif [ -r "$cg/cpu.stat" ] && grep -q '^user_usec ' "$cg/cpu.stat"; then
		eu=$(( $(awk '$1=="user_usec"{print $2}' "$cg/cpu.stat") * 1000 ))
		es=$(( $(awk '$1=="system_usec"{print $2}' "$cg/cpu.stat") * 1000 ))
		src="$cg/cpu.stat"; break
	fi
done
if [ -z "$src" ]; then
	read -r ut st < <(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12, $13}')
	eu=$((ut * tick)); es=$((st * tick)); src="/proc/$pid/stat"
fi
near() { [ "$1" -le $(( $2 + 2 * tick )) ] && [ "$1" -ge $(( $2 - 2 * tick )) ]; }
near "$u" "$eu" || fail "user_time ${u}ns, $src says ${eu}ns"
near "$s" "$es" || fail "system_time ${s}ns, $src says ${es}ns"
pass "cpu-stats --total: cpu_time, user_time ${u}ns, system_time ${s}ns ($src: ${eu}ns, ${es}ns)"

# Per host CPU: cpu_time from cpuacct.usage_percpu where the host keeps
# one (cgroup v1), otherwise no parameters.
percpu=
for cg in /sys/fs/cgroup/cpuacct/"$XVMD_CGROUP"/c1 /sys/fs/cgroup/cpu,cpuacct/"$XVMD_CGROUP"/c1 \
	  /sys/fs/cgroup/cpu/"$XVMD_CGROUP"/c1; do
	[ -r "$cg/cpuacct.usage_percpu" ] && { percpu=$cg/cpuacct.usage_percpu; break; }
done
out=$(V cpu-stats c1 2>&1); rc=$?
echo "$out"
[ $rc = 0 ] || fail "cpu-stats c1: exit $rc: $out"
echo "$out" | grep -q 'cpu_time' || fail "cpu-stats c1 shows no total: $out"
ncpu=$(getconf _NPROCESSORS_CONF)
if [ -n "$percpu" ]; then
	for i in $(seq 0 $((ncpu - 1))); do
		echo "$out" | grep -q "^CPU$i:" || fail "cpu-stats c1 lacks CPU$i: $out"
	done
	# CPU0's time as virsh prints it, against the file (it only grows).
	c0=$(echo "$out" | awk '/^CPU0:/{f=1; next} f && /cpu_time/{print $2; exit}' | tr -d .)
	c0=$((10#${c0:-0})); f0=$(awk '{print $1}' "$percpu")
	[ "$c0" -le "$f0" ] || fail "CPU0 cpu_time ${c0}ns, later $percpu says ${f0}ns"
	pass "cpu-stats c1: CPU0..CPU$((ncpu - 1)) from $percpu (CPU0 ${c0}ns), and the totals"
else
	echo "$out" | grep -q '^CPU0:' && fail "cpu-stats c1 invents per-CPU numbers: $out"
	echo "$out" | grep -q 'No per-CPU stats available' || fail "cpu-stats c1: $out"
	pass "cpu-stats c1: no per-CPU account on this host (cgroup v2 or none), the totals shown"
fi

"$PY" - "$URI" "$ncpu" "${percpu:+yes}" <<'PYEOF' || fail "python getCPUStats"
import sys, time, libvirt
c = libvirt.open(sys.argv[1])
d = c.lookupByName("c1")
t = d.getCPUStats(True)
assert len(t) == 1 and set(t[0]) == {"cpu_time", "user_time", "system_time"}, t
a = t[0]["cpu_time"]
end = time.time() + 20
while time.time() < end:
    if d.getCPUStats(True)[0]["cpu_time"] > a:
        break
    time.sleep(0.5)
else:
    raise SystemExit("cpu_time did not grow: %d" % a)
print("python getCPUStats(True):", t)
per = d.getCPUStats(False)
assert len(per) == int(sys.argv[2]), per
if sys.argv[3]:
    assert all(set(p) == {"cpu_time"} for p in per), per
else:
    assert all(p == {} for p in per), per
print("python getCPUStats(False):", per)
PYEOF
pass "python getCPUStats: the three totals, cpu_time grows; one entry per host CPU"

# virsh checks --start against the host CPU count xvmd gives.
expect_fail "Start CPU 9999 is out of range \(min: 0, max: $((ncpu - 1))\)" cpu-stats c1 --start 9999
V destroy c1 >/dev/null
expect_fail "domain is not running" cpu-stats c1 --total
V list --all | grep -q ' c1 ' || fail "xvmd stopped serving"
pass "refusals: shut-off domain; xvmd serves on"
V undefine c1 >/dev/null
