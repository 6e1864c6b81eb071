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
# during a clone (and a create) removes the unfinished files. The same
# wrapper holds a create or resize until told to go (issue 12): while
# qemu-img create is held, another client's virsh list answers (before
# the fix it waited with the loop), the volume is not listed (not even
# after pool-refresh), its name is refused to a second create, and the
# pool cannot be stopped; once qemu-img ends the volume is listed. A held
# resize: list answers, the volume refuses delete, keeps its old
# capacity until done, then has the new one. A held create that then
# fails leaves no file and was never listed.
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
# an empty raw volume: nothing to write, answered at once (its job ends
# before the call's handler returns)
V vol-create-as default e0.img 0 --format raw >/dev/null || fail "vol-create-as e0.img"
V vol-wipe --pool default e0.img >/dev/null || fail "vol-wipe of an empty volume"
V list >/dev/null || fail "xvmd gone after the wipe of an empty volume"
V vol-delete --pool default e0.img >/dev/null || fail "vol-delete e0.img"
pass "vol-wipe of an empty raw volume answered; xvmd serves on"

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
# convert: 4 s, or while chold exists next to this script, wait (60 s at
# most) until cgo exists. create and resize: while hold exists, wait (60 s
# at most; no longer than hold exists) until go exists, then fail if fail
# exists.
dir=${0%/*}
if [ "$1" = convert ] && [ -e "$dir/chold" ]; then
	: >"$dir/cheld"
	i=0
	while [ ! -e "$dir/cgo" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	rm -f "$dir/cheld"
elif [ "$1" = convert ]; then
	sleep 4
fi
if [ "$1" = create ] || [ "$1" = resize ] && [ -e "$dir/hold" ]; then
	: >"$dir/held"
	i=0
	while [ -e "$dir/hold" ] && [ ! -e "$dir/go" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	rm -f "$dir/held"
	[ -e "$dir/fail" ] && { echo "qemu-img: held, then failed" >&2; exit 1; }
fi
exec qemu-img "$@"
SH
chmod +x "$TMP/slow-qemu-img"
XVM_QEMU_IMG=$TMP/slow-qemu-img xvmd_start
V vol-list --pool default >/dev/null
V vol-create-as default s.img 16M --format raw >/dev/null || fail "vol-create-as s.img"
head -c $M16 /dev/urandom >"$img/s.img"
# the clone's qemu-img convert is held until the checks are done (a
# fixed delay ran out on a loaded machine before they were)
rm -f "$TMP/cgo"; touch "$TMP/chold"
V vol-clone --pool default s.img s2.img >"$TMP/clone.out" 2>&1 & cpid=$!
end=$(deadline_in 10)
while before "$end" && [ ! -e "$TMP/cheld" ]; do sleep 0.1; done
[ -e "$TMP/cheld" ] || fail "the clone did not go through the slow qemu-img"
t1=$(date +%s%N); V list >/dev/null || fail "virsh list during a clone"; t2=$(date +%s%N)
expect_fail "volume 's.img' is busy: a clone of it is running" vol-delete --pool default s.img
expect_fail "volume 's.img' is busy: a clone of it is running" vol-wipe --pool default s.img
expect_fail "volume 's.img' is busy: a clone of it is running" vol-resize --pool default s.img 32M
touch "$TMP/cgo"
wait $cpid || fail "vol-clone with a slow qemu-img: $(cat "$TMP/clone.out")"
rm -f "$TMP/chold" "$TMP/cgo"
cmp -s "$img/s.img" "$img/s2.img" || fail "s2.img differs from s.img"
pass "clone beside the loop: virsh list took $(( (t2 - t1) / 1000000 )) ms during a held clone; delete, wipe, resize of its volumes refused as busy; the copy equal"
V vol-wipe --pool default s2.img >"$TMP/wipe.out" 2>&1 & wpid=$!
sleep 1
V list >/dev/null || fail "virsh list during a wipe"
wait $wpid || fail "vol-wipe with a slow qemu-img: $(cat "$TMP/wipe.out")"
zeros "$img/s2.img" $M16 || fail "s2.img not zero after the wipe"
pass "wipe beside the loop: answered when done, zeros written"

# ---- create and resize beside the loop: a held qemu-img ----
# held: wait until the wrapper runs (a create or resize is held)
held() {
	local end
	end=$(deadline_in 10)
	while before "$end" && [ ! -e "$TMP/held" ]; do sleep 0.1; done
	[ -e "$TMP/held" ] || fail "the wrapper did not hold qemu-img $1"
}
# quick WHAT: another client's virsh list answers while qemu-img is held
# (10 s at most: before the fix it waited for qemu-img, 60 s)
quick() {
	local t0 t1
	t0=$(date +%s%N)
	timeout 10 virsh -q -c "$URI" list >/dev/null || fail "virsh list did not answer while $1 was held"
	t1=$(date +%s%N)
	LIST_MS=$(( (t1 - t0) / 1000000 ))
}
rm -f "$TMP/go" "$TMP/fail"; touch "$TMP/hold"
V vol-create-as default h.qcow2 16M --format qcow2 >"$TMP/create.out" 2>&1 & hpid=$!
held create
quick "qemu-img create"
V vol-list default | grep -q ' h.qcow2 ' && fail "h.qcow2 listed while qemu-img create runs"
V pool-refresh default >/dev/null || fail "pool-refresh during the create"
V vol-list default | grep -q ' h.qcow2 ' && fail "h.qcow2 listed after a pool-refresh during its create"
expect_fail "storage volume 'h.qcow2' exists already" vol-create-as default h.qcow2 16M
expect_fail "pool 'default' has a volume create, resize, wipe or clone running" pool-destroy default
kill -0 $hpid 2>/dev/null || fail "vol-create-as h.qcow2 answered before qemu-img ended: $(cat "$TMP/create.out")"
touch "$TMP/go"
wait $hpid || fail "vol-create-as h.qcow2 with a held qemu-img: $(cat "$TMP/create.out")"
V vol-list default | grep -q ' h.qcow2 ' || fail "h.qcow2 not listed once created"
[ "$(qinfo "$img/h.qcow2" format) $(qinfo "$img/h.qcow2" virtual-size)" = "qcow2 $M16" ] ||
	fail "h.qcow2: $(qemu-img info "$img/h.qcow2")"
pass "create beside the loop: virsh list took $LIST_MS ms while qemu-img create was held; h.qcow2 unlisted (refresh too), its name refused, the pool kept; listed once made"

rm -f "$TMP/go"
V vol-resize --pool default h.qcow2 32M >"$TMP/resize.out" 2>&1 & rpid=$!
held resize
quick "qemu-img resize"
expect_fail "volume 'h.qcow2' is busy: a resize of it is running" vol-delete --pool default h.qcow2
[ "$(vinfo h.qcow2 Capacity)" = "16.00 MiB" ] || fail "h.qcow2 during its resize: $(vinfo h.qcow2 Capacity)"
touch "$TMP/go"
wait $rpid || fail "vol-resize with a held qemu-img: $(cat "$TMP/resize.out")"
[ "$(vinfo h.qcow2 Capacity)" = "32.00 MiB" ] || fail "h.qcow2 after its resize: $(vinfo h.qcow2 Capacity)"
pass "resize beside the loop: virsh list took $LIST_MS ms while qemu-img resize was held; delete refused as busy; 16 -> 32 MiB once done"

rm -f "$TMP/go"; touch "$TMP/fail"
V vol-create-as default bad.img 8M --format raw >"$TMP/bad.out" 2>&1 & bpid=$!
held create
[ -e "$img/bad.img" ] || fail "bad.img's name is not claimed while qemu-img runs"
V vol-list default | grep -q ' bad.img ' && fail "bad.img listed while qemu-img create runs"
touch "$TMP/go"
wait $bpid && fail "a create whose qemu-img failed succeeded"
grep -q "qemu-img create of '$img/bad.img': held, then failed" "$TMP/bad.out" || fail "bad.img: $(cat "$TMP/bad.out")"
[ -e "$img/bad.img" ] && fail "a failed create left bad.img"
V vol-list default | grep -q ' bad.img ' && fail "bad.img listed after its failed create"
pass "a failed create ($(grep error: "$TMP/bad.out" | tail -n 1)): never listed, no file left"
rm -f "$TMP/fail" "$TMP/go"

V vol-clone --pool default s.img s3.img >"$TMP/clone3.out" 2>&1 & cpid=$!
V vol-create-as default s4.img 1M >"$TMP/create4.out" 2>&1 & c4pid=$!
held create
sleep 0.5
xvmd_stop
wait $cpid && fail "a clone cut short by xvmd's stop succeeded"
wait $c4pid && fail "a create cut short by xvmd's stop succeeded"
[ -e "$img/s3.img" ] && fail "a clone cut short left s3.img"
[ -e "$img/s4.img" ] && fail "a create cut short left s4.img"
grep -q "clone of 's3.img' cut short: xvmd stops" "$TMP/xvmd.log" || fail "no log line for the cut clone"
grep -q "create of 's4.img' cut short: xvmd stops" "$TMP/xvmd.log" || fail "no log line for the cut create"
pass "xvmd stopped during a clone and a create: the clients told ($(tail -n1 "$TMP/clone3.out")), no s3.img nor s4.img left"
rm -f "$TMP/hold" "$TMP/held"
