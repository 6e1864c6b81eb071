#!/bin/bash
# xvmd with stock virsh, no guest booted (runs natively, with or without
# KVM): host queries (version, nodeinfo, capabilities, hostname, Domain-0);
# define -> list --all shows it shut off, dominfo and domuuid describe the
# definition; dumpxml round-trips (defined under a new name, the inactive
# XML is the same but for name, uuid and cmdline); autostart set and unset
# as dominfo and list --autostart show it, kept by the next xvmd;
# setmaxmem/setmem/setvcpus --config change the stored definition; save
# and net-list are refused naming the API as libvirtd does; where
# KVM is unusable a start (by virsh, or autostart) fails with hv's reason
# and the domain stays shut off (failed) while xvmd serves on; undefine
# removes the domains and their files.
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
command -v virsh >/dev/null || fail "virsh not installed (libvirt-clients)"
xvmd_start

V version | grep -q 'Running hypervisor: XVM' || fail "virsh version: $(V version)"
pass "version names the XVM hypervisor"
V nodeinfo | grep -Eq "^CPU\(s\): +$(nproc)$" || fail "nodeinfo: $(V nodeinfo)"
pass "nodeinfo: $(nproc) CPUs"
V capabilities | grep -q "<domain type='xen'/>" || fail "capabilities lack <domain type='xen'/>"
V capabilities | grep -q "<os_type>hvm</os_type>" || fail "capabilities lack hvm"
pass "capabilities: guest types xen and hvm, domain type xen"
[ "$(V hostname)" = "$(hostname)" ] || fail "hostname: $(V hostname)"
pass "hostname"
V list | grep -Eq '^ *0 +Domain-0 +running$' || fail "no Domain-0: $(V list)"
pass "Domain-0 listed with id 0"

dom_xml web1 "workload=spin"
V define "$TMP/web1.xml" >/dev/null || fail "define"
V list --all | grep -Eq '^ *- +web1 +shut off$' || fail "after define: $(V list --all)"
pass "defined: shut off"
info=$(V dominfo web1)
echo "$info" | grep -Eq '^Id: +-$' || fail "dominfo Id: $info"
echo "$info" | grep -Eq '^State: +shut off$' || fail "dominfo State: $info"
echo "$info" | grep -Eq '^Max memory: +32768 KiB$' || fail "dominfo memory: $info"
echo "$info" | grep -Eq '^CPU\(s\): +1$' || fail "dominfo CPUs: $info"
echo "$info" | grep -Eq '^OS Type: +xen$' || fail "dominfo OS: $info"
echo "$info" | grep -Eq '^Persistent: +yes$' || fail "dominfo persistent: $info"
echo "$info" | grep -Eq '^Autostart: +disable$' || fail "dominfo autostart: $info"
pass "dominfo: no id, shut off, memory, CPUs, OS type, persistent, no autostart"
[ "$(V domuuid web1)" = "$(V dumpxml web1 | sed -n 's:.*<uuid>\(.*\)</uuid>.*:\1:p')" ] || fail "domuuid"
pass "domuuid is the uuid in dumpxml"

V dumpxml web1 >"$TMP/dump.xml" || fail "dumpxml"
head -n 1 "$TMP/dump.xml" | grep -q "^<domain type='xen'" || fail "dumpxml: $(head -n 1 "$TMP/dump.xml")"
head -n 1 "$TMP/dump.xml" | grep -q " id=" && fail "dumpxml of a shut off domain has an id: $(head -n 1 "$TMP/dump.xml")"
sed -e 's:<name>web1</name>:<name>web2</name>:' -e '/<uuid>/d' \
	-e 's/workload=spin/workload=idle/' "$TMP/dump.xml" >"$TMP/web2.xml"
V define "$TMP/web2.xml" >/dev/null || fail "define of the dumped XML"
V list --all | grep -Eq '^ *- +web2 +shut off$' || fail "after define of web2: $(V list --all)"
[ "$(V domuuid web2)" != "$(V domuuid web1)" ] || fail "web2 got web1's uuid"
diff <(V dumpxml --inactive web2 | grep -v -e '<name>' -e '<uuid>' -e '<cmdline>') \
     <(V dumpxml --inactive web1 | grep -v -e '<name>' -e '<uuid>' -e '<cmdline>') ||
	fail "inactive XML of web1 and web2 differ beyond name/uuid/cmdline"
pass "dumpxml round-trips: web2 defined from it with a new uuid, XML identical but for name, uuid and cmdline"

V autostart web1 >/dev/null || fail "autostart"
V dominfo web1 | grep -Eq '^Autostart: +enable$' || fail "dominfo after autostart: $(V dominfo web1)"
[ "$(V list --all --autostart --name)" = web1 ] || fail "list --autostart: $(V list --all --autostart --name)"
V list --all --no-autostart --name | grep -qx web1 && fail "web1 listed with --no-autostart"
pass "autostart: dominfo enable, listed with --autostart only"
V autostart --disable web1 >/dev/null || fail "autostart --disable"
V dominfo web1 | grep -Eq '^Autostart: +disable$' || fail "dominfo after --disable: $(V dominfo web1)"
[ -z "$(V list --all --autostart --name)" ] || fail "list --autostart after --disable: $(V list --all --autostart --name)"
V list --all --no-autostart --name | grep -qx web1 || fail "web1 not listed with --no-autostart"
pass "autostart --disable: dominfo disable, listed with --no-autostart"
V autostart web1 >/dev/null || fail "autostart again"

V setmaxmem web2 64M >/dev/null && V setmem web2 48M --config >/dev/null || fail "setmaxmem/setmem --config"
V dominfo web2 | grep -Eq '^Max memory: +65536 KiB$' && V dominfo web2 | grep -Eq '^Used memory: +49152 KiB$' ||
	fail "memory after setmaxmem/setmem: $(V dominfo web2)"
grep -q "<currentMemory unit='KiB'>49152</currentMemory>" "$XVM_STATEDIR/domains/web2.xml" || fail "setmem not stored"
pass "setmaxmem and setmem --config change the definition"
dom_xml sc "workload=spin" "<vcpu>2</vcpu>"
sed -i '0,/<vcpu>1<\/vcpu>/{/<vcpu>1<\/vcpu>/d}' "$TMP/sc.xml"
V define "$TMP/sc.xml" >/dev/null || fail "define sc"
V setvcpus sc 1 --config >/dev/null || fail "setvcpus --config"
V dumpxml --inactive sc | grep -q "current='1'>2</vcpu>" || fail "setvcpus not in the definition"
expect_fail "out of range" setvcpus sc 3 --config
pass "setvcpus --config within the maximum"

# What virt-install/virt-manager send for a PV guest: metadata, features,
# cpu, clock, boot order, memballoon, the disk's bus and a read-only cdrom
# are given back by dumpxml; type='network' names a vswitchd link and
# stays type='network'.
dom_xml vi "workload=idle" "<metadata><libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'><libosinfo:os id='http://debian.org/debian/12'/></libosinfo:libosinfo></metadata><features><acpi/><apic/><pae/></features><cpu mode='host-passthrough' check='none'/><clock offset='utc'/>" \
	"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$TMP/vi.img'/><target dev='xvda' bus='xen'/></disk><disk type='file' device='cdrom'><source file='$TMP/vi.iso'/><target dev='xvdb' bus='xen'/><readonly/></disk><interface type='network'><source network='stub0'/></interface><memballoon model='virtio'/>"
sed -i "s:</kernel>:</kernel><boot dev='hd'/>:" "$TMP/vi.xml"
V define "$TMP/vi.xml" >/dev/null || fail "define of virt-install style XML"
V dumpxml vi >"$TMP/vi.dump"
for want in '<libosinfo:os id="http://debian.org/debian/12"/>' '<pae/>' \
	'<cpu mode="host-passthrough" check="none"/>' '<clock offset="utc"/>' \
	"<boot dev='hd'/>" "bus='xen'" "<memballoon model='virtio'/>" \
	"device='cdrom'" "<readonly/>" \
	"<interface type='network'>" "<source network='stub0'/>" \
	"on_xend_stop='shutdown'"; do
	grep -qF "$want" "$TMP/vi.dump" || fail "dumpxml lost $want: $(cat "$TMP/vi.dump")"
done
sed -e 's:<name>vi</name>:<name>vi2</name>:' -e '/<uuid>/d' "$TMP/vi.dump" >"$TMP/vi2.xml"
V define "$TMP/vi2.xml" >/dev/null || fail "define of vi's dumpxml"
diff <(V dumpxml vi | grep -v -e '<name>' -e '<uuid>' -e '<mac ') \
     <(V dumpxml vi2 | grep -v -e '<name>' -e '<uuid>' -e '<mac ') || fail "vi's dumpxml does not round-trip"
V undefine vi >/dev/null && V undefine vi2 >/dev/null || fail "undefine vi, vi2"
pass "virt-install style PV XML: kept parts given back by dumpxml, round-trips"
# libvirt's own schema accepts what xvmd writes (a PV <os> has no <boot>
# there, so vi's is left out of its check).
if command -v virt-xml-validate >/dev/null; then
	V capabilities >"$TMP/caps.xml"
	virt-xml-validate "$TMP/caps.xml" capability >/dev/null 2>&1 ||
		fail "capabilities do not validate: $(virt-xml-validate "$TMP/caps.xml" capability 2>&1)"
	V dumpxml web1 >"$TMP/web1.dump"
	grep -v '<boot ' "$TMP/vi.dump" >"$TMP/vi.noboot"
	for f in web1.dump vi.noboot; do
		virt-xml-validate "$TMP/$f" domain >/dev/null 2>&1 ||
			fail "dumpxml $f does not validate: $(virt-xml-validate "$TMP/$f" domain 2>&1)"
	done
	pass "virt-xml-validate accepts the capabilities and dumpxml"
fi

# What xvmd does not serve is refused as libvirtd refuses it: the API's
# name, not the procedure's number.
out=$(V dump web1 "$TMP/web1.core" 2>&1) && fail "dump succeeded: $out"
echo "$out" | grep -q "this function is not supported by the connection driver: virDomainCoreDump" ||
	fail "dump: $out"
out=$(V net-list 2>&1) && fail "net-list succeeded: $out"
echo "$out" | grep -Eq "not supported by the connection driver: virConnect(ListAllNetworks|NumOfNetworks)" ||
	fail "net-list: $out"
pass "dump and net-list: not supported, worded with the API's name"
# save is served: a domain that is not running has no state to save
expect_fail "^error: Requested operation is not valid: domain is not running\$" save web1 "$TMP/web1.save"
[ ! -e "$TMP/web1.save" ] || fail "save of a shut-off domain left $TMP/web1.save"

if [ -n "$NO_KVM" ]; then
	start_without_kvm web2
	V list --all | grep -Eq '^ *- +web2 +shut off$' || fail "list after the failed start: $(V list --all)"
	pass "no KVM here ($NO_KVM): virsh start says so"
else
	V start web2 >/dev/null || fail "start web2 (KVM is usable here)"
	expect_state web2 running 10
	V destroy web2 >/dev/null || fail "destroy web2"
fi

# The next xvmd finds the definitions, their changes and the autostart mark.
xvmd_stop
xvmd_start
V list --all | grep -Eq '^ *- +web2 +shut off$' || fail "web2 after an xvmd restart: $(V list --all)"
V dominfo web2 | grep -Eq '^Max memory: +65536 KiB$' || fail "web2's memory after an xvmd restart: $(V dominfo web2)"
V dominfo web1 | grep -Eq '^Autostart: +enable$' || fail "web1's autostart after an xvmd restart: $(V dominfo web1)"
[ "$(V list --all --autostart --name)" = web1 ] || fail "list --autostart after restart: $(V list --all --autostart --name)"
pass "a new xvmd keeps the definitions and web1's autostart"
if [ -n "$NO_KVM" ]; then
	# autostart runs on the loop: xvmd serves while it fails
	expect_state web1 "shut off (failed)" 30 --reason
	grep -qxF "xvmd: error: dom web1: autostart failed: operation failed: hv for 'web1' failed to start: hv: $NO_KVM" "$TMP/xvmd.log" ||
		fail "xvmd did not log why web1's autostart failed"
	V list | grep -Eq '^ *0 +Domain-0 +running$' || fail "xvmd not serving after the failed autostart"
	pass "autostart without KVM: logged with hv's reason, web1 shut off (failed), xvmd serves"
else
	expect_state web1 running 30
	V destroy web1 >/dev/null || fail "destroy web1"
fi

for d in web1 web2 sc; do V undefine "$d" >/dev/null || fail "undefine $d"; done
[ -z "$(V list --all --name | grep -v Domain-0)" ] || fail "left: $(V list --all)"
[ -z "$(ls "$XVM_STATEDIR"/domains/)" ] || fail "files left: $(ls "$XVM_STATEDIR"/domains/)"
pass "undefine removes the domains and their files (the autostart mark too)"
xvmd_stop
