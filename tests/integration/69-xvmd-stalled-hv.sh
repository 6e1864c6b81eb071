#!/bin/bash
# Issue 12 finding 9 (xvmd side): one domain's hv, or vswitchd, that
# accepts a call and never answers must not hold every client. hv is
# tests/tools/fake-hv (the loop is what is tested), stopped with SIGSTOP:
# its control socket still accepts (the kernel does that), nothing
# answers. While a client's suspend/destroy of that domain waits, other
# clients' virsh list, dominfo, suspend/resume of another domain answer;
# the waiting call fails with hv's timeout, destroy kills the stopped hv;
# domblkstat (hv's blkstats) likewise, with its 2 s limit.
# vswitchd stopped the same way: domifstat waits for it on the loop too
# and fails after xvmd's 2 s limit per vswitchd call while others are
# served, and works again once vswitchd runs. domstats with stuck's hv
# stopped: answered after hv's limit with every domain, others served
# meanwhile. A start whose vnic.create vswitchd (stopped) does not answer
# waits on the loop, is refused a second time ("is being started") and
# fails cleanly (no hv, no VNIC once vswitchd goes on); a destroy with
# vswitchd stopped answers at once, the VNIC goes once it runs. Times
# are printed; a live attach-interface with vswitchd stopped waits on
# the loop too and fails cleanly, and so does a start whose
# qemu-storage-daemon never comes up (30 s). A detach, then at once an
# attach of the same MAC (and a destroy, then that MAC hot-plugged into
# another domain), vswitchd stopped meanwhile: the attach waits for the
# delete and succeeds; a domain destroyed while its attach waits gets no
# VNIC. An hv whose exit comes 4 s after its control socket closed is
# awaited on the loop (its shutdown and its destroy; others answer within
# 2 s, they waited 3 s before). A new xvmd serves during a start when it
# is an autostart, and its stop undoes the start. Bounds are generous (3 s; before the fix list waited
# 4.6 s), 1 s for the paths converted last (issue 12's goal).
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
. "$(dirname "$0")/xvmdlib.sh"
net_require
vsw_start
stub=$(vname 9)
vna create-etherstub -t "$stub"
# qemu-storage-daemon through a wrapper that hangs (its launcher never
# exits, as one whose exports do not come up) while $TMP/qsd-hang exists
cat >"$TMP/qsd" <<'SH'
#!/bin/sh
[ -e "${0%/*}/qsd-hang" ] && exec sleep 61.5
exec qemu-storage-daemon "$@"
SH
chmod +x "$TMP/qsd"
XVM_QSD=$TMP/qsd xvmd_start --hv "$TOP/tests/tools/fake-hv"
STOPPED=
at_exit '[ -n "$STOPPED" ] && kill -CONT $STOPPED 2>/dev/null'

nic="<interface type='bridge'><source bridge='$stub'/></interface>"
truncate -s 1M "$TMP/stuck.img"
dom_xml stuck "workload=spin" "" "$nic<disk type='file'><source file='$TMP/stuck.img'/><target dev='vda'/></disk>"
dom_xml other "workload=spin"
V create "$TMP/stuck.xml" >/dev/null || fail "create stuck"
V create "$TMP/other.xml" >/dev/null || fail "create other"
hvpid=$(cat "$XVM_RUNDIR/hv/stuck.pid") || fail "no pid file for stuck's hv"
ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

# timed_in MS NAME ARGS...: virsh ARGS succeeds within MS ms; prints
# the time; its output in LAST_OUT.
timed_in() {
	local t0 t1 out
	t0=$(ms)
	out=$(V "${@:3}" 2>&1) || fail "$2: virsh ${*:3} failed: $out"
	t1=$(ms)
	(( t1 - t0 < $1 )) || fail "$2: virsh ${*:3} took $((t1 - t0)) ms"
	pass "$2: virsh ${*:3} answered in $((t1 - t0)) ms"
	LAST_OUT=$out
}
# timed: within 3 s; timed2: 2 s (where the old wait in the loop was 3 s
# or more: a loaded machine stays well under it); timed1: 1 s
timed() { timed_in 3000 "$@"; }
timed2() { timed_in 2000 "$@"; }
timed1() { timed_in 1000 "$@"; }	# issue 12's goal

kill -STOP "$hvpid"; STOPPED=$hvpid
pass "stuck's hv (pid $hvpid) stopped"

# A client's suspend of stuck waits for hv on the loop, not in it.
t0=$(ms)
( V suspend stuck >"$TMP/susp.out" 2>&1; echo $? >"$TMP/susp.rc"
  echo $(( $(ms) - t0 )) >"$TMP/susp.ms" ) &
bg=$!
sleep 0.5
timed "while suspend stuck waits" list --all
echo "$LAST_OUT" | grep -q ' other .*running' || fail "list: $LAST_OUT"
timed "while suspend stuck waits" dominfo other
echo "$LAST_OUT" | grep -Eq '^State: +running' || fail "dominfo other: $LAST_OUT"
timed "while suspend stuck waits" suspend other
timed "while suspend stuck waits" resume other
wait $bg
[ "$(cat "$TMP/susp.rc")" = 1 ] || fail "suspend stuck: exit $(cat "$TMP/susp.rc"): $(cat "$TMP/susp.out")"
grep -q "hv pause of 'stuck': pause: no reply within 5000 ms" "$TMP/susp.out" ||
	fail "suspend stuck: $(cat "$TMP/susp.out")"
pass "suspend stuck failed after $(cat "$TMP/susp.ms") ms: $(grep -m1 error "$TMP/susp.out")"
[ "$(V domstate stuck)" = running ] || fail "stuck: domstate $(V domstate stuck) after the failed suspend"
pass "stuck still running (the failed suspend changed nothing)"

# domblkstat asks hv for its counters on the loop too (2 s limit).
t0=$(ms)
( V domblkstat stuck vda >"$TMP/blk.out" 2>&1; echo $? >"$TMP/blk.rc"
  echo $(( $(ms) - t0 )) >"$TMP/blk.ms" ) &
bg=$!
sleep 0.5
timed "while domblkstat stuck waits" list --all
wait $bg
[ "$(cat "$TMP/blk.rc")" = 1 ] || fail "domblkstat stuck: exit $(cat "$TMP/blk.rc"): $(cat "$TMP/blk.out")"
grep -q "hv blkstats of 'stuck': blkstats: no reply within 2000 ms" "$TMP/blk.out" ||
	fail "domblkstat stuck: $(cat "$TMP/blk.out")"
pass "domblkstat stuck failed after $(cat "$TMP/blk.ms") ms: $(grep -m1 error "$TMP/blk.out")"

# destroy of the stopped hv: asked, no answer within 5 s, killed.
t0=$(ms)
( V destroy stuck >"$TMP/destroy.out" 2>&1; echo $? >"$TMP/destroy.rc"
  echo $(( $(ms) - t0 )) >"$TMP/destroy.ms" ) &
bg=$!
sleep 0.5
timed "while destroy stuck waits" list --all
timed "while destroy stuck waits" dominfo other
wait $bg
[ "$(cat "$TMP/destroy.rc")" = 0 ] || fail "destroy stuck: $(cat "$TMP/destroy.out")"
STOPPED=
[ "$(V domstate stuck 2>&1)" != running ] || fail "stuck still running after destroy"
kill -0 "$hvpid" 2>/dev/null && fail "stuck's hv $hvpid still alive after destroy"
grep -q "dom stuck: hv destroy: destroy: no reply within 5000 ms; killing hv" "$TMP/xvmd.log" ||
	fail "xvmd.log does not say why hv was killed: $(tail -n 5 "$TMP/xvmd.log")"
pass "destroy stuck: hv killed after $(cat "$TMP/destroy.ms") ms, domain gone"

# vswitchd stopped: its calls fail after xvmd's 2 s limit.
V create "$TMP/stuck.xml" >/dev/null || fail "create stuck again"
vnic=$(V domiflist stuck | awk '$1 ~ /^xvm/ {print $1}')
[ -n "$vnic" ] || fail "stuck has no VNIC: $(V domiflist stuck)"
V domifstat stuck "$vnic" >/dev/null || fail "domifstat with vswitchd running"
V domblkstat stuck vda | grep -Eq '^vda +wr_bytes +512 *$' || fail "domblkstat with hv running: $(V domblkstat stuck vda)"
kill -STOP "$VSW_PID"; STOPPED=$VSW_PID
t0=$(ms)
( V domifstat stuck "$vnic" >"$TMP/ifstat.out" 2>&1; echo $? >"$TMP/ifstat.rc"
  echo $(( $(ms) - t0 )) >"$TMP/ifstat.ms" ) &
bg=$!
sleep 0.5
timed "while domifstat waits on a stopped vswitchd" list --all
wait $bg
[ "$(cat "$TMP/ifstat.rc")" = 1 ] || fail "domifstat: exit $(cat "$TMP/ifstat.rc"): $(cat "$TMP/ifstat.out")"
grep -q "no reply within 2000 ms" "$TMP/ifstat.out" || fail "domifstat: $(cat "$TMP/ifstat.out")"
pass "domifstat with vswitchd stopped failed after $(cat "$TMP/ifstat.ms") ms: $(grep -m1 error "$TMP/ifstat.out")"
kill -CONT "$VSW_PID"; STOPPED=
V domifstat stuck "$vnic" >/dev/null || fail "domifstat after vswitchd went on"
pass "domifstat answers again once vswitchd runs"

# domstats with stuck's hv stopped: the blkstats calls wait on the loop
# (2 s each, all at once); others are served, and the reply has every
# domain, stuck's disk without counters, other's state.
hvpid=$(cat "$XVM_RUNDIR/hv/stuck.pid") || fail "no pid file for stuck's hv"
kill -STOP "$hvpid"; STOPPED=$hvpid
t0=$(ms)
( V domstats --state --block >"$TMP/gs.out" 2>&1; echo $? >"$TMP/gs.rc"
  echo $(( $(ms) - t0 )) >"$TMP/gs.ms" ) &
bg=$!
sleep 0.5
timed1 "while domstats waits on stuck's hv" list --all
echo "$LAST_OUT" | grep -q ' other .*running' || fail "list: $LAST_OUT"
wait $bg
[ "$(cat "$TMP/gs.rc")" = 0 ] || fail "domstats: exit $(cat "$TMP/gs.rc"): $(cat "$TMP/gs.out")"
grep -q "Domain: 'other'" "$TMP/gs.out" && grep -A2 "Domain: 'other'" "$TMP/gs.out" | grep -q 'state.state=1' ||
	fail "domstats has no running other: $(cat "$TMP/gs.out")"
grep -A6 "Domain: 'stuck'" "$TMP/gs.out" | grep -q 'block.0.name=vda' ||
	fail "domstats has no disk of stuck: $(cat "$TMP/gs.out")"
grep -A12 "Domain: 'stuck'" "$TMP/gs.out" | grep -q 'block.0.rd.reqs' &&
	fail "domstats gave counters from a stopped hv: $(cat "$TMP/gs.out")"
pass "domstats with stuck's hv stopped answered in $(cat "$TMP/gs.ms") ms: other running, stuck's vda without counters"
kill -CONT "$hvpid"; STOPPED=
V domstats --block stuck | grep -q 'block.0.wr.bytes=512' || fail "domstats after hv went on: $(V domstats --block stuck)"
pass "domstats has stuck's counters again once its hv runs"

# A start whose VNIC vswitchd does not create (stopped): the start waits
# on the loop (VIF_CALL_MS), other clients are served, a second start, a
# destroy, a suspend or an undefine of that domain is refused while it
# starts; it fails cleanly:
# shut off, no hv, and no VNIC once vswitchd goes on (the delete of the
# VNIC the timed-out call may have made is sent anyway).
dom_xml late "workload=spin" "" "$nic"
V define "$TMP/late.xml" >/dev/null || fail "define late"
nvnics() { "$VNICADM" show-vnic | grep -c '^xvm'; }
before=$(nvnics)
kill -STOP "$VSW_PID"; STOPPED=$VSW_PID
t0=$(ms)
( V start late >"$TMP/start.out" 2>&1; echo $? >"$TMP/start.rc"
  echo $(( $(ms) - t0 )) >"$TMP/start.ms" ) &
bg=$!
sleep 0.5
timed1 "while start late waits on a stopped vswitchd" list --all
echo "$LAST_OUT" | grep -Eq ' late +paused' || fail "list during the start: $LAST_OUT"
timed1 "while start late waits on a stopped vswitchd" dominfo other
# virsh itself refuses a second start (the domain has its id: "Domain
# is already active", as with libvirt); xvmd refuses the others
out=$(V start late 2>&1) && fail "a second start of late succeeded: $out"
for op in destroy suspend undefine; do
	out=$(V $op late 2>&1) && fail "$op of a starting late succeeded: $out"
	echo "$out" | grep -q "domain 'late' is being started" || fail "$op while starting: $out"
done
pass "start, destroy, suspend and undefine of late refused while it starts: $(echo "$out" | tail -n 1)"
# a define meanwhile waits for the domain's stop: the failed start is one
uuid=$(V domuuid late) || fail "domuuid late"
sed -e 's/workload=spin/workload=spin x69=1/' \
    -e "s|<name>late</name>|<name>late</name><uuid>$uuid</uuid>|" "$TMP/late.xml" >"$TMP/late2.xml"
grep -q 'x69=1' "$TMP/late2.xml" && grep -q "<uuid>$uuid" "$TMP/late2.xml" ||
	fail "late2.xml has no x69=1 or uuid: $(cat "$TMP/late2.xml")"
out=$(V define "$TMP/late2.xml" 2>&1) || fail "define late while it starts: $out"
wait $bg
[ "$(cat "$TMP/start.rc")" = 1 ] || fail "start late: exit $(cat "$TMP/start.rc"): $(cat "$TMP/start.out")"
grep -q "vnic creation over $stub failed: vnic.create: no reply within 2000 ms" "$TMP/start.out" ||
	fail "start late: $(cat "$TMP/start.out")"
pass "start late failed after $(cat "$TMP/start.ms") ms: $(grep -m1 error "$TMP/start.out")"
[ "$(V domstate late)" = "shut off" ] || fail "late: $(V domstate late) after the failed start"
[ -e "$XVM_RUNDIR/hv/late.pid" ] && fail "late has an hv pid file after the failed start"
pgrep -f -- "--name late " >/dev/null && fail "an hv of late runs after the failed start"
kill -CONT "$VSW_PID"; STOPPED=
for _ in $(seq 50); do [ "$(nvnics)" = "$before" ] && break; sleep 0.1; done
[ "$(nvnics)" = "$before" ] || fail "VNICs left after the failed start: $("$VNICADM" show-vnic)"
pass "late shut off, no hv, no VNIC left ($before VNICs, as before): $(grep -E 'vnic xvm[0-9]+_0: (deleted \(late\)|delete:)' "$TMP/xvmd.log" | tail -n 1)"
V dumpxml late | grep -q 'x69=1' ||
	fail "the definition made while late started is not the one it has after the failed start: $(V dumpxml late | grep -i cmdline)"
pass "the definition made during the failed start is late's definition after it"
V start late >/dev/null || fail "start late with vswitchd running"
[ "$(V domstate late)" = running ] || fail "late: $(V domstate late)"
pass "late starts once vswitchd runs"

# vswitchd stopped while domains stop: their VNICs' deletes wait on the
# loop; list answers meanwhile, and the VNICs go once vswitchd goes on.
kill -STOP "$VSW_PID"; STOPPED=$VSW_PID
timed1 "destroy late with vswitchd stopped" destroy late
timed1 "after destroy late, vswitchd stopped" list --all
kill -CONT "$VSW_PID"; STOPPED=
for _ in $(seq 80); do [ "$(nvnics)" = "$before" ] && break; sleep 0.1; done
[ "$(nvnics)" = "$before" ] || fail "late's VNIC left after its destroy: $("$VNICADM" show-vnic)"
pass "late's VNIC deleted once vswitchd went on"

# A live attach whose VNIC vswitchd (stopped) does not make: waited for
# on the loop, others served, fails after 2 s; nothing is left once
# vswitchd goes on (the VNIC the timed-out call made is deleted).
before=$(nvnics)
kill -STOP "$VSW_PID"; STOPPED=$VSW_PID
t0=$(ms)
( V attach-interface stuck bridge "$stub" >"$TMP/att.out" 2>&1; echo $? >"$TMP/att.rc"
  echo $(( $(ms) - t0 )) >"$TMP/att.ms" ) &
bg=$!
sleep 0.5
timed1 "while attach-interface waits on a stopped vswitchd" list --all
wait $bg
[ "$(cat "$TMP/att.rc")" = 1 ] || fail "attach: exit $(cat "$TMP/att.rc"): $(cat "$TMP/att.out")"
grep -q "vnic creation over $stub failed: vnic.create: no reply within 2000 ms" "$TMP/att.out" ||
	fail "attach: $(cat "$TMP/att.out")"
pass "attach-interface failed after $(cat "$TMP/att.ms") ms: $(grep -m1 error: "$TMP/att.out")"
kill -CONT "$VSW_PID"; STOPPED=
for _ in $(seq 80); do [ "$(nvnics)" = "$before" ] && break; sleep 0.1; done
[ "$(nvnics)" = "$before" ] || fail "VNIC left after the failed attach: $("$VNICADM" show-vnic)"
[ "$(V domiflist stuck | grep -c '^ *xvm')" = 1 ] || fail "stuck's NICs after the failed attach: $(V domiflist stuck)"
pass "the failed attach left no VNIC, stuck has its one NIC"

# A start whose qemu-storage-daemon does not come up: waited for on the
# loop (30 s), others served; it fails with nothing left (launcher
# killed, its directory gone, no VNIC, no hv); then it starts.
qemu-img create -q -f qcow2 "$TMP/qd.qcow2" 1M || fail "qemu-img create"
dom_xml qd "workload=spin" "" "$nic<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$TMP/qd.qcow2'/><target dev='vda' bus='virtio'/></disk>"
V define "$TMP/qd.xml" >/dev/null || fail "define qd"
before=$(nvnics)
touch "$TMP/qsd-hang"
t0=$(ms)
( timeout 60 virsh -q -c "$URI" start qd >"$TMP/qd.out" 2>&1; echo $? >"$TMP/qd.rc"
  echo $(( $(ms) - t0 )) >"$TMP/qd.ms" ) &
bg=$!
sleep 1
pgrep -f "sleep 61.5" >/dev/null || fail "the hanging qemu-storage-daemon did not start"
timed1 "while start qd waits for its qemu-storage-daemon" list --all
echo "$LAST_OUT" | grep -Eq ' qd +paused' || fail "list during qd's start: $LAST_OUT"
timed1 "while start qd waits for its qemu-storage-daemon" domstats --state other
wait $bg
[ "$(cat "$TMP/qd.rc")" = 1 ] || fail "start qd: exit $(cat "$TMP/qd.rc"): $(cat "$TMP/qd.out")"
grep -q "qemu-storage-daemon for 'qd' did not start in 30 s" "$TMP/qd.out" || fail "start qd: $(cat "$TMP/qd.out")"
pass "start qd failed after $(cat "$TMP/qd.ms") ms: $(grep -m1 error: "$TMP/qd.out" | tail -n 1)"
rm -f "$TMP/qsd-hang"
pgrep -f "sleep 61.5" >/dev/null && fail "the hanging launcher was left running"
[ -e "$XVM_RUNDIR/xvmd/qsd/qd" ] && fail "qd's daemon directory left"
[ "$(V domstate qd)" = "shut off" ] || fail "qd: $(V domstate qd)"
for _ in $(seq 50); do [ "$(nvnics)" = "$before" ] && break; sleep 0.1; done
[ "$(nvnics)" = "$before" ] || fail "qd's VNIC left: $("$VNICADM" show-vnic)"
pass "qd shut off: launcher killed, no daemon directory, no VNIC, no hv"
V start qd >/dev/null || fail "start qd with its daemon working: $(tail -n 3 "$TMP/xvmd.log")"
[ "$(V domstate qd)" = running ] || fail "qd: $(V domstate qd)"
pass "qd starts once its daemon comes up (pid $(cat "$XVM_RUNDIR/xvmd/qsd/qd/qsd.pid"))"
V destroy qd >/dev/null || fail "destroy qd"

# An hv that closes its control socket 4 s before it exits (fake-hv's
# "slowexit"): how it exited (0, 10 reboot, 11 crash) chooses the on_*
# action, so its exit is awaited, on the loop (5 s at most): others are
# served meanwhile; the shutdown ends as shut off (shutdown) once it
# exited; a destroy's answer waits for the exit, so the client sees
# shut off (destroyed) at once after it.
dom_xml slowexit "workload=spin"
V define "$TMP/slowexit.xml" >/dev/null && V start slowexit >/dev/null || fail "start slowexit"
sxpid=$(cat "$XVM_RUNDIR/hv/slowexit.pid") || fail "no pid file for slowexit's hv"
V shutdown slowexit >/dev/null || fail "shutdown slowexit"
sleep 0.3
timed2 "while slowexit's hv exits late" list --all
kill -0 "$sxpid" 2>/dev/null || fail "slowexit's hv $sxpid already gone: the wait was not seen"
timed2 "while slowexit's hv exits late" dominfo other
expect_state slowexit "shut off" 12
[ "$(V domstate --reason slowexit)" = "shut off (shutdown)" ] ||
	fail "slowexit after its shutdown: $(V domstate --reason slowexit)"
kill -0 "$sxpid" 2>/dev/null && fail "slowexit shut off while its hv $sxpid runs"
pass "slowexit's hv exited late: shut off (shutdown) once it did, others served meanwhile"
V start slowexit >/dev/null || fail "start slowexit again"
sxpid=$(cat "$XVM_RUNDIR/hv/slowexit.pid") || fail "no pid file for slowexit's hv"
t0=$(ms)
( V destroy slowexit >"$TMP/sx.out" 2>&1; echo $? >"$TMP/sx.rc"
  V domstate --reason slowexit >"$TMP/sx.state" 2>&1
  echo $(( $(ms) - t0 )) >"$TMP/sx.ms" ) &
bg=$!
sleep 0.5
timed2 "while destroy slowexit waits for hv's exit" list --all
wait $bg
[ "$(cat "$TMP/sx.rc")" = 0 ] || fail "destroy slowexit: $(cat "$TMP/sx.out")"
[ "$(cat "$TMP/sx.state")" = "shut off (destroyed)" ] ||
	fail "slowexit right after its destroy: $(cat "$TMP/sx.state")"
kill -0 "$sxpid" 2>/dev/null && fail "slowexit's hv $sxpid runs after the destroy's answer"
pass "destroy slowexit answered once its hv exited ($(cat "$TMP/sx.ms") ms): shut off (destroyed) at once after it"

# A detach, then at once an attach of the same MAC, with vswitchd stopped
# for a moment: the detach's VNIC delete is still in flight when the
# attach comes, so its vnic.create waits on the loop for it (vswitchd
# would refuse it: its name and MAC are still the old VNIC's), others are
# served, and it succeeds once vswitchd goes on. The same after a
# destroy: the destroyed domain's MAC hot-plugged into another domain.
# Then a domain destroyed while its attach waits: the attach fails, no
# VNIC is made for it. (fake-hv plugs and unplugs at once.)
mac=$(V domiflist stuck | awk '$1 ~ /^xvm/ {print $5}')
[ -n "$mac" ] || fail "stuck's MAC: $(V domiflist stuck)"
reattach() { # DOM: attach $mac over $stub in the background, vswitchd stopped;
	# then it is attached and its VNIC is in vswitchd
	( V attach-interface "$1" bridge "$stub" --mac "$mac" >"$TMP/re.out" 2>&1
	  echo $? >"$TMP/re.rc" ) &
	bg=$!
	sleep 0.5
	timed1 "while the attach of $mac to $1 waits for the delete" list --all
	kill -CONT "$VSW_PID"; STOPPED=
	wait $bg
	[ "$(cat "$TMP/re.rc")" = 0 ] || fail "attach of $mac to $1: $(cat "$TMP/re.out")"
	vn=$(V domiflist "$1" | awk -v m="$mac" '$5 == m {print $1}')
	[ -n "$vn" ] || fail "$1 lacks $mac: $(V domiflist "$1")"
	"$VNICADM" show-vnic "$vn" >/dev/null || fail "no VNIC $vn in vswitchd: $("$VNICADM" show-vnic)"
}
kill -STOP "$VSW_PID"; STOPPED=$VSW_PID
timed1 "detach with vswitchd stopped" detach-interface stuck bridge --mac "$mac"
reattach stuck
pass "detach then at once attach of $mac (vswitchd stopped meanwhile): attached, its VNIC made after the old one went"
kill -STOP "$VSW_PID"; STOPPED=$VSW_PID
timed1 "destroy stuck with vswitchd stopped" destroy stuck
reattach other
pass "destroy stuck, then at once attach of its $mac to other: attached"
# other's attach waits (the detach's delete in flight) when other is
# destroyed: the attach fails, no VNIC is left once vswitchd goes on
before=$(nvnics)
kill -STOP "$VSW_PID"; STOPPED=$VSW_PID
timed1 "detach from other with vswitchd stopped" detach-interface other bridge --mac "$mac"
( V attach-interface other bridge "$stub" --mac 00:16:3e:69:00:02 >"$TMP/gone.out" 2>&1
  echo $? >"$TMP/gone.rc" ) &
bg=$!
sleep 0.5
timed1 "destroy other while its attach waits" destroy other
wait $bg
kill -CONT "$VSW_PID"; STOPPED=
[ "$(cat "$TMP/gone.rc")" = 1 ] || fail "attach to a destroyed other: exit $(cat "$TMP/gone.rc"): $(cat "$TMP/gone.out")"
grep -q "domain 'other' stopped during the attach" "$TMP/gone.out" || fail "attach to a destroyed other: $(cat "$TMP/gone.out")"
for _ in $(seq 80); do [ "$(nvnics)" = $((before - 1)) ] && break; sleep 0.1; done
[ "$(nvnics)" = $((before - 1)) ] || fail "VNICs after other's destroy: $("$VNICADM" show-vnic) (before: $before)"
sleep 0.5
[ "$(nvnics)" = $((before - 1)) ] || fail "a VNIC was made for the destroyed other: $("$VNICADM" show-vnic)"
grep -q "domain 'other' stopped before vnic" "$TMP/xvmd.log" || fail "xvmd.log: no word of the dropped VNIC: $(tail -n 5 "$TMP/xvmd.log")"
pass "other destroyed while its attach waited: '$(tail -n 1 "$TMP/gone.out")', no VNIC made for it"

# Autostart is a start like the others: a new xvmd serves while qd's
# daemon does not come up; stopping xvmd then undoes the start (launcher
# killed, no daemon directory, no VNIC, no hv) instead of leaving it.
V autostart qd >/dev/null || fail "autostart qd"
xvmd_stop
before=$(nvnics)
touch "$TMP/qsd-hang"
XVM_QSD=$TMP/qsd xvmd_start --hv "$TOP/tests/tools/fake-hv"
timed1 "while qd's autostart waits for its qemu-storage-daemon" list --all
echo "$LAST_OUT" | grep -Eq ' qd +paused' || fail "list during qd's autostart: $LAST_OUT"
pgrep -f "sleep 61.5" >/dev/null || fail "the hanging qemu-storage-daemon did not start"
t0=$(ms)
xvmd_stop
t1=$(( $(ms) - t0 ))
# before, the stop waited for the start's 30 s
(( t1 < 10000 )) || fail "xvmd took $t1 ms to stop during qd's autostart"
pass "xvmd stopped during qd's autostart in $t1 ms"
grep -q "dom qd: xvmd stops, its start is undone" "$TMP/xvmd.log" || fail "no cancel logged: $(tail -n 5 "$TMP/xvmd.log")"
pgrep -f "sleep 61.5" >/dev/null && fail "xvmd's stop left the hanging launcher running"
[ -e "$XVM_RUNDIR/xvmd/qsd/qd" ] && fail "xvmd's stop left qd's daemon directory"
[ -n "$(ls "$XVM_RUNDIR"/hv/*.pid 2>/dev/null)" ] && fail "hv left: $(ls "$XVM_RUNDIR"/hv)"
[ "$(nvnics)" = "$before" ] || fail "qd's VNIC left after xvmd's stop: $("$VNICADM" show-vnic)"
pass "the start xvmd's stop cut short left no launcher, directory, VNIC or hv"
rm -f "$TMP/qsd-hang"
XVM_QSD=$TMP/qsd xvmd_start --hv "$TOP/tests/tools/fake-hv"
expect_state qd running 40
V destroy qd >/dev/null || fail "destroy qd after its autostart"
xvmd_stop
