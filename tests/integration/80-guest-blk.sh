#!/bin/bash
# Guests get virtio-blk disks (--disk): on a raw file the blkwrite
# workload writes a pattern, flushes, reads it back and verifies it; the
# file holds exactly that pattern (checked here, from the host); a second
# boot's blkcheck finds it and a blkcheck for another seed does not. The
# same on a block device (a loop device made here, cache=none: O_DIRECT). hv killed with -9
# right after the guest said its flush completed loses nothing: a fresh
# boot's blkcheck finds every flushed sector.
# timeout: 400
. "$(dirname "$0")/lib.sh"
require_kvm

. "$(dirname "$0")/blklib.sh"

# boot NAME DISKARG CMDLINE: one guest, run to its power-off.
boot() {
	start_hv "$1" --memory 64 --vcpus 1 --kernel "$GUEST" --disk "$2" \
		--cmdline "$3"
	expect_exit "$1" 180 0
}

img=$TMP/disk.img
truncate -s 16M "$img"
boot w1 "path=$img" "workload=blkwrite blk_sectors=4096 blk_seed=7"
expect_console w1 '^guest: blk0: 32768 sectors$' 1
expect_console w1 '^guest: blk: flushed 4096 sectors from 0 seed 7 ' 1
expect_console w1 '^guest: blk: ok 4096 sectors from 0 seed 7 read_kibps=' 1
check_image "$img" 7 0 4096 || fail "the raw file does not hold what the guest wrote"
pass "the raw file holds the guest's pattern (sectors 0, 1, 2048, 4095 checked on the host)"

boot c1 "path=$img" "workload=blkcheck blk_sectors=4096 blk_seed=7"
expect_console c1 '^guest: blkcheck: ok 4096 sectors from 0 seed 7 ' 1
boot c2 "path=$img" "workload=blkcheck blk_sectors=4096 blk_seed=8"
expect_console c2 '^guest: blkcheck: mismatch at sector 0: ' 1

# A block device: a loop device over a file of ours.
command -v losetup >/dev/null || fail "losetup (util-linux) is not installed"
limg=$TMP/loop.img
truncate -s 8M "$limg"
loopdev=$(losetup -f --show "$limg") || fail "cannot make a loop device (losetup -f --show $limg)"
at_exit "losetup -d $loopdev"
[ -b "$loopdev" ] || fail "$loopdev is not a block device"
boot lw "path=$loopdev,serial=loopdisk,cache=none" "workload=blkwrite blk_start=100 blk_sectors=2048 blk_seed=11"
expect_console lw '^guest: blk0: 16384 sectors$' 1
expect_console lw '^guest: blk: ok 2048 sectors from 100 seed 11 ' 1
boot lc "path=$loopdev" "workload=blkcheck blk_start=100 blk_sectors=2048 blk_seed=11"
expect_console lc '^guest: blkcheck: ok 2048 sectors from 100 seed 11 ' 1
losetup -d "$loopdev"
check_image "$limg" 11 100 2048 || fail "the loop device's file does not hold what the guest wrote"
pass "the loop device's backing file holds the guest's pattern"

# kill -9 after the flush: everything flushed is on the disk.
start_hv k1 --memory 64 --vcpus 1 --kernel "$GUEST" --disk "path=$img" \
	--cmdline "workload=blkwrite,idle blk_start=8192 blk_sectors=4096 blk_seed=21"
expect_console k1 '^guest: blk: flushed 4096 sectors from 8192 seed 21 ' 180
kill -9 "$HV_PID"
wait_pid "$HV_PID" 10 || fail "hv did not die on SIGKILL"
pass "hv killed with SIGKILL right after the guest's flush completed"
boot k2 "path=$img" "workload=blkcheck blk_start=8192 blk_sectors=4096 blk_seed=21"
expect_console k2 '^guest: blkcheck: ok 4096 sectors from 8192 seed 21 ' 1
boot k3 "path=$img" "workload=blkcheck blk_sectors=4096 blk_seed=7"
expect_console k3 '^guest: blkcheck: ok 4096 sectors from 0 seed 7 ' 1
check_image "$img" 21 8192 4096 || fail "the flushed range is not in the file after kill -9"
pass "after kill -9: the flushed range and the earlier pattern are intact"
