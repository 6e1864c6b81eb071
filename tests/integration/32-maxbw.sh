#!/bin/bash
# maxbw=50M on a host VNIC over the uplink: iperf3 between the VNIC's
# namespace and a LAN host measures within 5% of 50 Mb/s for TCP and UDP
# in each direction (the cap is full duplex); with the cap reset, TCP is
# clearly faster (over 100 Mb/s). Each run lasts 8 s, the first 2 s
# (the bucket's burst, TCP slow start) left out; UDP is offered at 80 Mb/s,
# above the cap. iperf3 counts payload while the cap counts frame bytes,
# so about 47.8 (TCP) and 48.6 (UDP) Mb/s is what an exact cap gives.
# timeout: 200
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
in_ns "$(nsn srv)" timeout 180 iperf3 -s -D -B 10.32.0.10 ||
	fail "cannot start the iperf3 server"
sleep 0.5

# iperf_mbps ARGS...: iperf3 from the VNIC's namespace to the LAN host;
# prints the rate the receiving side measured, in Mb/s.
iperf_mbps() {
	in_ns "$(nsn a)" timeout 30 iperf3 -c 10.32.0.10 -t 8 -O 2 -J "$@" \
		>"$TMP/iperf.json" 2>&1 || { tail -n 5 "$TMP/iperf.json" >&2; return 1; }
	python3 -c 'import json, sys
e = json.load(open(sys.argv[1]))["end"]
print("%.1f" % (e["sum_received"]["bits_per_second"] / 1e6))
r = e["sum_sent"].get("retransmits")
l = e["sum_received"].get("lost_percent")
print("  (%s)" % ("TCP retransmits %s" % r if r is not None else "UDP lost %.1f%%" % l), file=sys.stderr)' "$TMP/iperf.json"
	echo "  (maxbw_queue drops so far: $(vnic_stat "$v" drops.maxbw_queue))" >&2
}

# within5 MBPS: 47.5 <= MBPS <= 52.5
within5() { awk -v m="$1" 'BEGIN { exit !(m >= 47.5 && m <= 52.5) }'; }

speed=$("$VNICADM" show-vnic -p -o speed "$v")
[ "$speed" = 50 ] || fail "show-vnic gives SPEED '$speed' for a 50M cap"
bad=0
for test in "TCP VNIC->LAN:" "TCP LAN->VNIC:-R" "UDP VNIC->LAN:-u -b 80M" "UDP LAN->VNIC:-u -b 80M -R"; do
	name=${test%%:*} args=${test#*:}
	# shellcheck disable=SC2086
	m=$(iperf_mbps $args) || fail "iperf3 $args failed"
	if within5 "$m"; then
		pass "$name with maxbw=50M: $m Mb/s"
	else
		echo "FAIL: $name with maxbw=50M: $m Mb/s, not within 5% of 50"; bad=1
	fi
done
[ $bad = 0 ] || fail "maxbw=50M not held within 5%"

vna reset-linkprop -t -p maxbw "$v"
for test in "TCP VNIC->LAN:" "TCP LAN->VNIC:-R"; do
	name=${test%%:*} args=${test#*:}
	# shellcheck disable=SC2086
	m=$(iperf_mbps $args) || fail "iperf3 $args failed"
	awk -v m="$m" 'BEGIN { exit !(m > 100) }' ||
		fail "$name without a cap: only $m Mb/s (not clearly above 50)"
	pass "$name without a cap: $m Mb/s"
done
