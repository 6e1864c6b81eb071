#!/bin/bash
# The PV guest under QEMU instead of hv (memory-backend-memfd,share=on,
# -netdev vhost-user, virtio-net-pci modern only; KVM where kvm-probe finds
# it usable, else TCG, so this runs natively on machines without /dev/kvm)
# on a guest VNIC over the uplink:
# - a LAN host's pings (20 of 56 bytes, then 5 of 1472: full-size frames)
#   are answered with intact data; on the LAN side of the uplink
#   (tcpdump -e) every echo request to the guest's MAC has its reply from
#   that MAC, untagged, and the 1472-byte ones are 1514-byte frames;
# - `vnicadm show-vnic -s` counts what crossed the uplink: IPACKETS and
#   RBYTES grew by the requests and their bytes on the wire, OPACKETS and
#   OBYTES by the replies (plus at most a few ARP frames), and the
#   uplink's `show-link -s` OPACKETS by the replies at least;
# - a flood ping (2000 replies wanted, 32 requests in flight: both
#   256-entry rings wrap around many times) gets them, and every request
#   the LAN host sent reached the guest and was answered (its VNIC's
#   IPACKETS and OPACKETS both grew by ping's transmitted count);
# - QEMU quit (SIGTERM): the VNIC's state goes down; a second QEMU on the
#   same socket runs `pinger count=6` towards the LAN host (sent=6
#   received=6 lost=0), powers off, QEMU exits 0, the VNIC counts it.
# Under TCG on a busy machine a reply may come a second late: pings wait
# with -w (ping -c alone gives up after twice the longest RTT so far) and
# the pinger sends every 2 s (it waits that long for the last reply).
# timeout: 180
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
qemu_require
lan_create
lan_host h 10.45.0.10/24
vsw_start
g=$(vname 1)
guest_vnic "$g" "$UPLINK"
m=$(canon_mac "$MAC")

# vnic_counters NAME: "IPACKETS RBYTES OPACKETS OBYTES" of show-vnic -s.
vnic_counters() {
	"$VNICADM" show-vnic -s -p -o ipackets,rbytes,opackets,obytes "$1" | tr : ' '
}
link_state() { "$VNICADM" show-link -p -o state "$1"; }
# between LO HI V...: every V is in [LO, HI].
between() {
	local lo=$1 hi=$2 v
	shift 2
	for v; do [ "$v" -ge "$lo" ] && [ "$v" -le "$hi" ] || return 1; done
}

qemu_guest_start g "$SOCK" "$MAC" "workload=ping,idle ip=10.45.0.1/24"
q1=$HV_PID
expect_console g "^guest: nic0 mac=$MAC link=up ip=10.45.0.1/24" 60
expect_console g '^guest: ready mem=6[34] vcpus=1 workload=ping,idle$' 30
st=$(link_state "$g")
[ "$st" = up ] || fail "show-link gives state '$st' for $g with QEMU connected"
pass "$g is up with QEMU as its frontend"

# One ping first so that ARP is done before the counted rounds.
ns_ping "$(nsn h)" 10.45.0.1 1 || { show g; tail -n 20 "$TMP/vswitchd.log"; fail "the LAN host cannot ping the guest"; }
read -r ip0 rb0 op0 ob0 <<<"$(vnic_counters "$g")"
up0=$("$VNICADM" show-link -s -p -o opackets "$UPLINK")
cap_start "$LAN_NS" "$LAN_PORT" "$TMP/uplink.pcap" icmp
N=20 NB=5
in_ns "$(nsn h)" ping -n -c $N -i 0.2 -w 30 10.45.0.1 >"$TMP/ping" 2>&1 ||
	{ cat "$TMP/ping"; show g; fail "the LAN host did not get $N replies in 30 s"; }
grep -E 'packets transmitted|rtt' "$TMP/ping" | sed 's/^/  /'
pass "$N pings of 56 bytes from the LAN host answered"
# 1472 bytes of data: 1514-byte frames, the largest the guest takes.
in_ns "$(nsn h)" ping -n -c $NB -i 0.2 -w 30 -s 1472 -M do 10.45.0.1 >"$TMP/pingb" 2>&1 ||
	{ cat "$TMP/pingb"; show g; fail "the LAN host did not get $NB replies to 1472-byte pings in 30 s"; }
grep -E 'packets transmitted|rtt' "$TMP/pingb" | sed 's/^/  /'
! grep -q 'wrong data\|DUP' "$TMP/ping" "$TMP/pingb" || fail "replies with wrong data or duplicates"
pass "$NB pings of 1472 bytes answered, data intact"
cap_echoes_wait "$TMP/uplink.pcap" "$m" 10
cap_stop
read -r ip1 rb1 op1 ob1 <<<"$(vnic_counters "$g")"
up1=$("$VNICADM" show-link -s -p -o opackets "$UPLINK")

# What the wire saw: each request to the guest answered, untagged.
read -r req reqb rep repb miss <<<"$(cap_echoes "$TMP/uplink.pcap" "$m")"
bigq=$(cap_show "$TMP/uplink.pcap" | grep -ic "> $m, ethertype IPv4 (0x0800), length 1514: .*ICMP echo request")
bigp=$(cap_show "$TMP/uplink.pcap" | grep -ic "^[0-9:.]* $m > .*, ethertype IPv4 (0x0800), length 1514: .*ICMP echo reply")
tagged=$(cap_show "$TMP/uplink.pcap" | grep -ic "^[0-9:.]* $m > .*802.1Q")
[ "$req" -ge $((N + NB)) ] && [ "$miss" = 0 ] && [ "$rep" = "$req" ] &&
	[ "$bigq" -ge "$NB" ] && [ "$bigp" = "$bigq" ] && [ "$tagged" = 0 ] || {
	cap_show "$TMP/uplink.pcap" | head -n 20
	fail "LAN side: $req requests to $m, $rep replies ($miss unanswered, $bigp of 1514 bytes for $bigq, $tagged tagged)"
}
pass "LAN side of the uplink: $req echo requests to $m, each answered, untagged ($bigp replies of 1514 bytes)"

# Counters against the wire: frames and bytes without FCS, as tcpdump
# gives them; ARP refreshes may add a few frames of 42-60 bytes.
dip=$((ip1 - ip0)) drb=$((rb1 - rb0)) dop=$((op1 - op0)) dob=$((ob1 - ob0))
echo "  show-vnic -s $g: IPACKETS +$dip RBYTES +$drb OPACKETS +$dop OBYTES +$dob"
echo "  on the wire: $req requests ($reqb bytes), $rep replies ($repb bytes)"
between "$req" $((req + 4)) "$dip" "$dop" ||
	fail "$g's packet counters grew by $dip (in) and $dop (out), expected $req to $((req + 4))"
between "$reqb" $((reqb + 240)) "$drb" && between "$repb" $((repb + 240)) "$dob" ||
	fail "$g's byte counters grew by $drb (in) and $dob (out), expected $reqb and $repb (+ at most 240)"
pass "show-vnic -s counts the echo frames and bytes both ways"
dup=$((up1 - up0))
[ "$dup" -ge "$rep" ] || fail "the uplink's OPACKETS grew by $dup, less than the $rep replies"
pass "show-link -s $UPLINK: OPACKETS +$dup"

# A flood with 32 requests in flight: both rings (256 descriptors) wrap
# around many times. Late replies to the requests ping sent after its
# 2000th reply are waited for (10 s at most) before the counters are read.
read -r ip0 rb0 op0 ob0 <<<"$(vnic_counters "$g")"
in_ns "$(nsn h)" ping -n -q -f -l 32 -c 2000 -w 60 10.45.0.1 >"$TMP/pingf" 2>&1 ||
	{ cat "$TMP/pingf"; show g; fail "the LAN host's flood ping did not get 2000 replies in 60 s"; }
grep -E 'packets transmitted|rtt' "$TMP/pingf" | sed 's/^/  /'
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$TMP/pingf")
end=$(deadline_in 10)
while before "$end"; do
	read -r ip1 rb1 op1 ob1 <<<"$(vnic_counters "$g")"
	[ $((ip1 - ip0)) -ge "$sent" ] && [ $((op1 - op0)) -ge "$sent" ] && break
	sleep 0.1
done
between "$sent" $((sent + 4)) $((ip1 - ip0)) $((op1 - op0)) ||
	fail "flood: the LAN host sent $sent requests, $g got $((ip1 - ip0)) and sent $((op1 - op0)) frames"
pass "flood ping: 2000 replies or more; the $sent requests all reached the guest and were answered (IPACKETS +$((ip1 - ip0)), OPACKETS +$((op1 - op0)))"
kill -0 "$q1" || { show g; fail "QEMU exited"; }

# Quit QEMU as a user would (SIGTERM): vswitchd sees its frontend go.
qemu_guest_kill g "$q1" || fail "QEMU did not quit on SIGTERM within 10 s"
end=$(deadline_in 5)
while before "$end"; do
	st=$(link_state "$g")
	[ "$st" = down ] && break
	sleep 0.1
done
[ "$st" = down ] || fail "show-link still gives state '$st' for $g 5 s after QEMU quit"
pass "QEMU quit: $g is down"

# A new QEMU on the same VNIC: the guest pings the LAN host and powers off.
mv "$TMP/g.console" "$TMP/g1.console"
read -r ip0 rb0 op0 ob0 <<<"$(vnic_counters "$g")"
N=6
qemu_guest_start g "$SOCK" "$MAC" \
	"workload=pinger ip=10.45.0.1/24 peer=10.45.0.10 count=$N interval_ms=2000"
expect_console g "^guest: nic0 mac=$MAC link=up ip=10.45.0.1/24" 60
expect_console g '^guest: pinger sent=' 60
line=$(grep -m1 '^guest: pinger sent=' "$TMP/g.console")
grep '^guest: ping seq=' "$TMP/g.console" | head -n 3 | sed 's/^/  /'
[ "$line" = "guest: pinger sent=$N received=$N lost=0" ] ||
	{ show g; fail "pinger: '$line', expected sent=$N received=$N lost=0"; }
pass "the guest under a second QEMU pings the LAN host: 0% loss"
wait_pid "$HV_PID" 30 || { show g; fail "QEMU still running 30 s after the pinger's summary"; }
[ "$WAIT_RC" = 0 ] || { show g; fail "QEMU exited with status $WAIT_RC, expected 0 (the guest's power-off)"; }
pass "the guest powered off: QEMU exited 0"
read -r ip1 rb1 op1 ob1 <<<"$(vnic_counters "$g")"
[ $((op1 - op0)) -ge $N ] && [ $((ip1 - ip0)) -ge $N ] ||
	fail "$g counted OPACKETS +$((op1 - op0)) IPACKETS +$((ip1 - ip0)), expected >= $N each"
pass "the switch carried it: $g OPACKETS +$((op1 - op0)) IPACKETS +$((ip1 - ip0))"
