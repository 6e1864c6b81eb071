#!/bin/bash
# Two PV guests under hv, each on a guest VNIC (vhost-user) over an
# etherstub: guest B (`pinger count=20`) pings guest A (`ping`); every
# request is answered (0% loss), each reply prints its RTT, and both hv
# processes are still running afterwards. The VNICs' counters show the
# traffic went through the switch.
# timeout: 150
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
require_kvm
net_require
vsw_start
stub=$(vname 9) a=$(vname 1) b=$(vname 2)
vna create-etherstub -t "$stub"
guest_vnic "$a" "$stub"; sock_a=$SOCK mac_a=$MAC
guest_vnic "$b" "$stub"; sock_b=$SOCK mac_b=$MAC

N=20
guest_start ga "$sock_a" "$mac_a" "workload=ping,idle ip=10.40.0.1/24"
pid_a=$HV_PID
guest_start gb "$sock_b" "$mac_b" \
	"workload=pinger ip=10.40.0.2/24 peer=10.40.0.1 count=$N interval_ms=200"
pid_b=$HV_PID
expect_console ga "^guest: nic0 mac=$mac_a link=up ip=10.40.0.1/24" 30
expect_console gb "^guest: nic0 mac=$mac_b link=up ip=10.40.0.2/24" 30
expect_console gb '^guest: pinger sent=' 60
line=$(grep -m1 '^guest: pinger sent=' "$TMP/gb.console")
grep '^guest: ping seq=' "$TMP/gb.console" | head -n 5 | sed 's/^/  /'
[ "$line" = "guest: pinger sent=$N received=$N lost=0" ] ||
	{ show gb; show ga; fail "pinger: '$line', expected sent=$N received=$N lost=0"; }
rtts=$(grep -c '^guest: ping seq=[0-9]* rtt_us=[0-9]*$' "$TMP/gb.console")
[ "$rtts" = "$N" ] || { show gb; fail "$rtts RTT lines, expected $N"; }
rtt=$(sed -n 's/^guest: ping seq=[0-9]* rtt_us=\([0-9]*\)$/\1/p' "$TMP/gb.console" | sort -n |
	awk '{ v[NR] = $1 } END { printf "min %d, median %d, max %d us", v[1], v[int((NR + 1) / 2)], v[NR] }')
pass "0% loss, $N RTTs printed ($rtt)"

kill -0 "$pid_a" || { show ga; fail "hv of guest A exited"; }
# The pinger guest powers off when its workload is done.
HV_PID=$pid_b expect_exit gb 20 0
sent=$(vnic_stat "$b" opackets) rcvd=$(vnic_stat "$b" ipackets)
[ "$sent" -ge "$N" ] && [ "$rcvd" -ge "$N" ] ||
	fail "$b counted opackets=$sent ipackets=$rcvd, expected >= $N each"
pass "the switch carried it: $b opackets=$sent ipackets=$rcvd"
