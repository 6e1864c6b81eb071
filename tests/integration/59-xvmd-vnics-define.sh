#!/bin/bash
# Guest NICs through xvmd, no guest booted (runs natively, with or without
# KVM): a domain defined with <interface type='bridge'> on an etherstub
# gets a 00:16:3e MAC that xvmd generated and persisted; a start that fails
# (vswitchd refuses the second NIC after the first VNIC was made; hv
# cannot load the kernel after both were made) leaves no VNIC behind and
# the domain shut off; then a start of a good domain makes its VNIC (where
# KVM is unusable, hv fails after that with its reason, and the VNIC goes
# again).
# timeout: 120
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
. "$(dirname "$0")/xvmdlib.sh"
net_require
vsw_start
stub=$(vname 9)
vna create-etherstub -t "$stub"
xvmd_start

nic() { echo "<interface type='bridge'><source bridge='$stub'/><vlan><tag id='5'/></vlan>$1</interface>"; }
dom_xml n1 "workload=ping,idle ip=10.9.0.1/24" "" "$(nic "<bandwidth><inbound average='12500'/><outbound average='12500'/></bandwidth>")"
V define "$TMP/n1.xml" >/dev/null || fail "define"
mac1=$(V dumpxml --inactive n1 | sed -n "s/.*<mac address='\([^']*\)'.*/\1/p")
case $mac1 in 00:16:3e:*) ;; *) fail "n1: no generated 00:16:3e MAC in the definition ('$mac1')";; esac
grep -q "$mac1" "$XVM_STATEDIR/domains/n1.xml" || fail "generated MAC not persisted"
pass "n1: MAC $mac1 generated and persisted"

# Failed starts undo what they did: a second NIC over a link that does not
# exist (vswitchd refuses it after the first VNIC was made), then a kernel
# hv cannot load (hv exits after both VNICs were made).
dom_xml n3 "workload=idle" "" "$(nic "")<interface type='bridge'><source bridge='$(vname 8)'/></interface>"
dom_xml n4 "workload=idle" "" "$(nic "")$(nic "")"
sed -i "s:<kernel>.*</kernel>:<kernel>$TMP/n4.xml</kernel>:" "$TMP/n4.xml"
for n in n3 n4; do
	V define "$TMP/$n.xml" >/dev/null || fail "define $n"
	out=$(V start "$n" 2>&1) && fail "$n started: $out"
	[ "$(V domstate "$n")" = "shut off" ] || fail "$n: not shut off after a failed start"
	"$VNICADM" show-vnic | grep -q '^xvm' &&
		fail "$n: failed start left VNICs: $("$VNICADM" show-vnic)"
	pass "$n: start fails ($(echo "$out" | tail -n 1)); no VNIC left, shut off"
done

if [ -n "$NO_KVM" ]; then
	# hv stops at KVM, after xvmd made n1's VNIC.
	start_without_kvm n1
	"$VNICADM" show-vnic | grep -q '^xvm' &&
		fail "n1: start without KVM left VNICs: $("$VNICADM" show-vnic)"
	pass "no KVM here: n1's start got as far as hv; no VNIC left"
else
	V start n1 >/dev/null || fail "start n1 after the failed starts"
	"$VNICADM" show-vnic | grep -Eq "^xvm[0-9]+_0 +$stub " || fail "n1 has no VNIC"
	V destroy n1 >/dev/null
	pass "a domain starts normally after the failed starts"
fi
xvmd_stop
