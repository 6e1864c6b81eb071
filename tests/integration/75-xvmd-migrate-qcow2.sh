#!/bin/bash
# Save, restore and live migration of a domain whose disk is a qcow2
# image served by qemu-storage-daemon (issue 14), on storage both "hosts"
# see (two xvmd on loopback, as 75-xvmd-migrate; the image is one file).
# A guest keeps 16 random writes in flight over the disk's 2 queues
# (blkbench) while: virsh save + restore (the restore starts a fresh
# daemon), virsh managedsave + start, virsh migrate --live A -> B
# (client-driven) and --live --p2p B -> A. hv waits until the daemon answered every request it took
# before the state is taken, so none is lost: the guest's run ends with
# its figures and no failed request (a lost one would fail after 30 s).
# Migrations to nobody leave the guest and its daemon on A. After each
# step exactly one qemu-storage-daemon serves the domain where
# it runs and none is left where it ran; the destination's daemon starts
# only at finish, after the source's stopped (QEMU's image locks), and
# the destination hv logs that it connected to it. Then a guest writes
# its pattern with 16 requests in flight, is migrated while it does, and
# verifies it (in the guest, and on the host: qemu-img convert and the
# sha256 of part of the range); qemu-img check is clean after each part.
# timeout: 420
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
. "$(dirname "$0")/miglib.sh"
require_kvm
command -v qemu-storage-daemon >/dev/null || fail "qemu-storage-daemon (qemu-system-common) is not installed"
command -v qemu-img >/dev/null || fail "qemu-img (qemu-utils) is not installed"
. "$(dirname "$0")/blklib.sh"
. "$(dirname "$0")/qsdlib.sh"

# daemons this scenario's two hosts started, killed whatever happens
_qsd_cleanup() {
	local f
	for f in "$XVM_RUNDIR"/xvmd/qsd/*/qsd.pid "$RUN_B"/xvmd/qsd/*/qsd.pid; do
		[ -e "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	true
}
at_exit _qsd_cleanup

xvmd_a_start
xvmd_b_start

# alive PID: runs (a zombie waiting for xvmd to reap it does not)
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z ' "/proc/$1/stat"; }
# qsd_of RUN NAME: the pid of NAME's daemon under RUN, if it runs
qsd_of() {
	local p
	p=$(cat "$1/xvmd/qsd/$2/qsd.pid" 2>/dev/null) && alive "$p" && echo "$p"
}
# one_qsd RUN NAME: exactly one qemu-storage-daemon runs for the image
# (over both hosts), and it is NAME's under RUN; prints its pid
one_qsd() {
	local p n
	p=$(qsd_of "$1" "$2") || fail "$2: no qemu-storage-daemon under $1"
	n=$(pgrep -fc -- "filename=$img,") || true
	[ "$n" = 1 ] || fail "$2: $n daemons have $img open: $(pgrep -af -- "filename=$img,")"
	echo "$p"
}
# none_left RUN NAME: no daemon, no directory of NAME under RUN
none_left() {
	local end; end=$(deadline_in 10)
	while before "$end"; do
		[ ! -e "$1/xvmd/qsd/$2" ] && break
		sleep 0.1
	done
	[ ! -e "$1/xvmd/qsd/$2" ] || fail "$2: $1/xvmd/qsd/$2 left: $(ls "$1/xvmd/qsd/$2")"
	pgrep -f -- "$1/xvmd/qsd/$2/qsd.pid" >/dev/null && fail "$2: a daemon of $1 still runs"
	true
}
both_logs() { cat "$(conlog "$1")" "$(conlog_b "$1")" 2>/dev/null; }
failed_lines() { both_logs "$1" | grep -E '^guest: (blk|blkbench): .*failed' ; }

img=$TMP/q.qcow2
qemu-img create -q -f qcow2 "$img" 320M || fail "qemu-img create"
disk="<disk type='file' device='disk'><driver name='qemu' type='qcow2' queues='2'/><source file='$img'/><target dev='vda' bus='virtio'/></disk>"

# --- part 1: 16 writes in flight across save/restore, --live and --p2p
dom_xml q1 "workload=blkbench,idle blk_mode=randwrite secs=40 blk_qd=16 blk_sectors=131072 blk_seed=5" "" "$disk"
VA define "$TMP/q1.xml" >/dev/null && VA start q1 >/dev/null || fail "start q1 on A"
wait_for_line "$(conlog q1)" '^guest: blkbench: 16 requests in flight over 2 queues$' 120 ||
	{ cat "$(conlog q1)"; fail "q1: blkbench did not start"; }
q0=$(one_qsd "$XVM_RUNDIR" q1)
# a migration failing before the switch-over leaves A's guest and daemon
out=$(VA migrate --live q1 "xvm+tcp://127.0.0.1:$((PORT_A + 3))/system" 2>&1) &&
	fail "migration to nobody succeeded"
out2=$(VA migrate --live --p2p q1 "xvm+tcp://127.0.0.1:$((PORT_A + 3))/system" 2>&1) &&
	fail "--p2p migration to nobody succeeded"
[ "$(VA domstate q1)" = running ] || fail "q1 after failed migrations: $(VA domstate --reason q1)"
[ "$(one_qsd "$XVM_RUNDIR" q1)" = "$q0" ] || fail "q1's daemon changed after failed migrations"
pass "migrations to nobody failed ('$(echo "$out" | tail -n1)'; --p2p: '$(echo "$out2" | tail -n1)'): q1 runs on A with its daemon $q0"
sleep 1

# (a) save and restore
mkdir -p "$TMP/save"
VA save q1 "$TMP/save/q1.img" >/dev/null || { tail -n 20 "$TMP/xvmd.log"; fail "virsh save q1"; }
[ "$(VA domstate --reason q1)" = "shut off (saved)" ] || fail "q1: $(VA domstate --reason q1)"
none_left "$XVM_RUNDIR" q1
alive "$q0" && fail "q1's daemon $q0 runs on after the save"
both_logs q1 | grep -q 'blkbench: mode=' && fail "blkbench ended before the save: nothing was in flight"
qemu-img check -q "$img" || fail "qemu-img check after the save: not clean"
pass "saved with 16 writes in flight: daemon $q0 gone, qemu-img check clean"
VA restore "$TMP/save/q1.img" >/dev/null || { tail -n 20 "$TMP/xvmd.log"; fail "virsh restore"; }
[ "$(VA domstate --reason q1)" = "running (restored)" ] || fail "q1: $(VA domstate --reason q1)"
q1p=$(one_qsd "$XVM_RUNDIR" q1)
[ "$q1p" != "$q0" ] || fail "the restore kept daemon $q0"
pass "restored: running (restored) with a fresh daemon $q1p"
sleep 1

# managedsave, then start restores it
VA managedsave q1 >/dev/null || { tail -n 20 "$TMP/xvmd.log"; fail "virsh managedsave q1"; }
[ "$(VA domstate --reason q1)" = "shut off (saved)" ] || fail "q1 after managedsave: $(VA domstate --reason q1)"
none_left "$XVM_RUNDIR" q1
alive "$q1p" && fail "q1's daemon $q1p runs on after managedsave"
both_logs q1 | grep -q 'blkbench: mode=' && fail "blkbench ended before the managedsave"
VA start q1 >/dev/null || { tail -n 20 "$TMP/xvmd.log"; fail "start q1 from its managed save"; }
[ "$(VA domstate --reason q1)" = "running (restored)" ] || fail "q1: $(VA domstate --reason q1)"
q1p=$(one_qsd "$XVM_RUNDIR" q1)
pass "managedsave with writes in flight, then start: running (restored), daemon $q1p"
sleep 1

# (b) client-driven live migration A -> B
VA migrate --live q1 "$URI_B" || { tail -n 20 "$TMP/xvmd.log"; fail "virsh migrate --live q1 $URI_B"; }
[ "$(VB domstate --reason q1)" = "running (migrated)" ] || fail "q1 on B: $(VB domstate --reason q1 2>&1)"
[ "$(VA domstate --reason q1)" = "shut off (migrated)" ] || fail "q1 on A: $(VA domstate --reason q1)"
none_left "$XVM_RUNDIR" q1
qb=$(one_qsd "$RUN_B" q1)
wait_for_line "$RUN_B/hv/q1.log" 'backend connected [0-9]* ms after the load' 20 ||
	{ tail -n 20 "$RUN_B/hv/q1.log"; fail "B's hv did not connect to its daemon"; }
grep -q "dom q1: qemu-storage-daemon stopped\|dom q1: qemu-storage-daemon $q1p stopped" "$TMP/xvmd.log" ||
	fail "A did not log its daemon's stop"
grep -q "dom q1: qemu-storage-daemon $qb started after the migration" "$TMP/xvmdB.log" ||
	fail "B did not log its daemon's start at finish"
pass "migrated A -> B: A's daemon $q1p gone, B's $qb started at finish; $(grep -m1 -o 'backend connected [0-9]* ms after the load' "$RUN_B/hv/q1.log")"
sleep 1

# (c) peer-to-peer B -> A
VB migrate --live --p2p q1 "$URI_A" || { tail -n 20 "$TMP/xvmdB.log"; fail "virsh migrate --live --p2p q1 $URI_A"; }
[ "$(VA domstate --reason q1)" = "running (migrated)" ] || fail "q1 back on A: $(VA domstate --reason q1 2>&1)"
no_trace_b q1
none_left "$RUN_B" q1
qa=$(one_qsd "$XVM_RUNDIR" q1)
pass "--p2p B -> A: B's daemon $qb gone, A's $qa serves q1"

# the run ends on A: every request answered, none failed
wait_for_line "$(conlog q1)" '^guest: blkbench: done$' 120 ||
	{ tail -n 20 "$(conlog q1)"; fail "q1: blkbench did not finish"; }
failed_lines q1 && fail "a request failed across the save and migrations"
line=$(both_logs q1 | grep -m1 '^guest: blkbench: mode=randwrite bs=4096 qd=16 ops=[1-9]')
[ -n "$line" ] || fail "q1: no blkbench figures"
pass "blkbench went on through save/restore, --live and --p2p: ${line#guest: blkbench: }, no failed request"
VA destroy q1 >/dev/null || fail "destroy q1"
VA undefine q1 >/dev/null || fail "undefine q1"
none_left "$XVM_RUNDIR" q1
qemu-img check -q "$img" || fail "qemu-img check after part 1: not clean"
pass "q1 destroyed: no daemon left on A or B, qemu-img check clean"

# --- part 2: a pattern written with 16 requests in flight, migrated
# while the guest writes or reads it back (or, on a fast machine, after:
# said, not asserted), verified in the guest and from the host
N=524288	# 256 MiB: the migration most likely comes while it writes
dom_xml q2 "workload=blkwrite,idle blk_start=11 blk_sectors=$N blk_seed=21 blk_qd=16" "" "$disk"
VA create "$TMP/q2.xml" >/dev/null || fail "create q2"
wait_for_line "$(conlog q2)" '^guest: blk: 16 requests in flight over 2 queues$' 120 ||
	{ cat "$(conlog q2)"; fail "q2: blkwrite did not start"; }
VA migrate --live q2 "$URI_B" || fail "migrate q2 to B"
grep -q '^guest: blk: ok ' "$(conlog q2)" && where="after" || where="before"
end=$(deadline_in 180)
until both_logs q2 | grep -q "^guest: blk: ok $N sectors from 11 seed 21 "; do
	before "$end" || { both_logs q2 | tail -n 5; fail "q2: no 'blk: ok' line"; }
	failed_lines q2 && fail "q2: a request failed"
	sleep 0.5
done
pass "q2 migrated to B $where its blkwrite verified; the guest read back and verified $N sectors"
VB migrate --live --p2p q2 "$URI_A" || fail "migrate q2 back with --p2p"
[ "$(VA domstate q2)" = running ] || fail "q2 on A: $(VA domstate --reason q2)"
one_qsd "$XVM_RUNDIR" q2 >/dev/null
VA destroy q2 >/dev/null
none_left "$XVM_RUNDIR" q2
none_left "$RUN_B" q2
qemu-img check -q "$img" || fail "qemu-img check after part 2: not clean"
qemu-img convert -f qcow2 -O raw "$img" "$TMP/q.raw" || fail "qemu-img convert"
check_image "$TMP/q.raw" 21 11 "$N" || fail "the image does not hold the guest's pattern"
# every byte of the first 32 MiB of it (python's pace bounds the rest)
sum_image "$TMP/q.raw" 21 11 65536 >/dev/null || fail "the image does not hold the guest's pattern"
pass "the qcow2 image holds the pattern (qemu-img convert; sectors 11, 12, the middle and $((N + 10)), and the sha256 of 11-65546 checked on the host); qemu-img check clean"
xvmd_b_stop
xvmd_stop
