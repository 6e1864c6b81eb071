#!/bin/bash
# Domain disks through xvmd: a <disk> with a raw file, defined with stock
# virsh, becomes a virtio-blk disk in the guest: blkwrite's pattern is in
# the file (checked here, from the host); domblklist and domblkinfo show
# it; redefined with blkcheck the next boot finds the pattern; a
# <readonly/> disk refuses the guest's writes; save and restore keep the
# disk; a second domain cannot
# start on a disk a running one writes to; a missing file fails the start
# naming the path, with no VNIC or hv left; a qed driver type is refused
# at define, a cdrom at start (images in qcow2, vmdk, vdi, vpc are
# 84-xvmd-disk-qsd's); a block device (loop) disk with
# cache=none and <driver queues='4'/> (hv's queues=4, the guest keeping
# 16 requests in flight over them) works the same.
# timeout: 400
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
. "$(dirname "$0")/xvmdlib.sh"
require_kvm
net_require
vsw_start
stub=$(vname 9)
vna create-etherstub -t "$stub"
xvmd_start

. "$(dirname "$0")/blklib.sh"

# disk FILE TARGET [EXTRA_XML]: a raw file disk.
disk() {
	echo "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$1'/><target dev='$2' bus='virtio'/>${3:-}</disk>"
}
nic() { echo "<interface type='bridge'><source bridge='$stub'/></interface>"; }
hvpid() { cat "$XVM_RUNDIR/hv/$1.pid" 2>/dev/null; }

img=$TMP/d1.img
truncate -s 16M "$img"

# Refused at define: an image format xvm does not serve.
dom_xml q "workload=idle" "" "<disk type='file' device='disk'><driver name='qemu' type='qed'/><source file='$TMP/q.qed'/><target dev='vda'/></disk>"
expect_fail "unsupported disk driver type 'qed' \\(raw, qcow2, vmdk, vdi, vpc\\)" define "$TMP/q.xml"
V list --all --name | grep -qx q && fail "q was defined"

# Defined, refused at start: a cdrom (hv has no cdrom device).
dom_xml cd "workload=idle" "" "<disk type='file' device='cdrom'><source file='$img'/><target dev='hdc'/><readonly/></disk>"
V define "$TMP/cd.xml" >/dev/null || fail "define cd"
expect_fail "disk hdc \\($img\\) is a cdrom: xvm has no cdrom device" start cd
[ "$(V domstate cd)" = "shut off" ] && [ -z "$(hvpid cd)" ] || fail "cd: $(V domstate cd), hv $(hvpid cd)"
V undefine cd >/dev/null

# A missing file: the start fails naming disk and path; nothing is left.
dom_xml mf "workload=idle" "" "$(disk "$TMP/nope.img" vda)$(nic)"
V define "$TMP/mf.xml" >/dev/null || fail "define mf"
expect_fail "disk vda: '$TMP/nope.img': No such file or directory" start mf
[ "$(V domstate mf)" = "shut off" ] || fail "mf: $(V domstate mf) after a failed start"
[ -z "$(hvpid mf)" ] || fail "mf: hv pid file left"
"$VNICADM" show-vnic | grep -q '^xvm' && fail "mf: failed start left VNICs: $("$VNICADM" show-vnic)"
pass "mf: shut off, no hv, no VNIC left"
V undefine mf >/dev/null

# blkwrite on a raw file, the guest stays up (idle) afterwards.
dom_xml d1 "workload=blkwrite,idle blk_sectors=4096 blk_seed=7" "" "$(disk "$img" vda "<serial>xvmd-d1</serial>")"
V define "$TMP/d1.xml" >/dev/null || fail "define d1"
V start d1 >/dev/null || fail "start d1"
wait_for_line "$(conlog d1)" '^guest: blk: ok 4096 sectors from 0 seed 7 ' 180 ||
	{ cat "$(conlog d1)"; fail "d1: no 'blk: ok' line"; }
grep -q '^guest: blk0: 32768 sectors$' "$(conlog d1)" || fail "d1: the guest did not see 32768 sectors"
pass "d1: the guest wrote, flushed and read back 4096 sectors on its 16 MiB disk"
tr '\0' ' ' <"/proc/$(hvpid d1)/cmdline" | grep -q -- "--disk path=$img,format=raw,serial=xvmd-d1 " ||
	fail "hv's command line: $(tr '\0' ' ' <"/proc/$(hvpid d1)/cmdline")"
check_image "$img" 7 0 4096 || fail "the file does not hold what the guest wrote"
pass "the raw file holds the guest's pattern (sectors 0, 1, 2048, 4095 checked on the host)"

V domblklist d1 | tee "$TMP/blklist"
grep -Eq "^ *vda +$img$" "$TMP/blklist" || fail "domblklist: $(cat "$TMP/blklist")"
pass "domblklist d1: vda $img"
V domblkinfo d1 vda | tee "$TMP/blkinfo"
alloc=$(( $(stat -c %b "$img") * $(stat -c %B "$img") ))
grep -Eq '^Capacity: +16777216$' "$TMP/blkinfo" || fail "domblkinfo capacity: $(cat "$TMP/blkinfo")"
grep -Eq "^Allocation: +$alloc$" "$TMP/blkinfo" || fail "domblkinfo allocation (expected $alloc): $(cat "$TMP/blkinfo")"
grep -Eq '^Physical: +16777216$' "$TMP/blkinfo" || fail "domblkinfo physical: $(cat "$TMP/blkinfo")"
[ "$alloc" -ge $((4096 * 512)) ] || fail "allocation $alloc is less than what the guest wrote"
V domblkinfo d1 "$img" | grep -Eq '^Capacity: +16777216$' || fail "domblkinfo by path"
expect_fail "invalid path vdz not assigned to domain" domblkinfo d1 vdz
pass "domblkinfo d1: capacity 16777216, allocation $alloc (the file's blocks), physical 16777216"

# domblkstat: hv's counters of completed requests. blkwrite wrote 4096
# sectors, flushed, read them back: 2 MiB each way, at least one flush.
V domblkstat d1 vda | tee "$TMP/blkstat"
grep -Eq '^vda +wr_bytes +2097152 *$' "$TMP/blkstat" || fail "domblkstat wr_bytes: $(cat "$TMP/blkstat")"
grep -Eq '^vda +rd_bytes +2097152 *$' "$TMP/blkstat" || fail "domblkstat rd_bytes: $(cat "$TMP/blkstat")"
grep -Eq '^vda +wr_req +[1-9][0-9]* *$' "$TMP/blkstat" || fail "domblkstat wr_req: $(cat "$TMP/blkstat")"
grep -Eq '^vda +flush_operations +[1-9][0-9]* *$' "$TMP/blkstat" || fail "domblkstat flush: $(cat "$TMP/blkstat")"
grep -Eq '^vda +errs +0 *$' "$TMP/blkstat" || fail "domblkstat errs: $(cat "$TMP/blkstat")"
V domblkstat d1 "$img" | grep -Eq '^.* wr_bytes +2097152 *$' || fail "domblkstat by path"
expect_fail "invalid path: vdz" domblkstat d1 vdz
V domstats --block d1 | tee "$TMP/domstats"
grep -q '^ *block.0.wr.bytes=2097152$' "$TMP/domstats" || fail "domstats block.0.wr.bytes: $(cat "$TMP/domstats")"
grep -q '^ *block.0.rd.bytes=2097152$' "$TMP/domstats" || fail "domstats block.0.rd.bytes: $(cat "$TMP/domstats")"
pass "domblkstat d1 / domstats --block: 2097152 bytes written and read, a flush, no error"

# The same file for a second domain while d1 writes to it: refused.
dom_xml d2 "workload=idle" "" "$(disk "$img" vda)$(nic)"
V define "$TMP/d2.xml" >/dev/null || fail "define d2"
expect_fail "disk $img is in use by domain d1" start d2
[ "$(V domstate d2)" = "shut off" ] && [ -z "$(hvpid d2)" ] || fail "d2: $(V domstate d2), hv $(hvpid d2)"
"$VNICADM" show-vnic | grep -q '^xvm' && fail "d2: refused start left VNICs"
[ "$(V domstate d1)" = running ] || fail "d1 is $(V domstate d1)"
pass "d2: refused, no hv, no VNIC; d1 still running"

# save and restore: the restored hv has the same disk.
V save d1 "$TMP/d1.save" >/dev/null || fail "save d1"
[ "$(V domstate d1)" = "shut off" ] || fail "d1 after save: $(V domstate d1)"
V restore "$TMP/d1.save" >/dev/null || { tail -n 5 "$XVM_RUNDIR/hv/d1.log"; fail "restore d1"; }
[ "$(V domstate d1)" = running ] || fail "d1 after restore: $(V domstate d1)"
tr '\0' ' ' <"/proc/$(hvpid d1)/cmdline" | grep -q -- "--restore .*--disk path=$img,format=raw,serial=xvmd-d1 " ||
	fail "restored hv's command line: $(tr '\0' ' ' <"/proc/$(hvpid d1)/cmdline")"
expect_fail "disk $img is in use by domain d1" start d2
pass "d1 saved and restored with its disk (hv --restore ... --disk), still in use"
V destroy d1 >/dev/null || fail "destroy d1"

# Redefined with blkcheck: the next boot finds the pattern.
uuid=$(V domuuid d1)
sed -i -e 's/workload=blkwrite,idle/workload=blkcheck/' \
	-e "s:<name>d1</name>:<name>d1</name><uuid>$uuid</uuid>:" "$TMP/d1.xml"
V define "$TMP/d1.xml" >/dev/null || fail "redefine d1"
V dumpxml --inactive d1 | grep -q 'workload=blkcheck' || fail "d1's definition did not change"
V start d1 >/dev/null || fail "start d1 again"
wait_for_line "$(conlog d1)" '^guest: blkcheck: ok 4096 sectors from 0 seed 7 ' 180 ||
	{ cat "$(conlog d1)"; fail "d1: blkcheck did not find the pattern"; }
pass "d1 rebooted with blkcheck: the pattern is there"
expect_state d1 "shut off" 60

# A read-only disk: the guest's write gets an I/O error, the file is
# untouched.
sum=$(md5sum <"$img")
dom_xml ro "workload=blkro" "" "$(disk "$img" vdb "<readonly/>")"
V define "$TMP/ro.xml" >/dev/null && V start ro >/dev/null || fail "start ro"
wait_for_line "$(conlog ro)" '^guest: blkro: write ' 180 || { cat "$(conlog ro)"; fail "ro: no blkro write line"; }
grep -q '^guest: blkro: device says read-only$' "$(conlog ro)" || fail "ro: $(grep blkro "$(conlog ro)")"
grep -q '^guest: blkro: write refused: I/O error$' "$(conlog ro)" || fail "ro: $(grep blkro "$(conlog ro)")"
expect_state ro "shut off" 60
[ "$(md5sum <"$img")" = "$sum" ] || fail "the read-only disk's file changed"
pass "ro: read-only disk, the guest's write refused, the file unchanged"

# A block device (a loop device over a file of ours), cache='none':
# hv opens it O_DIRECT; domblkinfo gives the device's size throughout.
command -v losetup >/dev/null || fail "losetup (util-linux) is not installed"
limg=$TMP/loop.img
truncate -s 8M "$limg"
loopdev=$(losetup -f --show "$limg") || fail "cannot make a loop device (losetup -f --show $limg)"
at_exit "losetup -d $loopdev"
dom_xml bd "workload=blkwrite,idle blk_start=100 blk_sectors=2048 blk_seed=11 blk_qd=16" "" \
	"<disk type='block' device='disk'><driver name='qemu' type='raw' cache='none' queues='4'/><source dev='$loopdev'/><target dev='xvda' bus='xen'/></disk>"
V define "$TMP/bd.xml" >/dev/null && V start bd >/dev/null || fail "start bd"
wait_for_line "$(conlog bd)" '^guest: blk: ok 2048 sectors from 100 seed 11 ' 180 ||
	{ cat "$(conlog bd)"; fail "bd: no 'blk: ok' line"; }
grep -q '^guest: blk0: 16384 sectors$' "$(conlog bd)" || fail "bd: the guest did not see 16384 sectors"
grep -q '^guest: blk0: 4 queues of 256$' "$(conlog bd)" || fail "bd: the guest did not see 4 queues"
grep -q '^guest: blk: requests per queue: 8 8 8 8$' "$(conlog bd)" || fail "bd: the queues were not all used"
V dumpxml bd | grep -q "queues='4'" || fail "bd: dumpxml lost queues='4'"
tr '\0' ' ' <"/proc/$(hvpid bd)/cmdline" | grep -q -- "--disk path=$loopdev,format=raw,cache=none,queues=4 " ||
	fail "bd: hv's command line: $(tr '\0' ' ' <"/proc/$(hvpid bd)/cmdline")"
V domblkinfo bd xvda | tee "$TMP/bdinfo"
for f in Capacity Allocation Physical; do
	grep -Eq "^$f: +8388608$" "$TMP/bdinfo" || fail "bd: domblkinfo $f: $(cat "$TMP/bdinfo")"
done
V destroy bd >/dev/null || fail "destroy bd"
check_image "$limg" 11 100 2048 || fail "the loop device's file does not hold what the guest wrote"
pass "bd: a block device disk (cache=none, queues='4', 16 requests in flight) written by the guest; domblkinfo 8388608 throughout"
