#!/bin/bash
# Flows (flowadm) on a host VNIC over the uplink, traffic between the
# VNIC's namespace and a LAN host with iperf3:
#  - a flow transport=tcp,local_port=5201 with maxbw=20M holds iperf3 on
#    that port within 5% of 20 Mb/s towards the VNIC, while UDP to port
#    5301 of the same VNIC, offered at 100 Mb/s at the same time, runs
#    uncapped (over twice the cap);
#  - from the VNIC (iperf3 -R) the same flow holds the cap by backpressure:
#    within 5%, and no frame of the flow dropped;
#  - the flow counters (show-flow -s) count what crossed;
#  - a flow on the uplink counts both ways (ICMP echo requests out to
#    the LAN, replies in);
#  - the VNIC cannot be deleted while it has flows ("link still has
#    flows");
#  - persistent flows and their properties come back after vswitchd
#    restarts (a temporary one does not, nor does a temporary removal or
#    a temporary flow of the same name), and the cap is in effect again.
# iperf3 counts payload while the cap counts Ethernet frames, so an exact
# 20 Mb/s cap gives about 19.1 Mb/s of TCP payload (1448 of 1514 bytes).
# timeout: 300
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
command -v iperf3 >/dev/null || fail "iperf3 is not installed"
FLOWADM=$BIN/flowadm
[ -x "$FLOWADM" ] || fail "$FLOWADM is not built"
fla() { "$FLOWADM" "$@" || { tail -n 20 "$TMP/vswitchd.log"; fail "flowadm $*"; }; }

lan_create
lan_host srv 10.38.0.10/24
vsw_start
v=$(vname 1)
ns=$(nsn a)
ns_add a

# vnic_into_ns: (again, after a restart re-created its tap) move the
# VNIC into namespace a with its address; start the iperf3 servers.
vnic_into_ns() {
	topo setns "$v" "$ns"
	topo -n "$ns" up "$v"
	topo -n "$ns" addr "$v" 10.38.0.1/24
	ns_ping "$ns" 10.38.0.10 3 || fail "$v cannot ping the LAN host"
	iperf_server "$ns" 10.38.0.1 5201 250
	iperf_server "$ns" 10.38.0.1 5301 250
}

vna create-vnic -l "$UPLINK" "$v"	# persistent: it is restarted below
fla add-flow -l "$v" -a transport=tcp,local_port=5201 -p maxbw=20M tcpflow
fla add-flow -l "$v" -a transport=udp,local_port=5301 udpflow
fla add-flow -t -l "$v" -a transport=tcp,local_port=5202 tmpflow
vnic_into_ns

# mbps FILE: the rate iperf3's receiving side measured, in Mb/s.
mbps() {
	python3 -c 'import json, sys
e = json.load(open(sys.argv[1]))["end"]
print("%.1f" % (e["sum_received"]["bits_per_second"] / 1e6))' "$1"
}
# iperf_lan OUT ARGS...: iperf3 from the LAN host to the VNIC.
iperf_lan() {
	local out=$1
	shift
	in_ns "$(nsn srv)" timeout 40 iperf3 -c 10.38.0.1 -J "$@" >"$out" 2>&1 ||
		{ tail -n 5 "$out" >&2; return 1; }
}
within5() { awk -v m="$1" 'BEGIN { exit !(m >= 19.0 && m <= 21.0) }'; }
flow_stat() {
	"$FLOWADM" show-flow -s -p -o "$2" "$1"
}

# 1. Towards the VNIC: TCP to 5201 (capped flow) and UDP to 5301 at once.
iperf_lan "$TMP/tcp.json" -p 5201 -t 8 -O 2 &
tcp_pid=$!
iperf_lan "$TMP/udp.json" -p 5301 -u -b 100M -t 8 -O 2 ||
	fail "iperf3 UDP to 5301 failed"
wait "$tcp_pid" || fail "iperf3 TCP to 5201 failed"
t=$(mbps "$TMP/tcp.json") u=$(mbps "$TMP/udp.json")
within5 "$t" || fail "TCP to port 5201 under a 20M flow: $t Mb/s, not within 5% of 20"
pass "TCP LAN->VNIC port 5201, flow maxbw=20M: $t Mb/s"
awk -v m="$u" 'BEGIN { exit !(m > 40) }' ||
	fail "UDP to port 5301 (no cap) at the same time: only $u Mb/s"
pass "UDP LAN->VNIC port 5301 at the same time, no cap: $u Mb/s"

# 2. From the VNIC: the flow's cap by backpressure, nothing dropped.
oerr0=$(flow_stat tcpflow oerrs)
iperf_lan "$TMP/tcpr.json" -p 5201 -t 8 -O 2 -R || fail "iperf3 -R to 5201 failed"
t=$(mbps "$TMP/tcpr.json")
within5 "$t" || fail "TCP VNIC->LAN from port 5201 under a 20M flow: $t Mb/s, not within 5% of 20"
pass "TCP VNIC->LAN from port 5201, flow maxbw=20M: $t Mb/s"
oerr=$(flow_stat tcpflow oerrs)
[ "$oerr" = "$oerr0" ] || fail "the flow dropped $((oerr - oerr0)) frames from the VNIC (backpressure expected)"
pass "no frame of the flow dropped on the way out (backpressure)"

# 3. Counters.
"$FLOWADM" show-flow -s
for f in tcpflow udpflow; do
	for c in ipkts rbytes opkts obytes; do
		n=$(flow_stat "$f" "$c")
		[ "${n:-0}" -gt 0 ] 2>/dev/null || fail "flow $f: $c is '$n'"
	done
done
n=$(flow_stat tmpflow ipkts)
[ "$n" = 0 ] || fail "flow tmpflow (port 5202, no traffic) counted $n packets"
pass "show-flow -s counts both flows' traffic, none for the idle flow"

# 3b. A flow on the uplink: its local side is the host's.
fla add-flow -t -l "$UPLINK" -a transport=icmp icmpflow
ns_ping "$ns" 10.38.0.10 3 || fail "no ping through the uplink with a flow on it"
i=$(flow_stat icmpflow ipkts) o=$(flow_stat icmpflow opkts)
[ "$i" -ge 3 ] && [ "$o" -ge 3 ] ||
	fail "uplink flow icmpflow: $o echo requests out, $i replies in (want 3 each)"
# delete-vnic of the uplink: not a VNIC, flows or not
"$VNICADM" delete-vnic "$UPLINK" 2>"$TMP/del.err" && fail "delete-vnic $UPLINK succeeded"
grep -qx "vnicadm: '$UPLINK' is not a vnic" "$TMP/del.err" ||
	fail "delete-vnic $UPLINK said: $(cat "$TMP/del.err")"
fla remove-flow icmpflow
pass "a flow on the uplink $UPLINK: $o frames out, $i in"

# 4. A VNIC with flows is not deleted.
if "$VNICADM" delete-vnic "$v" 2>"$TMP/del.err"; then
	fail "delete-vnic $v succeeded with flows on it"
fi
grep -qx "vnicadm: vnic deletion failed: link still has flows" "$TMP/del.err" ||
	fail "delete-vnic said: $(cat "$TMP/del.err")"
pass "delete-vnic refused: link still has flows"

# 4b. Bad flow.* requests on the control socket: each refused (exit 1 of
# rpc-call: an error reply), vswitchd still there, nothing changed.
flows_now() {
	"$FLOWADM" show-flow -p -o flow,link,ipaddr,proto,lport,rport,dsfld
	"$FLOWADM" show-flowprop -c -o flow,property,value
}
before=$(flows_now)
long=$(printf 'f%.0s' $(seq 300))
badreq() {
	local rc
	"$RPC" "$XVM_RUNDIR/vswitchd.sock" "$1" "$2" >"$TMP/rpc.out" 2>&1; rc=$?
	[ $rc = 1 ] || { cat "$TMP/rpc.out"; fail "$1 $2: rpc-call exit $rc, expected an error reply"; }
}
tcp='"attrs":{"transport":"tcp","local_port":"6100"}'
badreq flow.add "{\"link\":\"$v\",$tcp}"
badreq flow.add "{\"name\":\"f1\",$tcp}"
badreq flow.add "{\"name\":\"f1\",\"link\":\"$v\"}"
badreq flow.add "{\"name\":5,\"link\":\"$v\",$tcp}"
badreq flow.add "{\"name\":\"$long\",\"link\":\"$v\",$tcp}"
badreq flow.add "{\"name\":\"f1\",\"link\":\"$long\",$tcp}"
badreq flow.add "{\"name\":\"1f\",\"link\":\"$v\",$tcp}"
badreq flow.add "{\"name\":\"f1\",\"link\":\"$v\",\"attrs\":[\"transport\"]}"
badreq flow.add "{\"name\":\"f1\",\"link\":\"$v\",\"attrs\":{}}"
badreq flow.add "{\"name\":\"f1\",\"link\":\"$v\",\"attrs\":{\"transport\":null}}"
badreq flow.add "{\"name\":\"f1\",\"link\":\"$v\",\"attrs\":{\"transport\":\"tcp\",\"local_port\":\"0\"}}"
badreq flow.add "{\"name\":\"f1\",\"link\":\"$v\",\"attrs\":{\"local_ip\":\"10.0.0.1/33\"}}"
badreq flow.add "{\"name\":\"f1\",\"link\":\"$v\",\"attrs\":{\"remote_ip\":\"$long\"}}"
badreq flow.add "{\"name\":\"f1\",\"link\":\"$v\",$tcp,\"props\":{\"maxbw\":\"99999999999999999999G\"}}"
badreq flow.add "{\"name\":\"f1\",\"link\":\"$v\",$tcp,\"props\":{\"priority\":1}}"
badreq flow.add "{\"name\":\"f1\",\"link\":\"$v\",$tcp,\"temporary\":\"yes\"}"
badreq flow.add "{\"name\":\"f1\",\"link\":\"$v\",\"attrs\":{\"transport\":\"udp\"}}"
badreq flow.add "{\"name\":\"f1\",\"link\":\"$v\",\"attrs\":{\"transport\":\"tcp\",\"local_port\":\"5201\"}}"
badreq flow.add "{\"name\":\"udpflow\",\"link\":\"$v\",$tcp}"
badreq flow.remove "{\"name\":\"udpflow\",\"link\":\"$v\"}"
badreq flow.remove "{}"
badreq flow.remove "{\"name\":\"nosuch\"}"
badreq flow.set "{\"name\":\"udpflow\"}"
badreq flow.set "{\"name\":\"udpflow\",\"props\":{\"maxbw\":\"1K\"}}"
badreq flow.set "{\"name\":\"udpflow\",\"props\":[\"maxbw\"]}"
badreq flow.reset "{\"name\":\"udpflow\",\"props\":\"maxbw\"}"
badreq flow.reset "{\"name\":\"udpflow\",\"props\":[7]}"
badreq flowprop.get "{\"props\":[\"mtu\"]}"
badreq flow.list "{\"stats\":1}"
"$FLOWADM" show-flow >/dev/null || fail "vswitchd gone after the bad requests"
[ "$(flows_now)" = "$before" ] || { diff <(echo "$before") <(flows_now); fail "a bad flow.* request changed the flows"; }
pass "bad flow.* requests refused, nothing changed"

# 5. Restart.
fla set-flowprop -p priority=high udpflow
fla set-flowprop -t -p priority=low tcpflow	# temporary change
snapshot() {
	{
		"$FLOWADM" show-flow -p -o flow,link,ipaddr,proto,lport,rport,dsfld
		"$FLOWADM" show-flowprop -c -o flow,property,value
	} >"$1" 2>&1
}
snapshot "$TMP/before"
# -t leaves the saved configuration alone: a saved flow removed with -t
# and a temporary flow of the same name in its place, then a saved change
# (config.json rewritten twice): the saved udpflow is back at restart.
fla remove-flow -t udpflow
fla add-flow -t -l "$v" -a transport=udp,local_port=5399 udpflow
fla add-flow -l "$v" -a transport=udp,local_port=5398 udp2
fla remove-flow udp2
vsw_stop || fail "vswitchd did not stop on SIGTERM within 15 s"
# Hand-edited flow entries: each refused with a message in the log, none
# taking vswitchd, the VNIC or the good flows with it.
cfg=$XVM_STATEDIR/vswitchd/config.json
python3 - "$cfg" "$v" <<'PY' || fail "cannot edit $cfg"
import json, sys
path, v = sys.argv[1:3]
c = json.load(open(path))
tcp = {"transport": "tcp"}
c["flows"] += [
    42, [], {"name": "bad1"}, {"name": 7, "link": v, "attrs": tcp},
    {"name": "bad2", "link": v, "attrs": "transport=tcp"},
    {"name": "bad3", "link": v, "attrs": {"transport": 6}},
    {"name": "bad4", "link": v, "attrs": {"local_port": "80"}},
    {"name": "bad5", "link": v, "attrs": {"transport": "tcp", "local_port": "99999"}},
    {"name": "bad6", "link": v, "attrs": {"transport": "tcp", "local_port": "6000"},
     "props": {"maxbw": "1"}},
    {"name": "bad7", "link": v, "attrs": {"transport": "tcp", "local_port": "6001"},
     "props": ["maxbw"]},
    {"name": "bad8", "link": v, "attrs": {"dsfield": "0x2e:0x0"}},
    {"name": "bad9", "link": v, "attrs": {}},
    {"name": "tcpflow", "link": v, "attrs": {"transport": "udp", "local_port": "7"}},
    {"name": "bad10", "link": v, "attrs": {"transport": "tcp", "local_port": "5201"}},
    {"name": "x" * 300, "link": v, "attrs": {"transport": "tcp", "local_port": "6002"}},
    {"name": "bad11", "link": "x" * 300, "attrs": tcp},
    {"name": "bad12", "link": "nosuch9", "attrs": tcp},
]
json.dump(c, open(path, "w"))
PY
vsw_start
"$VNICADM" show-vnic "$v" >/dev/null || fail "$v is not back after the edited configuration"
for b in bad2 bad3 bad4 bad5 bad6 bad7 bad8 bad9 "tcpflow: duplicate" bad10 bad11 bad12; do
	grep -q "persist: flow $b" "$TMP/vswitchd.log" ||
		{ grep persist "$TMP/vswitchd.log"; fail "no message in the log for the entry $b"; }
done
pass "hand-edited flow entries refused, each with a message"
snapshot "$TMP/after"
cat "$TMP/after"
grep -v tmpflow "$TMP/before" |
	sed 's/^tcpflow:priority:low$/tcpflow:priority:medium/' >"$TMP/expected"
grep -q '^tcpflow:priority:low$' "$TMP/before" || fail "the temporary priority was not shown before the restart"
diff "$TMP/expected" "$TMP/after" || fail "flows after the restart differ from the persistent ones before"
pass "persistent flows and properties are back; tmpflow and the temporary priority are not"

vnic_into_ns
iperf_lan "$TMP/tcp2.json" -p 5201 -t 6 -O 2 || fail "iperf3 to 5201 after the restart failed"
t=$(mbps "$TMP/tcp2.json")
within5 "$t" || fail "after the restart, TCP to port 5201: $t Mb/s, not within 5% of 20"
pass "after the restart the flow caps TCP to port 5201 again: $t Mb/s"

# 6. Removing the link's flows lets the VNIC go.
fla remove-flow -l "$v"
[ -z "$("$FLOWADM" show-flow)" ] || fail "flows left after remove-flow -l $v"
vna delete-vnic "$v"
pass "remove-flow -l $v, then delete-vnic $v"
