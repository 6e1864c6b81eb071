#!/bin/bash
# A PV guest under hv on a guest VNIC with VLAN 5 over the uplink answers
# ping from a LAN host's VLAN-5 interface; on the LAN side of the uplink
# (tcpdump -e) every frame from the guest's MAC carries tag 5; a LAN host
# on VLAN 6 with an address in the same subnet gets no answer, and
# nothing from the guest reaches the LAN while it tries.
# timeout: 150
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
require_kvm
net_require
lan_create
lan_host h5
lan_host_vlan "$(nsn h5)" 5 10.41.0.10/24
lan_host h6
lan_host_vlan "$(nsn h6)" 6 10.41.0.20/24
vsw_start
g=$(vname 1)
guest_vnic "$g" "$UPLINK" ',"vid":5'
vid=$("$VNICADM" show-vnic -p -o vid "$g")
[ "$vid" = 5 ] || fail "show-vnic gives VID '$vid' for $g"
cap_start "$LAN_NS" "$LAN_PORT" "$TMP/uplink.pcap"
guest_start g "$SOCK" "$MAC" "workload=ping,idle ip=10.41.0.1/24"
expect_console g "^guest: nic0 mac=$MAC link=up ip=10.41.0.1/24" 30

in_ns "$(nsn h5)" ping -n -c 5 -i 0.2 -W 2 10.41.0.1 >"$TMP/ping5" 2>&1 ||
	{ cat "$TMP/ping5"; show g; fail "the VLAN-5 LAN host gets no answer from the guest"; }
grep -E 'packets transmitted|rtt' "$TMP/ping5" | sed 's/^/  /'
pass "the LAN host on VLAN 5 pings the guest"
cap_stop
m=$(canon_mac "$MAC")
tagged=$(cap_show "$TMP/uplink.pcap" | grep -i "^[0-9:.]* $m >.*vlan 5,.*ICMP echo reply")
[ -n "$tagged" ] || { cap_show "$TMP/uplink.pcap" | head -20; fail "no echo reply from $m tagged 5 on the LAN side"; }
pass "LAN side sees: $(echo "$tagged" | head -n 1 | cut -c 17-130)"
all=$(cap_show "$TMP/uplink.pcap" | grep -ic "^[0-9:.]* $m >")
bad=$(cap_show "$TMP/uplink.pcap" | grep -i "^[0-9:.]* $m >" | grep -v 'vlan 5,')
[ -z "$bad" ] || { echo "$bad" | head; fail "frames from the guest left the uplink untagged or with another tag"; }
pass "all $all frames from the guest on the LAN carry tag 5"

isolated_from h6 10.41.0.1 "$m" 'vlan 6,' "the LAN host on VLAN 6"
pass "the LAN host on VLAN 6 gets no answer ($PROBES VLAN-6 frames, none from the guest)"
kill -0 "$HV_PID" || { show g; fail "hv exited"; }
