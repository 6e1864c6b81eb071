#!/bin/bash
# Stock virt-install 4.1 against xvmd with a new disk (issue 14):
# `virt-install --paravirt ... --disk size=1 --noautoconsole` creates a
# 1 GiB volume vi1.img in pool "default" ($XVM_STATEDIR/images; raw: what
# virt-install picks on a connection that is not QEMU's), defines and
# starts the guest on it; the guest sees 2097152 sectors, writes, flushes
# and reads back its pattern, which the host then finds in the file;
# redefined with blkcheck, the next boot finds the pattern again; the
# volume cannot be deleted or resized while the guest runs.
# `--disk size=1,format=raw` does the same for a second guest. With
# format=qcow2 virt-install makes a qcow2 volume but writes no driver type
# (only for QEMU connections does it), so the guest would see the qcow2
# file as raw bytes: xvmd refuses that definition, naming the volume, and
# virt-install removes the volume it made (qcow2 disks need
# qemu-storage-daemon, another branch's work).
# timeout: 400
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
require_kvm
command -v virt-install >/dev/null || fail "virt-install not installed (virtinst)"
xvmd_start
. "$(dirname "$0")/blklib.sh"
img=$XVM_STATEDIR/images

# vinstall NAME CMDLINE DISK: virt-install of a PV guest, our kernel.
vinstall() {
	timeout 120 virt-install --connect "$URI" --paravirt --name "$1" \
		--memory 32 --vcpus 1 --import \
		--boot "kernel=$GUEST,kernel_args=$2" --disk "$3" \
		--network none --graphics none --noautoconsole \
		--osinfo detect=on,require=off
}

vinstall vi1 "workload=blkwrite,idle blk_sectors=4096 blk_seed=7" size=1 >"$TMP/vi1.out" 2>&1 ||
	{ cat "$TMP/vi1.out"; tail -n 20 "$TMP/xvmd.log"; fail "virt-install vi1"; }
cat "$TMP/vi1.out"
V vol-list default --details | tee "$TMP/vols"
grep -Eq "^ *vi1.img +$img/vi1.img +file +1.00 GiB " "$TMP/vols" || fail "no vi1.img volume: $(cat "$TMP/vols")"
[ "$(stat -c %s "$img/vi1.img")" = 1073741824 ] || fail "vi1.img: $(stat -c %s "$img/vi1.img") bytes"
qemu-img info -U --output=json "$img/vi1.img" | grep -q '"format": "raw"' || fail "vi1.img is not raw"
V dumpxml vi1 | grep -q "<source file='$img/vi1.img'/>" || fail "vi1's disk: $(V dumpxml vi1 | grep -A4 '<disk')"
[ "$(V domstate vi1)" = running ] || fail "vi1: $(V domstate vi1)"
pass "virt-install --disk size=1: raw volume vi1.img (1 GiB) in pool default, vi1 defined and running on it"

wait_for_line "$(conlog vi1)" '^guest: blk: ok 4096 sectors from 0 seed 7 ' 180 ||
	{ cat "$(conlog vi1)"; fail "vi1: no 'blk: ok' line"; }
grep -q '^guest: blk0: 2097152 sectors$' "$(conlog vi1)" || fail "vi1: the guest did not see 2097152 sectors"
check_image "$img/vi1.img" 7 0 4096 || fail "vi1.img does not hold what the guest wrote"
pass "vi1: the guest wrote, flushed and read back 4096 sectors; the volume holds them"

# Reboot on the same volume with blkcheck: the pattern is still there.
V destroy vi1 >/dev/null || fail "destroy vi1"
V dumpxml --inactive vi1 | sed 's/workload=blkwrite,idle/workload=blkcheck,idle/' >"$TMP/vi1.xml"
V define "$TMP/vi1.xml" >/dev/null || fail "redefine vi1"
: >"$(conlog vi1)"
V start vi1 >/dev/null || fail "start vi1"
wait_for_line "$(conlog vi1)" '^guest: blkcheck: ok 4096 sectors from 0 seed 7 ' 180 ||
	{ cat "$(conlog vi1)"; fail "vi1: blkcheck did not find the pattern"; }
pass "vi1 restarted with blkcheck: the pattern is on the volume"
expect_fail "storage volume 'vi1.img' is in use by running domain 'vi1'" vol-delete --pool default vi1.img
expect_fail "storage volume 'vi1.img' is in use by running domain 'vi1'" vol-resize --pool default vi1.img 2G
[ "$(stat -c %s "$img/vi1.img")" = 1073741824 ] || fail "vi1.img changed under its guest"
V destroy vi1 >/dev/null || fail "destroy vi1"

# format=raw said explicitly.
vinstall vi2 "workload=blkwrite,idle blk_start=1000 blk_sectors=2048 blk_seed=9" size=1,format=raw >"$TMP/vi2.out" 2>&1 ||
	{ cat "$TMP/vi2.out"; fail "virt-install vi2"; }
wait_for_line "$(conlog vi2)" '^guest: blk: ok 2048 sectors from 1000 seed 9 ' 180 ||
	{ cat "$(conlog vi2)"; fail "vi2: no 'blk: ok' line"; }
check_image "$img/vi2.img" 9 1000 2048 || fail "vi2.img does not hold what the guest wrote"
pass "virt-install --disk size=1,format=raw: vi2.img written by its guest"

# format=qcow2: the volume is made, the driverless disk refused.
vinstall vq "workload=idle" size=1,format=qcow2 >"$TMP/vq.out" 2>&1 && fail "virt-install vq succeeded: $(cat "$TMP/vq.out")"
cat "$TMP/vq.out"
grep -q "volume 'vq.qcow2' of pool 'default' is a qcow2 image" "$TMP/vq.out" || fail "vq: $(cat "$TMP/vq.out")"
grep -q "volume vq.qcow2 created (qcow2, 1073741824 bytes)" "$TMP/xvmd.log" || fail "vq.qcow2 was not made"
V list --all --name | grep -q '^vq' && fail "vq was defined"
[ -e "$img/vq.qcow2" ] && fail "vq.qcow2 left behind"
pass "format=qcow2: volume made, definition refused (its disk would be read as raw), volume removed"
V destroy vi2 >/dev/null 2>&1
true
