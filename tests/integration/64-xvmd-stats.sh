#!/bin/bash
# xvmd's statistics of running guests with stock virsh and python3-libvirt:
# two guests on an etherstub, n2 pinging n1 without end -> virsh domifstat
# of n2's VNIC gives rx/tx bytes and packets, non-zero, growing, and in
# step with vswitchd's own counters for that VNIC (vnicadm show-vnic -s,
# read between two domifstats); dommemstat gives actual = the configured
# KiB and hv's rss; domstats has the state, cpu, balloon, vcpu and net
# groups, cpu.time growing while the guest runs; python's
# getAllDomainStats of the active domains has both; virsh desc --live and
# --config of the running domain are kept apart until it stops. What needs no guest
# (node stats, a shut-off domain's) is 66-xvmd-node-stats, run natively.
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
. "$(dirname "$0")/xvmdlib.sh"
require_kvm
net_require
command -v virsh >/dev/null || fail "virsh not installed (libvirt-clients)"
PY=/usr/bin/python3
"$PY" -c 'import libvirt' 2>/dev/null || fail "python3-libvirt not installed"
vsw_start
stub=$(vname 9)
vna create-etherstub -t "$stub"
xvmd_start

nic="<interface type='bridge'><source bridge='$stub'/></interface>"
dom_xml n1 "workload=ping,idle ip=10.9.0.1/24" "" "$nic"
dom_xml n2 "workload=pinger,idle ip=10.9.0.2/24 peer=10.9.0.1 count=0 interval_ms=200" "" "$nic"
V define "$TMP/n1.xml" >/dev/null && V define "$TMP/n2.xml" >/dev/null || fail "define"
V start n1 >/dev/null || fail "start n1"
wait_for_line "$(conlog n1)" '^guest: ready' 60 || fail "n1 did not boot"
V start n2 >/dev/null || fail "start n2"
id2=$(V domid n2)
vnic=xvm${id2}_0
wait_for_line "$(conlog n2)" '^guest: ping seq=3 ' 60 || { tail -n 5 "$(conlog n2)"; fail "n2 could not ping n1"; }
pass "n2 pings n1 over $vnic"

# ifstat FIELD: that counter from virsh domifstat n2 $vnic (in $TMP/ifstat)
ifstat() { sed -n "s/^$vnic $1 //p" "$TMP/ifstat"; }
V domifstat n2 "$vnic" >"$TMP/ifstat" || fail "domifstat: $(cat "$TMP/ifstat")"
rxp1=$(ifstat rx_packets); rxb1=$(ifstat rx_bytes); txp1=$(ifstat tx_packets); txb1=$(ifstat tx_bytes)
"$VNICADM" show-vnic -s -p -o ipackets,rbytes,opackets,obytes "$vnic" >"$TMP/vsw" || fail "show-vnic -s"
IFS=: read -r vrxp vrxb vtxp vtxb <"$TMP/vsw"
V domifstat n2 "$vnic" >"$TMP/ifstat" || fail "domifstat (2)"
rxp2=$(ifstat rx_packets); rxb2=$(ifstat rx_bytes); txp2=$(ifstat tx_packets); txb2=$(ifstat tx_bytes)
echo "domifstat $rxp1/$rxb1 $txp1/$txb1, vswitchd $vrxp/$vrxb $vtxp/$vtxb, domifstat $rxp2/$rxb2 $txp2/$txb2"
[ "$rxp1" -gt 0 ] && [ "$rxb1" -gt 0 ] && [ "$txp1" -gt 0 ] && [ "$txb1" -gt 0 ] ||
	fail "domifstat has zero counters: $(cat "$TMP/ifstat")"
[ "$rxp1" -le "$vrxp" ] && [ "$vrxp" -le "$rxp2" ] && [ "$rxb1" -le "$vrxb" ] && [ "$vrxb" -le "$rxb2" ] ||
	fail "rx not vswitchd's ipackets/rbytes (what the guest received)"
[ "$txp1" -le "$vtxp" ] && [ "$vtxp" -le "$txp2" ] && [ "$txb1" -le "$vtxb" ] && [ "$vtxb" -le "$txb2" ] ||
	fail "tx not vswitchd's opackets/obytes (what the guest sent)"
pass "domifstat $vnic: rx $rxp1 pkts/$rxb1 B, tx $txp1 pkts/$txb1 B, in step with vswitchd"
wait_for_line "$(conlog n2)" "^guest: ping seq=$((txp2 + 3)) " 60 || fail "n2 stopped pinging"
V domifstat n2 "$vnic" >"$TMP/ifstat" || fail "domifstat (3)"
[ "$(ifstat rx_packets)" -gt "$rxp2" ] && [ "$(ifstat tx_bytes)" -gt "$txb2" ] ||
	fail "counters did not grow: $(cat "$TMP/ifstat")"
pass "domifstat grows: rx $(ifstat rx_packets) pkts, tx $(ifstat tx_bytes) B"
mac2=$(V dumpxml n2 | sed -n "s/.*<mac address='\([^']*\)'.*/\1/p")
V domifstat n2 "$mac2" | grep -q "rx_packets" || fail "domifstat by MAC $mac2"
expect_fail "'xvm99_0' is not a known interface" domifstat n2 xvm99_0

out=$(V dommemstat n2) || fail "dommemstat: $out"
echo "$out" | grep -Eq '^actual 32768$' || fail "dommemstat actual: $out"
rss=$(echo "$out" | sed -n 's/^rss //p')
[ "${rss:-0}" -gt 0 ] || fail "dommemstat rss: $out"
pass "dommemstat: actual 32768 KiB, rss $rss KiB"

# dstat FIELD: from virsh domstats n2 (in $TMP/dstat)
dstat() { sed -n "s/^ *$1=//p" "$TMP/dstat"; }
V domstats n2 >"$TMP/dstat" || fail "domstats: $(cat "$TMP/dstat")"
cat "$TMP/dstat"
[ "$(dstat state.state)" = 1 ] || fail "domstats state.state"
[ "$(dstat balloon.current)" = 32768 ] || fail "domstats balloon.current"
[ "$(dstat vcpu.current)" = 1 ] && [ -n "$(dstat vcpu.0.time)" ] || fail "domstats vcpu"
[ "$(dstat net.count)" = 1 ] && [ "$(dstat net.0.name)" = "$vnic" ] || fail "domstats net"
[ "$(dstat net.0.rx.pkts)" -gt 0 ] || fail "domstats net.0.rx.pkts"
cpu1=$(dstat cpu.time)
[ "${cpu1:-0}" -gt 0 ] || fail "domstats cpu.time '$cpu1'"
wait_for_line "$(conlog n2)" "^guest: ping seq=$(($(ifstat tx_packets) + 5)) " 60 || fail "n2 stopped pinging"
V domstats --cpu-total n2 >"$TMP/dstat" || fail "domstats --cpu-total"
cpu2=$(dstat cpu.time)
[ "${cpu2:-0}" -gt "$cpu1" ] || fail "cpu.time did not grow ($cpu1 -> $cpu2)"
pass "domstats: state, balloon, vcpu, net groups; cpu.time $cpu1 -> $cpu2 ns"

timeout 40 "$PY" - "$URI" "$vnic" <<'PY' || fail "python scenario failed"
import re, sys, libvirt
c = libvirt.open(sys.argv[1])
recs = c.getAllDomainStats(0, libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE)
st = {d.name(): s for d, s in recs}
assert {"n1", "n2"} <= set(st), st.keys()
s = st["n2"]
assert s["state.state"] == libvirt.VIR_DOMAIN_RUNNING, s
assert s["cpu.time"] > 0 and s["balloon.current"] == 32768, s
assert s["net.0.name"] == sys.argv[2] and s["net.0.tx.pkts"] > 0 and s["net.0.rx.bytes"] > 0, s
print("ok: getAllDomainStats n2: %s" % {k: v for k, v in s.items() if k.startswith("net.")}, flush=True)
# what virt-manager's graphs ask (statsmanager.py): these groups, flags 0,
# and the sums it draws
G = (libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_CPU_TOTAL |
     libvirt.VIR_DOMAIN_STATS_VCPU | libvirt.VIR_DOMAIN_STATS_BALLOON |
     libvirt.VIR_DOMAIN_STATS_BLOCK | libvirt.VIR_DOMAIN_STATS_INTERFACE)
vm = {d.name(): s for d, s in c.getAllDomainStats(G, 0)}
s = vm["n2"]
rx = sum(v for k, v in s.items() if re.match(r"net.[0-9]+.rx.bytes", k))
assert s.get("cpu.time", 0) > 0 and s.get("vcpu.current", 0) == 1 and rx > 0, s
assert vm["n1"]["state.state"] == libvirt.VIR_DOMAIN_RUNNING, vm["n1"]
print("ok: virt-manager's query: n2 cpu.time=%d rx=%d B" % (s["cpu.time"], rx), flush=True)
n, cpumap, online = c.getCPUMap()
assert n >= 1 and online == sum(cpumap), (n, cpumap)
print("ok: getCPUMap %d/%d" % (online, n), flush=True)
PY
pass "python3-libvirt getAllDomainStats of the active domains, getCPUMap"
V desc n2 --live --new-desc "live only" >/dev/null || fail "desc --live"
V desc n2 --config --new-desc "next boot" >/dev/null || fail "desc --config"
[ "$(V desc n2)" = "live only" ] && [ "$(V desc n2 --config)" = "next boot" ] ||
	fail "desc live '$(V desc n2)', config '$(V desc n2 --config)'"
V dumpxml n2 | grep -q "<description>live only</description>" || fail "live dumpxml lacks the description"
pass "desc --live and --config of a running domain apart"
V destroy n2 >/dev/null && V destroy n1 >/dev/null || fail "destroy"
[ "$(V desc n2)" = "next boot" ] || fail "desc after the stop: $(V desc n2)"
pass "the --config description takes effect when n2 stops"
expect_fail "domain is not running" domifstat n2 "$vnic"
