#!/bin/bash
# xvm-install against xvmd and vswitchd, no guest booted (runs natively,
# with or without KVM): bad values (capped-bandwidth below 1.2M or not a
# bandwidth, VLAN id out of range, an invalid link name, a name in use, a
# link vswitchd does not have) exit 1 with a clear message and leave
# nothing defined, and the domain already there unchanged; where KVM is
# unusable, an install with good values exits 1 with hv's reason, says
# the domain was undefined again, and leaves no domain and no VNIC.
# The seeds' options: --print-xml prints XML that virsh can define and
# itself defines nothing, without xvmd; -c URI, --vnc and a lone -m are
# refused saying why; --dry-run creates nothing (no domain, no disk) but
# finds a name or UUID in use; a failed start removes the disk image -s
# created, and piped output keeps its order. --disk format=qcow2,size=N
# makes a qcow2 image with qemu-img (removed when the start fails; the
# guest started with it where KVM works).
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
INSTALL=$BIN/xvm-install
command -v virsh >/dev/null || fail "virsh is not installed (libvirt-clients)"
for f in "$BIN/xvmd" "$INSTALL"; do [ -x "$f" ] || fail "$f is not built"; done

WEB=web$NETID
. "$(dirname "$0")/xvmdlib.sh"
export LIBVIRT_DEFAULT_URI=$URI

# bad_install MESSAGE ARGS...: xvm-install ARGS exits 1 printing MESSAGE.
bad_install() {
	local msg=$1 out rc
	shift
	out=$(timeout 30 "$INSTALL" "$@" 2>&1); rc=$?
	[ "$rc" = 1 ] || { echo "$out"; fail "xvm-install $*: exit $rc, expected 1"; }
	grep -qF -- "$msg" <<<"$out" || { echo "$out"; fail "xvm-install $*: no '$msg'"; }
	pass "xvm-install refuses: $(grep -F -- "$msg" <<<"$out" | head -n 1)"
}

K="kernel=$GUEST,cmdline=workload=ping"

# --print-xml with no xvmd at all: the XML, exit 0, no disk created.
out=$(LIBVIRT_DEFAULT_URI="xvm+unix:///system?socket=$TMP/none" timeout 30 \
	"$INSTALL" -n "p$NETID" -r 64 -p --boot "$K" -f "$TMP/p.img" -s 1 \
	-w "bridge=$UPLINK" -m 0:16:3e:1:2:3 --uuid 8F2E5B1C6A3D4E7F9B0A1C2D3E4F5A6B \
	--os-type=linux --os-variant rhel5.3 --check-cpu --noreboot --nographics \
	--print-xml 2>&1) || { echo "$out"; fail "--print-xml without xvmd: exit $?"; }
grep -qxF "  <name>p$NETID</name>" <<<"$out" &&
	grep -qxF "  <uuid>8f2e5b1c-6a3d-4e7f-9b0a-1c2d3e4f5a6b</uuid>" <<<"$out" &&
	grep -qxF "      <mac address='00:16:3e:01:02:03'/>" <<<"$out" &&
	grep -qxF "      <source file='$TMP/p.img'/>" <<<"$out" ||
	{ echo "$out"; fail "--print-xml: not the name, uuid, -m MAC and disk asked for"; }
[ -e "$TMP/p.img" ] && fail "--print-xml created the disk image"
pass "--print-xml without xvmd: the domain XML (uuid, -m MAC, disk), no disk created"
printf '%s\n' "$out" | grep -v "<disk\|</disk>\|driver\|source file\|target dev" >"$TMP/p.xml"

vsw_start
stub=$(vname 9)
vna create-etherstub -t "$stub"
xvmd_start
dom_xml "$WEB" "workload=idle"
V define "$TMP/$WEB.xml" >/dev/null || fail "define $WEB"
V dumpxml --inactive "$WEB" >"$TMP/$WEB.before" || fail "dumpxml $WEB"

bad_install "capped-bandwidth '1M' is below the minimum" -n "b$NETID" -r 64 -p \
	--boot "$K" -w "bridge=$UPLINK,capped-bandwidth=1M" --noautoconsole
bad_install "invalid capped-bandwidth '1.1M'" -n "b$NETID" -r 64 -p \
	--boot "$K" -w "bridge=$UPLINK,capped-bandwidth=1.1M" --noautoconsole
bad_install "invalid VLAN identifier '4095'" -n "b$NETID" -r 64 -p \
	--boot "$K" -w "bridge=$UPLINK,vlanid=4095" --noautoconsole
bad_install "invalid link name 'phys'" -n "b$NETID" -r 64 -p \
	--boot "$K" -w "bridge=phys" --noautoconsole
bad_install "domain '$WEB' already exists" -n "$WEB" -r 64 -p --boot "$K" \
	-w "bridge=$UPLINK" --noautoconsole
diff "$TMP/$WEB.before" <(V dumpxml --inactive "$WEB") || fail "$WEB's definition changed"
pass "$WEB's definition unchanged"
bad_install "cannot start domain 'b$NETID': vnic creation over nosuch$NETID failed" \
	-n "b$NETID" -r 64 -p --boot "$K" -w "bridge=nosuch$NETID" --noautoconsole
virsh dominfo "b$NETID" >/dev/null 2>&1 && fail "b$NETID is still defined after its failed start"
pass "the domain whose link does not exist is not left defined"

# The seeds' options refused, each with its reason.
bad_install "-c is --cdrom (a CD-ROM image), as in virt-install; '$URI' looks like a connection URI: use --connect URI" \
	-n "b$NETID" -r 64 -p --boot "$K" -c "$URI"
bad_install "--vnc: xvm domains have no graphical display" -n "b$NETID" -r 64 \
	--hvm --vnc --boot "$K"
bad_install "--graphics vnc: xvm domains have no graphical display" \
	-n "b$NETID" -r 64 -p --graphics vnc --boot "$K"
bad_install "unsupported disk format 'qed' (raw, qcow2, vmdk, vdi, vpc)" \
	-n "b$NETID" -r 64 -p --boot "$K" --disk "$TMP/q.img,size=1,format=qed"
bad_install "-m MAC number 1 has no --network bridge=LINK to go with" \
	-n "b$NETID" -r 64 -p --boot "$K" -m aa:04:03:35:a8:06
bad_install "cannot access CD-ROM image '$TMP/none.iso'" -n "b$NETID" -r 64 \
	-p --boot "$K" -c "$TMP/none.iso"

# A failed start removes the image -s made; piped, the lines are in order.
out=$(timeout 30 "$INSTALL" -n "b$NETID" -r 64 -p --boot "$K" -f "$TMP/b.img" \
	-s 1 -w "bridge=nosuch$NETID" --noautoconsole 2>&1 | cat)
[ -e "$TMP/b.img" ] && { echo "$out"; fail "the image -s created is left after the failed start"; }
grep -qxF "xvm-install: disk '$TMP/b.img' that was created for it removed" <<<"$out" ||
	{ echo "$out"; fail "no 'removed' line for the image"; }
order=$(grep -o "^Created disk\|^Domain b$NETID defined\|cannot start\|undefined again\|removed$" <<<"$out" | tr '\n' ,)
[ "$order" = "Created disk,Domain b$NETID defined,cannot start,undefined again,removed," ] ||
	{ echo "$out"; fail "piped output out of order: $order"; }
pass "a failed start leaves no disk image; piped output in order: $order"
: >"$TMP/keep.img"
out=$(timeout 30 "$INSTALL" -n "b$NETID" -r 64 -p --boot "$K" -f "$TMP/keep.img" \
	-w "bridge=nosuch$NETID" --noautoconsole 2>&1)
[ -e "$TMP/keep.img" ] || { echo "$out"; fail "a failed start removed a disk it did not create"; }
pass "a failed start keeps a disk image that was there before"
# format=qcow2 with a size: qemu-img makes it; a failed start removes it.
out=$(timeout 30 "$INSTALL" -n "b$NETID" -r 64 -p --boot "$K" --disk "$TMP/b.qcow2,size=1,format=qcow2" \
	-w "bridge=nosuch$NETID" --noautoconsole 2>&1 | cat)
grep -qxF "Created disk $TMP/b.qcow2 (1 GB, qcow2)." <<<"$out" || { echo "$out"; fail "no 'Created disk ... qcow2' line"; }
grep -qxF "xvm-install: disk '$TMP/b.qcow2' that was created for it removed" <<<"$out" &&
	[ ! -e "$TMP/b.qcow2" ] || { echo "$out"; fail "the qcow2 image is left after the failed start"; }
virsh dominfo "b$NETID" >/dev/null 2>&1 && fail "b$NETID defined after its failed start"
pass "format=qcow2,size=1: qemu-img image created, removed again with the domain when the start failed"
for f in vmdk vdi vpc; do
	out=$(timeout 30 "$INSTALL" -n "b$NETID" -r 64 -p --boot "$K" --disk "$TMP/b.$f,size=1,format=$f" \
		-w "bridge=nosuch$NETID" --noautoconsole 2>&1 | cat)
	grep -qxF "Created disk $TMP/b.$f (1 GB, $f)." <<<"$out" && [ ! -e "$TMP/b.$f" ] ||
		{ echo "$out"; fail "format=$f: not created by qemu-img, or left after the failed start"; }
done
pass "format=vmdk, vdi, vpc: each created by qemu-img and removed after the failed start"
out=$("$INSTALL" -n "p$NETID" -r 64 -p --boot "$K" --disk "$TMP/p.qcow2,size=2,format=qcow2" --print-xml) ||
	fail "--print-xml with format=qcow2"
grep -qF "<driver type='qcow2'/>" <<<"$out" || { echo "$out"; fail "--print-xml: no qcow2 driver"; }
[ -e "$TMP/p.qcow2" ] && fail "--print-xml created the qcow2 image"
pass "--print-xml with format=qcow2: <driver type='qcow2'/>, nothing created"

# --dry-run: exit 0, nothing created; a name or UUID in use is found.
out=$(timeout 30 "$INSTALL" -n "d$NETID" -r 64 -p --boot "$K" --disk \
	"path=$TMP/d.img,size=1" -w "bridge=$UPLINK" --graphics none --import \
	--dry-run 2>&1) || { echo "$out"; fail "--dry-run: exit $?"; }
grep -qxF "Dry run: domain d$NETID would be defined and started; nothing was created." <<<"$out" ||
	{ echo "$out"; fail "--dry-run did not say so"; }
[ -e "$TMP/d.img" ] && fail "--dry-run created the disk image"
virsh dominfo "d$NETID" >/dev/null 2>&1 && fail "--dry-run defined d$NETID"
pass "--dry-run: exit 0, no domain, no disk image"
out=$(timeout 30 "$INSTALL" -n "d$NETID" -r 64 --vcpus 64 -p --boot "$K" \
	--check-cpu --dry-run 2>&1) || { echo "$out"; fail "--check-cpu --dry-run: exit $?"; }
grep -q "^xvm-install: warning: 64 vCPUs is more than the host's [0-9]* CPUs" <<<"$out" ||
	{ echo "$out"; fail "--check-cpu: no warning for 64 vCPUs"; }
pass "--check-cpu warns: $(grep warning <<<"$out")"
bad_install "domain '$WEB' already exists" -n "$WEB" -r 64 -p --boot "$K" --dry-run
webuuid=$(V domuuid "$WEB")
bad_install "UUID $webuuid is already used by domain '$WEB'" -n "d$NETID" -r 64 \
	-p --boot "$K" --uuid "$webuuid" --dry-run

# The --print-xml output (less the disk) is a definition xvmd accepts.
V define "$TMP/p.xml" >/dev/null || { cat "$TMP/p.xml"; fail "virsh define of the --print-xml output"; }
[ "$(V domuuid "p$NETID")" = 8f2e5b1c-6a3d-4e7f-9b0a-1c2d3e4f5a6b ] || fail "p$NETID's uuid"
V undefine "p$NETID" >/dev/null || fail "undefine p$NETID"
pass "virsh defines what --print-xml printed (uuid kept); undefined again"
[ "$(V list --all --name | sort | tr '\n' ' ')" = "Domain-0 $WEB " ] ||
	fail "defined after the bad installs: $(V list --all --name)"
pass "only $WEB is defined after the bad installs"

args=(-n "g$NETID" -r 64 -p --boot "$K" -w "bridge=$stub,vlanid=5,capped-bandwidth=100M" --noautoconsole
	--disk "$TMP/g.qcow2,size=1,format=qcow2")
if [ -n "$NO_KVM" ]; then
	out=$(timeout 30 "$INSTALL" "${args[@]}" 2>&1); rc=$?
	[ "$rc" = 1 ] || { echo "$out"; fail "xvm-install g$NETID without KVM: exit $rc, expected 1"; }
	grep -qxF "xvm-install: cannot start domain 'g$NETID': operation failed: hv for 'g$NETID' failed to start: hv: $NO_KVM" <<<"$out" &&
		grep -qxF "xvm-install: domain 'g$NETID' undefined again" <<<"$out" ||
		{ echo "$out"; fail "xvm-install g$NETID without KVM: not hv's reason and 'undefined again'"; }
	pass "xvm-install without KVM: $(grep -F 'cannot start' <<<"$out")"
	virsh dominfo "g$NETID" >/dev/null 2>&1 && fail "g$NETID is still defined after its failed start"
	"$VNICADM" show-vnic | grep -q '^xvm' && fail "VNICs left: $("$VNICADM" show-vnic)"
	[ -e "$TMP/g.qcow2" ] && fail "the qcow2 image is left after the failed start"
	pass "no KVM here: g$NETID not left defined, no VNIC left, no image left"
else
	out=$(timeout 60 "$INSTALL" "${args[@]}" 2>&1) || { echo "$out"; fail "xvm-install g$NETID (KVM is usable here)"; }
	grep -q "^Domain g$NETID started with id [0-9]*\.$" <<<"$out" || { echo "$out"; fail "xvm-install did not say g$NETID started"; }
	V dumpxml "g$NETID" | grep -q "<driver .*type='qcow2'" || fail "g$NETID's disk is not qcow2 in dumpxml"
	[ "$(qemu-img info --output=json -U "$TMP/g.qcow2" | python3 -c 'import json,sys; i=json.load(sys.stdin); print(i["format"], i["virtual-size"])')" = "qcow2 1073741824" ] ||
		fail "$TMP/g.qcow2 is not a 1 GiB qcow2 image"
	V domblklist "g$NETID" | grep -qF "$TMP/g.qcow2" || fail "domblklist of g$NETID: $(V domblklist "g$NETID")"
	# (the ping workload powers off when it finds no address: it may
	# have stopped by now)
	V destroy "g$NETID" >/dev/null 2>&1
	V undefine "g$NETID" >/dev/null || fail "undefine g$NETID"
	pass "KVM is usable here: xvm-install started g$NETID with a 1 GiB qcow2 disk qemu-img made (dumpxml, domblklist)"
fi
xvmd_stop
