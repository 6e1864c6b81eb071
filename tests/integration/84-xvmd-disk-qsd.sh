#!/bin/bash
# Disks in image formats through xvmd (issue 14): stock virsh defines and
# starts a domain with a qcow2 disk (first in the XML, <driver
# queues='2'/>: the export's num-queues=2, two queues in the guest), a
# raw file and a vmdk vdisk made by vdiskadm; xvmd starts one
# qemu-storage-daemon for the domain in $XVM_RUNDIR/xvmd/qsd/NAME
# exporting the two images as vhost-user-blk, hv serves the raw file
# itself. The guest writes and verifies its own pattern on each disk,
# 8 requests in flight (blk_disks=3, seeds 7, 8, 9: raw
# disk first, then the images in XML order), and each file holds the
# pattern meant for it (checked from the host, the images through
# qemu-img convert). domblkinfo gives the images' virtual sizes,
# domblkstat the raw disk's counters (not mis-mapped by the qcow2 disk
# before it) and says the images have none; a second domain cannot
# write the images; a migration to nobody fails and leaves the daemon
# (image disks migrate: 75-xvmd-migrate-qcow2); xvmd killed and
# restarted adopts the daemon; destroy stops it and removes its
# directory; a new start with a blkcheck cmdline finds every pattern and
# a shutdown stops the daemon too; qemu-img check is clean.
# Refused at start with nothing left behind: a qcow2 image given as raw,
# a raw file given as vmdk, a qcow2 image with a damaged header (the
# daemon's own error), and a domain whose hv fails to start after its
# daemon started. The same failures without KVM: 88-xvmd-disk-qsd-native.
# timeout: 500
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
require_kvm
command -v qemu-storage-daemon >/dev/null || fail "qemu-storage-daemon (qemu-system-common) is not installed"
command -v qemu-img >/dev/null || fail "qemu-img (qemu-utils) is not installed"
xvmd_start
. "$(dirname "$0")/blklib.sh"
. "$(dirname "$0")/qsdlib.sh"

raw=$TMP/r.img
qc=$TMP/q.qcow2
vd=$TMP/vd1
truncate -s 16M "$raw"
qemu-img create -q -f qcow2 "$qc" 24M || fail "qemu-img create"
"$BIN/vdiskadm" create -t vmdk:sparse -s 32M "$vd" || fail "vdiskadm create $vd"
[ -f "$vd/vdisk.vmdk" ] || fail "vdiskadm made no $vd/vdisk.vmdk: $(ls "$vd")"

qsd_failures "$qc" "$raw"

# hv fails to start after the daemon started: the daemon goes too.
printf 'not a kernel\n' >"$TMP/notakernel"
dom_xml hf "workload=idle" "" "$(qdisk "$qc" vda qcow2)"
sed -i "s:<kernel>.*</kernel>:<kernel>$TMP/notakernel</kernel>:" "$TMP/hf.xml"
V define "$TMP/hf.xml" >/dev/null || fail "define hf"
expect_fail "hv for 'hf' failed to start" start hf
qsd_gone hf
V undefine hf >/dev/null

# The domain: qcow2 (vda, two request queues: the export's num-queues),
# raw (vdb), vmdk vdisk (vdc); 8 requests in flight.
disks="<disk type='file' device='disk'><driver name='qemu' type='qcow2' queues='2'/><source file='$qc'/><target dev='vda' bus='virtio'/></disk>"
disks="$disks$(qdisk "$raw" vdb raw)$(qdisk "$vd" vdc vmdk)"
dom_xml d1 "workload=blkwrite,idle blk_sectors=4096 blk_seed=7 blk_disks=3 blk_qd=8" "" "$disks"
V define "$TMP/d1.xml" >/dev/null || fail "define d1"
V start d1 >/dev/null || fail "start d1"
for s in 7 8 9; do
	wait_for_line "$(conlog d1)" "^guest: blk: ok 4096 sectors from 0 seed $s " 240 ||
		{ cat "$(conlog d1)"; fail "d1: no 'blk: ok' line for seed $s"; }
done
for l in 'blk0: 32768 sectors' 'blk1: 49152 sectors' 'blk2: 65536 sectors'; do
	grep -q "^guest: $l\$" "$(conlog d1)" || { cat "$(conlog d1)"; fail "d1: no '$l' line"; }
done
grep -q '^guest: blk1: 2 queues of 256$' "$(conlog d1)" || { cat "$(conlog d1)"; fail "d1: blk1 (qcow2, queues='2') without 2 queues"; }
pass "d1: the guest sees blk0 raw 16 MiB, blk1 qcow2 24 MiB (2 queues), blk2 vmdk 32 MiB; wrote, flushed, read back each with 8 in flight"
qdir=$XVM_RUNDIR/xvmd/qsd/d1
qpid=$(cat "$qdir/qsd.pid") || fail "no $qdir/qsd.pid"
kill -0 "$qpid" || fail "qemu-storage-daemon $qpid is not running"
tr '\0' '\n' <"/proc/$qpid/cmdline" | grep -q '^qemu-storage-daemon$\|/qemu-storage-daemon$' || fail "pid $qpid is not qemu-storage-daemon"
tr '\0' '\n' <"/proc/$qpid/cmdline" | grep -q "^type=vhost-user-blk,id=e0,.*,writable=on,num-queues=2$" ||
	fail "qemu-storage-daemon's export of vda without num-queues=2: $(tr '\0' ' ' <"/proc/$qpid/cmdline")"
[ -S "$qdir/disk0.sock" ] && [ -S "$qdir/disk2.sock" ] && [ ! -e "$qdir/disk1.sock" ] ||
	fail "daemon sockets: $(ls "$qdir")"
cmd=$(tr '\0' ' ' <"/proc/$(hvpid d1)/cmdline")
echo "$cmd" | grep -q -- "--disk path=$raw,format=raw --vhost-user-blk $qdir/disk0.sock --vhost-user-blk $qdir/disk2.sock" ||
	fail "hv's command line: $cmd"
pass "one qemu-storage-daemon ($qpid) for d1 in $qdir, sockets disk0 and disk2; hv: --disk raw, --vhost-user-blk x2"

V domblklist d1 | tee "$TMP/blklist"
grep -Eq "^ *vda +$qc$" "$TMP/blklist" && grep -Eq "^ *vdb +$raw$" "$TMP/blklist" &&
	grep -Eq "^ *vdc +$vd$" "$TMP/blklist" || fail "domblklist: $(cat "$TMP/blklist")"
V domblkinfo d1 vda | tee "$TMP/info-a"
grep -Eq '^Capacity: +25165824$' "$TMP/info-a" || fail "domblkinfo vda capacity: $(cat "$TMP/info-a")"
alloc=$(( $(stat -c %b "$qc") * $(stat -c %B "$qc") ))
grep -Eq "^Allocation: +$alloc$" "$TMP/info-a" || fail "domblkinfo vda allocation (expected $alloc): $(cat "$TMP/info-a")"
grep -Eq "^Physical: +$(stat -c %s "$qc")$" "$TMP/info-a" || fail "domblkinfo vda physical: $(cat "$TMP/info-a")"
V domblkinfo d1 vdc | grep -Eq '^Capacity: +33554432$' || fail "domblkinfo vdc: $(V domblkinfo d1 vdc)"
V domblkinfo d1 vdb | grep -Eq '^Capacity: +16777216$' || fail "domblkinfo vdb: $(V domblkinfo d1 vdb)"
pass "domblkinfo: vda capacity 25165824 (qcow2 virtual size), allocation $alloc; vdc 33554432 (vmdk); vdb 16777216"

V domblkstat d1 vdb | tee "$TMP/blkstat"
grep -Eq '^vdb +wr_bytes +2097152 *$' "$TMP/blkstat" || fail "domblkstat vdb: $(cat "$TMP/blkstat")"
grep -Eq '^vdb +rd_bytes +2097152 *$' "$TMP/blkstat" || fail "domblkstat vdb: $(cat "$TMP/blkstat")"
expect_fail "disk vda is a qcow2 image served by qemu-storage-daemon: xvmd has no I/O counters for it" domblkstat d1 vda
V domstats --block d1 | tee "$TMP/domstats"
grep -q '^ *block.1.wr.bytes=2097152$' "$TMP/domstats" || fail "domstats: $(cat "$TMP/domstats")"
grep -q '^ *block.0.wr' "$TMP/domstats" && fail "domstats gives counters for the qcow2 disk: $(cat "$TMP/domstats")"
grep -q '^ *block.0.path=' "$TMP/domstats" || fail "domstats: no block.0.path"
pass "domblkstat/domstats: the raw disk's 2097152 bytes on vdb (block.1), none made up for the images"

# The images are d1's while it runs.
dom_xml d2 "workload=idle" "" "$(qdisk "$qc" vda qcow2)"
V define "$TMP/d2.xml" >/dev/null || fail "define d2"
expect_fail "disk $qc is in use by domain d1" start d2
dom_xml d3 "workload=idle" "" "$(qdisk "$vd" vda vmdk "<readonly/>")"
V define "$TMP/d3.xml" >/dev/null || fail "define d3"
expect_fail "disk $vd is in use by domain d1" start d3
[ ! -e "$XVM_RUNDIR/xvmd/qsd/d2" ] && [ ! -e "$XVM_RUNDIR/xvmd/qsd/d3" ] || fail "a refused start left a daemon directory"
# image disks migrate now (75-xvmd-migrate-qcow2): this one fails only
# for want of a destination, and d1 and its daemon are untouched
expect_fail "cannot connect to the destination xvm\+tcp://127.0.0.1:1/system" \
	migrate --live --p2p d1 "xvm+tcp://127.0.0.1:1/system"
kill -0 "$qpid" || fail "d1's daemon $qpid died with the failed migration"
[ "$(V domstate d1)" = running ] || fail "d1: $(V domstate d1)"

# xvmd killed and restarted: d1 and its daemon adopted.
xvmd_kill9
xvmd_start
expect_state d1 running 20
grep -q "dom d1: adopted qemu-storage-daemon $qpid" "$TMP/xvmd.log" || fail "the new xvmd did not adopt daemon $qpid"
kill -0 "$qpid" || fail "the daemon died with xvmd"
pass "xvmd restarted: d1 and its qemu-storage-daemon $qpid adopted"

V destroy d1 >/dev/null || fail "destroy d1"
qsd_gone d1 "$qpid"

qemu-img check -q "$qc" || fail "qemu-img check: the qcow2 image is not clean"
qemu-img check -q -f vmdk "$vd/vdisk.vmdk" || fail "qemu-img check: the vmdk image is not clean"
"$BIN/vdiskadm" verify "$vd" || fail "vdiskadm verify $vd"
pass "qemu-img check: qcow2 and vmdk clean; vdiskadm verify ok"
check_image "$raw" 7 0 4096 || fail "the raw file does not hold seed 7"
qemu-img convert -f qcow2 -O raw "$qc" "$TMP/q.raw" && check_image "$TMP/q.raw" 8 0 4096 ||
	fail "the qcow2 image does not hold seed 8"
qemu-img convert -f vmdk -O raw "$vd/vdisk.vmdk" "$TMP/v.raw" && check_image "$TMP/v.raw" 9 0 4096 ||
	fail "the vmdk image does not hold seed 9"
pass "raw file: seed 7, qcow2: seed 8, vmdk: seed 9 (each disk's own pattern in its own file)"

# Started again with blkcheck: the patterns are there; the guest stays
# up (a guest that powers off at once can lose its last console lines,
# docs/xvmd.md "Known limits") until virsh shutdown presses its power
# button, and the daemon goes with it.
uuid=$(V domuuid d1)
sed -i -e 's/workload=blkwrite,idle/workload=blkcheck,idle/' \
	-e "s:<name>d1</name>:<name>d1</name><uuid>$uuid</uuid>:" "$TMP/d1.xml"
V define "$TMP/d1.xml" >/dev/null || fail "redefine d1"
: >"$(conlog d1)"
V start d1 >/dev/null || fail "start d1 again"
for s in 7 8 9; do
	wait_for_line "$(conlog d1)" "^guest: blkcheck: ok 4096 sectors from 0 seed $s " 240 ||
		{ cat "$(conlog d1)"; fail "d1: blkcheck did not find seed $s"; }
done
pass "d1 started again: blkcheck finds seeds 7, 8, 9 on blk0-2"
V shutdown d1 >/dev/null || fail "shutdown d1"
expect_state d1 "shut off" 60
[ "$(V domstate --reason d1)" = "shut off (shutdown)" ] || fail "d1: $(V domstate --reason d1)"
qsd_gone d1
qemu-img check -q "$qc" || fail "qemu-img check after the second boot"
pass "qemu-img check clean after the second boot"
