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
sleep 0.5	# let the switch settle into its naps
w0=$(pmd wakeups) i0=$(ipackets)
in_ns "$(nsn h1)" ping -n -q -c 60 -i 0.02 -W 0.1 10.34.7.1 >/dev/null 2>&1	# no answer: none expected
w1=$(pmd wakeups) s1=$(pmd sleeps) i1=$(ipackets)
echo "  60 frames: uplink ipackets +$((i1 - i0)), PMD wakeups +$((w1 - w0))"
[ $((i1 - i0)) -ge 60 ] || fail "the uplink received $((i1 - i0)) frames, 60 sent"
[ $((w1 - w0)) -ge 30 ] ||
	fail "60 frames from the LAN woke the PMD $((w1 - w0)) times (at least 30 expected: the uplink cannot wake it)"
pass "60 frames 20 ms apart from the LAN woke the idle PMD $((w1 - w0)) times"

sleep 1
s2=$(pmd sleeps)
[ $((s2 - s1)) -ge 50 ] && [ $((s2 - s1)) -le 5000 ] ||
	fail "idle for 1 s, the PMD slept $((s2 - s1)) times (50-5000 expected: it spins on the uplink's socket)"
pass "idle again, the PMD naps ($((s2 - s1)) naps in about 1 s)"

# The uplink's interface down: the socket reports an error (ENETDOWN) to
# its pollers, which must not keep the PMD awake; up again, frames wake
# it as before.
topo down "$UPLINK"
sleep 0.3
s3=$(pmd sleeps)
sleep 1
s4=$(pmd sleeps)
[ $((s4 - s3)) -ge 50 ] && [ $((s4 - s3)) -le 5000 ] ||
	fail "uplink down, the PMD slept $((s4 - s3)) times in 1 s (50-5000 expected: it spins on the socket's error)"
pass "uplink down: the PMD still naps ($((s4 - s3)) naps in about 1 s)"
topo up "$UPLINK"
sleep 0.5
w0=$(pmd wakeups) i0=$(ipackets)
in_ns "$(nsn h1)" ping -n -q -c 20 -i 0.02 -W 0.1 10.34.7.1 >/dev/null 2>&1
w1=$(pmd wakeups) i1=$(ipackets)
[ $((i1 - i0)) -ge 20 ] && [ $((w1 - w0)) -ge 10 ] ||
	fail "uplink up again: 20 frames, ipackets +$((i1 - i0)), wakeups +$((w1 - w0))"
pass "uplink up again: 20 frames woke the PMD $((w1 - w0)) times"
