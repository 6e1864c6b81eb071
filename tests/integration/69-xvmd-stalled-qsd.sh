#!/bin/bash
# Issue 12 (xvmd): no qemu-storage-daemon and no name lookup holds every
# client; the client that asked waits, the others are served. hv is
# tests/tools/fake-hv (xvmd's loop is what is tested), two xvmd on
# loopback as in 76-xvmd-migrate-native, qemu-storage-daemon through a
# wrapper (XVM_QSD) that can stop the daemon it started with SIGSTOP
# (SIGTERM then stays pending: a daemon that ignores it, still holding
# QEMU's lock on its image) or wait 5 s before it starts one. Other
# clients must answer within 2 s where they waited 5 to 8 s before.
# 1. destroy of a domain whose daemon takes no SIGTERM: the destroy's
#    client waits (SIGKILL after 5 s), another client's list answers
#    meanwhile, and a start of that domain meanwhile waits for the old
#    daemon to end before it starts a new one on the image (else the new
#    one would fail on the image's lock): one daemon at a time.
# 2. live migration A -> B of that domain with A's daemon taking no
#    SIGTERM and B's taking 5 s to start: A's list answers while perform
#    waits for A's daemon, B's list while finish waits for B's (other
#    changes to the domain refused meanwhile, "is being migrated in");
#    the migration succeeds with one daemon on the image.
# 3. --p2p migration to a destination whose name lookup stalls: a third
#    xvmd in a network and mount namespace of its own, whose
#    /etc/resolv.conf names a local UDP socket that never answers (8 s
#    per lookup): its list answers during the lookup, the
#    migration fails with the resolver's error, the guest runs on; the
#    same for a client-driven migration to it whose --migrateuri names
#    a relocation host that stalls likewise (the lookup in prepare).
# Before the fix each list waited for the whole stall (5, 5, 5, 8, 8 s).
# timeout: 200
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
. "$(dirname "$0")/miglib.sh"
FAKE=$TOP/tests/tools/fake-hv
command -v qemu-img >/dev/null && command -v qemu-storage-daemon >/dev/null ||
	fail "qemu-img and qemu-storage-daemon are needed"

cat >"$TMP/qsd" <<'SH'
#!/bin/bash
# qemu-storage-daemon, stopped once up while qsd-stop exists, started
# after 5 s while qsd-slow exists (qsd-slow.started says it waits)
d=${0%/*}
if [ -e "$d/qsd-slow" ]; then touch "$d/qsd-slow.started"; sleep 5; fi
qemu-storage-daemon "$@" || exit
if [ -e "$d/qsd-stop" ]; then
	while [ $# -gt 0 ] && [ "$1" != --pidfile ]; do shift; done
	kill -STOP "$(cat "$2")"
fi
SH
chmod +x "$TMP/qsd"
export XVM_QSD=$TMP/qsd
at_exit 'for f in "$XVM_RUNDIR"/xvmd/qsd/*/qsd.pid "$RUN_B"/xvmd/qsd/*/qsd.pid; do [ -e "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done; true'

xvmd_a_start --hv "$FAKE"
xvmd_b_start --hv "$FAKE"

ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
# timed2 NAME CMD ARGS...: CMD (VA, VB, VC) ARGS succeeds within 2 s
timed2() {
	local t0 t1 out
	t0=$(ms)
	out=$("${@:2}" 2>&1) || fail "$1: ${*:2} failed: $out"
	t1=$(ms)
	(( t1 - t0 < 2000 )) || fail "$1: ${*:2} took $((t1 - t0)) ms"
	pass "$1: ${*:2} answered in $((t1 - t0)) ms"
	LAST_OUT=$out
}
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z ' "/proc/$1/stat"; }
stopped() { grep -q '^State:.*T (stopped)' "/proc/$1/status" 2>/dev/null; }
img=$TMP/s.qcow2
ndaemons() { pgrep -fc -- "filename=$img," || true; }

qemu-img create -q -f qcow2 "$img" 16M || fail "qemu-img create"
dom_xml s1 "workload=spin" "" "<disk type='file'><driver name='qemu' type='qcow2'/><source file='$img'/><target dev='vda'/></disk>"
dom_xml o1 "workload=spin"
VA define "$TMP/s1.xml" >/dev/null || fail "define s1"
VA create "$TMP/o1.xml" >/dev/null || fail "create o1"

# --- 1. a destroy whose daemon ignores SIGTERM; a start meanwhile
touch "$TMP/qsd-stop"
VA start s1 >/dev/null || fail "start s1"
rm -f "$TMP/qsd-stop"
p0=$(cat "$XVM_RUNDIR/xvmd/qsd/s1/qsd.pid") || fail "s1: no daemon"
stopped "$p0" || fail "s1's daemon $p0 is not stopped: $(grep State "/proc/$p0/status")"
pass "s1 runs, its daemon $p0 stopped (SIGTERM will wait)"
t0=$(ms)
( VA destroy s1 >"$TMP/d1.out" 2>&1; echo $? >"$TMP/d1.rc"; echo $(( $(ms) - t0 )) >"$TMP/d1.ms" ) &
bg1=$!
sleep 0.5
timed2 "while destroy s1 waits for its daemon" VA list --all
echo "$LAST_OUT" | grep -Eq ' s1 +shut off' || fail "list during the destroy: $LAST_OUT"
alive "$p0" || fail "the daemon $p0 ended before the destroy's wait was seen"
timed2 "while destroy s1 waits for its daemon" VA dominfo o1
( VA start s1 >"$TMP/s1.out" 2>&1; echo $? >"$TMP/s1.rc"; echo $(( $(ms) - t0 )) >"$TMP/s1.ms" ) &
bg2=$!
sleep 0.5
timed2 "while start s1 waits for the old daemon's end" VA list --all
echo "$LAST_OUT" | grep -Eq ' s1 +paused' || fail "list during the start: $LAST_OUT"
alive "$p0" || fail "the daemon $p0 ended before the start's wait was seen"
[ "$(ndaemons)" = 1 ] || fail "$(ndaemons) daemons on the image during the wait"
wait $bg1
[ "$(cat "$TMP/d1.rc")" = 0 ] || fail "destroy s1: $(cat "$TMP/d1.out")"
wait $bg2
[ "$(cat "$TMP/s1.rc")" = 0 ] || fail "start s1 during the stop: $(cat "$TMP/s1.out")"
alive "$p0" && fail "the old daemon $p0 still runs"
grep -q "qemu-storage-daemon $p0 ignored SIGTERM for 5 s: killed" "$TMP/xvmd.log" ||
	fail "A did not log the SIGKILL of $p0"
p1=$(cat "$XVM_RUNDIR/xvmd/qsd/s1/qsd.pid") && alive "$p1" || fail "s1: no new daemon"
[ "$p1" != "$p0" ] || fail "s1 kept its daemon $p0"
[ "$(ndaemons)" = 1 ] || fail "$(ndaemons) daemons on the image"
k=$(grep -n "qemu-storage-daemon $p0 ignored SIGTERM" "$TMP/xvmd.log" | cut -d: -f1)
n=$(grep -n "dom s1: qemu-storage-daemon pid $p1 serves" "$TMP/xvmd.log" | cut -d: -f1)
[ -n "$n" ] && (( k < n )) || fail "s1's new daemon did not start after the old one's end (lines $k, $n)"
grep -q "dom s1: its qemu-storage-daemon starts once an earlier one stopped" "$TMP/xvmd.log" ||
	fail "A did not log the start's wait"
pass "destroy s1 answered after $(cat "$TMP/d1.ms") ms (its daemon $p0 killed after 5 s); the start meanwhile waited for it and runs daemon $p1 ($(cat "$TMP/s1.ms") ms); one daemon at a time"

# --- 2. migration A -> B: A's daemon ignores SIGTERM, B's starts late
kill -STOP "$p1"
touch "$TMP/qsd-slow"
rm -f "$TMP/qsd-slow.started"
t0=$(ms)
( VA migrate --live s1 "$URI_B" >"$TMP/m.out" 2>&1; echo $? >"$TMP/m.rc"; echo $(( $(ms) - t0 )) >"$TMP/m.ms" ) &
bg=$!
wait_for_line "$TMP/xvmd.log" "dom s1: migrated out" 15 || fail "A's hv did not send s1"
timed2 "A while perform waits for its daemon $p1" VA list --all
echo "$LAST_OUT" | grep -q ' o1 .*running' || fail "A's list: $LAST_OUT"
grep -q "dom s1: the migration waits for the end of its qemu-storage-daemon" "$TMP/xvmd.log" ||
	fail "A's perform does not wait for its daemon"
[ -e "$TMP/qsd-slow.started" ] && fail "B started its daemon while A's still ran"
end=$(deadline_in 20)
until [ -e "$TMP/qsd-slow.started" ]; do
	before "$end" || fail "B's finish did not start its daemon"
	sleep 0.05
done
alive "$p1" && fail "B starts its daemon while A's $p1 still runs"
rm -f "$TMP/qsd-slow"
timed2 "B while finish waits for its daemon" VB list --all
echo "$LAST_OUT" | grep -Eq ' s1 +running' || fail "B's list: $LAST_OUT"
out=$(VB suspend s1 2>&1) && fail "suspend during the finish succeeded"
echo "$out" | grep -q "domain 's1' is being migrated in" || fail "suspend during the finish: $out"
wait $bg
[ "$(cat "$TMP/m.rc")" = 0 ] || fail "migrate s1: $(cat "$TMP/m.out")"
[ "$(VB domstate --reason s1)" = "running (migrated)" ] || fail "s1 on B: $(VB domstate --reason s1 2>&1)"
qb=$(cat "$RUN_B/xvmd/qsd/s1/qsd.pid") && alive "$qb" || fail "s1: no daemon on B"
[ "$(ndaemons)" = 1 ] || fail "$(ndaemons) daemons on the image"
[ ! -e "$XVM_RUNDIR/xvmd/qsd/s1" ] || fail "A's daemon directory of s1 left"
grep -q "qemu-storage-daemon $p1 ignored SIGTERM for 5 s: killed" "$TMP/xvmd.log" || fail "A did not kill $p1"
grep -q "dom s1: qemu-storage-daemon $qb started after the migration" "$TMP/xvmdB.log" ||
	fail "B did not log its daemon's start at finish"
pass "migrated A -> B in $(cat "$TMP/m.ms") ms: A's daemon $p1 killed after 5 s before perform's answer, B's $qb started 5 s late at finish; suspend refused meanwhile: $(echo "$out" | tail -n 1)"
VB destroy s1 >/dev/null || fail "destroy s1 on B"
[ ! -e "$RUN_B/xvmd/qsd/s1" ] || fail "B's daemon directory of s1 left after destroy"
qemu-img check -q "$img" || fail "qemu-img check after the destroy: not clean"
pass "destroy on B answered once its daemon ended: directory gone, qemu-img check clean"

# --- 3. --p2p to a destination whose name lookup stalls (8 s)
RUN_C=$TMP/runC STATE_C=$TMP/stateC
mkdir -p "$RUN_C" "$STATE_C"
printf 'nameserver 127.0.0.1\noptions timeout:8 attempts:1\n' >"$TMP/resolv.conf"
cat >"$TMP/netns.sh" <<'SH'
#!/bin/bash
# in a new network and mount namespace: loopback, our resolv.conf, a
# DNS "server" that takes queries and never answers, then xvmd
set -e
ip link set lo up
mount --bind "$TMP/resolv.conf" /etc/resolv.conf
timeout 150 python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
open(sys.argv[1], "w").close()
time.sleep(150)' "$TMP/dns.ready" &
echo $! >"$TMP/dns.pid"
for _ in $(seq 100); do [ -e "$TMP/dns.ready" ] && break; sleep 0.05; done
[ -e "$TMP/dns.ready" ] || { echo "netns.sh: the DNS sink did not start" >&2; exit 1; }
exec "$@"
SH
chmod +x "$TMP/netns.sh"
rm -f "$RUN_C/libvirt-sock"
TMP=$TMP XVM_RUNDIR=$RUN_C XVM_STATEDIR=$STATE_C unshare -n -m "$TMP/netns.sh" \
	"$XVMD" --cgroup "${XVMD_CGROUP}c" --stop-timeout 5 --hv "$FAKE" \
	</dev/null >>"$TMP/xvmdC.log" 2>&1 &
XVMD_C_PID=$!
at_exit 'kill -9 $XVMD_C_PID 2>/dev/null; [ -e "$TMP/dns.pid" ] && kill "$(cat "$TMP/dns.pid")" 2>/dev/null; for f in "$RUN_C"/hv/*.pid; do [ -e "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done; sleep 0.2; rmdir /sys/fs/cgroup/*/"${XVMD_CGROUP}c"/* /sys/fs/cgroup/*/"${XVMD_CGROUP}c" 2>/dev/null; true'
wait_socket "$RUN_C/libvirt-sock" 10 || { tail -n 20 "$TMP/xvmdC.log"; fail "xvmd C: no socket"; }
VC() { timeout 60 virsh -q -c "xvm+unix:///system?socket=$RUN_C/libvirt-sock" "$@"; }
dom_xml p2 "workload=spin"
VC create "$TMP/p2.xml" >/dev/null || fail "create p2 on C"
t0=$(ms)
( VC migrate --live --p2p p2 "xvm+tcp://stall.example/system" >"$TMP/p.out" 2>&1; echo $? >"$TMP/p.rc"
  echo $(( $(ms) - t0 )) >"$TMP/p.ms" ) &
bg=$!
sleep 1
timed2 "C while the destination's name is looked up" VC list --all
echo "$LAST_OUT" | grep -Eq ' p2 +running' || fail "C's list: $LAST_OUT"
timed2 "C while the destination's name is looked up" VC dominfo p2
kill -0 $bg 2>/dev/null || fail "the --p2p migration ended before the lookup's stall ($(cat "$TMP/p.ms") ms): $(cat "$TMP/p.out")"
wait $bg
[ "$(cat "$TMP/p.rc")" = 1 ] || fail "--p2p to stall.example: exit $(cat "$TMP/p.rc"): $(cat "$TMP/p.out")"
grep -Eq "xvm\+tcp://stall.example/system: (Temporary failure in name resolution|Name or service not known)" "$TMP/p.out" ||
	fail "--p2p to stall.example: $(cat "$TMP/p.out")"
[ "$(VC domstate p2)" = running ] || fail "p2 after the failed --p2p: $(VC domstate --reason p2)"
pass "--p2p to a name whose lookup stalls failed after $(cat "$TMP/p.ms") ms: $(grep -m1 error: "$TMP/p.out"); p2 runs on"
# the same stall in a destination's prepare: the client names the
# relocation host (--migrateuri tcp:stall.example:PORT); A's o1 stays
t0=$(ms)
( VA migrate --live o1 "xvm+unix:///system?socket=$RUN_C/libvirt-sock" \
	--migrateuri "tcp:stall.example:$((PORT_A + 5))" >"$TMP/q.out" 2>&1; echo $? >"$TMP/q.rc"
  echo $(( $(ms) - t0 )) >"$TMP/q.ms" ) &
bg=$!
sleep 1
timed2 "C while a prepare's relocation host is looked up" VC list --all
kill -0 $bg 2>/dev/null || fail "the migration ended before the lookup's stall ($(cat "$TMP/q.ms") ms): $(cat "$TMP/q.out")"
wait $bg
[ "$(cat "$TMP/q.rc")" = 1 ] || fail "migrate to C with --migrateuri tcp:stall.example: exit $(cat "$TMP/q.rc"): $(cat "$TMP/q.out")"
grep -Eq "migration address 'stall.example': (Temporary failure in name resolution|Name or service not known)" "$TMP/q.out" ||
	fail "migrate --migrateuri tcp:stall.example: $(cat "$TMP/q.out")"
[ "$(VA domstate o1)" = running ] || fail "o1 after the failed migration: $(VA domstate --reason o1)"
VC domstate o1 >/dev/null 2>&1 && fail "C kept o1 after the failed prepare"
pass "a prepare whose relocation host's lookup stalls failed after $(cat "$TMP/q.ms") ms: $(grep -m1 error: "$TMP/q.out"); o1 runs on A, nothing on C"
VC destroy p2 >/dev/null || fail "destroy p2"
kill "$XVMD_C_PID"
wait_pid "$XVMD_C_PID" 20 || fail "xvmd C did not stop"

VA destroy o1 >/dev/null
xvmd_b_stop
xvmd_stop
