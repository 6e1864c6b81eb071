#!/bin/bash
# The blkbench workload (bench/disk's guest side) on a raw file with the
# host cache bypassed: each of the four modes runs for its second and
# reports requests, IOPS and KiB/s (numbers not judged: bench/disk
# compares them); what the write modes wrote is on the file (its first
# sectors hold the pattern); a region past the end of the disk and an
# unknown mode are refused with a message. Then the same through
# qemu-storage-daemon's vhost-user-blk export, and through an export with
# num-queues=4 a blkwrite with 16 requests in flight over the 4 queues
# (the pattern checked on the image) and blkbench at queue depth 16.
# timeout: 240
. "$(dirname "$0")/lib.sh"
require_kvm

. "$(dirname "$0")/blklib.sh"

boot() {	# NAME DISKOPT DISKARG CMDLINE
	start_hv "$1" --memory 64 --vcpus 1 --kernel "$GUEST" "$2" "$3" \
		--cmdline "$4"
	expect_exit "$1" 120 0
}

img=$TMP/disk.img
dd if=/dev/zero of="$img" bs=1M count=16 status=none
boot b1 --disk "path=$img,cache=none" "workload=blkbench blk_sectors=32768 secs=1 blk_seed=7"
for m in seqwrite seqread randwrite randread; do
	bs=65536; case $m in rand*) bs=4096 ;; esac
	expect_console b1 "^guest: blkbench: mode=$m bs=$bs qd=1 ops=[1-9][0-9]* ms=[0-9]+ iops=[0-9]+ kibps=[0-9]+\$" 1
done
expect_console b1 '^guest: blkbench: done$' 1
check_image "$img" 7 0 8 || fail "the image does not hold what blkbench wrote"
pass "blkbench: four modes reported, the written pattern on the file: $(grep -c 'blkbench: mode=' "$TMP/b1.console") lines"

boot b2 --disk "path=$img" "workload=blkbench blk_start=32760 blk_sectors=16 secs=1"
expect_console b2 '^guest: blkbench: sectors 32760-32775 past the end of the disk \(32768\)$' 1
boot b3 --disk "path=$img" "workload=blkbench blk_mode=sideways secs=1"
expect_console b3 "^guest: blkbench: blk_mode 'sideways' " 1
boot b4 --disk "path=$img" "workload=blkbench blk_mode=randread blk_bs=1 blk_sectors=64 secs=1"
expect_console b4 '^guest: blkbench: mode=randread bs=512 qd=1 ops=[1-9]' 1
! grep -q 'mode=seq' "$TMP/b4.console" || fail "blk_mode=randread ran other modes"
pass "blkbench: a region past the end and an unknown mode refused; one mode and blk_bs=1 honoured"

QSD=$(command -v qemu-storage-daemon) || fail "qemu-storage-daemon (qemu-system-common) is not installed"
sock=$TMP/qsd.sock
"$QSD" --blockdev "driver=file,node-name=f,filename=$img,aio=io_uring,cache.direct=on" \
	--export "type=vhost-user-blk,id=e,node-name=f,addr.type=unix,addr.path=$sock,writable=on" \
	</dev/null >"$TMP/qsd.log" 2>&1 &
QSD_PID=$!
at_exit "kill $QSD_PID 2>/dev/null"
wait_socket "$sock" 30 || { cat "$TMP/qsd.log"; fail "qemu-storage-daemon did not create $sock"; }
boot q1 --vhost-user-blk "$sock" "workload=blkbench blk_mode=randread blk_sectors=32768 secs=1"
expect_console q1 '^guest: blkbench: mode=randread bs=4096 qd=1 ops=[1-9]' 1
pass "blkbench through qemu-storage-daemon: $(grep 'mode=randread' "$TMP/q1.console")"

# an export with 4 queues: the guest gets them all through hv's
# vhost-user-blk frontend and keeps 16 requests out over them
kill $QSD_PID; wait $QSD_PID 2>/dev/null
sock4=$TMP/qsd4.sock
"$QSD" --blockdev "driver=file,node-name=f,filename=$img,aio=io_uring,cache.direct=on" \
	--export "type=vhost-user-blk,id=e,node-name=f,addr.type=unix,addr.path=$sock4,writable=on,num-queues=4" \
	</dev/null >"$TMP/qsd4.log" 2>&1 &
QSD_PID=$!
at_exit "kill $QSD_PID 2>/dev/null"
wait_socket "$sock4" 30 || { cat "$TMP/qsd4.log"; fail "qemu-storage-daemon did not create $sock4"; }
boot q4 --vhost-user-blk "$sock4" "workload=blkwrite blk_start=5 blk_sectors=8192 blk_seed=9 blk_qd=16"
expect_console q4 '^guest: blk0: 4 queues of 256$' 1
expect_console q4 '^guest: blk: ok 8192 sectors from 5 seed 9 ' 1
expect_console q4 '^guest: blk: requests per queue: 32 32 32 32$' 1
check_image "$img" 9 5 8192 || fail "num-queues=4: the image does not hold what the guest wrote"
boot q5 --vhost-user-blk "$sock4" "workload=blkbench blk_mode=randread blk_sectors=32768 secs=1 blk_qd=16"
expect_console q5 '^guest: blkbench: mode=randread bs=4096 qd=16 ops=[1-9]' 1
pass "qemu-storage-daemon num-queues=4: 4 queues used, the pattern on the image, blkbench at QD16"
