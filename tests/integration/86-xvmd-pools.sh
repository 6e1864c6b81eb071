#!/bin/bash
# Storage pools and volumes through xvmd with stock virsh, no guest booted
# (runs natively, with or without KVM): the first xvmd start makes pool
# "default" at $XVM_STATEDIR/images (active, autostart); pool-define-as,
# pool-build, pool-start, pool-autostart of a second dir pool;
# vol-create-as raw and qcow2 (the files are images qemu-img reads back
# with the format and size asked for, qcow2 passes qemu-img check);
# vol-list, vol-info, vol-path, vol-key, vol-dumpxml, vol-pool; a domain
# may have a raw volume as its disk but not a (driverless) qcow2 one; an image
# put in the directory by hand shows after pool-refresh with its format;
# vol-resize; vol-delete removes the file; bad names, paths, types, XML
# with a DTD, unknown formats and existing names are refused with
# libvirt's errors and leave no file; a restarted xvmd has the same pools,
# active, with their volumes; a read-only connection lists but changes
# nothing; pool-destroy/pool-undefine; a
# pool-create-as (transient) pool is gone once destroyed.
# timeout: 120
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
command -v virsh >/dev/null || fail "virsh not installed (libvirt-clients)"
command -v qemu-img >/dev/null || fail "qemu-img not installed (qemu-utils)"
xvmd_start
img=$XVM_STATEDIR/images
# pools [FLAGS]: pool-list --name, one name a line (virsh pads them).
pools() { V pool-list "$@" --name | awk 'NF { print $1 }'; }

# qinfo FILE KEY: a field of qemu-img info's JSON.
qinfo() {
	qemu-img info -U --output=json "$1" |
		python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}

V pool-list --all | tee "$TMP/pools"
grep -Eq '^ *default +active +yes *$' "$TMP/pools" || fail "pool-list: $(cat "$TMP/pools")"
V pool-info default | tee "$TMP/info"
grep -Eq '^State: +running$' "$TMP/info" && grep -Eq '^Persistent: +yes$' "$TMP/info" &&
	grep -Eq '^Autostart: +yes$' "$TMP/info" || fail "pool-info: $(cat "$TMP/info")"
[ "$(V pool-dumpxml default | sed -n 's:.*<path>\(.*\)</path>.*:\1:p')" = "$img" ] ||
	fail "default's target: $(V pool-dumpxml default)"
[ -d "$img" ] || fail "$img was not made"
pass "pool default: active, autostart, target $img (made at the first start)"

# A second pool: refused to start without its directory, built, started.
V pool-define-as p2 dir --target "$TMP/p2" >/dev/null || fail "pool-define-as p2"
V pool-list --all | grep -Eq '^ *p2 +inactive +no *$' || fail "p2: $(V pool-list --all)"
expect_fail "cannot open directory '$TMP/p2': No such file or directory" pool-start p2
V pool-build p2 >/dev/null && [ -d "$TMP/p2" ] || fail "pool-build p2"
V pool-start p2 >/dev/null || fail "pool-start p2"
V pool-autostart p2 >/dev/null || fail "pool-autostart p2"
V pool-list --all | grep -Eq '^ *p2 +active +yes *$' || fail "p2: $(V pool-list --all)"
[ -f "$XVM_STATEDIR/pools/p2.xml" ] && [ -f "$XVM_STATEDIR/pools/p2.autostart" ] ||
	fail "p2's definition not stored: $(ls "$XVM_STATEDIR/pools")"
pass "p2: defined, refused to start without its directory, built, started, autostart"

# Volumes: raw and qcow2, made by qemu-img, read back as asked.
V vol-create-as default r.img 16M >/dev/null || fail "vol-create-as raw"
V vol-create-as default q.qcow2 64M --format qcow2 >/dev/null || fail "vol-create-as qcow2"
[ "$(qinfo "$img/r.img" format)" = raw ] && [ "$(stat -c %s "$img/r.img")" = 16777216 ] ||
	fail "r.img: $(qemu-img info "$img/r.img")"
[ "$(qinfo "$img/q.qcow2" format)" = qcow2 ] && [ "$(qinfo "$img/q.qcow2" virtual-size)" = 67108864 ] ||
	fail "q.qcow2: $(qemu-img info "$img/q.qcow2")"
qemu-img check -q "$img/q.qcow2" || fail "q.qcow2 fails qemu-img check"
pass "vol-create-as: r.img a 16 MiB raw file, q.qcow2 a 64 MiB qcow2 image (qemu-img check clean)"

V vol-list default --details | tee "$TMP/vols"
grep -Eq "^ *q.qcow2 +$img/q.qcow2 +file +64.00 MiB " "$TMP/vols" &&
	grep -Eq "^ *r.img +$img/r.img +file +16.00 MiB " "$TMP/vols" || fail "vol-list: $(cat "$TMP/vols")"
V vol-info --pool default q.qcow2 | tee "$TMP/vinfo"
grep -Eq '^Type: +file$' "$TMP/vinfo" && grep -Eq '^Capacity: +64.00 MiB$' "$TMP/vinfo" ||
	fail "vol-info: $(cat "$TMP/vinfo")"
[ "$(V vol-path --pool default r.img)" = "$img/r.img" ] || fail "vol-path: $(V vol-path --pool default r.img)"
[ "$(V vol-key --pool default r.img)" = "$img/r.img" ] || fail "vol-key"
[ "$(V vol-pool "$img/r.img")" = default ] || fail "vol-pool: $(V vol-pool "$img/r.img")"
V vol-info "$img/q.qcow2" | grep -Eq '^Name: +q.qcow2$' || fail "vol-info by path"
V vol-dumpxml --pool default q.qcow2 >"$TMP/vxml"
grep -q "<format type='qcow2'/>" "$TMP/vxml" && grep -q "<capacity unit='bytes'>67108864</capacity>" "$TMP/vxml" &&
	grep -q "<path>$img/q.qcow2</path>" "$TMP/vxml" || fail "vol-dumpxml: $(cat "$TMP/vxml")"
pass "vol-list, vol-info, vol-path, vol-key, vol-pool, vol-dumpxml describe both"

# A domain's disk in a pool must be a raw volume: a driverless <disk>
# (virt-install writes none for us) is read as raw, so a qcow2 volume is
# refused at define and at attach-disk --config.
dom_xml dq "workload=idle" "" "<disk type='file' device='disk'><source file='$img/q.qcow2'/><target dev='xvda' bus='xen'/></disk>"
expect_fail "disk xvda: volume 'q.qcow2' of pool 'default' is a qcow2 image; its disk would be read as raw" define "$TMP/dq.xml"
V list --all --name | grep -q '^dq' && fail "dq was defined"
dom_xml dr "workload=idle" "" "<disk type='file' device='disk'><source file='$img/r.img'/><target dev='xvda' bus='xen'/></disk>"
V define "$TMP/dr.xml" >/dev/null || fail "define dr (raw volume)"
expect_fail "volume 'q.qcow2' of pool 'default' is a qcow2 image" attach-disk dr "$img/q.qcow2" xvdb --config
V domblklist dr | grep -q q.qcow2 && fail "q.qcow2 attached to dr"
V undefine dr >/dev/null || fail "undefine dr"
pass "a raw volume is a domain's disk; a qcow2 volume is refused at define and attach-disk --config"

# An image put there by hand shows after a refresh, with its format.
qemu-img create -q -f vmdk "$img/hand.vmdk" 8M || fail "qemu-img create vmdk"
V vol-list default | grep -q hand.vmdk && fail "hand.vmdk listed before pool-refresh"
V pool-refresh default >/dev/null || fail "pool-refresh"
V vol-dumpxml --pool default hand.vmdk | grep -q "<format type='vmdk'/>" ||
	fail "hand.vmdk after refresh: $(V vol-list default)"
pass "pool-refresh: an image made by hand is listed, as vmdk"

V vol-resize --pool default r.img 32M >/dev/null || fail "vol-resize"
[ "$(stat -c %s "$img/r.img")" = 33554432 ] || fail "r.img after resize: $(stat -c %s "$img/r.img")"
expect_fail "Can't shrink capacity below current capacity" vol-resize --pool default r.img 1M
pass "vol-resize r.img to 32 MiB; shrinking without --shrink refused"

V vol-delete --pool default hand.vmdk >/dev/null || fail "vol-delete"
[ -e "$img/hand.vmdk" ] && fail "hand.vmdk still there"
V vol-list default | grep -q hand.vmdk && fail "hand.vmdk still listed"
pass "vol-delete removes the file"

# Refusals: names, paths, types, DTDs, formats, existing names.
expect_fail "invalid volume name '../evil.img'" vol-create-as default ../evil.img 1M
expect_fail "invalid volume name '/tmp/evil.img'" vol-create-as default /tmp/evil.img 1M
expect_fail "invalid volume name '.hidden'" vol-create-as default .hidden 1M
[ -e "$XVM_STATEDIR/evil.img" ] || [ -e /tmp/evil.img ] || [ -e "$img/.hidden" ] && fail "a refused volume left a file"
expect_fail "storage volume 'r.img' exists already" vol-create-as default r.img 1M
[ "$(stat -c %s "$img/r.img")" = 33554432 ] || fail "r.img changed by a refused create"
expect_fail "volume format 'vhdx'" vol-create-as default v.vhdx 1M --format vhdx
expect_fail "<capacity> too large: at most 1 PiB" vol-create-as default huge.img 2P
expect_fail "Storage pool not found: no storage pool with matching name 'nope'" vol-info --pool nope r.img
expect_fail "Storage volume not found: no storage vol with matching path '/etc/passwd'" vol-path /etc/passwd
expect_fail "Storage volume not found: no storage vol with matching (name|path) 'zz'" vol-info --pool default zz
expect_fail "invalid pool name 'a/b'" pool-define-as a/b dir --target "$TMP/ab"
expect_fail "invalid target path '$TMP/x/../y'" pool-define-as p3 dir --target "$TMP/x/../y"
expect_fail "unsupported storage pool type 'logical'" pool-define-as p3 logical --target "$TMP/l"
expect_fail "Storage source conflict with pool: 'p2'" pool-define-as p3 dir --target "$TMP/p2"
expect_fail "'$XVM_STATEDIR/domains' is one of xvmd's own directories" pool-define-as p3 dir --target "$XVM_STATEDIR/domains"
cat >"$TMP/dtd.xml" <<'XML'
<!DOCTYPE pool [<!ENTITY big "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx">]>
<pool type='dir'><name>&big;</name><target><path>/tmp/dtd</path></target></pool>
XML
expect_fail "DTDs and entity declarations are not accepted" pool-define "$TMP/dtd.xml"
[ "$(pools --all | sort | tr '\n' ' ')" = "default p2 " ] || fail "pools after refusals: $(pools --all)"
pass "bad names, paths, types, DTD, format, size, duplicates refused; nothing made"

# A read-only connection lists but changes nothing.
ro=$(timeout 30 virsh -r -c "$URI" pool-list --name 2>&1) && echo "$ro" | grep -q default ||
	fail "read-only pool-list: $ro"
out=$(timeout 30 virsh -r -c "$URI" vol-create-as default ro.img 1M 2>&1) && fail "read-only vol-create-as succeeded"
echo "$out" | grep -q "read only access prevents" || fail "read-only vol-create-as: $out"
out=$(timeout 30 virsh -r -c "$URI" pool-destroy p2 2>&1) && fail "read-only pool-destroy succeeded"
[ -e "$img/ro.img" ] && fail "read-only client made ro.img"
pass "read-only connection: pool-list works, vol-create-as and pool-destroy refused"

# A restarted xvmd has the same pools, active, with their volumes.
xvmd_stop
xvmd_start
V pool-list --all | tee "$TMP/pools2"
grep -Eq '^ *default +active +yes *$' "$TMP/pools2" && grep -Eq '^ *p2 +active +yes *$' "$TMP/pools2" ||
	fail "after restart: $(cat "$TMP/pools2")"
V vol-list default --details | grep -Eq "^ *q.qcow2 +$img/q.qcow2 +file +64.00 MiB " ||
	fail "volumes after restart: $(V vol-list default --details)"
pass "xvmd restarted: default and p2 active, autostart kept, volumes listed"

V pool-destroy p2 >/dev/null && V pool-undefine p2 >/dev/null || fail "pool-destroy/undefine p2"
pools --all | grep -qx p2 && fail "p2 still listed"
[ -e "$XVM_STATEDIR/pools/p2.xml" ] && fail "p2's definition left"
[ -d "$TMP/p2" ] || fail "pool-undefine removed p2's directory"
V pool-create-as tp dir --target "$TMP/p2" >/dev/null || fail "pool-create-as"
pools --transient | grep -qx tp || fail "tp not transient: $(V pool-list --all)"
V pool-destroy tp >/dev/null || fail "pool-destroy tp"
pools --all | grep -qx tp && fail "tp listed after destroy"
pass "p2 undefined (its directory kept); a transient pool is gone once destroyed"
V vol-delete --pool default r.img >/dev/null && V vol-delete --pool default q.qcow2 >/dev/null ||
	fail "vol-delete"
[ -z "$(ls -A "$img")" ] || fail "images left: $(ls -A "$img")"
pass "volumes deleted, $img empty"
