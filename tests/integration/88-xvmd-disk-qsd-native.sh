#!/bin/bash
# xvmd's side of image disks (issue 14) without KVM: hv is
# tests/tools/fake-hv, which takes --disk and --vhost-user-blk, connects
# to each vhost-user-blk socket as hv does and reports blkstats for its
# --disk files. A domain with a qcow2 disk, a raw one and a vmdk vdisk
# made by vdiskadm: one qemu-storage-daemon in $XVM_RUNDIR/xvmd/qsd/NAME
# exporting the two images, hv given --disk for the raw file (a vdisk of
# type raw too) and --vhost-user-blk for the images; domblkinfo gives
# virtual sizes, domblkstat maps hv's counters to the raw disks past the
# images between them and refuses the images'; a second writer is
# refused, a migration to nobody leaves the daemon running (image disks
# migrate: 75-xvmd-migrate-qcow2); save stops the daemon and restore
# starts a new
# one; xvmd killed and restarted adopts the daemon,
# and one restarted after its domain died removes the daemon; destroy
# and shutdown stop it and remove its directory. The refusals of
# 84-xvmd-disk-qsd (an image given as raw, a raw file given as vmdk, a
# damaged header with the daemon's message, hv failing after the daemon
# started) leave nothing behind. The guest's reads and writes are
# 84-xvmd-disk-qsd's (KVM).
# timeout: 180
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
command -v qemu-storage-daemon >/dev/null || fail "qemu-storage-daemon (qemu-system-common) is not installed"
command -v qemu-img >/dev/null || fail "qemu-img (qemu-utils) is not installed"
FAKE=$TOP/tests/tools/fake-hv
xvmd_start --hv "$FAKE"
. "$(dirname "$0")/qsdlib.sh"

raw=$TMP/r.img
qc=$TMP/q.qcow2
vd=$TMP/vd1
vr=$TMP/vr
truncate -s 16M "$raw"
qemu-img create -q -f qcow2 "$qc" 24M || fail "qemu-img create"
"$BIN/vdiskadm" create -t vmdk:sparse -s 32M "$vd" || fail "vdiskadm create $vd"
"$BIN/vdiskadm" create -t raw -s 8M "$vr" || fail "vdiskadm create $vr"

qsd_failures "$qc" "$raw"

printf 'not a kernel\n' >"$TMP/notakernel"
dom_xml hf "workload=idle" "" "$(qdisk "$qc" vda qcow2)"
sed -i "s:<kernel>.*</kernel>:<kernel>$TMP/notakernel</kernel>:" "$TMP/hf.xml"
V define "$TMP/hf.xml" >/dev/null || fail "define hf"
expect_fail "hv for 'hf' failed to start: hv: $TMP/notakernel: not a kernel" start hf
qsd_gone hf
V undefine hf >/dev/null

# qcow2 (vda), raw (vdb), vmdk vdisk (vdc), raw vdisk (vdd, no type)
disks="$(qdisk "$qc" vda qcow2)$(qdisk "$raw" vdb raw)$(qdisk "$vd" vdc vmdk)"
disks="$disks<disk type='file'><source file='$vr'/><target dev='vdd'/></disk>"
dom_xml d1 "workload=idle" "" "$disks"
V define "$TMP/d1.xml" >/dev/null || fail "define d1"
V start d1 >/dev/null || fail "start d1"
qdir=$XVM_RUNDIR/xvmd/qsd/d1
qpid=$(cat "$qdir/qsd.pid") || fail "no $qdir/qsd.pid"
kill -0 "$qpid" || fail "qemu-storage-daemon $qpid is not running"
[ -S "$qdir/disk0.sock" ] && [ -S "$qdir/disk2.sock" ] && [ ! -e "$qdir/disk1.sock" ] ||
	fail "daemon sockets: $(ls "$qdir")"
qargs=$(tr '\0' ' ' <"/proc/$qpid/cmdline")
echo "$qargs" | grep -q "driver=qcow2,node-name=d0,file=f0" && echo "$qargs" | grep -q "filename=$vd/vdisk.vmdk," ||
	fail "qemu-storage-daemon's command line: $qargs"
cmd=$(tr '\0' ' ' <"/proc/$(hvpid d1)/cmdline")
echo "$cmd" | grep -q -- "--disk path=$raw,format=raw --disk path=$vr/vdisk.raw,format=raw --vhost-user-blk $qdir/disk0.sock --vhost-user-blk $qdir/disk2.sock" ||
	fail "hv's command line: $cmd"
pass "d1: qemu-storage-daemon $qpid exports vda (qcow2) and vdc (vmdk vdisk); hv serves vdb and vdd's vdisk.raw"

V domblkinfo d1 vda | grep -Eq '^Capacity: +25165824$' || fail "domblkinfo vda: $(V domblkinfo d1 vda)"
V domblkinfo d1 vdc | grep -Eq '^Capacity: +33554432$' || fail "domblkinfo vdc: $(V domblkinfo d1 vdc)"
V domblkinfo d1 vdd | grep -Eq '^Capacity: +8388608$' || fail "domblkinfo vdd: $(V domblkinfo d1 vdd)"
V domblkinfo --domain d1 --human --all >/dev/null 2>&1
pass "domblkinfo: vda 25165824, vdc 33554432 (virtual sizes), vdd 8388608"
V domblkstat d1 vdb | grep -Eq '^vdb +wr_bytes +512 *$' || fail "domblkstat vdb: $(V domblkstat d1 vdb)"
V domblkstat d1 vdd | grep -Eq '^vdd +wr_bytes +1024 *$' || fail "domblkstat vdd: $(V domblkstat d1 vdd)"
expect_fail "disk vdc is a vmdk image served by qemu-storage-daemon: xvmd has no I/O counters for it" domblkstat d1 vdc
V domstats --block d1 >"$TMP/domstats"
grep -q '^ *block.1.wr.bytes=512$' "$TMP/domstats" && grep -q '^ *block.3.wr.bytes=1024$' "$TMP/domstats" ||
	fail "domstats: $(cat "$TMP/domstats")"
grep -q '^ *block.[02].wr' "$TMP/domstats" && fail "domstats: counters for an image: $(cat "$TMP/domstats")"
pass "domblkstat/domstats: hv's first disk is vdb (512), its second vdd (1024); none for vda, vdc"

dom_xml d2 "workload=idle" "" "$(qdisk "$vd" vda vmdk "<readonly/>")"
V define "$TMP/d2.xml" >/dev/null || fail "define d2"
expect_fail "disk $vd is in use by domain d1" start d2
qsd_gone d2
# image disks migrate now (75-xvmd-migrate-qcow2): this one fails only
# for want of a destination, and d1 and its daemon are untouched
expect_fail "cannot connect to the destination xvm\+tcp://127.0.0.1:1/system" \
	migrate --live --p2p d1 "xvm+tcp://127.0.0.1:1/system"
kill -0 "$qpid" || fail "d1's daemon $qpid died with the failed migration"

xvmd_kill9
xvmd_start --hv "$FAKE"
expect_state d1 running 20
grep -q "dom d1: adopted qemu-storage-daemon $qpid" "$TMP/xvmd.log" || fail "the new xvmd did not adopt daemon $qpid"
expect_fail "disk $vd is in use by domain d1" start d2
V destroy d1 >/dev/null || fail "destroy d1"
qsd_gone d1 "$qpid"

# shutdown: the daemon goes with hv
V start d1 >/dev/null || fail "start d1 again"
qpid=$(cat "$qdir/qsd.pid")
V shutdown d1 >/dev/null || fail "shutdown d1"
expect_state d1 "shut off" 20
qsd_gone d1 "$qpid"

# save stops the daemon; restore starts a new one for the new hv
V start d1 >/dev/null || fail "start d1 for save"
qpid=$(cat "$qdir/qsd.pid")
V save d1 "$TMP/d1.save" >/dev/null || fail "save d1"
qsd_gone d1 "$qpid"
V restore "$TMP/d1.save" >/dev/null || fail "restore d1"
expect_state d1 running 20
npid=$(cat "$qdir/qsd.pid") || fail "restored d1 has no daemon"
[ "$npid" != "$qpid" ] && kill -0 "$npid" || fail "restored d1: daemon $npid"
tr '\0' ' ' <"/proc/$(hvpid d1)/cmdline" | grep -q -- "--restore .*--vhost-user-blk $qdir/disk0.sock --vhost-user-blk $qdir/disk2.sock" ||
	fail "restored hv's command line: $(tr '\0' ' ' <"/proc/$(hvpid d1)/cmdline")"
pass "d1 saved (daemon $qpid gone) and restored with a new daemon $npid and hv --restore ... --vhost-user-blk"
V destroy d1 >/dev/null || fail "destroy restored d1"
qsd_gone d1 "$npid"

# xvmd dies, the domain dies, xvmd comes back: the daemon is removed
V start d1 >/dev/null || fail "start d1 a third time"
qpid=$(cat "$qdir/qsd.pid")
xvmd_kill9
kill -9 "$(hvpid d1)"
xvmd_start --hv "$FAKE"
expect_state d1 "shut off" 20
qsd_gone d1 "$qpid"
qemu-img check -q "$qc" || fail "qemu-img check: the qcow2 image is not clean"
pass "qemu-img check clean after three daemons"
