#!/bin/bash
# A frame from the LAN wakes an idle vswitchd at once: the uplink hands its
# af_packet socket to the sleeping PMD (netback/uplink.c), which epolls it
# beside the guests' kick fds, instead of looking at the uplink only when
# its nap runs out (up to 4 ms, a guest's migration downtime seen from the
# LAN is that much longer).
# - vswitchd's log says the uplink wakes the switch;
# - with nothing else over the link but a guest VNIC no guest holds (it
#   cannot wake anyone), 60 frames from a LAN host 20 ms apart, each to
#   that VNIC's MAC, reach the uplink (its ipackets) and wake the PMD:
#   stats' wakeups rise by at least half as many (each frame comes to a
#   sleeping PMD; without a wakeable uplink they rise by none: the naps
#   that run out are not wakeups);
# - with the switch idle afterwards, it naps (50-5000 naps a second: it
#   does not spin on a readable socket);
# - the uplink's interface down (the socket then reports ENETDOWN, an
#   error epoll repeats until it is read), it still naps so; up again,
#   frames wake it.
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
lan_create
lan_host h1 10.34.7.10/24
vsw_start
g=$(vname 1)
guest_vnic "$g" "$UPLINK"
mac=$MAC

grep -q "uplink $UPLINK: attached .*wakes the switch" "$TMP/vswitchd.log" ||
	{ grep "uplink $UPLINK" "$TMP/vswitchd.log"; fail "the uplink does not say it wakes the switch"; }
pass "vswitchd found the uplink's af_packet socket: it wakes the switch"

pmd() { vsw_rpc stats | python3 -c "import json, sys; print(json.load(sys.stdin)['pmd']['$1'])"; }
ipackets() { "$VNICADM" show-link -s -p -o ipackets "$UPLINK"; }
# The guest's address, on the LAN host, at the VNIC's MAC: ICMP echo
# requests to it are unicast frames for the VNIC.
in_ns "$(nsn h1)" ip neigh replace 10.34.7.1 lladdr "$mac" dev lan0 nud permanent ||
	fail "cannot set h1's neighbour entry"

# frames_wake N WHEN: N frames 20 ms apart from h1 (no answer comes: none
# expected) reach the uplink and wake the idle PMD at least N/2 times.
frames_wake() {
	local n=$1 w0 i0 w1 i1
	sleep 0.5	# let the switch settle into its naps
	w0=$(pmd wakeups) i0=$(ipackets)
	in_ns "$(nsn h1)" ping -n -q -c "$n" -i 0.02 -W 0.1 10.34.7.1 >/dev/null 2>&1
	w1=$(pmd wakeups) i1=$(ipackets)
	echo "  $2: $n frames: uplink ipackets +$((i1 - i0)), PMD wakeups +$((w1 - w0))"
	[ $((i1 - i0)) -ge "$n" ] || fail "$2: the uplink received $((i1 - i0)) frames, $n sent"
	[ $((w1 - w0)) -ge $((n / 2)) ] ||
		fail "$2: $n frames from the LAN woke the PMD $((w1 - w0)) times (at least $((n / 2)) expected: the uplink cannot wake it)"
	pass "$2: $n frames 20 ms apart from the LAN woke the idle PMD $((w1 - w0)) times"
}
# naps_1s WHEN: over 1 s of nothing to do the PMD naps 50-5000 times (it
# does not spin on a readable or failed socket).
naps_1s() {
	local s0 s1
	s0=$(pmd sleeps)
	sleep 1
	s1=$(pmd sleeps)
	[ $((s1 - s0)) -ge 50 ] && [ $((s1 - s0)) -le 5000 ] ||
		fail "$1: the PMD slept $((s1 - s0)) times in 1 s (50-5000 expected: it spins on the uplink's socket)"
	pass "$1: the PMD naps ($((s1 - s0)) naps in about 1 s)"
}

frames_wake 60 "uplink up"
naps_1s "idle again"
# The uplink's interface down: the socket reports an error (ENETDOWN) to
# its pollers, which must not keep the PMD awake; up again, frames wake
# it as before.
topo down "$UPLINK"
sleep 0.3
naps_1s "uplink down"
topo up "$UPLINK"
frames_wake 20 "uplink up again"
