#!/bin/bash
# virtio-blk with several queues (--disk ...,queues=4) and a guest that
# keeps many requests in flight (blk_qd): blkwrite writes a pattern over
# 8192 sectors from an odd start with 16 requests out over the 4 queues,
# reads it back the same way and verifies every byte of each answer as
# it comes; the host checks the whole range of the file (sha256 of what
# the pattern must be) and that every queue carried requests. Another
# boot verifies it with one queue and one request at a time, another
# seed mismatches; O_DIRECT (cache=none) with 2 queues and 32 in flight.
# A guest sending malformed requests on queue 1 (badblk blk_q=1) gets an
# error status for each while queue 0 serves; hv keeps running. A save
# taken while blkbench has 16 random writes out over 4 queues answers
# them all first: the restored guest finishes its run without a lost
# request; the same across a live migration, and a destination with
# another queues= refuses the stream. Bad queues= values are
# refused at start.
# timeout: 400
. "$(dirname "$0")/lib.sh"
require_kvm

. "$(dirname "$0")/blklib.sh"

boot() {	# NAME DISKARG CMDLINE
	start_hv "$1" --memory 64 --vcpus 1 --kernel "$GUEST" --disk "$2" \
		--cmdline "$3"
	expect_exit "$1" 180 0
}

img=$TMP/disk.img
truncate -s 16M "$img"
boot w1 "path=$img,queues=4" "workload=blkwrite blk_start=37 blk_sectors=8192 blk_seed=31 blk_qd=16"
expect_console w1 '^guest: blk0: 32768 sectors$' 1
expect_console w1 '^guest: blk0: 4 queues of 256$' 1
expect_console w1 '^guest: blk: 16 requests in flight over 4 queues$' 1
expect_console w1 '^guest: blk: ok 8192 sectors from 37 seed 31 read_kibps=' 1
# 64 writes and 64 reads of 64 KiB round robin: 32 on each queue
expect_console w1 '^guest: blk: requests per queue: 32 32 32 32$' 1
sum=$(sum_image "$img" 31 37 8192) || fail "the file does not hold what the guest wrote"
pass "sectors 37-8228 of the file hold the pattern (sha256 $sum)"
cmp -s -n $((37 * 512)) "$img" /dev/zero || fail "sectors before blk_start were written"

boot c1 "path=$img" "workload=blkcheck blk_start=37 blk_sectors=8192 blk_seed=31"
expect_console c1 '^guest: blkcheck: ok 8192 sectors from 37 seed 31 ' 1
! grep -q 'queues' "$TMP/c1.console" || fail "a one-queue disk announced queues"
boot c2 "path=$img,queues=3" "workload=blkcheck blk_start=37 blk_sectors=8192 blk_seed=32 blk_qd=8"
expect_console c2 '^guest: blkcheck: mismatch at sector 37: ' 1
pass "one queue, one request at a time finds the pattern; another seed does not"

boot d1 "path=$img,queues=2,cache=none" "workload=blkwrite blk_start=16384 blk_sectors=4096 blk_seed=33 blk_qd=32"
expect_console d1 '^guest: blk: 32 requests in flight over 2 queues$' 1
expect_console d1 '^guest: blk: ok 4096 sectors from 16384 seed 33 ' 1
sum_image "$img" 33 16384 4096 >/dev/null || fail "cache=none: the file does not hold the pattern"
sum_image "$img" 31 37 8192 >/dev/null || fail "cache=none: the earlier pattern changed"
pass "cache=none, 2 queues, 32 in flight: pattern on the file, the earlier one intact"

# malformed requests on queue 1, with a neighbour writing next to it
bad=$TMP/bad.img good=$TMP/good.img
truncate -s 4M "$bad" "$good"
start_hv bad --memory 64 --vcpus 1 --kernel "$GUEST" --disk "path=$bad,queues=4" \
	--cmdline "workload=badblk,idle blk_q=1"
bad_pid=$HV_PID
start_hv good --memory 64 --vcpus 1 --kernel "$GUEST" --disk "path=$good,queues=4" \
	--cmdline "workload=blkwrite blk_sectors=2048 blk_seed=5 blk_qd=16"
expect_console bad '^guest: badblk: done$' 180
grep '^guest: badblk: ' "$TMP/bad.console" | sed 's/^/  /'
expect_console bad '^guest: badblk: on queue 1 of 4$' 1
for what in 'header of 8 bytes: I/O error (status 1' 'read past the end: I/O error (status 1' \
	'write at sector 2\^62: I/O error (status 1' 'read of 100 bytes: I/O error (status 1' \
	'write with writable data: I/O error (status 1' \
	'request type 0x7777: unsupported (status 2' 'get-id into 4 bytes: I/O error (status 1'; do
	grep -q "^guest: badblk: $what, used 1)$" "$TMP/bad.console" ||
		{ show bad; fail "badblk on queue 1: no line '$what, used 1)'"; }
done
pass "every malformed request on queue 1 got its error status"
expect_console bad '^guest: badblk: read-only status byte: returned unanswered \(used 0\)$' 1
expect_console bad '^guest: badblk: valid read after the bad requests: ok$' 1
expect_console bad '^guest: badblk: valid read on queue 0: ok$' 1
expect_console bad '^guest: badblk: buffer outside guest memory: device needs reset, device status 0x4f \(needs reset\)$' 1
expect_console bad '^guest: badblk: valid read after a reset: ok$' 1
expect_console bad '^guest: badblk: valid read on queue 0 after a reset: ok$' 1
kill -0 "$bad_pid" || { show bad; fail "hv of the badblk guest exited"; }
st=$(hv_ctl bad status | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["pid"], r["state"])')
[ "$st" = "$bad_pid running" ] || { show bad; fail "hv of the badblk guest: status '$st'"; }
pass "hv of the badblk guest still running (pid $bad_pid)"
expect_exit good 180 0
expect_console good '^guest: blk: ok 2048 sectors from 0 seed 5 ' 1
sum_image "$good" 5 0 2048 >/dev/null || fail "the neighbour's file does not hold its pattern"
pass "the neighbour guest wrote and verified its pattern meanwhile"
kill "$bad_pid"
wait_pid "$bad_pid" 10 || fail "hv of the badblk guest did not stop on SIGTERM"

# save with requests in flight on every queue, then restore
simg=$TMP/save.img save=$TMP/s1.save
truncate -s 16M "$simg"
SOPTS=(--memory 64 --vcpus 1 --kernel "$GUEST" --disk "path=$simg,queues=4")
SCMD="workload=blkbench blk_mode=randwrite secs=3 blk_qd=16 blk_sectors=16384 blk_seed=41"
start_hv s1 "${SOPTS[@]}" --cmdline "$SCMD"
expect_console s1 '^guest: blkbench: 16 requests in flight over 4 queues$' 60
sleep 1
"$BIN/hvctl" -s "$XVM_RUNDIR/s1.sock" save "$save" >"$TMP/out" 2>"$TMP/err" ||
	{ cat "$TMP/out" "$TMP/err"; show s1; fail "hvctl save failed"; }
expect_exit s1 60 0
! grep -q 'blkbench: mode=' "$TMP/s1.console" || fail "blkbench finished before the save: nothing was in flight"
start_hv s1r "${SOPTS[@]}" --cmdline "$SCMD" --restore "$save"
expect_console s1r '^guest: blkbench: mode=randwrite bs=4096 qd=16 ops=[1-9][0-9]* ' 60
expect_console s1r '^guest: blkbench: done$' 60
expect_exit s1r 60 0
! grep -q 'failed' "$TMP/s1r.console" || { show s1r; fail "a request failed after the restore"; }
pass "saved with 16 requests out over 4 queues: every one answered (a lost one would fail after 30 s), the restored guest finished"
# the image after it: a new boot writes and verifies with depth on it
boot s2 "path=$simg,queues=4" "workload=blkwrite blk_sectors=16384 blk_seed=42 blk_qd=16"
expect_console s2 '^guest: blk: ok 16384 sectors from 0 seed 42 ' 1
sum_image "$simg" 42 0 16384 >/dev/null || fail "after the restore: the file does not hold the pattern"

# live migration with requests in flight on every queue: the switch-over
# quiesces the disk (every request answered before the last pass); the
# destination, on the same image with the same queues=, finishes the run.
# A destination with another queues= refuses the stream and the source's
# guest runs on.
mimg=$TMP/mig.img mig=$TMP/mig.sock mig2=$TMP/mig2.sock
truncate -s 16M "$mimg"
MOPTS=(--memory 64 --vcpus 1 --disk "path=$mimg,queues=4")
MCMD="workload=blkbench blk_mode=randwrite secs=6 blk_qd=16 blk_sectors=16384 blk_seed=43"
start_hv m1 "${MOPTS[@]}" --kernel "$GUEST" --cmdline "$MCMD"
m1_pid=$HV_PID
expect_console m1 '^guest: blkbench: 16 requests in flight over 4 queues$' 60
start_hv m3 --memory 64 --vcpus 1 --disk "path=$mimg,queues=2" --incoming "unix:$mig2"
m3_pid=$HV_PID
wait_socket "$mig2" 60 || { show m3; fail "destination m3 not listening"; }
"$RPC" -t 120000 -e 30 "$XVM_RUNDIR/m1.sock" migrate "{\"uri\":\"unix:$mig2\"}" \
	>"$TMP/mig2.out" 2>"$TMP/mig2.err" && { show m3; fail "migration to a 2-queue disk succeeded"; }
HV_PID=$m3_pid expect_exit m3 60 1
grep -m1 'cannot\|refuse\|virtio' "$TMP/m3.err" | sed 's/^/  /'
kill -0 "$m1_pid" || { show m1; fail "the source stopped after a refused migration"; }
pass "a destination with queues=2 refused the state of a 4-queue disk; the source runs on"
start_hv m2 --memory 64 --vcpus 1 --disk "path=$mimg,queues=4" --incoming "unix:$mig"
m2_pid=$HV_PID
wait_socket "$mig" 60 || { show m2; fail "destination m2 not listening"; }
"$RPC" -t 120000 -e 30 "$XVM_RUNDIR/m1.sock" migrate "{\"uri\":\"unix:$mig\"}" \
	>"$TMP/mig.out" 2>"$TMP/mig.err" || { cat "$TMP/mig.out" "$TMP/mig.err"; show m1; show m2; fail "migrate failed"; }
grep -q '"state":"shutoff","reason":"migrated"' "$TMP/mig.out" || fail "no shutoff/migrated event"
HV_PID=$m1_pid expect_exit m1 60 0
! grep -q 'blkbench: mode=' "$TMP/m1.console" || fail "blkbench finished before the migration"
HV_PID=$m2_pid
expect_console m2 '^guest: blkbench: mode=randwrite bs=4096 qd=16 ops=[1-9][0-9]* ' 60
expect_console m2 '^guest: blkbench: done$' 10
expect_exit m2 60 0
! grep -q 'failed' "$TMP/m2.console" || { show m2; fail "a request failed after the migration"; }
pass "live-migrated with 16 requests out over 4 queues: the destination finished the run, no request lost"

for q in 0 9 x; do
	"$BIN/hv" --name q --memory 32 --vcpus 1 --kernel "$GUEST" \
		--disk "path=$img,queues=$q" </dev/null >"$TMP/q.out" 2>"$TMP/q.err"
	rc=$?
	[ "$rc" = 2 ] || { cat "$TMP/q.err"; fail "queues=$q: exit $rc, expected 2"; }
	grep -qF "hv: --disk: queues=$q: a number from 1 to 8" "$TMP/q.err" ||
		{ cat "$TMP/q.err"; fail "queues=$q: no clear message"; }
done
pass "queues=0, 9 and x refused at start with a clear message"
