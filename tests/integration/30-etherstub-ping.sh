#!/bin/bash
# Two host VNICs over an etherstub, each moved into its own namespace,
# ping each other; none of their frames reaches the uplink (a capture on
# the LAN side of the uplink, which vswitchd has attached, shows no frame
# from or to their MACs and none of their addresses).
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
lan_create
vsw_start
stub=$(vname 9)
v1=$(vname 1) v2=$(vname 2) v3=$(vname 3)
vna create-etherstub -t "$stub"
# A VNIC over the uplink attaches it: a leak would have somewhere to go.
vna create-vnic -t -l "$UPLINK" "$v3"
cap_start "$LAN_NS" "$LAN_PORT" "$TMP/uplink.pcap"
host_vnic "$v1" "$stub" a 10.30.0.1/24
host_vnic "$v2" "$stub" b 10.30.0.2/24
over=$("$VNICADM" show-vnic -p -o over "$v1")
[ "$over" = "$stub" ] || fail "show-vnic says $v1 is over '$over', not $stub"
pass "$v1 and $v2 are over etherstub $stub"

ns_ping "$(nsn a)" 10.30.0.2 5 || fail "$v1 (10.30.0.1) cannot ping $v2 (10.30.0.2)"
pass "$v1 pings $v2 across the etherstub"
ns_ping "$(nsn b)" 10.30.0.1 5 || fail "$v2 cannot ping $v1"
pass "$v2 pings $v1"
cap_stop

m1=$(canon_mac "$(vnic_mac "$v1")") m2=$(canon_mac "$(vnic_mac "$v2")")
[ -n "$m1" ] && [ -n "$m2" ] || fail "no MAC addresses from show-vnic"
leak=$(cap_show "$TMP/uplink.pcap" | grep -Ei -- "$m1|$m2|10\.30\.0\.")
[ -z "$leak" ] || { echo "$leak" | head; fail "etherstub traffic reached the uplink"; }
pass "the uplink capture ($(cap_show "$TMP/uplink.pcap" | wc -l) frames) has nothing from $m1 or $m2"
