#!/bin/bash
# VLANs over the uplink: a host VNIC with -v 5 pings a LAN host's VLAN-5
# interface and the LAN side of the uplink sees its frames tagged 5
# (tcpdump -e); a LAN host on VLAN 6 with an address in the same subnet
# cannot reach it, nor can a VNIC with -v 6 (which does reach the VLAN-6
# LAN host, so VLAN 6 itself works). The uplink's PROMISC flag, turned on
# while VNICs are over it, is off again after the last one goes, and left
# on when it was on before vswitchd came.
# timeout: 120
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
lan_create
lan_host h5
lan_host_vlan "$(nsn h5)" 5 10.31.0.10/24
lan_host h6
lan_host_vlan "$(nsn h6)" 6 10.31.0.20/24
vsw_start
v5=$(vname 5) v6=$(vname 6)
cap_start "$LAN_NS" "$LAN_PORT" "$TMP/uplink.pcap"
host_vnic "$v5" "$UPLINK" a 10.31.0.1/24 -v 5
host_vnic "$v6" "$UPLINK" b 10.31.0.2/24 -v 6
vid=$("$VNICADM" show-vnic -p -o vid "$v5")
[ "$vid" = 5 ] || fail "show-vnic gives VID '$vid' for $v5"

ns_ping "$(nsn a)" 10.31.0.10 5 || fail "$v5 cannot ping the LAN host's VLAN-5 interface"
pass "$v5 (VLAN 5) pings the LAN host on VLAN 5"
cap_stop
m5=$(canon_mac "$(vnic_mac "$v5")")
tagged=$(cap_show "$TMP/uplink.pcap" | grep -i "^[0-9:.]* $m5 >.*vlan 5,.*ICMP echo request")
[ -n "$tagged" ] || { cap_show "$TMP/uplink.pcap" | head -20; fail "no echo request from $m5 tagged 5 on the LAN side"; }
pass "LAN side sees: $(echo "$tagged" | head -n 1 | cut -c 17-130)"
bad=$(cap_show "$TMP/uplink.pcap" | grep -i "^[0-9:.]* $m5 >" | grep -v 'vlan 5,')
[ -z "$bad" ] || { echo "$bad" | head; fail "frames from $m5 left the uplink untagged or with another tag"; }
pass "every frame from $v5 on the LAN carries tag 5"

cap_start "$LAN_NS" "$LAN_PORT" "$TMP/uplink6.pcap"
! ns_ping "$(nsn h6)" 10.31.0.1 3 || fail "the LAN host on VLAN 6 reaches $v5 (VLAN 5)"
pass "the LAN host on VLAN 6 cannot reach $v5"
! ns_ping "$(nsn b)" 10.31.0.1 3 || fail "$v6 (VLAN 6) reaches $v5 (VLAN 5)"
pass "$v6 (VLAN 6) cannot reach $v5"
ns_ping "$(nsn b)" 10.31.0.20 3 || fail "$v6 cannot reach the LAN host on VLAN 6"
pass "$v6 reaches the LAN host on VLAN 6"
cap_stop
m6=$(canon_mac "$(vnic_mac "$v6")")
# A leak is a frame from $v5 on VLAN 6 or untagged, or one addressed to a
# station seen on VLAN 6. $v5's own VLAN-5 traffic may go on meanwhile
# (the VLAN-5 LAN host re-validating its neighbour gets a tagged reply).
on6=$(cap_show "$TMP/uplink6.pcap" | grep 'vlan 6,' | awk '{print $2}' | sort -u)
leak=$(cap_show "$TMP/uplink6.pcap" | grep -i "^[0-9:.]* $m5 >" | grep -v 'vlan 5,')
for m in $on6; do
	leak+=$(cap_show "$TMP/uplink6.pcap" | grep -i "^[0-9:.]* $m5 > $m,")
done
[ -n "$on6" ] || fail "no frame tagged 6 seen while VLAN 6 probed $v5"
[ -z "$leak" ] || { echo "$leak" | head; fail "$v5 answered VLAN-6 traffic on the uplink"; }
cap_show "$TMP/uplink6.pcap" | grep -i "^[0-9:.]* $m6 >" | grep -qv 'vlan 6,' &&
	fail "frames from $v6 left the uplink without tag 6"
pass "nothing from $v5 on the LAN while VLAN 6 probed it; $v6's frames are tagged 6"

# promisc: IFF_PROMISC (0x100) on the uplink.
promisc() { (( $(cat "/sys/class/net/$UPLINK/flags") & 0x100 )); }
promisc || fail "$UPLINK is not promiscuous while VNICs are over it"
vna delete-vnic "$v5"
promisc || fail "$UPLINK not promiscuous any more while $v6 is over it"
vna delete-vnic "$v6"
! promisc || fail "$UPLINK still promiscuous after its last VNIC was deleted"
pass "$UPLINK's PROMISC flag is off again after its last VNIC went"
v7=$(vname 7)
topo promisc "$UPLINK" on
vna create-vnic -t -l "$UPLINK" "$v7"
vna delete-vnic "$v7"
promisc || fail "$UPLINK's PROMISC, set by the administrator, was turned off"
topo promisc "$UPLINK" off
pass "a PROMISC flag set before is left on"
