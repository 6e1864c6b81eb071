#!/bin/bash
# Storage volumes through xvmd with stock virsh and python3-libvirt:
# vol-wipe of a raw volume (every byte zero, size and allocation kept) and
# of a qcow2 one (zeros to the guest, still a clean qcow2 of the same
# capacity); vol-wipe --algorithm other than zero refused; vol-clone
# (qemu-img convert: same bytes, independent of its source), vol-create-from
# into another format (qemu-img compare equal) and larger; vdiskadm vdisks
# in the pool's directory listed as volumes (type dir, the vdisk's format
# and capacity), cloned from, while delete/resize/wipe of them are refused;
# a clone never opens a backing file a volume's header names;
# python3-libvirt's wipe, wipePattern and createXMLFrom; a volume that a
# running domain uses is neither wiped nor cloned. With a qemu-img that
# takes 4 s per convert (XVM_QEMU_IMG, a wrapper), a clone and a wipe run
# beside xvmd's loop: virsh list answers meanwhile, the busy volumes
# refuse delete, wipe and resize, both calls complete; an xvmd stopped
# during a clone removes the unfinished file.
# timeout: 180
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
command -v virsh >/dev/null || fail "virsh not installed (libvirt-clients)"
command -v qemu-img >/dev/null || fail "qemu-img not installed (qemu-utils)"
command -v qemu-io >/dev/null || fail "qemu-io not installed (qemu-utils)"
VDISKADM=$BIN/vdiskadm
[ -x "$VDISKADM" ] || fail "$VDISKADM is not built"
xvmd_start
img=$XVM_STATEDIR/images
M16=$((16 << 20))

qinfo() {
	qemu-img info -U --output=json "$1" |
		python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}
# vinfo VOL FIELD: a vol-info line's value (Type:, Capacity:, ...).
vinfo() { V vol-info --pool default "$1" | awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }'; }
zeros() { cmp -s -n "$2" "$1" /dev/zero; }

# ---- wipe ----
V vol-create-as default w.img 16M --format raw >/dev/null || fail "vol-create-as w.img"
head -c $M16 /dev/urandom >"$TMP/pattern"
dd if="$TMP/pattern" of="$img/w.img" bs=1M conv=notrunc status=none
zeros "$img/w.img" $M16 && fail "the pattern did not land"
V vol-wipe --pool default w.img >/dev/null || fail "vol-wipe w.img"
zeros "$img/w.img" $M16 || fail "w.img not all zeros after vol-wipe"
[ "$(stat -c %s "$img/w.img")" = $M16 ] || fail "w.img's size changed: $(stat -c %s "$img/w.img")"
[ "$(du -k "$img/w.img" | cut -f1)" -ge 16384 ] || fail "zeros not written (sparse: $(du -k "$img/w.img"))"
pass "vol-wipe of a raw volume: 16 MiB of zeros written, size kept"

V vol-create-as default q.qcow2 16M --format qcow2 >/dev/null || fail "vol-create-as q.qcow2"
qemu-io -f qcow2 -c 'write -P 0xab 0 4M' "$img/q.qcow2" >/dev/null || fail "qemu-io write"
qemu-io -f qcow2 -c 'read -P 0xab 0 4M' "$img/q.qcow2" | grep -q 'read 4194304/' || fail "pattern not in q.qcow2"
V pool-refresh default >/dev/null
V vol-wipe --pool default q.qcow2 >/dev/null || fail "vol-wipe q.qcow2"
[ "$(qinfo "$img/q.qcow2" format) $(qinfo "$img/q.qcow2" virtual-size)" = "qcow2 $M16" ] ||
	fail "q.qcow2 after wipe: $(qemu-img info "$img/q.qcow2")"
qemu-img check -q "$img/q.qcow2" || fail "qemu-img check of the wiped q.qcow2"
qemu-io -f qcow2 -c 'read -P 0 0 16M' "$img/q.qcow2" | grep -q 'read 16777216/' ||
	fail "the wiped q.qcow2 does not read as zeros"
grep -c $'\xab\xab\xab\xab\xab\xab\xab\xab' "$img/q.qcow2" >/dev/null && fail "the old pattern is still in the file"
pass "vol-wipe of a qcow2 volume: reads as zeros, a clean 16 MiB qcow2 again, old bytes gone"

expect_fail "wiping algorithm 2: xvmd writes zeros only" vol-wipe --pool default w.img --algorithm dod

# ---- clone ----
dd if="$TMP/pattern" of="$img/w.img" bs=1M conv=notrunc status=none
V pool-refresh default >/dev/null
V vol-clone --pool default w.img c.img >/dev/null || fail "vol-clone w.img c.img"
cmp -s "$img/w.img" "$img/c.img" || fail "c.img differs from w.img"
dd if=/dev/zero of="$img/w.img" bs=1M count=1 conv=notrunc status=none
cmp -s -n 1048576 "$img/c.img" "$TMP/pattern" || fail "c.img changed with its source"
[ "$(vinfo c.img Capacity)" = "16.00 MiB" ] || fail "c.img capacity: $(vinfo c.img Capacity)"
pass "vol-clone: c.img has w.img's bytes and does not follow it"
cat >"$TMP/cq.xml" <<XML
<volume><name>cq.qcow2</name><capacity unit='MiB'>32</capacity>
<target><format type='qcow2'/></target></volume>
XML
V vol-create-from default "$TMP/cq.xml" --inputpool default c.img >/dev/null || fail "vol-create-from cq.qcow2"
[ "$(qinfo "$img/cq.qcow2" format) $(qinfo "$img/cq.qcow2" virtual-size)" = "qcow2 $((32 << 20))" ] ||
	fail "cq.qcow2: $(qemu-img info "$img/cq.qcow2")"
qemu-img check -q "$img/cq.qcow2" || fail "qemu-img check cq.qcow2"
qemu-io -f qcow2 -c 'read -P 0 16M 16M' "$img/cq.qcow2" | grep -q 'read 16777216/' || fail "cq.qcow2's growth is not zeros"
# the first 16 MiB are c.img's
qemu-img convert -f qcow2 -O raw "$img/cq.qcow2" "$TMP/cq.raw"
cmp -s -n $M16 "$TMP/cq.raw" "$img/c.img" || fail "cq.qcow2 does not hold c.img's bytes"
rm -f "$TMP/cq.raw"
pass "vol-create-from raw -> qcow2, 16 -> 32 MiB: same bytes, zeros after, qemu-img check clean"
expect_fail "storage volume 'c.img' exists already" vol-clone --pool default w.img c.img
# A guest may write a qcow2 header naming a backing file into its raw
# disk; the listing then calls the volume qcow2, but a clone opens no
# backing file: the host file's bytes do not reach the copy.
echo "xvm-secret-$$" >"$TMP/secret"
V vol-create-as default ev.img 1M --format raw >/dev/null || fail "vol-create-as ev.img"
qemu-img create -q -f qcow2 -b "$TMP/secret" -F raw "$TMP/ev.qcow2" 1M
cat "$TMP/ev.qcow2" >"$img/ev.img"
V pool-refresh default >/dev/null
V vol-clone --pool default ev.img ev2.img >/dev/null || fail "vol-clone ev.img"
grep -q "xvm-secret-$$" "$img/ev2.img" && fail "the clone holds the backing file's bytes"
[ "$(qinfo "$img/ev2.img" format)" = qcow2 ] || fail "ev2.img: $(qemu-img info "$img/ev2.img")"
qemu-img info -U "$img/ev2.img" | grep -q '^backing file' && fail "ev2.img has a backing file"
qemu-io -f qcow2 -c 'read -P 0 0 1M' "$img/ev2.img" | grep -q 'read 1048576/' || fail "ev2.img does not read as zeros"
pass "a volume posing as qcow2 with a backing file: the clone is a qcow2 without one, zeros, the host file not read"

# ---- vdisks ----
"$VDISKADM" create -s 8m -t vmdk:sparse "$img/vd1" || fail "vdiskadm create vd1"
"$VDISKADM" create -s 4m -t vdi:fixed "$img/vd2" || fail "vdiskadm create vd2"
V pool-refresh default >/dev/null || fail "pool-refresh"
V vol-list default | tee "$TMP/vols"
grep -Eq "^ *vd1 +$img/vd1 *$" "$TMP/vols" && grep -Eq "^ *vd2 +$img/vd2 *$" "$TMP/vols" ||
	fail "vdisks not listed"
[ "$(vinfo vd1 Type)" = dir ] && [ "$(vinfo vd1 Capacity)" = "8.00 MiB" ] &&
	[ "$(vinfo vd2 Capacity)" = "4.00 MiB" ] || fail "vol-info vd1/vd2: $(V vol-info --pool default vd1)"
V vol-dumpxml --pool default vd1 | grep -q "<format type='vmdk'/>" || fail "vd1's format"
V vol-dumpxml --pool default vd2 | grep -q "<format type='vdi'/>" || fail "vd2's format"
pass "vdisks vd1 (vmdk, 8 MiB) and vd2 (vdi, 4 MiB) listed as volumes of type dir"
expect_fail "volume 'vd1' is a vdisk .*vdiskadm destroy" vol-delete --pool default vd1
expect_fail "volume 'vd1' is a vdisk" vol-wipe --pool default vd1
expect_fail "volume 'vd1' is a vdisk" vol-resize --pool default vd1 16M
[ -f "$img/vd1/vdisk.xml" ] || fail "vd1 damaged"
qemu-io -f vmdk -c 'write -P 0x5a 0 1M' "$img/vd1/vdisk.vmdk" >/dev/null || fail "write into vd1"
V pool-refresh default >/dev/null
V vol-clone --pool default vd1 vd1copy.vmdk >/dev/null || fail "vol-clone vd1"
[ "$(qinfo "$img/vd1copy.vmdk" format) $(qinfo "$img/vd1copy.vmdk" virtual-size)" = "vmdk $((8 << 20))" ] ||
	fail "vd1copy.vmdk: $(qemu-img info "$img/vd1copy.vmdk")"
qemu-io -f vmdk -c 'read -P 0x5a 0 1M' "$img/vd1copy.vmdk" | grep -q 'read 1048576/' || fail "vd1copy lacks vd1's data"
[ "$(vinfo vd1copy.vmdk Type)" = file ] || fail "vd1copy.vmdk is not a file volume"
pass "vol-clone of a vdisk: a vmdk image file with its data"

# ---- python3-libvirt ----
/usr/bin/python3 - "$URI" "$img" <<'PY' || fail "python3-libvirt wipe/wipePattern/createXMLFrom"
import libvirt, sys
conn = libvirt.open(sys.argv[1])
pool = conn.storagePoolLookupByName("default")
src = pool.storageVolLookupByName("c.img")
xml = "<volume><name>py.img</name><capacity>%d</capacity></volume>" % (16 << 20)
new = pool.createXMLFrom(xml, src, 0)
assert new.name() == "py.img", new.name()
assert open(sys.argv[2] + "/py.img", "rb").read() == open(sys.argv[2] + "/c.img", "rb").read()
new.wipe(0)
assert open(sys.argv[2] + "/py.img", "rb").read() == bytes(16 << 20)
new.wipePattern(libvirt.VIR_STORAGE_VOL_WIPE_ALG_ZERO, 0)
try:
    new.wipePattern(libvirt.VIR_STORAGE_VOL_WIPE_ALG_RANDOM, 0)
    raise SystemExit("random wipe accepted")
except libvirt.libvirtError as e:
    assert e.get_error_code() == libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED, e
new.delete(0)
print("python3-libvirt: createXMLFrom, wipe, wipePattern(zero) ok; random refused")
PY
pass "python3-libvirt: createXMLFrom, wipe, wipePattern"

# ---- in use by a running domain ----
if [ -z "$NO_KVM" ]; then
	dom_xml iu "workload=idle" "" "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$img/w.img'/><target dev='vda' bus='virtio'/></disk>"
	V define "$TMP/iu.xml" >/dev/null && V start iu >/dev/null || fail "start iu"
	expect_fail "storage volume 'w.img' is in use by running domain 'iu'" vol-wipe --pool default w.img
	expect_fail "storage volume 'w.img' is in use by running domain 'iu'" vol-clone --pool default w.img c2.img
	[ -e "$img/c2.img" ] && fail "a refused clone left c2.img"
	V destroy iu >/dev/null; V undefine iu >/dev/null
	V vol-wipe --pool default w.img >/dev/null || fail "vol-wipe after iu stopped"
	pass "w.img in use by running iu: wipe and clone refused; wiped once iu stopped"
else
	pass "no KVM here ($NO_KVM): the in-use refusal is not exercised"
fi
xvmd_stop

# ---- beside the loop: a slow qemu-img ----
cat >"$TMP/slow-qemu-img" <<'SH'
#!/bin/sh
[ "$1" = convert ] && sleep 4
exec qemu-img "$@"
SH
chmod +x "$TMP/slow-qemu-img"
XVM_QEMU_IMG=$TMP/slow-qemu-img xvmd_start
V vol-list --pool default >/dev/null
V vol-create-as default s.img 16M --format raw >/dev/null || fail "vol-create-as s.img"
head -c $M16 /dev/urandom >"$img/s.img"
t0=$(date +%s%N)
V vol-clone --pool default s.img s2.img >"$TMP/clone.out" 2>&1 & cpid=$!
sleep 1
t1=$(date +%s%N); V list >/dev/null || fail "virsh list during a clone"; t2=$(date +%s%N)
expect_fail "volume 's.img' is busy: a wipe or clone of it is running" vol-delete --pool default s.img
expect_fail "volume 's.img' is busy: a wipe or clone of it is running" vol-wipe --pool default s.img
expect_fail "volume 's.img' is busy: a wipe or clone of it is running" vol-resize --pool default s.img 32M
wait $cpid || fail "vol-clone with a slow qemu-img: $(cat "$TMP/clone.out")"
t3=$(date +%s%N)
cmp -s "$img/s.img" "$img/s2.img" || fail "s2.img differs from s.img"
[ $(( (t3 - t0) / 1000000 )) -ge 3500 ] || fail "the clone did not go through the slow qemu-img"
pass "clone beside the loop: virsh list took $(( (t2 - t1) / 1000000 )) ms during a $(( (t3 - t0) / 1000000 )) ms clone; delete, wipe, resize of its volumes refused as busy; the copy equal"
V vol-wipe --pool default s2.img >"$TMP/wipe.out" 2>&1 & wpid=$!
sleep 1
V list >/dev/null || fail "virsh list during a wipe"
wait $wpid || fail "vol-wipe with a slow qemu-img: $(cat "$TMP/wipe.out")"
zeros "$img/s2.img" $M16 || fail "s2.img not zero after the wipe"
pass "wipe beside the loop: answered when done, zeros written"
V vol-clone --pool default s.img s3.img >"$TMP/clone3.out" 2>&1 & cpid=$!
sleep 1
xvmd_stop
wait $cpid && fail "a clone cut short by xvmd's stop succeeded"
[ -e "$img/s3.img" ] && fail "a clone cut short left s3.img"
grep -q "clone of 's3.img' cut short: xvmd stops" "$TMP/xvmd.log" || fail "no log line for the cut clone"
pass "xvmd stopped during a clone: the client told ($(tail -n1 "$TMP/clone3.out")), no s3.img left"
