#!/bin/bash
# A qcow2 image served by qemu-storage-daemon's vhost-user-blk export and
# hv's --vhost-user-blk: the guest's blkwrite pattern ends up in the image
# (converted to raw with qemu-img and checked from the host), qemu-img
# check finds the image clean, a second boot's blkcheck finds the
# pattern. A read-only export refuses the guest's write; hv refuses to
# start readonly on a writable export and on a missing socket. Killing
# the daemon in the middle of the guest's writes fails the guest's
# request (device needs reset), hv keeps running, says so once, and
# reconnects when a daemon is back.
# timeout: 500
. "$(dirname "$0")/lib.sh"
require_kvm
QSD=$(command -v qemu-storage-daemon) || fail "qemu-storage-daemon (qemu-system-common) is not installed"
command -v qemu-img >/dev/null || fail "qemu-img (qemu-utils) is not installed"

. "$(dirname "$0")/blklib.sh"

sock=$TMP/qsd.sock
# qsd_start IMG WRITABLE(on|off): export IMG (qcow2) on $sock; QSD_PID.
qsd_start() {
	rm -f "$sock"
	"$QSD" --blockdev "driver=file,node-name=f,filename=$1" \
		--blockdev driver=qcow2,node-name=d,file=f \
		--export "type=vhost-user-blk,id=e,node-name=d,addr.type=unix,addr.path=$sock,writable=$2" \
		>>"$TMP/qsd.log" 2>&1 &
	QSD_PID=$!
	at_exit "kill -9 $QSD_PID"
	wait_socket "$sock" 30 || { cat "$TMP/qsd.log"; fail "qemu-storage-daemon did not create $sock"; }
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
