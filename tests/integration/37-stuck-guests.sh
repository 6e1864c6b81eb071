#!/bin/bash
# Stuck guests: 32 guest VNICs whose frontends stopped reading (one
# xvm-vuser "hold": receive rings full, never polled) while a flooder
# sends unicast frames to all 32 flat out. A pair of guest VNICs that
# keeps exchanging frames meanwhile loses none of them; every stuck VNIC
# shows the frames it could not take as queue_full drops (its share of the
# packet buffers is full); vswitchd's pool never runs dry (mbufs.in_use,
# sampled throughout, stays below the queue budget plus what a few bursts
# hold); the flooder's frames keep being taken. Before each VNIC's share
# was bounded, 16 such guests held the whole pool and the pair stopped.
# timeout: 180
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
[ -x "$VUSER" ] || fail "$VUSER is not built"
NSTUCK=32
vsw_start
stub=$(vname 99) a=$(vname 1) b=$(vname 2) f=$(vname 3)
vna create-etherstub -t "$stub"
guest_vnic "$a" "$stub"; sock_a=$SOCK mac_a=$MAC
guest_vnic "$b" "$stub"; sock_b=$SOCK mac_b=$MAC
guest_vnic "$f" "$stub"; sock_f=$SOCK mac_f=$MAC
hold_args=() macs=""
for i in $(seq 1 $NSTUCK); do
	guest_vnic "$(vname $((i + 10)))" "$stub"
	hold_args+=(-s "$SOCK")
	macs+="${macs:+,}$MAC"
done
pass "$NSTUCK stuck-to-be guest VNICs, a pair and a flooder over $stub"

# mbufs FIELD: the pool's counter from the stats method.
mbufs() {
	vsw_rpc stats | python3 -c 'import json, sys
print(json.load(sys.stdin)["mbufs"].get(sys.argv[1], 0))' "$1"
}
# heap: DPDK heap bytes free (what vhost-user devices take comes from it)
heap() {
	vsw_rpc stats | python3 -c 'import json, sys
print(json.load(sys.stdin).get("dpdk_heap", {}).get("free", 0))'
}
total=$(mbufs total) budget=$(mbufs queue_budget) heap0=$(heap)
echo "pool: $total buffers, queue budget $budget"

# The stuck guests: connected, their rings filled with buffers, never read.
"$VUSER" "${hold_args[@]}" -P "xvm${NETID}hold" -c 1 hold -t 90 \
	>"$TMP/hold.out" 2>"$TMP/hold.err" &
hold=$!
at_exit "kill $hold 2>/dev/null"
end=$(deadline_in 30)
while before "$end"; do
	up=$("$VNICADM" show-link -p -o link,state | grep -c "^v${NETID}_[0-9]*[0-9][0-9]:up$")
	[ "$up" = $NSTUCK ] && break
	kill -0 $hold 2>/dev/null || { cat "$TMP/hold.err"; fail "xvm-vuser hold exited"; }
	sleep 0.5
done
[ "$up" = $NSTUCK ] || { tail "$TMP/hold.err"; fail "only $up of $NSTUCK stuck VNICs are up"; }
pass "$NSTUCK frontends connected, not reading"
echo "DPDK heap free: $heap0 bytes before they connected, $(heap) after"

# The flooder: 64-byte unicast frames to each stuck VNIC in turn, flat
# out, for the whole exchange below.
"$VUSER" -s "$sock_f" -P "xvm${NETID}fl" -c 0 send -d "$macs" -S "$mac_f" \
	-t 16 >"$TMP/flood.out" 2>"$TMP/flood.err" &
flood=$!
at_exit "kill $flood 2>/dev/null"
# The pool, sampled until the flooder stops.
( while kill -0 $flood 2>/dev/null; do mbufs in_use; sleep 0.2; done ) \
	>"$TMP/in_use" 2>/dev/null &
sampler=$!
sleep 3		# the stuck queues fill up
f0=$(vnic_stat "$f" opackets)

# xfer as 34-guest-vnics: COUNT frames at 5000/s, all must arrive.
xfer() {
	# the last frontend on the receiving VNIC (the other way's sender)
	# gone, so that "up" below is the receiver's
	link_wait_state "$(sock_link "$3")" down 30
	"$VUSER" -s "$3" -P "xvm${NETID}rx" -c 1 -q 16384 recv -t 120 -f "$2" -n "$5" \
		>"$TMP/rx.out" 2>"$TMP/rx.err" &
	local rx=$!
	# the receiver connected (its VNIC up) before the first frame
	link_wait_state "$(sock_link "$3")" up 30
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
[ "$SENT" = 10000 ] && [ "$RCVD" = 10000 ] ||
	fail "A->B during the flood: sent $SENT, received $RCVD of 10000"
pass "A->B during the flood: 10000 frames sent and received"
xfer "$sock_b" "$mac_b" "$sock_a" "$mac_a" 5000 1518
[ "$SENT" = 5000 ] && [ "$RCVD" = 5000 ] ||
	fail "B->A during the flood: sent $SENT, received $RCVD of 5000"
pass "B->A during the flood: 5000 1518-byte frames sent and received"
kill -0 $flood 2>/dev/null || { cat "$TMP/flood.out" "$TMP/flood.err"; fail "the flooder stopped before the exchange ended"; }
f1=$(vnic_stat "$f" opackets)
[ "$f1" -gt "$f0" ] || fail "the flooder's frames were not taken during the exchange ($f0 then $f1)"
pass "the flooder's frames kept being taken: $((f1 - f0)) during the exchange"

wait_pid $flood 30 || fail "the flooder did not stop"
wait $sampler
cat "$TMP/flood.out"
max=$(sort -n "$TMP/in_use" | tail -n 1)
[ "$(wc -l <"$TMP/in_use")" -ge 10 ] || fail "too few pool samples: $(wc -l <"$TMP/in_use")"
echo "mbufs in use: at most $max of $total ($(wc -l <"$TMP/in_use") samples), queue budget $budget"
# the queues' budget, plus bursts being received and the threads' caches
[ "$max" -lt $((budget + (total - budget) / 2)) ] ||
	fail "the pool came near empty: $max of $total buffers in use"
pass "the pool never ran dry: at most $max of $total buffers in use"

# Every stuck VNIC: frames it could not take, counted as its drops.
for i in $(seq 1 $NSTUCK); do
	d=$(vnic_stat "$(vname $((i + 10)))" drops.queue_full)
	[ "$d" -gt 0 ] || fail "stuck VNIC $(vname $((i + 10))): no queue_full drops"
	dsum=$((${dsum:-0} + d))
done
pass "every stuck VNIC counts its drops: $dsum queue_full drops in all"
for v in "$a" "$b"; do
	d=$(vnic_stat "$v" ierrors)
	[ "$d" = 0 ] || fail "$v: $d ierrors"
done
pass "the pair lost nothing (ierrors 0)"
kill $hold
wait_pid $hold 10 || fail "xvm-vuser hold did not stop"
# Their frontends gone, what waited for the stuck VNICs is freed.
end=$(deadline_in 10)
while before "$end" && [ "$(mbufs in_use)" -ge 1024 ]; do sleep 0.2; done
left=$(mbufs in_use)
[ "$left" -lt 1024 ] || fail "$left buffers still in use after the stuck guests left"
pass "the stuck guests gone, their buffers came back ($left in use)"
