#!/bin/bash
# Capture of guest VNICs (issue 10) with real guests: two PV guests under
# hv on guest VNICs (vhost-user) over an etherstub, B pings A 20 times.
# A capture of B's VNIC to a pcap file, read with tshark, holds the 20
# echo requests B sent to A's MAC and the 20 replies back, and the ARP
# exchange before them; a capture of A's VNIC filtered with 'icmp' and
# -c 5 ends by itself with 5 ICMP frames and no ARP; the pinger lost
# nothing while both ran. The same on namespace VNICs and xvm-vuser
# endpoints, with drops, bad input and leaks: 48-snoop (native).
# timeout: 150
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
require_kvm
net_require
command -v tshark >/dev/null || fail "tshark is not installed (make deps)"
vsw_start
stub=$(vname 9) a=$(vname 1) b=$(vname 2)
vna create-etherstub -t "$stub"
guest_vnic "$a" "$stub"; sock_a=$SOCK mac_a=$MAC
guest_vnic "$b" "$stub"; sock_b=$SOCK mac_b=$MAC
ma=$(canon_mac "$mac_a") mb=$(canon_mac "$mac_b")

snoop_bg all -o "$TMP/b.pcap" "$b"
pid_all=$SNOOP_PID
snoop_bg c5 -c 5 -o "$TMP/a5.pcap" "$a" icmp
pid_c5=$SNOOP_PID

N=20
guest_start ga "$sock_a" "$mac_a" "workload=ping,idle ip=10.65.0.1/24"
guest_start gb "$sock_b" "$mac_b" \
	"workload=pinger ip=10.65.0.2/24 peer=10.65.0.1 count=$N interval_ms=200"
expect_console gb '^guest: pinger sent=' 90
line=$(grep -m1 '^guest: pinger sent=' "$TMP/gb.console")
[ "$line" = "guest: pinger sent=$N received=$N lost=0" ] ||
	{ show gb; show ga; fail "pinger: '$line' while captured"; }
pass "guest B pinged A while both VNICs were captured: $line"

wait_pid "$pid_c5" 20 || fail "snoop -c 5 on $a did not end by itself"
[ "$WAIT_RC" = 0 ] || { cat "$TMP/c5.err"; fail "snoop -c 5 exited $WAIT_RC"; }
sleep 0.5
snoop_end "$pid_all" all

req=$(fields "$TMP/b.pcap" "icmp.type == 8" eth.src eth.dst | sort | uniq -c)
rep=$(fields "$TMP/b.pcap" "icmp.type == 0" eth.src eth.dst | sort | uniq -c)
echo "$req" | grep -Eq "^ *$N $mb $ma\$" ||
	fail "echo requests in $b's capture are not $N from $mb to $ma: $req"
echo "$rep" | grep -Eq "^ *$N $ma $mb\$" ||
	fail "echo replies in $b's capture are not $N from $ma to $mb: $rep"
pass "$b's capture: $N echo requests $mb -> $ma and $N replies $ma -> $mb"
narp=$(fields "$TMP/b.pcap" "arp.src.hw_mac == $mb || arp.src.hw_mac == $ma" frame.number | wc -l)
[ "$narp" -ge 2 ] || fail "no ARP exchange between the guests in $b's capture"
nall=$(tshark -r "$TMP/b.pcap" 2>/dev/null | wc -l)
[ "$(captured all)" = "$nall" ] ||
	fail "snoop said $(captured all) frames captured, the file has $nall"
pass "the ARP exchange too ($narp frames); snoop counted the $nall frames the file has"

n5=$(tshark -r "$TMP/a5.pcap" 2>/dev/null | wc -l)
nicmp=$(fields "$TMP/a5.pcap" icmp frame.number | wc -l)
[ "$n5" = 5 ] && [ "$nicmp" = 5 ] ||
	fail "the 'icmp' -c 5 capture of $a has $n5 frames, $nicmp of them ICMP"
pass "-c 5 'icmp' on $a: ended by itself after 5 ICMP frames, no ARP"
