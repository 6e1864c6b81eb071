#!/bin/bash
# 41-guest-vlan with QEMU instead of hv as the vhost-user frontend (KVM
# where kvm-probe finds it usable, else TCG; no /dev/kvm needed): the PV
# guest under QEMU on a guest VNIC with VLAN 5 over the uplink answers
# ping from a LAN host's VLAN-5 interface (56 and 1472 bytes of data: the
# tag is stripped on the way in, since the guest's stack drops tagged
# frames); on the LAN side of the uplink (tcpdump -e) every VLAN-5 echo
# request to the guest's MAC has its reply, and every frame from the
# guest's MAC carries tag 5 (the 1514-byte replies leave as 1518-byte
# tagged frames); a LAN host on VLAN 6 with an address in the same subnet
# gets no answer, and an untagged LAN host neither: nothing from the
# guest reaches the LAN while they try, and the VNIC's IPACKETS does not
# move (the switch delivered none of their frames). QEMU still runs.
# Under TCG on a busy machine a reply may come a second late: the VLAN-5
# pings wait with -w (ping -c alone gives up after twice the longest RTT
# so far).
# timeout: 180
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
qemu_require
lan_create
lan_host h5
lan_host_vlan "$(nsn h5)" 5 10.46.0.10/24
lan_host h6
lan_host_vlan "$(nsn h6)" 6 10.46.0.20/24
lan_host h0 10.46.0.30/24
vsw_start
g=$(vname 1)
guest_vnic "$g" "$UPLINK" ',"vid":5'
vid=$("$VNICADM" show-vnic -p -o vid "$g")
[ "$vid" = 5 ] || fail "show-vnic gives VID '$vid' for $g"
m=$(canon_mac "$MAC")
ipackets() { "$VNICADM" show-vnic -s -p -o ipackets "$g"; }
cap_start "$LAN_NS" "$LAN_PORT" "$TMP/uplink.pcap"
qemu_guest_start g "$SOCK" "$MAC" "workload=ping,idle ip=10.46.0.1/24"
expect_console g "^guest: nic0 mac=$MAC link=up ip=10.46.0.1/24" 60
expect_console g '^guest: ready mem=6[34] vcpus=1 workload=ping,idle$' 30

ip0=$(ipackets)
in_ns "$(nsn h5)" ping -n -c 5 -i 0.2 -w 30 10.46.0.1 >"$TMP/ping5" 2>&1 ||
	{ cat "$TMP/ping5"; show g; fail "the VLAN-5 LAN host gets no answer from the guest"; }
grep -E 'packets transmitted|rtt' "$TMP/ping5" | sed 's/^/  /'
in_ns "$(nsn h5)" ping -n -c 3 -i 0.2 -w 30 -s 1472 10.46.0.1 >"$TMP/ping5b" 2>&1 ||
	{ cat "$TMP/ping5b"; show g; fail "the VLAN-5 LAN host's 1472-byte pings get no answer"; }
grep -E 'packets transmitted' "$TMP/ping5b" | sed 's/^/  /'
pass "the LAN host on VLAN 5 pings the guest (56 and 1472 bytes)"
cap_echoes_wait "$TMP/uplink.pcap" "$m" 10
cap_stop
ip1=$(ipackets)
read -r req _ rep _ miss <<<"$(cap_echoes "$TMP/uplink.pcap" "$m")"
q5=$(cap_show "$TMP/uplink.pcap" | grep -ic "> $m, ethertype 802.1Q (0x8100), length [0-9]*: vlan 5,.*ICMP echo request")
[ "$req" -ge 8 ] && [ "$q5" = "$req" ] && [ "$miss" = 0 ] || {
	cap_show "$TMP/uplink.pcap" | head -n 20
	fail "LAN side: $req echo requests to $m ($q5 tagged 5), $miss unanswered"
}
tagged=$(cap_show "$TMP/uplink.pcap" | grep -i "^[0-9:.]* $m >.*vlan 5,.*ICMP echo reply")
pass "LAN side sees: $(echo "$tagged" | head -n 1 | cut -c 17-130)"
bigq=$(cap_show "$TMP/uplink.pcap" | grep -ic "> $m, .* length 1518: vlan 5,.*ICMP echo request")
bigp=$(cap_show "$TMP/uplink.pcap" | grep -ic "^[0-9:.]* $m > .* length 1518: vlan 5,.*ICMP echo reply")
[ "$bigq" -ge 3 ] && [ "$bigp" = "$bigq" ] || {
	cap_show "$TMP/uplink.pcap" | grep -i "$m >" | tail
	fail "$bigp 1518-byte tagged replies from $m for $bigq such requests"
}
all=$(cap_show "$TMP/uplink.pcap" | grep -ic "^[0-9:.]* $m >")
bad=$(cap_show "$TMP/uplink.pcap" | grep -i "^[0-9:.]* $m >" | grep -v 'vlan 5,')
[ -z "$bad" ] || { echo "$bad" | head; fail "frames from the guest left the uplink untagged or with another tag"; }
pass "each of the $req VLAN-5 requests answered; all $all frames from the guest on the LAN carry tag 5 ($bigp of 1518 bytes)"
din=$((ip1 - ip0))
[ "$din" -ge "$req" ] || fail "$g's IPACKETS grew by $din, less than the $req requests"
pass "$g received the VLAN-5 host's requests: IPACKETS +$din"

ip2=$(ipackets)
isolated_from h6 10.46.0.1 "$m" 'vlan 6,' "the LAN host on VLAN 6"
pass "the LAN host on VLAN 6 gets no answer ($PROBES VLAN-6 frames, none from the guest)"

# Untagged frames (the host's ARP requests) do not reach it either.
isolated_from h0 10.46.0.1 "$m" 'ethertype ARP (0x0806).*Request who-has 10.46.0.1 ' \
	"an untagged LAN host"
pass "an untagged LAN host gets no answer ($PROBES untagged ARP requests, nothing from the guest)"
ip3=$(ipackets)
[ "$ip3" = "$ip2" ] || fail "$g's IPACKETS grew by $((ip3 - ip2)) while only VLAN-6 and untagged hosts sent"
pass "the guest received nothing from VLAN 6 or untagged (IPACKETS stayed $ip3)"
kill -0 "$HV_PID" || { show g; fail "QEMU exited"; }
pass "QEMU still runs"
