#!/bin/bash
# maxbw=100M on a PV guest's VNIC over the uplink: the guest's pktgen
# sends 1518-byte frames flat out to a LAN host, which receives them at
# 100 Mb/s within 5% (its lan0 rx_bytes over a 5 s window after a 3 s
# ramp; frames counted without FCS, as the cap counts them); the guest
# reports errors=0 (the switch held frames back in the guest's TX ring
# rather than dropping them) and the VNIC counts no drops. Raising the
# cap to 200M with `vnicadm set-linkprop` while it runs raises the rate
# clearly (over 150 Mb/s); if it does not, the test says what it reached.
# timeout: 150
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
require_kvm
net_require
lan_create
lan_host h 10.42.0.10/24
vsw_start
g=$(vname 1)
guest_vnic "$g" "$UPLINK" ',"props":{"maxbw":"100M"}'
speed=$("$VNICADM" show-vnic -p -o speed "$g")
[ "$speed" = 100 ] || fail "show-vnic gives SPEED '$speed' for a 100M cap"
SECS=24
guest_start g "$SOCK" "$MAC" \
	"workload=pktgen ip=10.42.0.1/24 peer=10.42.0.10 size=1518 secs=$SECS"
expect_console g '^guest: pktgen t=3 ' 40

# rx_bytes: the LAN host's lan0 received bytes (/proc/net/dev is per
# namespace).
rx_bytes() {
	in_ns "$(nsn h)" cat /proc/net/dev | sed -n 's/^ *lan0: *\([0-9]*\) .*/\1/p'
}
# rate_mbps SECS: Mb/s received by the LAN host over SECS seconds.
rate_mbps() {
	local t0 b0 t1 b1
	t0=$(date +%s.%N); b0=$(rx_bytes)
	sleep "$1"
	t1=$(date +%s.%N); b1=$(rx_bytes)
	[ -n "$b0" ] && [ -n "$b1" ] || fail "cannot read lan0's rx_bytes"
	awk -v b="$((b1 - b0))" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.1f", b * 8 / (t1 - t0) / 1e6 }'
}
r100=$(rate_mbps 5)
grep '^guest: pktgen t=[0-9]* ' "$TMP/g.console" | tail -n 2 | sed 's/^/  /'
vna set-linkprop -t -p maxbw=200M "$g"
sleep 2
r200=$(rate_mbps 5)
grep '^guest: pktgen t=[0-9]* ' "$TMP/g.console" | tail -n 2 | sed 's/^/  /'
expect_console g '^guest: pktgen sent=' $((SECS + 20))
summary=$(grep -m1 '^guest: pktgen sent=' "$TMP/g.console")
echo "  $summary"

awk -v m="$r100" 'BEGIN { exit !(m >= 95 && m <= 105) }' ||
	fail "with maxbw=100M the LAN host received $r100 Mb/s, not within 5% of 100"
pass "with maxbw=100M the LAN host receives $r100 Mb/s"
[[ $summary == *" errors=0 "* ]] || fail "the guest reports send errors: $summary"
pass "the guest reports errors=0"
drops=$(vnic_stat "$g" oerrors)
[ "$drops" = 0 ] || fail "$g counts $drops frames it sent as dropped (oerrors)"
pass "$g dropped nothing it sent (oerrors=0): backpressure, not loss"
awk -v a="$r100" -v b="$r200" 'BEGIN { exit !(b > a * 1.2) }' ||
	fail "raising maxbw to 200M did not raise the rate: $r100 -> $r200 Mb/s"
awk -v b="$r200" 'BEGIN { exit !(b > 150) }' ||
	fail "with maxbw=200M this machine reached only $r200 Mb/s (raised from $r100, but not above 150)"
pass "set-linkprop maxbw=200M while running: $r100 -> $r200 Mb/s"
