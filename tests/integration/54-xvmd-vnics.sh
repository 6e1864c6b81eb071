#!/bin/bash
# Guest NICs through xvmd: two domains with <interface type='bridge'> on an
# etherstub, VLAN 5, one capped with <bandwidth> -> their VNICs
# xvm<domid>_0 show in `vnicadm show-vnic` with the VLAN, the cap and the
# MAC xvmd generated; dumpxml names the live VNIC; <mtu size='9000'/>
# makes the VNICs' mtu 9000 and the guests' (hv --net mtu=): they ping
# each other with 8972 bytes of data; after kill -9 of xvmd the adopted guest still answers; destroy
# removes the VNIC. What needs no guest (the generated MAC persisted,
# failed starts leaving no VNIC) is 59-xvmd-vnics-define, run natively.
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
. "$(dirname "$0")/xvmdlib.sh"
require_kvm
net_require
vsw_start
stub=$(vname 9)
vna create-etherstub -t "$stub"
xvmd_start

nic() { echo "<interface type='bridge'><source bridge='$stub'/><vlan><tag id='5'/></vlan><mtu size='9000'/>$1</interface>"; }
dom_xml n1 "workload=ping,idle ip=10.9.0.1/24" "" "$(nic "<bandwidth><inbound average='12500'/><outbound average='12500'/></bandwidth>")"
dom_xml n2 "workload=pinger,idle ip=10.9.0.2/24 peer=10.9.0.1 count=3 interval_ms=200 ping_size=8972" "" "$(nic "")"
V define "$TMP/n1.xml" >/dev/null && V define "$TMP/n2.xml" >/dev/null || fail "define"
mac1=$(V dumpxml --inactive n1 | sed -n "s/.*<mac address='\([^']*\)'.*/\1/p")
V start n1 >/dev/null || fail "start n1"
wait_for_line "$(conlog n1)" '^guest: ready' 60 || fail "n1 did not boot"
V start n2 >/dev/null || fail "start n2"
id1=$(V domid n1); id2=$(V domid n2)
"$VNICADM" show-vnic | tee "$TMP/vnics"
dlmac=$(echo "$mac1" | sed -E 's/(^|:)0([0-9a-f])/\1\2/g')
grep -Eq "^xvm${id1}_0 +$stub +100 +$dlmac +fixed +5$" "$TMP/vnics" ||
	fail "xvm${id1}_0 over $stub, 100 Mb/s, MAC $dlmac, VID 5 not shown"
grep -Eq "^xvm${id2}_0 +$stub .* 5$" "$TMP/vnics" || fail "xvm${id2}_0 not shown"
pass "VNICs xvm${id1}_0 (capped 100M) and xvm${id2}_0 over $stub on VLAN 5"
for id in "$id1" "$id2"; do
	[ "$("$VNICADM" show-link -p -o mtu "xvm${id}_0")" = 9000 ] ||
		fail "xvm${id}_0: mtu $("$VNICADM" show-link -p -o mtu "xvm${id}_0"), expected 9000"
done
wait_for_line "$(conlog n1)" '^guest: nic0 mtu=9000$' 30 || fail "n1's NIC did not get MTU 9000"
wait_for_line "$(conlog n2)" '^guest: nic0 mtu=9000$' 30 || fail "n2's NIC did not get MTU 9000"
V dumpxml n1 | grep -q "<mtu size='9000'/>" || fail "dumpxml lacks <mtu size='9000'/>"
pass "<mtu size='9000'/>: both VNICs and both guests' NICs at MTU 9000"
V dumpxml n1 | grep -q "<target dev='xvm${id1}_0'/>" || fail "dumpxml lacks the live VNIC"
V dumpxml --inactive n1 | grep -q "<target dev=" && fail "inactive XML names a VNIC"
pass "dumpxml shows <target dev='xvm${id1}_0'/>"
wait_for_line "$(conlog n2)" '^guest: pinger sent=3 received=3' 60 ||
	{ tail -n 5 "$(conlog n2)"; fail "n2 could not ping n1"; }
pass "n2 pings n1 over the VNICs with 8972 bytes of data: $(grep -m1 'pinger sent' "$(conlog n2)")"

xvmd_kill9
xvmd_start
[ "$(V domid n1)" = "$id1" ] || fail "n1 not adopted with id $id1"
V destroy n2 >/dev/null || fail "destroy n2"
"$VNICADM" show-vnic | grep -q "^xvm${id2}_0 " && fail "xvm${id2}_0 still there after destroy"
pass "destroy removed xvm${id2}_0"
V start n2 >/dev/null || fail "restart n2"
n=$(grep -c 'pinger sent=3 received=3' "$(conlog n2)")
end=$(deadline_in 60)
while before "$end"; do
	[ "$(grep -c 'pinger sent=3 received=3' "$(conlog n2)")" -gt "$n" ] && break
	sleep 0.1
done
[ "$(grep -c 'pinger sent=3 received=3' "$(conlog n2)")" -gt "$n" ] || fail "adopted n1 does not answer"
pass "after kill -9 of xvmd, adopted n1 (id $id1) still answers pings"
V destroy n1 >/dev/null; V destroy n2 >/dev/null
"$VNICADM" show-vnic | grep -q '^xvm' && fail "guest VNICs left: $("$VNICADM" show-vnic)"
pass "no guest VNIC left"
xvmd_stop
