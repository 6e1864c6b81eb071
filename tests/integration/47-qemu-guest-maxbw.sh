#!/bin/bash
# 42-guest-maxbw with QEMU instead of hv as the vhost-user frontend (KVM
# where kvm-probe finds it usable, else TCG; no /dev/kvm needed). It
# judges the path from the guest only: the cap holds frames back in the
# guest's TX ring, here a ring QEMU set up. The guest's pktgen sends
# 1518-byte frames flat out to a LAN host over the uplink, first
# uncapped, to learn what it offers here (under TCG several hundred Mb/s
# on these machines, much less while the machine is busy); then the cap
# is 50M, or 25% of the offered rate where that is under 200 Mb/s, so the
# switch and not the guest is the bottleneck. The LAN host's received
# rate (lan0 rx_bytes over 6 s windows; frames counted without FCS, as the
# cap counts them) must stay under the cap (at most 5% above it) and, as
# the emulated guest's own rate swings with the machine's load, reach 70%
# of it; doubling the cap with `vnicadm set-linkprop` while it runs must
# give the same for the new cap and raise the rate by more than half the
# first cap. The guest reports errors=0 (held back, not dropped) and the
# VNIC counts no drops (oerrors=0); QEMU exits 0 when the guest is done.
# timeout: 180
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
qemu_require
lan_create
lan_host h 10.47.0.10/24
vsw_start
g=$(vname 1)
guest_vnic "$g" "$UPLINK"
SECS=36
qemu_guest_start g "$SOCK" "$MAC" \
	"workload=pktgen ip=10.47.0.1/24 peer=10.47.0.10 size=1518 secs=$SECS"
expect_console g '^guest: pktgen t=3 ' 60

cap_pick 50 4
cap_window "$g" "$cap" 6; r1=$rate
cap_window "$g" $((2 * cap)) 6; r2=$rate
grep -q '^guest: pktgen sent=' "$TMP/g.console" &&
	fail "test broken: the guest stopped sending before the second window ended"
expect_console g '^guest: pktgen sent=' $((SECS + 30))

cap_judge "$r1" "$cap" 0.7
cap_no_loss "$g"
cap_judge "$r2" $((2 * cap)) 0.7
awk -v a="$r1" -v b="$r2" -v c="$cap" 'BEGIN { exit !(b > a + c / 2) }' ||
	fail "raising maxbw to $((2 * cap))M while running took the rate only from $r1 to $r2 Mb/s (uncapped: $offered)"
pass "set-linkprop maxbw=$((2 * cap))M while running: $r1 -> $r2 Mb/s"
wait_pid "$HV_PID" 30 || { show g; fail "QEMU still running 30 s after pktgen's summary"; }
[ "$WAIT_RC" = 0 ] || { show g; fail "QEMU exited with status $WAIT_RC, expected 0 (the guest's power-off)"; }
pass "the guest powered off: QEMU exited 0"
