#!/bin/bash
# A read-only disk (--disk ...,readonly) refuses the guest's write with an
# I/O error and keeps its bytes; the guest still reads it. A guest sending
# malformed virtio-blk requests (badblk: short header, read-only status
# byte, sectors past the end, partial sectors, data in the wrong
# direction, an unknown type, a short id buffer, a buffer outside its
# memory) gets an error status for each, its hv keeps running and serves
# a valid read afterwards, and a second guest with its own disk, started
# next to it, writes and verifies its pattern.
# timeout: 300
. "$(dirname "$0")/lib.sh"
require_kvm

ro=$TMP/ro.img
head -c 1M /dev/urandom >"$ro"
sum=$(sha256sum <"$ro")
start_hv ro --memory 64 --vcpus 1 --kernel "$GUEST" \
	--disk "path=$ro,readonly" --cmdline "workload=blkro"
expect_exit ro 120 0
expect_console ro '^guest: blk0: 2048 sectors read-only$' 1
expect_console ro '^guest: blkro: device says read-only$' 1
expect_console ro '^guest: blkro: read sector 0: ok$' 1
expect_console ro '^guest: blkro: write refused: I/O error$' 1
[ "$(sha256sum <"$ro")" = "$sum" ] || fail "the read-only image changed"
pass "the read-only image is unchanged"

bad=$TMP/bad.img good=$TMP/good.img
truncate -s 4M "$bad" "$good"
start_hv bad --memory 64 --vcpus 1 --kernel "$GUEST" --disk "path=$bad" \
	--cmdline "workload=badblk,idle"
bad_pid=$HV_PID
start_hv good --memory 64 --vcpus 1 --kernel "$GUEST" --disk "path=$good" \
	--cmdline "workload=blkwrite blk_sectors=2048 blk_seed=5"
expect_console bad '^guest: badblk: done$' 180
grep '^guest: badblk: ' "$TMP/bad.console" | sed 's/^/  /'
# Each answered with its status byte alone (used length 1).
for what in 'header of 8 bytes: I/O error (status 1' 'read past the end: I/O error (status 1' \
	'write at sector 2\^62: I/O error (status 1' 'read of 100 bytes: I/O error (status 1' \
	'write with writable data: I/O error (status 1' \
	'request type 0x7777: unsupported (status 2' 'get-id into 4 bytes: I/O error (status 1'; do
	grep -q "^guest: badblk: $what, used 1)$" "$TMP/bad.console" ||
		{ show bad; fail "badblk: no line '$what, used 1)'"; }
done
pass "every malformed request got its error status"
expect_console bad '^guest: badblk: read-only status byte: returned unanswered \(used 0\)$' 1
expect_console bad '^guest: badblk: valid read after the bad requests: ok$' 1
expect_console bad '^guest: badblk: buffer outside guest memory: device needs reset, device status 0x4f \(needs reset\)$' 1
expect_console bad '^guest: badblk: valid read after a reset: ok$' 1
kill -0 "$bad_pid" || { show bad; fail "hv of the badblk guest exited"; }
st=$(hv_ctl bad status | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["pid"], r["state"])')
[ "$st" = "$bad_pid running" ] || { show bad; fail "hv of the badblk guest: status '$st', expected '$bad_pid running'"; }
pass "hv of the badblk guest still running (pid $bad_pid) and answering"
n=$(grep -c 'virtio-blk' "$TMP/bad.err")
[ "$n" -ge 1 ] && [ "$n" -le 20 ] || { show bad; fail "hv logged $n virtio-blk lines (expected a rate-limited few)"; }
pass "hv logged $n rate-limited virtio-blk warnings"
expect_exit good 180 0
expect_console good '^guest: blk: ok 2048 sectors from 0 seed 5 ' 1
