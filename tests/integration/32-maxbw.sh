#!/bin/bash
# maxbw on a host VNIC over the uplink: iperf3 between the VNIC's
# namespace and a LAN host, TCP and UDP in each direction (the cap is full
# duplex): the receiving interface's rx_bytes over 4 s, once traffic
# flows and the bucket's burst and TCP's slow start are past, are within
# 5% of the cap (frames without FCS: what the cap counts); with the cap
# reset, TCP is clearly faster (over twice the cap). The receiving
# interface, not the receiving iperf3, is measured: on a busy machine the
# iperf3 server waits for a CPU while its socket buffer (30 ms at 50
# Mb/s) overflows, and UDP then reads as 70-90% lost at load 10 with no
# frame dropped on the way. The VNIC is made with maxbw=50M; the cap
# tested is 50M, or a quarter of what TCP carries uncapped here (measured
# first) where that is less: a cap the loaded path cannot carry would
# measure the machine, not the cap. UDP is offered at 1.6 times the cap.
# Nothing may pass the cap by more than 5%; UDP (offered above it) must
# fill it to 95%, TCP to 90%: on a busy machine TCP's bursts overflow the
# capped VNIC's 60 ms queue and its window shrinks (retransmits), which
# is TCP's answer to a shaper, not the cap's error (the UDP runs measure
# that).
# timeout: 300
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
command -v iperf3 >/dev/null || fail "iperf3 is not installed"
lan_create
lan_host srv 10.32.0.10/24
vsw_start
v=$(vname 1)
host_vnic "$v" "$UPLINK" a 10.32.0.1/24 -p maxbw=50M
ns_ping "$(nsn a)" 10.32.0.10 3 || fail "$v cannot ping the LAN host"
iperf_server "$(nsn srv)" 10.32.0.10 5201 180

# rx_sample NS IFACE: "TIME RX_BYTES" of IFACE in namespace NS, read by
# one bash with builtins only.
rx_sample() {
	in_ns "$1" bash -c 'mapfile -t l </proc/net/dev; t=$EPOCHREALTIME
		for x in "${l[@]}"; do
			[[ $x =~ ^\ *$0:\ *([0-9]+)\  ]] && echo "$t ${BASH_REMATCH[1]}"
		done' "$2"
}

# wire_mbps NS IFACE ARGS...: iperf3 -t 10 ARGS from the VNIC's namespace
# to the LAN host; prints the Mb/s that IFACE in namespace NS (the
# receiving end) received over 4 s, starting 1.5 s after the first 64 KiB
# arrived there. iperf3's own figures go to stderr.
wire_mbps() {
	local ns=$1 ifc=$2 pid t0 b0 t1 b1 end
	shift 2
	read -r t0 b0 <<<"$(rx_sample "$ns" "$ifc")"
	in_ns "$(nsn a)" timeout 40 iperf3 -c 10.32.0.10 -t 10 -J "$@" \
		>"$TMP/iperf.json" 2>&1 &
	pid=$!
	end=$(deadline_in 10)
	while read -r t1 b1 <<<"$(rx_sample "$ns" "$ifc")"; [ $((b1 - b0)) -lt 65536 ]; do
		before "$end" || { kill "$pid"; echo "no traffic on $ifc" >&2; return 1; }
		sleep 0.1
	done
	sleep 1.5
	read -r t0 b0 <<<"$(rx_sample "$ns" "$ifc")"
	sleep 4
	read -r t1 b1 <<<"$(rx_sample "$ns" "$ifc")"
	wait "$pid" || { tail -n 5 "$TMP/iperf.json" >&2; return 1; }
	awk -v b="$((b1 - b0))" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.1f\n", b * 8 / (t1 - t0) / 1e6 }'
	python3 -c 'import json, sys
e = json.load(open(sys.argv[1]))["end"]
r = e["sum_sent"].get("retransmits")
l = e["sum_received"].get("lost_percent")
print("  (iperf3: %.1f Mb/s of payload received, %s)" % (e["sum_received"]["bits_per_second"] / 1e6,
      "TCP retransmits %s" % r if r is not None else "UDP lost %.1f%%" % l), file=sys.stderr)' "$TMP/iperf.json"
	echo "  (maxbw_queue drops so far: $(vnic_stat "$v" drops.maxbw_queue))" >&2
}

# iperf_mbps ARGS...: iperf3 from the VNIC's namespace to the LAN host;
# prints the rate the receiving side measured, in Mb/s.
iperf_mbps() {
	in_ns "$(nsn a)" timeout 30 iperf3 -c 10.32.0.10 -t 8 -O 2 -J "$@" \
		>"$TMP/iperf.json" 2>&1 || { tail -n 5 "$TMP/iperf.json" >&2; return 1; }
	python3 -c 'import json, sys
e = json.load(open(sys.argv[1]))["end"]
print("%.1f" % (e["sum_received"]["bits_per_second"] / 1e6))' "$TMP/iperf.json"
}

# within MBPS CAP LOW: LOW * CAP <= MBPS <= 1.05 CAP
within() { awk -v m="$1" -v c="$2" -v lo="$3" 'BEGIN { exit !(m >= c * lo && m <= c * 1.05) }'; }

speed=$("$VNICADM" show-vnic -p -o speed "$v")
[ "$speed" = 50 ] || fail "show-vnic gives SPEED '$speed' for a 50M cap"
pass "$v made with maxbw=50M: show-vnic SPEED 50"

# What this machine carries uncapped now (a shorter run, the same path).
vna reset-linkprop -t -p maxbw "$v"
offered=$(in_ns "$(nsn a)" timeout 30 iperf3 -c 10.32.0.10 -t 4 -O 1 -J 2>&1 |
	python3 -c 'import json, sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))') ||
	fail "iperf3 without a cap failed"
cap=$(( offered / 4 < 50 ? offered / 4 : 50 ))
[ "$cap" -ge 5 ] || fail "TCP carries only $offered Mb/s uncapped here: too little to test a cap"
echo "  uncapped, TCP carries $offered Mb/s: testing maxbw=${cap}M"
vna set-linkprop -t -p maxbw="$cap"M "$v"
speed=$("$VNICADM" show-vnic -p -o speed "$v")
[ "$speed" = "$cap" ] || fail "show-vnic gives SPEED '$speed' for a ${cap}M cap"

bad=0
udp=$(( cap * 16 / 10 ))M
for test in "TCP VNIC->LAN:" "TCP LAN->VNIC:-R" "UDP VNIC->LAN:-u -b $udp" "UDP LAN->VNIC:-u -b $udp -R"; do
	name=${test%%:*} args=${test#*:}
	case $args in
	*-R*) rxns=$(nsn a) rxif=$v ;;
	*) rxns=$(nsn srv) rxif=lan0 ;;
	esac
	# shellcheck disable=SC2086
	m=$(wire_mbps "$rxns" "$rxif" $args) || fail "iperf3 $args failed"
	lo=0.95
	case $name in TCP*) lo=0.90 ;; esac
	if within "$m" "$cap" "$lo"; then
		pass "$name with maxbw=${cap}M: $rxif received $m Mb/s"
	else
		echo "FAIL: $name with maxbw=${cap}M: $rxif received $m Mb/s, not within $lo-1.05 of $cap"; bad=1
	fi
done
[ $bad = 0 ] || fail "maxbw=${cap}M not held"

vna reset-linkprop -t -p maxbw "$v"
for test in "TCP VNIC->LAN:" "TCP LAN->VNIC:-R"; do
	name=${test%%:*} args=${test#*:}
	# shellcheck disable=SC2086
	m=$(iperf_mbps $args) || fail "iperf3 $args failed"
	awk -v m="$m" -v c="$cap" 'BEGIN { exit !(m > 2 * c) }' ||
		fail "$name without a cap: only $m Mb/s (not clearly above $cap)"
	pass "$name without a cap: $m Mb/s"
done
