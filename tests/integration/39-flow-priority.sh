#!/bin/bash
# Flow priorities under a link cap: a host VNIC capped at maxbw=20M with
# two flows, transport=tcp,local_port=5201 and local_port=5202. Towards a
# VNIC each flow's frames wait in the VNIC's queue of the flow's
# priority, and the queues are served in strict order within the VNIC's
# cap (docs/vswitchd.md "Flows"). A low-priority TCP stream runs alone
# (near the 19.1 Mb/s of TCP payload an exact 20M cap carries), then a
# high-priority stream starts: while both run, the high one gets at least
# 90% of that and the low one at most a quarter of the high one. Swapping
# the priorities with set-flowprop swaps the roles.
# timeout: 200
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
command -v iperf3 >/dev/null || fail "iperf3 is not installed"
FLOWADM=$BIN/flowadm
[ -x "$FLOWADM" ] || fail "$FLOWADM is not built"
fla() { "$FLOWADM" "$@" || { tail -n 20 "$TMP/vswitchd.log"; fail "flowadm $*"; }; }

lan_create
lan_host srv 10.39.0.10/24
vsw_start
v=$(vname 1)
ns=$(nsn a)
host_vnic "$v" "$UPLINK" a 10.39.0.1/24 -p maxbw=20M
ns_ping "$ns" 10.39.0.10 3 || fail "$v cannot ping the LAN host"
fla add-flow -t -l "$v" -a transport=tcp,local_port=5201 -p priority=high one
fla add-flow -t -l "$v" -a transport=tcp,local_port=5202 -p priority=low two
for port in 5201 5202; do
	iperf_server "$ns" 10.39.0.1 "$port" 150
done

# run LOWPORT HIGHPORT: the low stream for 14 s, the high one for 8 s
# from its third second; sets ALONE (low alone, its seconds 1-2), HIGH
# (the high stream, its seconds 2-8) and LOW (the low stream meanwhile,
# its seconds 6-10), in Mb/s.
run() {
	local lo=$1 hi=$2 lpid
	in_ns "$(nsn srv)" timeout 60 iperf3 -c 10.39.0.1 -p "$lo" -t 14 -J \
		>"$TMP/lo.json" 2>&1 &
	lpid=$!
	sleep 3
	in_ns "$(nsn srv)" timeout 40 iperf3 -c 10.39.0.1 -p "$hi" -t 8 -O 2 -J \
		>"$TMP/hi.json" 2>&1 || { tail -n 5 "$TMP/hi.json"; fail "iperf3 to $hi failed"; }
	wait "$lpid" || { tail -n 5 "$TMP/lo.json"; fail "iperf3 to $lo failed"; }
	read -r ALONE LOW HIGH < <(python3 -c 'import json, sys
def iv(f, a, b):
    ivs = json.load(open(f))["intervals"]
    s = [i["sum"] for i in ivs if a <= i["sum"]["start"] and i["sum"]["end"] <= b + 0.01]
    return sum(x["bits_per_second"] for x in s) / len(s) / 1e6
lo, hi = sys.argv[1:3]
print("%.1f %.1f %.1f" % (iv(lo, 1, 3), iv(lo, 6, 10),
      json.load(open(hi))["end"]["sum_received"]["bits_per_second"] / 1e6))' "$TMP/lo.json" "$TMP/hi.json")
}
# check WHAT: the shares run measured.
check() {
	awk -v a="$ALONE" 'BEGIN { exit !(a >= 15) }' ||
		fail "$1: the low stream alone ran at only $ALONE Mb/s"
	awk -v h="$HIGH" -v l="$LOW" 'BEGIN { exit !(h >= 17.2 && h <= 21 && l * 4 <= h) }' ||
		fail "$1: high $HIGH Mb/s, low $LOW Mb/s meanwhile (want high 17.2-21, low <= high/4)"
	pass "$1: low alone $ALONE Mb/s; together high $HIGH Mb/s, low $LOW Mb/s"
}

run 5202 5201
check "5201 high, 5202 low"
fla set-flowprop -t -p priority=low one
fla set-flowprop -t -p priority=high two
run 5201 5202
check "5201 low, 5202 high (swapped)"
fla remove-flow -l "$v"
