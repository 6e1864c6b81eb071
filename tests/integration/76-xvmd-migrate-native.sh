#!/bin/bash
# xvmd's side of live migration, run natively with or without KVM: two
# xvmd ("hosts" A and B, each with its own run and state directories)
# listen on loopback TCP and hv is tests/tools/fake-hv, which migrates its
# small state as hv migrates a guest (--incoming, control method migrate;
# its "guest" counts seconds, so a migrated one goes on counting). Checked
# with stock virsh: the TCP allow list (a refused client is closed and
# logged, the daemon serves on); capabilities; virsh migrate --live to
# xvm+tcp://: exit 0, the domain runs on B (migrated) and is gone from A,
# its count goes on, events on both sides; --persistent and
# --undefinesource; domjobinfo during a migration while both daemons serve
# others; failures leaving the guest running on A and nothing on B:
# destination unreachable, name taken, relocation peer not allowed,
# destination hv refusing the stream, bad URIs and unsupported options;
# a domain with a qcow2 disk moves with its image handed from A's
# qemu-storage-daemon to one B starts at finish.
# The real hv is 75-xvmd-migrate.
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
. "$(dirname "$0")/miglib.sh"
FAKE=$TOP/tests/tools/fake-hv

# --- the TCP listener and its allow list
out=$("$XVMD" --listen nonsense:1 2>&1) && fail "xvmd --listen nonsense:1 started"
echo "$out" | grep -q "cannot listen on TCP nonsense:1: not ADDR\[:PORT\] with a numeric address" ||
	fail "--listen nonsense: $out"
out=$("$XVMD" --tcp-allow 10.0.0.0/33 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "tcp-allow: '10.0.0.0/33' is not an address" ||
	fail "--tcp-allow 10.0.0.0/33: exit $rc: $out"
pass "bad --listen and --tcp-allow refused with the reason"

xvmd_a_start --hv "$FAKE" --tcp-allow 192.0.2.0/24
out=$(timeout 20 virsh -c "$URI_A" list 2>&1) && fail "a client not in --tcp-allow was served: $out"
grep -q "TCP client 127.0.0.1 refused (not in --tcp-allow)" "$TMP/xvmd.log" ||
	fail "refused client not logged"
V list >/dev/null || fail "xvmd stopped serving after refusing a TCP client"
pass "TCP client not in --tcp-allow closed ($(echo "$out" | tail -n 1)), logged, unix socket still served"
xvmd_stop

xvmd_a_start --hv "$FAKE"
xvmd_b_start --hv "$FAKE"
[ "$(VA uri)" = "$URI_A" ] || fail "virsh uri over TCP: $(VA uri)"
VA capabilities | tr -d ' \n' | grep -q '<migration_features><live/><uri_transports><uri_transport>tcp</uri_transport></uri_transports></migration_features>' ||
	fail "capabilities: no live tcp migration: $(VA capabilities)"
pass "virsh over xvm+tcp:// served (loopback allowed by default); capabilities advertise live tcp migration"

EVA= EVB=
at_exit '[ -n "$EVA" ] && kill $EVA 2>/dev/null; [ -n "$EVB" ] && kill $EVB 2>/dev/null'
timeout 200 virsh -c "$URI_A" event --all --loop >"$TMP/eventsA" 2>&1 &
EVA=$!
timeout 200 virsh -c "$URI_B" event --all --loop >"$TMP/eventsB" 2>&1 &
EVB=$!

ticks() { sed -n 's/^guest: spin t=\([0-9]*\).*/\1/p' "$1" | tail -n 1; }
wait_tick() {	# LOG T: the guest counted to T
	local end; end=$(deadline_in 30)
	while before "$end"; do
		[ "$(ticks "$1")" -ge "$2" ] 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$1: no 'guest: spin t=$2' (last: $(ticks "$1"))"
}
running_on_a() {	# NAME: still running on A and counting
	local t
	[ "$(VA domstate "$1")" = running ] || fail "$1 on A: $(VA domstate --reason "$1" 2>&1)"
	t=$(ticks "$(conlog "$1")")
	wait_tick "$(conlog "$1")" $((t + 1))
}

# --- a transient domain moves from A to B
dom_xml m1 "workload=spin"
VA create "$TMP/m1.xml" >/dev/null || fail "create m1 on A"
wait_tick "$(conlog m1)" 2
VA migrate --live m1 "$URI_B" || fail "virsh migrate --live m1 $URI_B"
t_a=$(ticks "$(conlog m1)")
VA domstate m1 >/dev/null 2>&1 && fail "m1 still on A: $(VA domstate --reason m1)"
[ "$(VB domstate --reason m1)" = "running (migrated)" ] || fail "m1 on B: $(VB domstate --reason m1 2>&1)"
VB list | grep -q ' m1 .*running' || fail "B's list: $(VB list)"
grep -q "^guest: migrated in at t=$t_a" "$(conlog_b m1)" ||
	fail "B's guest did not go on from t=$t_a: $(cat "$(conlog_b m1)")"
wait_tick "$(conlog_b m1)" $((t_a + 2))
grep -q '^guest: ready' "$(conlog_b m1)" && fail "m1 booted again on B"
[ "$(VB dominfo m1 | awk '/^Persistent:/ {print $2}')" = no ] || fail "m1 became persistent on B"
pass "m1 migrated A -> B: gone from A, running (migrated) on B, counting on from t=$t_a"

# and back, to A's relocation port
VB migrate --live m1 "$URI_A" || fail "migrate m1 back to A"
[ "$(VA domstate --reason m1)" = "running (migrated)" ] || fail "m1 back on A: $(VA domstate --reason m1 2>&1)"
no_trace_b m1
pass "m1 migrated back B -> A"
VA destroy m1 >/dev/null

# --- peer-to-peer: A's xvmd drives B's prepare and finish itself
VA create "$TMP/m1.xml" >/dev/null || fail "create m1 on A again"
wait_tick "$(conlog m1)" 1
VA migrate --live --p2p m1 "$URI_B" || fail "virsh migrate --live --p2p m1 $URI_B"
VA domstate m1 >/dev/null 2>&1 && fail "m1 still on A after --p2p"
[ "$(VB domstate --reason m1)" = "running (migrated)" ] || fail "m1 on B after --p2p: $(VB domstate --reason m1 2>&1)"
grep -q "dom m1: peer-to-peer migration to $URI_B" "$TMP/xvmd.log" || fail "A did not drive it"
VB migrate --live --p2p --persistent m1 "xvm+unix:///system?socket=$XVM_RUNDIR/libvirt-sock" ||
	fail "--p2p back to A over its unix socket"
[ "$(VA dominfo m1 | awk '/^Persistent:/ {print $2}')" = yes ] || fail "m1 not persistent on A after --p2p --persistent"
no_trace_b m1
out=$(VA migrate --live --p2p m1 "xvm+tcp://127.0.0.1:$((PORT_A + 3))/system" 2>&1) && fail "--p2p to nobody succeeded"
echo "$out" | grep -q "cannot connect to the destination xvm+tcp://127.0.0.1:$((PORT_A + 3))/system: Connection refused" ||
	fail "--p2p to nobody: $out"
running_on_a m1
pass "--p2p: A -> B (A's xvmd as B's client), back over a unix socket with --persistent, to nobody: '$out', m1 runs on"
# a destination that accepts and then says nothing: the migration fails
# after xvmd's 30 s step limit, and A serves everyone meanwhile
SILENT=$((PORT_A + 4))
timeout 60 /usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4); print("ready", flush=True)
c, _ = s.accept(); time.sleep(55)' "$SILENT" >"$TMP/silent.out" 2>&1 &
SPID=$!
at_exit "kill $SPID 2>/dev/null"
end=$(deadline_in 10)
until grep -q ready "$TMP/silent.out"; do before "$end" || fail "silent listener did not start"; sleep 0.1; done
VA migrate --live --p2p m1 "xvm+tcp://127.0.0.1:$SILENT/system" >"$TMP/silent.mig" 2>&1 &
mpid=$!
sleep 2
t0=$(date +%s%N); VA list >/dev/null || fail "A does not answer during the silent p2p"; t1=$(date +%s%N)
wait $mpid && fail "--p2p to a silent destination succeeded"
grep -q "the destination xvm+tcp://127.0.0.1:$SILENT/system did not connect, or answer AUTH_LIST within 30 s" "$TMP/silent.mig" ||
	fail "--p2p to a silent destination: $(cat "$TMP/silent.mig")"
running_on_a m1
kill $SPID 2>/dev/null
pass "--p2p to a destination that never answers: '$(cat "$TMP/silent.mig")' after 30 s; virsh list on A meanwhile took $(( (t1 - t0) / 1000000 )) ms; m1 runs on"
VA destroy m1 >/dev/null; VA undefine m1 >/dev/null

# --- an image disk: the destination's hv starts without its daemon
# (--vhost-user-blk ...,wait), A stops its daemon before perform is
# answered, B starts its own at finish; one daemon at a time
command -v qemu-img >/dev/null && command -v qemu-storage-daemon >/dev/null ||
	fail "qemu-img and qemu-storage-daemon are needed"
qemu-img create -q -f qcow2 "$TMP/m4.qcow2" 16M || fail "qemu-img create"
at_exit 'for f in "$XVM_RUNDIR"/xvmd/qsd/*/qsd.pid "$RUN_B"/xvmd/qsd/*/qsd.pid; do [ -e "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done; true'
dom_xml m4 "workload=spin" "" "<disk type='file'><driver name='qemu' type='qcow2'/><source file='$TMP/m4.qcow2'/><target dev='vda'/></disk>"
VA create "$TMP/m4.xml" >/dev/null || fail "create m4"
qa=$(cat "$XVM_RUNDIR/xvmd/qsd/m4/qsd.pid") || fail "m4: no daemon on A"
VA migrate --live m4 "$URI_B" || fail "migrate m4 with its qcow2 disk"
[ "$(VB domstate --reason m4)" = "running (migrated)" ] || fail "m4 on B: $(VB domstate --reason m4 2>&1)"
[ ! -e "$XVM_RUNDIR/xvmd/qsd/m4" ] || fail "A's daemon directory of m4 left"
qb=$(cat "$RUN_B/xvmd/qsd/m4/qsd.pid") || fail "m4: no daemon on B"
[ "$(pgrep -fc -- "filename=$TMP/m4.qcow2,")" = 1 ] || fail "daemons on the image: $(pgrep -af -- "filename=$TMP/m4.qcow2,")"
tr '\0' ' ' <"/proc/$(cat "$RUN_B/hv/m4.pid")/cmdline" | grep -q -- "--vhost-user-blk $RUN_B/xvmd/qsd/m4/disk0.sock,wait,queues=1" ||
	fail "B's hv: $(tr '\0' ' ' <"/proc/$(cat "$RUN_B/hv/m4.pid")/cmdline")"
a_stop=$(grep -n "dom m4: qemu-storage-daemon $qa stopped" "$TMP/xvmd.log" | cut -d: -f1)
[ -n "$a_stop" ] || fail "A did not stop its daemon $qa"
grep -q "dom m4: qemu-storage-daemon $qb started after the migration" "$TMP/xvmdB.log" || fail "B did not start its daemon at finish"
VB destroy m4 >/dev/null
[ ! -e "$RUN_B/xvmd/qsd/m4" ] || fail "B's daemon directory of m4 left after destroy"
qemu-img check -q "$TMP/m4.qcow2" || fail "qemu-img check: m4.qcow2 not clean"
no_trace_b m4
pass "m4 (qcow2 disk) migrated: A's daemon $qa stopped before the answer, B's hv waited (,wait,queues=1), B's daemon $qb started at finish; one daemon at a time, none left"

# --- persistent domains: --persistent, --undefinesource
dom_xml m2 "workload=spin"
VA define "$TMP/m2.xml" >/dev/null && VA start m2 >/dev/null || fail "start m2"
VA migrate --live --persistent --undefinesource m2 "$URI_B" || fail "migrate --persistent --undefinesource m2"
VA domstate m2 >/dev/null 2>&1 && fail "m2 still defined on A: $(VA domstate --reason m2)"
[ -e "$XVM_STATEDIR/domains/m2.xml" ] && fail "m2's definition left on A"
[ "$(VB dominfo m2 | awk '/^Persistent:/ {print $2}')" = yes ] || fail "m2 not persistent on B"
[ -e "$STATE_B/domains/m2.xml" ] || fail "m2 not defined in B's state directory"
VB destroy m2 >/dev/null
[ "$(VB domstate m2)" = "shut off" ] || fail "m2 on B after destroy: $(VB domstate m2)"
pass "--persistent --undefinesource: m2 defined on B (kept when destroyed), undefined on A"
VB undefine m2 >/dev/null

dom_xml m3 "workload=spin"
VA define "$TMP/m3.xml" >/dev/null && VA start m3 >/dev/null || fail "start m3"
VA migrate --live m3 "$URI_B" || fail "migrate m3"
[ "$(VA domstate --reason m3)" = "shut off (migrated)" ] || fail "m3 on A: $(VA domstate --reason m3)"
[ "$(VB dominfo m3 | awk '/^Persistent:/ {print $2}')" = no ] || fail "m3 persistent on B without --persistent"
pass "without --undefinesource m3 stays defined on A, shut off (migrated); transient on B"
VB destroy m3 >/dev/null; no_trace_b m3

# --- domjobinfo while hv sends; both daemons serve others meanwhile
dom_xml slowmigrate1 "workload=spin"
VA create "$TMP/slowmigrate1.xml" >/dev/null || fail "create slowmigrate1"
VA migrate --live slowmigrate1 "$URI_B" >"$TMP/slow.out" 2>&1 &
mpid=$!
end=$(deadline_in 20)
until VA domjobinfo slowmigrate1 2>/dev/null | grep -q 'Job type: *Unbounded'; do
	before "$end" || fail "domjobinfo shows no migration job: $(VA domjobinfo slowmigrate1 2>&1)"
	sleep 0.1
done
VA list >/dev/null && VB list >/dev/null || fail "a daemon stopped serving during the migration"
expect_fail "is being migrated" shutdown slowmigrate1
touch "$XVM_RUNDIR/hv/slowmigrate1.sock.go"
wait $mpid || fail "slow migration failed: $(cat "$TMP/slow.out")"
[ "$(VB domstate slowmigrate1)" = running ] || fail "slowmigrate1 on B: $(VB domstate slowmigrate1 2>&1)"
pass "domjobinfo shows the migration (Unbounded), A and B serve meanwhile, shutdown refused, then it completes"
VB destroy slowmigrate1 >/dev/null

# --- events on both sides (virsh event prints them as they come)
sleep 0.5
grep -q "event 'lifecycle' for domain 'm1': Stopped Migrated" "$TMP/eventsA" ||
	fail "A: no Stopped Migrated event: $(cat "$TMP/eventsA")"
grep -q "event 'lifecycle' for domain 'm1': Started Migrated" "$TMP/eventsB" ||
	fail "B: no Started Migrated event: $(cat "$TMP/eventsB")"
pass "events: A Stopped Migrated, B Started Migrated"

# --- failures: the guest runs on at A, nothing is left at B
dom_xml f1 "workload=spin"
VA create "$TMP/f1.xml" >/dev/null || fail "create f1"
wait_tick "$(conlog f1)" 1
out=$(VA migrate --live f1 "xvm+tcp://127.0.0.1:$((PORT_A + 3))/system" 2>&1) &&
	fail "migration to nobody succeeded"
echo "$out" | grep -q "unable to connect to server at '127.0.0.1:$((PORT_A + 3))': Connection refused" ||
	fail "unreachable destination: $out"
running_on_a f1
pass "destination unreachable: '$out', f1 runs on at A"

dom_xml f1 "workload=spin"
VB create "$TMP/f1.xml" >/dev/null || fail "create f1 on B"
out=$(VA migrate --live f1 "$URI_B" 2>&1) && fail "migration onto a taken name succeeded"
echo "$out" | grep -Eq "already (active|exists)" || fail "name taken: $out"
running_on_a f1
[ "$(VB list | grep -c ' f1 ')" = 1 ] || fail "B: $(VB list)"
out=$(VA migrate --live --p2p f1 "$URI_B" 2>&1) && fail "--p2p onto a taken name succeeded"
echo "$out" | grep -Eq "already (active|exists)" || fail "--p2p name taken: $out"
running_on_a f1
VB destroy f1 >/dev/null; no_trace_b f1
pass "name taken on B: '$out' (also with --p2p); f1 runs on at A, B's own f1 untouched"

dom_xml migrefuse1 "workload=spin"
VA create "$TMP/migrefuse1.xml" >/dev/null || fail "create migrefuse1"
out=$(VA migrate --live migrefuse1 "$URI_B" 2>&1) && fail "a refused stream migrated"
echo "$out" | grep -q "migration of 'migrefuse1' failed: hv: destination refused the stream: injected refusal" ||
	fail "refused stream: $out"
running_on_a migrefuse1
no_trace_b migrefuse1
pass "destination hv refuses the stream: '$out'; guest runs on at A, nothing at B"
VA destroy migrefuse1 >/dev/null

for bad in "foo:bar" "tcp:" "tcp://127.0.0.1:99999"; do
	out=$(VA migrate --live f1 "$URI_B" --migrateuri "$bad" 2>&1) && fail "--migrateuri $bad accepted"
	echo "$out" | grep -q "migration URI '$bad': expected tcp:HOST\[:PORT\]" || fail "--migrateuri $bad: $out"
done
out=$(VA migrate --live f1 "$URI_B" --migrateuri tcp:192.0.2.1:9 2>&1) && fail "--migrateuri to an address B lacks accepted"
echo "$out" | grep -q "cannot listen for the migration on 192.0.2.1 port 9: Cannot assign requested address" ||
	fail "foreign address: $out"
out=$(VA migrate --live f1 "$URI_B" --dname other 2>&1) && fail "--dname accepted"
echo "$out" | grep -q "renaming the domain while migrating (--dname) is not supported" || fail "--dname: $out"
VA dumpxml f1 >"$TMP/f1-dest.xml"
out=$(VA migrate --live f1 "$URI_B" --xml "$TMP/f1-dest.xml" 2>&1) && fail "--xml accepted"
echo "$out" | grep -q "changed domain XML for the destination (--xml) is not supported" || fail "--xml: $out"
out=$(VA migrate --live --p2p f1 "$URI_B" --migrateuri tcp:127.0.0.1 2>&1) && fail "--p2p --migrateuri accepted"
echo "$out" | grep -q "a migration URI (--migrateuri) with --p2p: the destination chooses" || fail "--p2p --migrateuri: $out"
out=$(VA migrate --live --p2p f1 "xvm+ssh://127.0.0.1/system" 2>&1) && fail "--p2p to xvm+ssh accepted"
echo "$out" | grep -q "expected xvm+tcp://HOST\[:PORT\]/system, xvm+tls://HOST\[:PORT\]/system or xvm+unix:///system?socket=PATH" || fail "--p2p xvm+ssh: $out"
out=$(VA migrate --live nosuch "$URI_B" 2>&1) && fail "unknown domain migrated"
echo "$out" | grep -q "failed to get domain 'nosuch'" || fail "unknown domain: $out"
running_on_a f1
no_trace_b f1
pass "bad URIs, --dname, --xml, --p2p with a URI or a destination it cannot reach, unknown domain refused with the reason; f1 runs on, nothing at B"

# relocation peers: B allows only 192.0.2.0/24
xvmd_b_stop
xvmd_b_start --hv "$FAKE" --relocation-hosts-allow 192.0.2.0/24
out=$(VA migrate --live f1 "$URI_B" 2>&1) && fail "a stream from a peer B does not allow migrated"
echo "$out" | grep -q "migration of 'f1' failed: hv: " || fail "refused peer: $out"
grep -q "dom f1: migration stream from 127.0.0.1 refused (not in --relocation-hosts-allow)" "$TMP/xvmdB.log" ||
	fail "B did not log the refused peer"
running_on_a f1
no_trace_b f1
VB list >/dev/null || fail "B stopped serving"
pass "relocation peer not in B's --relocation-hosts-allow refused and logged: '$out'; f1 runs on at A"
VA destroy f1 >/dev/null
xvmd_b_stop
xvmd_stop
