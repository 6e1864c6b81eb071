#!/bin/bash
# A qcow2 image served by qemu-storage-daemon's vhost-user-blk export and
# hv's --vhost-user-blk: the guest's blkwrite pattern ends up in the image
# (converted to raw with qemu-img and checked from the host), qemu-img
# check finds the image clean, a second boot's blkcheck finds the
# pattern. A read-only export refuses the guest's write; hv refuses to
# start readonly on a writable export and on a missing socket. Killing
# the daemon in the middle of the guest's writes fails the guest's
# request (device needs reset), hv keeps running, says so once, and
# reconnects when a daemon is back. A save with 16 requests in flight,
# restored on a fresh daemon, and a live migration to an hv started with
# ",wait" (no daemon until the source's stopped, as xvmd hands an image
# over) lose no request: hv waits for the daemon's answers before it
# stops the ring, and the guest's run ends without a failure; a check
# reading 64 MiB with 16 reads in flight (a throttled daemon) migrated
# mid-way verifies every byte on the destination (the daemon's dirty
# log); a daemon
# that does not answer (SIGSTOP) fails the save after 5 s and the guest
# runs on; ",wait" without --incoming or --restore is refused.
# timeout: 500
. "$(dirname "$0")/lib.sh"
require_kvm
QSD=$(command -v qemu-storage-daemon) || fail "qemu-storage-daemon (qemu-system-common) is not installed"
command -v qemu-img >/dev/null || fail "qemu-img (qemu-utils) is not installed"

. "$(dirname "$0")/blklib.sh"

sock=$TMP/qsd.sock
# qsd_start IMG WRITABLE(on|off) [SOCKET]: export IMG (qcow2) on SOCKET
# ($sock); QSD_PID.
qsd_start() {
	local s=${3:-$sock}
	rm -f "$s"
	"$QSD" --blockdev "driver=file,node-name=f,filename=$1" \
		--blockdev driver=qcow2,node-name=d,file=f \
		--export "type=vhost-user-blk,id=e,node-name=d,addr.type=unix,addr.path=$s,writable=$2" \
		>>"$TMP/qsd.log" 2>&1 &
	QSD_PID=$!
	at_exit "kill -9 $QSD_PID"
	wait_socket "$s" 30 || { cat "$TMP/qsd.log"; fail "qemu-storage-daemon did not create $s"; }
}
qsd_stop() {
	kill "$QSD_PID"
	wait_pid "$QSD_PID" 30 || fail "qemu-storage-daemon did not stop on SIGTERM"
}

# boot NAME ARGS CMDLINE: one guest on the export, run to its power-off.
boot() {
	start_hv "$1" --memory 64 --vcpus 1 --kernel "$GUEST" \
		--vhost-user-blk "$2" --cmdline "$3"
	expect_exit "$1" 180 0
}

img=$TMP/disk.qcow2
qemu-img create -q -f qcow2 "$img" 16M || fail "qemu-img create failed"
qsd_start "$img" on
boot w1 "$sock" "workload=blkwrite blk_sectors=4096 blk_seed=7"
expect_console w1 '^guest: blk0: 32768 sectors$' 1
expect_console w1 '^guest: blk: flushed 4096 sectors from 0 seed 7 ' 1
expect_console w1 '^guest: blk: ok 4096 sectors from 0 seed 7 read_kibps=' 1
qsd_stop

qemu-img check -q "$img" || fail "qemu-img check: the qcow2 image is not clean"
pass "qemu-img check: the image is clean"
qemu-img convert -f qcow2 -O raw "$img" "$TMP/disk.raw" || fail "qemu-img convert failed"
check_image "$TMP/disk.raw" 7 0 4096 || fail "the qcow2 image does not hold what the guest wrote"
pass "the qcow2 image holds the guest's pattern (converted to raw; sectors 0, 1, 2048, 4095 checked on the host)"

qsd_start "$img" on
boot c1 "$sock" "workload=blkcheck blk_sectors=4096 blk_seed=7"
expect_console c1 '^guest: blkcheck: ok 4096 sectors from 0 seed 7 ' 1
boot c2 "$sock" "workload=blkcheck blk_sectors=4096 blk_seed=8"
expect_console c2 '^guest: blkcheck: mismatch at sector 0: ' 1
qsd_stop

# Read-only: the export says so and refuses the write; hv's readonly on
# a writable export is refused at start.
qsd_start "$img" off
boot r1 "$sock,readonly" "workload=blkro"
expect_console r1 '^guest: blk0: 32768 sectors read-only$' 1
expect_console r1 '^guest: blkro: device says read-only$' 1
expect_console r1 '^guest: blkro: write refused: I/O error$' 1
qsd_stop
qsd_start "$img" on
start_hv r2 --memory 64 --vcpus 1 --kernel "$GUEST" --vhost-user-blk "$sock,readonly"
expect_exit r2 60 1
grep -q 'readonly, but the backend accepts writes' "$TMP/r2.err" || { show r2; fail "r2: no error naming the writable export"; }
pass "r2: $(grep -m1 'readonly, but' "$TMP/r2.err")"
qsd_stop
start_hv r3 --memory 64 --vcpus 1 --kernel "$GUEST" --vhost-user-blk "$sock"
expect_exit r3 60 2
grep -q "$sock: No such file or directory" "$TMP/r3.err" || { show r3; fail "r3: no error naming the missing socket"; }
pass "r3: $(grep -m1 'No such file' "$TMP/r3.err")"

# The daemon dies while the guest writes: the guest's request fails
# (device needs reset), hv runs on and logs it, and reconnects to a new
# daemon. The write covers 64 MiB so it is mostly still going when the
# daemon is stopped (SIGSTOP) as the disk appears: the request in the
# ring then waits until SIGKILL ends the daemon.
qemu-img create -q -f qcow2 "$TMP/big.qcow2" 64M || fail "qemu-img create failed"
qsd_start "$TMP/big.qcow2" on
start_hv d1 --memory 64 --vcpus 1 --kernel "$GUEST" --vhost-user-blk "$sock" \
	--cmdline "workload=blkwrite,idle blk_sectors=131072 blk_seed=3"
expect_console d1 '^guest: blk0: 131072 sectors$' 120
kill -STOP "$QSD_PID"
kill -9 "$QSD_PID"
wait_pid "$QSD_PID" 10 || fail "qemu-storage-daemon did not die on SIGKILL"
# (the guest may be past its writes by then: they take some 50 ms on a
# quiet machine; a failed read says the same)
expect_console d1 '^guest: blk: (write|flush|read) at sector [0-9]+ failed' 60
wait_for_line "$TMP/d1.err" 'backend gone: disk failed' 10 || { show d1; fail "d1: hv did not log the backend's death"; }
pass "d1: hv logged '$(grep -m1 'backend gone' "$TMP/d1.err" | sed 's/^.*vhost-user-blk/vhost-user-blk/')'"
kill -0 "$HV_PID" 2>/dev/null || { show d1; fail "d1: hv died with its backend"; }
pass "d1: hv still running after the backend died"
qsd_start "$TMP/big.qcow2" on
wait_for_line "$TMP/d1.err" 'backend back' 30 || { show d1; fail "d1: hv did not reconnect to the new daemon"; }
pass "d1: hv reconnected: '$(grep -m1 'backend back' "$TMP/d1.err" | sed 's/^.*vhost-user-blk/vhost-user-blk/')'"
kill -0 "$HV_PID" 2>/dev/null || { show d1; fail "d1: hv died"; }
kill "$HV_PID"
wait_pid "$HV_PID" 30 || fail "d1: hv did not stop on SIGTERM"
qsd_stop
# Leaked clusters (exit 3) are what a killed writer may leave; corruption
# (exit 2) is not.
qemu-img check "$TMP/big.qcow2" >"$TMP/check.out" 2>&1; rc=$?
[ "$rc" = 0 ] || [ "$rc" = 3 ] || { cat "$TMP/check.out"; fail "qemu-img check: exit $rc after the daemon was killed"; }
pass "qemu-img check after the daemon was killed mid-write: exit $rc ($(tail -n1 "$TMP/check.out"))"
echo "throughput (qcow2 through vhost-user-blk): $(grep -m1 'write_kibps' "$TMP/w1.console")"

# Save with 16 random writes in flight, restored on a fresh daemon: every
# request answered before the ring stopped (a lost one would fail the
# guest's run after 30 s).
qemu-img create -q -f qcow2 "$TMP/s.qcow2" 64M || fail "qemu-img create failed"
SCMD="workload=blkbench blk_mode=randwrite secs=8 blk_qd=16 blk_sectors=65536 blk_seed=41"
qsd_start "$TMP/s.qcow2" on
start_hv s1 --memory 64 --vcpus 1 --kernel "$GUEST" --vhost-user-blk "$sock" --cmdline "$SCMD"
expect_console s1 '^guest: blkbench: 16 requests in flight over 1 queue$' 60
sleep 1
"$BIN/hvctl" -s "$XVM_RUNDIR/s1.sock" save "$TMP/s1.save" >"$TMP/out" 2>"$TMP/err" ||
	{ cat "$TMP/out" "$TMP/err"; show s1; fail "hvctl save failed"; }
expect_exit s1 60 0
! grep -q 'blkbench: mode=' "$TMP/s1.console" || fail "blkbench finished before the save: nothing was in flight"
grep -m1 'answered in' "$TMP/s1.err" | sed 's/^/  /'
qsd_stop
qsd_start "$TMP/s.qcow2" on
start_hv s1r --memory 64 --vcpus 1 --vhost-user-blk "$sock" --restore "$TMP/s1.save"
expect_console s1r '^guest: blkbench: mode=randwrite bs=4096 qd=16 ops=[1-9][0-9]* ' 60
expect_console s1r '^guest: blkbench: done$' 60
expect_exit s1r 60 0
! grep -q 'failed' "$TMP/s1r.console" || { show s1r; fail "a request failed after the restore"; }
pass "saved with 16 requests in flight, restored on a fresh daemon: the run ended without a lost request"

# Live migration to an hv with ",wait": it loads the stream without a
# backend, the guest runs with its requests waiting; the daemon for it
# starts once the source's stopped (QEMU's lock on the image), and hv
# connects and resumes the rings.
mig=$TMP/mig.sock sock2=$TMP/qsd2.sock
start_hv m1 --memory 64 --vcpus 1 --kernel "$GUEST" --vhost-user-blk "$sock" --cmdline "$SCMD blk_seed=43"
m1_pid=$HV_PID
expect_console m1 '^guest: blkbench: 16 requests in flight over 1 queue$' 60
# a destination whose disk has another queue count refuses the stream
# after the source drained and stopped its ring: the source starts it
# again and its guest goes on
mig3=$TMP/mig3.sock
start_hv m3 --memory 64 --vcpus 1 --vhost-user-blk "$sock2,wait,queues=2" --incoming "unix:$mig3"
m3_pid=$HV_PID
wait_socket "$mig3" 60 || { show m3; fail "destination m3 not listening"; }
"$RPC" -t 120000 -e 30 "$XVM_RUNDIR/m1.sock" migrate "{\"uri\":\"unix:$mig3\"}" \
	>"$TMP/mig3.out" 2>"$TMP/mig3.err" && { show m3; fail "migration to a 2-queue disk succeeded"; }
HV_PID=$m3_pid expect_exit m3 60 1
kill -0 "$m1_pid" || { show m1; fail "the source stopped after a refused migration"; }
pass "a destination with queues=2 refused the stream ($(grep -m1 -o 'refused the stream.*' "$TMP/mig3.err" | cut -c1-100)); the source runs on"
start_hv m2 --memory 64 --vcpus 1 --vhost-user-blk "$sock2,wait" --incoming "unix:$mig"
m2_pid=$HV_PID
wait_socket "$mig" 60 || { show m2; fail "destination m2 not listening"; }
"$RPC" -t 120000 -e 30 "$XVM_RUNDIR/m1.sock" migrate "{\"uri\":\"unix:$mig\"}" \
	>"$TMP/mig.out" 2>"$TMP/mig.err" || { cat "$TMP/mig.out" "$TMP/mig.err"; show m1; show m2; fail "migrate failed"; }
HV_PID=$m1_pid expect_exit m1 60 0
! grep -q 'blkbench: mode=' "$TMP/m1.console" || fail "blkbench finished before the migration"
wait_for_line "$TMP/m2.err" 'loaded; waiting for the backend' 10 || { show m2; fail "m2 does not wait for its backend"; }
qsd_stop
qsd_start "$TMP/s.qcow2" on "$sock2"
wait_for_line "$TMP/m2.err" 'backend connected [0-9]* ms after the load' 10 || { show m2; fail "m2 did not connect to the new daemon"; }
HV_PID=$m2_pid
expect_console m2 '^guest: blkbench: mode=randwrite bs=4096 qd=16 ops=[1-9][0-9]* ' 60
expect_console m2 '^guest: blkbench: done$' 10
expect_exit m2 60 0
! grep -q 'failed' "$TMP/m2.console" || { show m2; fail "a request failed after the migration"; }
pass "live-migrated with 16 requests in flight to a ',wait' hv: $(grep -m1 -o 'backend connected [0-9]* ms after the load' "$TMP/m2.err"), the run ended without a lost request"
qsd_stop
qemu-img check -q "$TMP/s.qcow2" || fail "qemu-img check after the save and the migration: not clean"
pass "qemu-img check clean after the save and the migration"

# Reads in flight across a live migration: the daemon fills the guest's
# buffers behind the vCPUs' back (the last ones while hv drains it at
# the switch-over); its dirty log makes those pages go to the
# destination, where the guest verifies every byte it read. The source's
# daemon reads at 16 MiB/s (a throttle group), so the 64 MiB check is
# still going when the migration comes.
qsd_throttled() {	# IMG SOCKET: export IMG read at 16 MiB/s
	rm -f "$2"
	"$QSD" --object throttle-group,id=tg,x-bps-read=16777216 \
		--blockdev "driver=file,node-name=f,filename=$1" \
		--blockdev driver=qcow2,node-name=q,file=f \
		--blockdev driver=throttle,node-name=d,throttle-group=tg,file=q \
		--export "type=vhost-user-blk,id=e,node-name=d,addr.type=unix,addr.path=$2,writable=on" \
		>>"$TMP/qsd.log" 2>&1 &
	QSD_PID=$!
	at_exit "kill -9 $QSD_PID"
	wait_socket "$2" 30 || { cat "$TMP/qsd.log"; fail "throttled qemu-storage-daemon did not create $2"; }
}
qemu-img create -q -f qcow2 "$TMP/p.qcow2" 64M || fail "qemu-img create failed"
qsd_start "$TMP/p.qcow2" on
start_hv pw --memory 64 --vcpus 1 --kernel "$GUEST" --vhost-user-blk "$sock" \
	--cmdline "workload=blkwrite blk_sectors=131072 blk_seed=51 blk_qd=16"
expect_exit pw 180 0
expect_console pw '^guest: blk: ok 131072 sectors from 0 seed 51 ' 1
qsd_stop
qsd_throttled "$TMP/p.qcow2" "$sock"
start_hv rc1 --memory 64 --vcpus 1 --kernel "$GUEST" --vhost-user-blk "$sock" \
	--cmdline "workload=blkcheck,idle blk_sectors=131072 blk_seed=51 blk_qd=16"
rc1_pid=$HV_PID
start_hv rc2 --memory 64 --vcpus 1 --vhost-user-blk "$sock2,wait" --incoming "unix:$TMP/migc.sock"
rc2_pid=$HV_PID
wait_socket "$TMP/migc.sock" 60 || { show rc2; fail "destination rc2 not listening"; }
HV_PID=$rc1_pid expect_console rc1 '^guest: blkcheck: 16 requests in flight over 1 queues$' 60
sleep 1
"$RPC" -t 120000 -e 30 "$XVM_RUNDIR/rc1.sock" migrate "{\"uri\":\"unix:$TMP/migc.sock\"}" \
	>"$TMP/migc.out" 2>"$TMP/migc.err" || { cat "$TMP/migc.out" "$TMP/migc.err"; show rc1; show rc2; fail "migrate rc1 failed"; }
HV_PID=$rc1_pid expect_exit rc1 60 0
grep -q '^guest: blkcheck: ok' "$TMP/rc1.console" && fail "blkcheck ended before the migration: no read was in flight"
qsd_stop
qsd_start "$TMP/p.qcow2" on "$sock2"
HV_PID=$rc2_pid
expect_console rc2 '^guest: blkcheck: ok 131072 sectors from 0 seed 51 ' 120
! grep -q 'mismatch\|failed' "$TMP/rc1.console" "$TMP/rc2.console" ||
	{ show rc2; fail "blkcheck across the migration: $(grep -h 'mismatch\|failed' "$TMP/rc1.console" "$TMP/rc2.console")"; }
kill "$rc2_pid"; wait_pid "$rc2_pid" 30 || fail "rc2 did not stop"
qsd_stop
pass "blkcheck with 16 reads in flight (16 MiB/s) migrated mid-check: every byte of 64 MiB verified on the destination"

# A daemon that does not answer (stopped) while requests are out: the
# save waits 5 s, then fails saying so, leaves no file, and the guest
# runs on; once the daemon goes on, every request is answered.
qsd_start "$TMP/s.qcow2" on
start_hv t1 --memory 64 --vcpus 1 --kernel "$GUEST" --vhost-user-blk "$sock" --cmdline "$SCMD blk_seed=45"
expect_console t1 '^guest: blkbench: 16 requests in flight over 1 queue$' 60
kill -STOP "$QSD_PID"
"$BIN/hvctl" -s "$XVM_RUNDIR/t1.sock" save "$TMP/t1.save" >"$TMP/out" 2>"$TMP/err" &&
	{ kill -CONT "$QSD_PID"; fail "a save with a stopped daemon succeeded"; }
kill -CONT "$QSD_PID"
grep -q 'the backend left [0-9]* requests unanswered for 5000 ms: not saved (the guest runs on)' "$TMP/err" ||
	{ cat "$TMP/out" "$TMP/err"; fail "t1: the failed save does not say why"; }
[ ! -e "$TMP/t1.save" ] || fail "t1: a failed save left $TMP/t1.save"
expect_console t1 '^guest: blkbench: mode=randwrite bs=4096 qd=16 ops=[1-9][0-9]* ' 60
expect_console t1 '^guest: blkbench: done$' 10
expect_exit t1 60 0
! grep -q 'failed' "$TMP/t1.console" || { show t1; fail "t1: a request failed"; }
pass "t1: save with a stopped daemon failed: '$(grep -m1 -o 'vhost-user-blk.*' "$TMP/err")'; the guest ran on and lost no request"
qsd_stop

start_hv w0 --memory 64 --vcpus 1 --kernel "$GUEST" --vhost-user-blk "$TMP/none.sock,wait"
expect_exit w0 60 1
grep -q 'wait needs --incoming or --restore' "$TMP/w0.err" || { show w0; fail "w0: no error for wait without --incoming"; }
pass "w0: $(grep -m1 'wait needs' "$TMP/w0.err")"
