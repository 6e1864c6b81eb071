#!/bin/bash
# virsh attach-interface, attach-disk, attach-device and their detach forms
# against xvmd, natively (hv is tests/tools/fake-hv once a domain runs):
# with --config the definition gains or loses the device (stored: it is in
# the domain's file and survives an xvmd restart), a generated MAC for an
# interface given none, <bandwidth> from --inbound/--outbound; a duplicate
# MAC or disk target, a device xvm has no use for, a device not there are
# refused with libvirt's errors; on a running domain a live interface
# change goes to hv (fake-hv, told hotplug=off, refuses nic.add: the
# VNIC made for it removed), a live disk change (--persistent) is refused naming --config
# (no disk hot-plug), and --config changes only the next start's
# definition; a transient domain has no definition to change.
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
. "$(dirname "$0")/xvmdlib.sh"
command -v virsh >/dev/null || fail "virsh not installed (libvirt-clients)"
net_require
vsw_start
stub=$(vname 9)
vna create-etherstub -t "$stub"
xvmd_start --hv "$TOP/tests/tools/fake-hv"
def=$XVM_STATEDIR/domains/a1.xml

dom_xml a1 "workload=spin hotplug=off"
V define "$TMP/a1.xml" >/dev/null || fail "define a1"
inactive() { V dumpxml --inactive a1; }

V attach-interface a1 bridge "$stub" --mac 00:16:3e:00:59:01 --model virtio \
	--inbound 1000 --outbound 2000 --config >"$TMP/out" 2>&1 || { cat "$TMP/out"; fail "attach-interface --config"; }
inactive >"$TMP/x"
grep -q "<mac address='00:16:3e:00:59:01'/>" "$TMP/x" || { cat "$TMP/x"; fail "no interface with the MAC in dumpxml --inactive"; }
grep -q "<inbound average='1000'" "$TMP/x" && grep -q "<outbound average='2000'" "$TMP/x" ||
	{ cat "$TMP/x"; fail "--inbound/--outbound not in the definition"; }
grep -q "00:16:3e:00:59:01" "$def" || fail "the attached interface is not in $def"
pass "attach-interface --config: 00:16:3e:00:59:01 over $stub, inbound 1000 / outbound 2000 KB/s, stored"
expect_fail "already has an interface with MAC address 00:16:3e:0*0:59:0*1" \
	attach-interface a1 bridge "$stub" --mac 00:16:3e:00:59:01 --config
V attach-interface a1 bridge "$stub" --config >/dev/null 2>&1 || fail "attach-interface without --mac"
[ "$(inactive | grep -c "<mac address='00:16:3e:")" = 2 ] || { inactive; fail "no second interface with a generated 00:16:3e MAC"; }
pass "attach-interface without --mac: a 00:16:3e MAC generated"

truncate -s 16M "$TMP/d1.img"
V attach-disk a1 "$TMP/d1.img" xvdb --config >"$TMP/out" 2>&1 || { cat "$TMP/out"; fail "attach-disk --config"; }
inactive | grep -q "<source file='$TMP/d1.img'/>" || { inactive; fail "disk not in the definition"; }
inactive | grep -q "<target dev='xvdb'" || fail "disk target xvdb not in the definition"
expect_fail "target xvdb already exists" attach-disk a1 "$TMP/d1.img" xvdb --config
echo "<graphics type='vnc'/>" >"$TMP/g.xml"
expect_fail "unsupported device 'graphics'" attach-device a1 "$TMP/g.xml" --config
echo "<disk type='file'><source file='$TMP/d1.img'/></disk>" >"$TMP/bad.xml"
expect_fail "disk needs <source> and <target" attach-device a1 "$TMP/bad.xml" --config
echo "<interface type='bridge'><source bridge='$stub'/><model type='e1000'/></interface>" >"$TMP/bad.xml"
expect_fail "unsupported NIC model 'e1000'" attach-device a1 "$TMP/bad.xml" --config
pass "attach-disk --config adds xvdb; bad devices refused, definition unchanged"
[ "$(inactive | grep -c '<interface')" = 2 ] && [ "$(inactive | grep -c '<disk')" = 1 ] ||
	{ inactive; fail "a refused attach changed the definition"; }

# Running: the live devices do not change; --config does.
V start a1 >/dev/null || fail "start a1"
wait_for_line "$(conlog a1)" '^guest: spin t=1' 30 || fail "a1 did not run"
# fake-hv refuses hot-plug (hotplug=off): the live attach reaches it (the
# VNIC is made and removed again); 5x-xvmd-hotplug plugs a NIC into a
# real guest.
expect_fail "hv nic.add of 'a1': no hot-plug here \(fake hv\)" attach-interface a1 bridge "$stub"
expect_fail "hv nic.add of 'a1': no hot-plug here \(fake hv\)" attach-interface a1 bridge "$stub" --live
"$VNICADM" show-vnic | grep -q "^xvm$(V domid a1)_2 " && fail "a failed live attach left its VNIC"
[ "$(V dumpxml a1 | grep -c '<interface')" = 2 ] || fail "a failed live attach changed the running configuration"
expect_fail "use --config" attach-disk a1 "$TMP/d1.img" xvdc --persistent
V attach-disk a1 "$TMP/d1.img" xvdc --config --mode readonly >/dev/null 2>&1 || fail "attach-disk --config on the running a1"
V dumpxml a1 | grep -q "xvdc" && fail "the running configuration shows xvdc"
inactive | grep -q "<target dev='xvdc'" || fail "xvdc not in the next start's definition"
pass "running a1: live attach tried in hv (fake-hv refuses, nothing left); disks refused naming --config; --config changes only the definition"
V detach-disk a1 xvdc --config >/dev/null 2>&1 || fail "detach-disk xvdc --config"
V destroy a1 >/dev/null || fail "destroy a1"

V detach-interface a1 bridge --mac 00:16:3e:00:59:01 --config >"$TMP/out" 2>&1 || { cat "$TMP/out"; fail "detach-interface --config"; }
inactive | grep -q "00:16:3e:00:59:01" && fail "interface still in the definition after detach"
grep -q "00:16:3e:00:59:01" "$def" && fail "interface still in $def after detach"
V detach-disk a1 xvdb --config >/dev/null 2>&1 || fail "detach-disk --config"
inactive | grep -q "<disk" && { inactive; fail "disk still in the definition after detach"; }
# virsh's detach-disk/-interface look in dumpxml first; detach-device asks xvmd
expect_fail "Failed to get disk information" detach-disk a1 xvdb --config
echo "<disk type='file'><source file='$TMP/d1.img'/><target dev='xvdb'/></disk>" >"$TMP/d.xml"
expect_fail "no disk with target xvdb" detach-device a1 "$TMP/d.xml" --config
echo "<interface type='bridge'><source bridge='$stub'/><mac address='00:16:3e:00:59:01'/></interface>" >"$TMP/n.xml"
expect_fail "no interface with MAC address 00:16:3e:00:59:01" detach-device a1 "$TMP/n.xml" --config
pass "detach-interface and detach-disk --config remove them from the definition; missing ones refused"

# The remaining (generated-MAC) interface survives an xvmd restart.
mac=$(inactive | sed -n "s/.*<mac address='\([^']*\)'.*/\1/p")
[ -n "$mac" ] || fail "no interface left"
xvmd_stop; xvmd_start --hv "$TOP/tests/tools/fake-hv"
[ "$(V dumpxml --inactive a1 | sed -n "s/.*<mac address='\([^']*\)'.*/\1/p")" = "$mac" ] ||
	fail "after an xvmd restart the definition lost its interface $mac"
pass "after an xvmd restart a1 has its interface $mac"

# A transient domain has no definition to change.
dom_xml t1 "workload=spin"
V create "$TMP/t1.xml" >/dev/null || fail "create t1"
expect_fail "transient domains do not have any persistent config" attach-disk t1 "$TMP/d1.img" xvdb --config
V destroy t1 >/dev/null
xvmd_stop
