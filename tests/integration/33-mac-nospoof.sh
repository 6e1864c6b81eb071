#!/bin/bash
# protection=mac-nospoof: a host VNIC whose kernel interface then takes a
# forged MAC cannot get a frame onto the LAN (a capture on the LAN side of
# the uplink has nothing from the forged MAC) and the drops show in the
# VNIC's mac_spoof counter. With the protection reset the same frames do
# reach the LAN, so the capture could have seen them.
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
lan_create
lan_host h 10.33.0.10/24
vsw_start
v=$(vname 1)
host_vnic "$v" "$UPLINK" a 10.33.0.1/24 -p protection=mac-nospoof
prot=$("$VNICADM" show-linkprop -c -o value -p protection "$v")
[ "$prot" = mac-nospoof ] || fail "show-linkprop gives protection '$prot'"
ns_ping "$(nsn a)" 10.33.0.10 3 || fail "$v cannot ping the LAN host with its own MAC"
pass "$v pings the LAN host with its own MAC"

forged=02:00:5e:33:33:01
before=$(vnic_stat "$v" drops.mac_spoof)
topo -n "$(nsn a)" lladdr "$v" "$forged"
cap_start "$LAN_NS" "$LAN_PORT" "$TMP/lan.pcap"
# Neighbour entries learned with the real MAC would still answer; the
# ARP requests sent from now on carry the forged source.
in_ns "$(nsn a)" ping -n -c 5 -i 0.2 -W 1 10.33.0.99 >/dev/null 2>&1
! ns_ping "$(nsn a)" 10.33.0.10 3 || echo "note: ping still answered (cached entries)"
cap_stop
after=$(vnic_stat "$v" drops.mac_spoof)
seen=$(cap_show "$TMP/lan.pcap" | grep -ci "$forged")
[ "$seen" = 0 ] || { cap_show "$TMP/lan.pcap" | grep -i "$forged" | head; fail "$seen frames from the forged MAC reached the LAN"; }
pass "no frame from the forged MAC $forged reached the LAN"
[ "$after" -gt "$before" ] 2>/dev/null || fail "mac_spoof drops did not grow ($before -> $after)"
pass "mac_spoof drops: $before -> $after"

vna reset-linkprop -t -p protection "$v"
cap_start "$LAN_NS" "$LAN_PORT" "$TMP/lan2.pcap"
in_ns "$(nsn a)" ping -n -c 3 -i 0.2 -W 1 10.33.0.99 >/dev/null 2>&1
cap_stop
seen=$(cap_show "$TMP/lan2.pcap" | grep -ci "$forged")
[ "$seen" -gt 0 ] || fail "without protection the forged frames do not reach the LAN either: the capture proves nothing"
pass "without protection, $seen frames from $forged reach the LAN (the capture works)"
