#!/bin/bash
# Guest VNICs: two DPDK virtio-user endpoints (xvm-vuser, standing in for
# guests) on two guest VNICs over an etherstub exchange frames through the
# switch: everything A sends to B arrives, and back; `vnicadm show-vnic -s`
# then counts exactly what was sent and received on each VNIC.
# timeout: 120
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
[ -x "$VUSER" ] || fail "$VUSER is not built"
vsw_start
stub=$(vname 9) a=$(vname 1) b=$(vname 2)
vna create-etherstub -t "$stub"

guest_vnic "$a" "$stub"; sock_a=$SOCK mac_a=$MAC	# netlib: as xvmd makes them
guest_vnic "$b" "$stub"; sock_b=$SOCK mac_b=$MAC
for s in "$sock_a" "$sock_b"; do
	case $s in "$XVM_RUNDIR"/vnic/*) ;; *) fail "socket $s is not under \$XVM_RUNDIR/vnic";; esac
done
pass "guest VNICs $a ($mac_a) and $b ($mac_b) with sockets under \$XVM_RUNDIR/vnic"

# xfer FROM_SOCK FROM_MAC TO_SOCK TO_MAC COUNT SIZE: the receiver counts
# frames from FROM_MAC while the sender sends COUNT at 5000 frames/s (slow
# enough that a receiver descheduled for a few hundred ms on a busy host
# loses nothing).
xfer() {
	# the last frontend on the receiving VNIC (the other way's sender)
	# gone, so that "up" below is the receiver's
	link_wait_state "$(sock_link "$3")" down 30
	"$VUSER" -s "$3" -P "xvm${NETID}rx" -c 1 -q 16384 recv -t 120 -f "$2" -n "$5" \
		>"$TMP/rx.out" 2>"$TMP/rx.err" &
	local rx=$!
	# the receiver connected (its VNIC up) before the first frame
	link_wait_state "$(sock_link "$3")" up 30
	# -t 8 bounds it: a switch that stops taking frames shows as sent < COUNT.
	timeout 20 "$VUSER" -s "$1" -P "xvm${NETID}tx" -c 0 send -d "$4" -S "$2" \
		-n "$5" -l "$6" -r 5000 -t 8 >"$TMP/tx.out" 2>"$TMP/tx.err" ||
		{ tail -n 5 "$TMP/tx.err"; fail "sender failed"; }
	vuser_rx_end $rx 15
	[ "$WAIT_RC" = 0 ] || { tail -n 5 "$TMP/rx.err"; fail "receiver failed"; }
	SENT=$(sed -n 's/^vuser: sent=\([0-9]*\) .*/\1/p' "$TMP/tx.out")
	RCVD=$(sed -n 's/^vuser: received=\([0-9]*\) .*/\1/p' "$TMP/rx.out")
	echo "  $(cat "$TMP/tx.out")"; echo "  $(cat "$TMP/rx.out")"
	[ "$RCVD" = "$5" ] || echo "  receiving VNIC: $(vsw_rpc vnic.list \
		"{\"name\":\"$(sock_link "$3")\",\"stats\":true}")"
}
xfer "$sock_a" "$mac_a" "$sock_b" "$mac_b" 10000 64
[ "$SENT" = 10000 ] && [ "$RCVD" = 10000 ] || tail -n 5 "$TMP/vswitchd.log"
[ "$SENT" = 10000 ] && [ "$RCVD" = 10000 ] || fail "A->B: sent $SENT, received $RCVD of 10000"
pass "A->B: 10000 64-byte frames sent and received"
xfer "$sock_b" "$mac_b" "$sock_a" "$mac_a" 3000 1518
[ "$SENT" = 3000 ] && [ "$RCVD" = 3000 ] || fail "B->A: sent $SENT, received $RCVD of 3000"
pass "B->A: 3000 1518-byte frames sent and received"

"$VNICADM" show-vnic -s >"$TMP/stats" || fail "show-vnic -s failed"
cat "$TMP/stats"
# From each VNIC's point of view: opackets it sent into the switch,
# ipackets the switch delivered to it. Frames carry no FCS: 60 and 1514 bytes.
check() {
	local got
	got=$(table_field "$2" "$1" <"$TMP/stats")
	[ "$got" = "$3" ] || fail "show-vnic -s: $1 $2 is '$got', expected $3"
}
check "$a" opackets 10000; check "$a" obytes 600000
check "$a" ipackets 3000;  check "$a" rbytes 4542000
check "$b" opackets 3000;  check "$b" obytes 4542000
check "$b" ipackets 10000; check "$b" rbytes 600000
pass "show-vnic -s counts match what was sent and received"
