#!/bin/bash
# Lifecycle actions and the rest of the per-domain commands through virsh
# and python3-libvirt: reboot restarts the guest with the same id; a
# running hv keeps its RAM (setmem is refused live); on_crash=destroy ->
# shut off (crashed), on_crash=preserve -> crashed; on_poweroff=restart
# boots again; schedinfo shows and sets credit weight/cap live and in the
# definition (and the cgroup); vcpupin changes the vCPU thread's affinity;
# the console stream (virsh console's protocol) carries guest output; a
# definition changed while running waits for the next boot. The --config
# changes of a domain not running are 56-xvmd-define, run natively.
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
require_kvm
xvmd_start
ready() { grep -c '^guest: ready' "$(conlog "$1")" 2>/dev/null || true; }
wait_ready() {	# NAME COUNT
	local i
	local end; end=$(deadline_in 60)
	while before "$end"; do
		[ "$(ready "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	cat "$(conlog "$1")"; fail "$1: not booted $2 times"
}

dom_xml rb "workload=idle"
V define "$TMP/rb.xml" >/dev/null && V start rb >/dev/null || fail "start rb"
wait_ready rb 1
id=$(V domid rb)
V reboot rb >/dev/null || fail "reboot"
wait_ready rb 2
[ "$(V domid rb)" = "$id" ] && [ "$(V domstate rb)" = running ] || fail "after reboot: id $(V domid rb), $(V domstate rb)"
pass "reboot: the guest booted again, same id $id, running"
expect_fail "memory cannot change" setmem rb 16M
V destroy rb >/dev/null

dom_xml cr1 "workload=panic"
V define "$TMP/cr1.xml" >/dev/null && V start cr1 >/dev/null || fail "start cr1"
expect_state cr1 "shut off" 60
V domstate --reason cr1 | grep -q "shut off (crashed)" || fail "cr1: $(V domstate --reason cr1)"
pass "on_crash=destroy: shut off (crashed)"
dom_xml cr2 "workload=panic" "<on_crash>preserve</on_crash>"
V define "$TMP/cr2.xml" >/dev/null && V start cr2 >/dev/null || fail "start cr2"
expect_state cr2 crashed 60
V destroy cr2 >/dev/null || fail "destroy of a crashed domain"
[ "$(V domstate cr2)" = "shut off" ] || fail "cr2 after destroy: $(V domstate cr2)"
pass "on_crash=preserve: crashed until destroyed"
dom_xml po "workload=hello" "<on_poweroff>restart</on_poweroff>"
V define "$TMP/po.xml" >/dev/null && V start po >/dev/null || fail "start po"
wait_ready po 2
pass "on_poweroff=restart: the guest that powered off booted again"
V destroy po >/dev/null

dom_xml sc "workload=spin" "<vcpu>2</vcpu>"
sed -i '0,/<vcpu>1<\/vcpu>/{/<vcpu>1<\/vcpu>/d}' "$TMP/sc.xml"
V define "$TMP/sc.xml" >/dev/null && V start sc >/dev/null || fail "start sc"
V schedinfo sc | grep -Eq '^Scheduler +: credit$' || fail "schedinfo: $(V schedinfo sc)"
V schedinfo sc | grep -Eq '^weight +: 256$' || fail "default weight: $(V schedinfo sc)"
V schedinfo sc --set weight=512 cap=50 >/dev/null || fail "schedinfo --set"
V schedinfo sc | grep -Eq '^weight +: 512$' && V schedinfo sc | grep -Eq '^cap +: 50$' || fail "schedinfo after set: $(V schedinfo sc)"
V dumpxml --inactive sc | grep -q '<shares>512</shares>' || fail "weight not in the definition"
V dumpxml --inactive sc | grep -q '<quota>50000</quota>' || fail "cap not in the definition"
cg=$(ls -d /sys/fs/cgroup/cpu/"$XVMD_CGROUP"/sc /sys/fs/cgroup/unified/"$XVMD_CGROUP"/sc 2>/dev/null | head -n 1)
if [ -n "$cg" ] && [ -e "$cg/cpu.cfs_quota_us" ]; then
	[ "$(cat "$cg/cpu.cfs_quota_us")" = 50000 ] || fail "cgroup quota $(cat "$cg/cpu.cfs_quota_us")"
	grep -qx "$(cat "$XVM_RUNDIR/hv/sc.pid")" "$cg/cgroup.procs" || fail "hv not in $cg"
	pass "cgroup $cg: hv inside, quota 50000"
fi
expect_fail "weight must be between 1 and 65536" schedinfo sc --set weight=70000
pass "schedinfo: credit, weight/cap set live and in the definition"
[ "$(V vcpuinfo sc | grep -c '^VCPU:')" = 2 ] || fail "vcpuinfo: $(V vcpuinfo sc)"
V vcpupin sc 1 0 >/dev/null || fail "vcpupin"
V vcpupin sc | grep -Eq '^ *1 +0$' || fail "vcpupin query: $(V vcpupin sc)"
# hv names its vCPU threads "vcpuN" (the process also has KVM's own
# kvm-nx-lpage-recovery worker, so thread order says nothing).
hvpid=$(cat "$XVM_RUNDIR/hv/sc.pid")
tid=$(grep -lx vcpu1 /proc/"$hvpid"/task/*/comm | cut -d/ -f5)
[ -n "$tid" ] || fail "no thread named vcpu1 in hv $hvpid"
taskset -pc "$tid" | grep -q 'list: 0$' || fail "vCPU 1 thread $tid: $(taskset -pc "$tid")"
pass "vcpuinfo lists 2 vCPUs; vcpupin 1 -> CPU 0 sets thread $tid's affinity"

# 20 s natively; in the nested VM the 2-vCPU guest boots under a 50% cap
# of an emulated CPU (it has taken more than 20 s there), so times WAIT_SCALE.
timeout $((25 * WAIT_SCALE)) /usr/bin/python3 - "$URI" $((20 * WAIT_SCALE)) <<'PY' ||
	{ cat "$(conlog sc)"; echo; proc_threads "$(cat "$XVM_RUNDIR/hv/sc.pid")"; fail "console stream"; }
import signal, sys, libvirt
limit = int(sys.argv[2])
def timeout(*a):
    raise SystemExit("FAIL: no spin line on the console stream within %d s" % limit)
signal.signal(signal.SIGALRM, timeout)
signal.alarm(limit)
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("sc")
st = conn.newStream(0)
dom.openConsole(None, st, 0)
buf = b""
while b"guest: spin t=" not in buf:
    buf += st.recv(4096)
st.abort()
print("ok: console stream: " + [l for l in buf.decode(errors="replace").splitlines() if "spin t=" in l][0])
PY
# Redefined while running: the new definition waits for the next boot.
V dumpxml --inactive sc | sed "s:<memory unit='KiB'>32768</memory>:<memory unit='MiB'>48</memory>:" >"$TMP/sc48.xml"
V define "$TMP/sc48.xml" >/dev/null || fail "redefine of a running domain"
V dominfo sc | grep -Eq '^Max memory: +32768 KiB$' || fail "running domain changed: $(V dominfo sc)"
V dumpxml --inactive sc | grep -q '<memory unit=.KiB.>49152</memory>' || fail "inactive XML lacks the new memory"
pass "redefined while running: runs 32 MiB, next boot 48 MiB"

# Stock `virsh console` on a terminal (script(1) provides one).
out=$(timeout 5 script -qfc "virsh -c '$URI' console sc" /dev/null </dev/null 2>&1)
echo "$out" | grep -q "Connected to domain 'sc'" || fail "virsh console: $out"
echo "$out" | grep -q '^guest: spin t=' || fail "virsh console shows no guest output: $out"
pass "virsh console relays the guest's console"
V list | grep -Eq ' sc +running$' || fail "sc not running after the console session"
V destroy sc >/dev/null
V dominfo sc | grep -Eq '^Max memory: +49152 KiB$' || fail "pending definition not applied: $(V dominfo sc)"
pass "after destroy the new definition is in effect"
xvmd_stop
