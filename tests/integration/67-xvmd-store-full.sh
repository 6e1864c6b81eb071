#!/bin/bash
# xvmd with its state directory on a full file system (issue 12 finding
# 4), no guest booted (runs natively, with or without KVM): the state
# directory is a 1 MiB tmpfs in a mount namespace of the scenario's own,
# filled up. A define then fails with "No space left on device" and the
# domain is not listed; a redefinition, setmem --config, desc --config
# and autostart of an existing domain fail and leave its definition as
# it is on disk (dumpxml --inactive equals the stored file); once space
# is freed they go through, and a restarted xvmd shows exactly what was
# acknowledged.
# timeout: 60
if [ "${XVM_STORE_FULL_NS:-}" != 1 ]; then
	command -v unshare >/dev/null || { echo "SKIP: unshare (util-linux) not installed"; exit 77; }
	XVM_STORE_FULL_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
command -v virsh >/dev/null || fail "virsh not installed (libvirt-clients)"
mount -t tmpfs -o size=1m xvmtest-state "$XVM_STATEDIR" || fail "cannot mount a tmpfs on the state directory"
at_exit umount -l "$XVM_STATEDIR"
xvmd_start

dom_xml keep "workload=idle"
V define "$TMP/keep.xml" >/dev/null || fail "define keep"
stored=$XVM_STATEDIR/domains/keep.xml
cmp -s <(V dumpxml --inactive keep) "$stored" || fail "dumpxml --inactive differs from $stored"

# fill the file system: the next write fails with ENOSPC
dd if=/dev/zero of="$XVM_STATEDIR/fill" bs=4k 2>/dev/null
df -k "$XVM_STATEDIR" | tail -n 1 | awk '{ if ($4 != 0) exit 1 }' || fail "the tmpfs is not full: $(df -k "$XVM_STATEDIR" | tail -n 1)"
pass "state directory full"

dom_xml new "workload=idle"
expect_fail "cannot save the definition of 'new': No space left on device" define "$TMP/new.xml"
V list --all --name | grep -qx new && fail "a define that failed is listed: $(V list --all)"
[ ! -e "$XVM_STATEDIR/domains/new.xml" ] || fail "a define that failed left a file"
pass "failed define: not listed, nothing stored"

sed -e 's:<memory unit=.MiB.>32</memory>:<memory unit="MiB">64</memory>:' \
    -e "s:<name>keep</name>:<name>keep</name><uuid>$(V domuuid keep)</uuid>:" \
	"$TMP/keep.xml" >"$TMP/keep2.xml"
grep -q '"MiB">64<' "$TMP/keep2.xml" || fail "keep2.xml not made"
expect_fail "No space left on device" define "$TMP/keep2.xml"
expect_fail "No space left on device" setmem keep 16M --config
expect_fail "No space left on device" desc keep --config "a description"
expect_fail "cannot set autostart: No space left on device" autostart keep
cmp -s <(V dumpxml --inactive keep) "$stored" || fail "memory differs from disk after failed changes: $(diff <(V dumpxml --inactive keep) "$stored")"
V dominfo keep | grep -Eq "^Max memory: +32768 KiB" || fail "keep's memory changed: $(V dominfo keep)"
V dominfo keep | grep -Eq "^Autostart: +disable" || fail "keep's autostart changed: $(V dominfo keep)"
pass "failed redefine, setmem, desc, autostart: the definition in memory is the one on disk"

rm -f "$XVM_STATEDIR/fill"
V define "$TMP/keep2.xml" >/dev/null || fail "redefine after freeing space"
V define "$TMP/new.xml" >/dev/null || fail "define new after freeing space"
V desc keep --config "kept" >/dev/null || fail "desc after freeing space"
cmp -s <(V dumpxml --inactive keep) "$stored" || fail "dumpxml --inactive differs from $stored after the redefine"
pass "with space again: redefine, define, desc stored"

want=$(V list --all --name | sort)
xvmd_stop
xvmd_start
got=$(V list --all --name | sort)
[ "$got" = "$want" ] || fail "after a restart: '$got', acknowledged '$want'"
V dominfo keep | grep -Eq "^Max memory: +65536 KiB" || fail "keep after restart: $(V dominfo keep)"
[ "$(V desc keep)" = "kept" ] || fail "keep's description after restart: $(V desc keep)"
pass "restarted xvmd shows what was acknowledged: $(echo $got)"
xvmd_stop
