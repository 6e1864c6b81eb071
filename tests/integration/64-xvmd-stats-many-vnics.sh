#!/bin/bash
# Issue 12: getAllDomainStats of many VNICs. 16 domains with 8 NICs each,
# 128 guest VNICs on two etherstubs (hv is tests/tools/fake-hv: xvmd's
# side is what is tested). virsh domstats --interface gives every VNIC
# its counters (net.N.rx.bytes ... tx.drop, from vswitchd's vnic.list),
# and so does python3-libvirt's getAllDomainStats. Made deterministic
# with vswitchd stopped (SIGSTOP) while the call goes out: xvmd then
# holds its requests to vswitchd on one connection (one socket, one
# timer: its fd count grows by a handful, not by two per VNIC) and
# vswitchd's listen backlog (64) does not overflow; once vswitchd goes
# on, every VNIC has its counters. Before the fix each VNIC had its own
# connection: 128 at once, those beyond the backlog failed with EAGAIN
# and their VNICs had no counters, and xvmd held ~256 more fds.
# timeout: 180
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
. "$(dirname "$0")/xvmdlib.sh"
command -v virsh >/dev/null || fail "virsh not installed (libvirt-clients)"
PY=/usr/bin/python3
"$PY" -c 'import libvirt' 2>/dev/null || fail "python3-libvirt not installed"
net_require
vsw_start
s1=$(vname 1) s2=$(vname 2)
vna create-etherstub -t "$s1"
vna create-etherstub -t "$s2"
xvmd_start --hv "$TOP/tests/tools/fake-hv"
STOPPED=
at_exit '[ -n "$STOPPED" ] && kill -CONT $STOPPED 2>/dev/null'

NDOM=16 NNIC=8
for d in $(seq 1 $NDOM); do
	nics=
	for n in $(seq 1 $NNIC); do
		stub=$s1; (( n % 2 )) || stub=$s2
		nics="$nics<interface type='bridge'><source bridge='$stub'/></interface>"
	done
	dom_xml "mv$d" "workload=spin" "" "$nics"
	V create "$TMP/mv$d.xml" >/dev/null || fail "create mv$d: $(tail -n 3 "$TMP/xvmd.log")"
done
nv=$("$VNICADM" show-vnic | grep -c '^xvm')
[ "$nv" = $((NDOM * NNIC)) ] || fail "$nv guest VNICs, expected $((NDOM * NNIC))"
pass "$NDOM domains running with $NNIC NICs each: $nv guest VNICs on $s1 and $s2"

# counted FILE: how many VNICs of the domstats output in FILE have all
# eight counters.
counted() {
	awk '/^Domain:/ { dom = $2 }
	     /net\.[0-9]+\.(rx|tx)\.(bytes|pkts|errs|drop)=[0-9]+$/ {
		split($1, a, "."); n[dom "." a[2]]++ }
	     END { c = 0; for (k in n) if (n[k] == 8) c++; print c }' "$1"
}

V domstats --interface >"$TMP/ds1" || fail "domstats --interface: $(cat "$TMP/ds1")"
[ "$(counted "$TMP/ds1")" = $((NDOM * NNIC)) ] ||
	fail "domstats --interface: $(counted "$TMP/ds1") VNICs with counters, expected $((NDOM * NNIC))"
[ "$(grep -c 'net.count=8' "$TMP/ds1")" = $NDOM ] || fail "net.count: $(grep 'net.count' "$TMP/ds1" | sort | uniq -c)"
pass "virsh domstats --interface: all $((NDOM * NNIC)) VNICs have their 8 counters"

# The same with vswitchd stopped while the call goes out: the requests
# wait in one connection, not in 128.
fds() { ls "/proc/$XVMD_PID/fd" | wc -l; }
f0=$(fds)
kill -STOP "$VSW_PID"; STOPPED=$VSW_PID
( V domstats --interface >"$TMP/ds2" 2>&1; echo $? >"$TMP/ds2.rc" ) &
bg=$!
sleep 0.7
f1=$(fds)
kill -CONT "$VSW_PID"; STOPPED=
wait $bg
[ "$(cat "$TMP/ds2.rc")" = 0 ] || fail "domstats with vswitchd stopped a moment: $(cat "$TMP/ds2")"
(( f1 - f0 <= 8 )) || fail "xvmd held $((f1 - f0)) more fds during domstats ($f0 -> $f1)"
[ "$(counted "$TMP/ds2")" = $((NDOM * NNIC)) ] ||
	fail "domstats with vswitchd stopped a moment: $(counted "$TMP/ds2") VNICs with counters, expected $((NDOM * NNIC))"
pass "domstats while vswitchd was stopped: xvmd's fds $f0 -> $f1 during the call, all $((NDOM * NNIC)) VNICs counted once it went on"

"$PY" - "$URI" $((NDOM * NNIC)) <<'PY' || fail "python3-libvirt getAllDomainStats"
import libvirt, sys
conn = libvirt.open(sys.argv[1])
recs = conn.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_INTERFACE)
n = sum(1 for dom, st in recs for i in range(st.get("net.count", 0))
        if all("net.%d.%s" % (i, k) in st for k in
               ("rx.bytes", "rx.pkts", "rx.errs", "rx.drop",
                "tx.bytes", "tx.pkts", "tx.errs", "tx.drop")))
assert n == int(sys.argv[2]), "%d VNICs with counters" % n
print("python3-libvirt getAllDomainStats: %d VNICs with counters" % n)
PY
pass "python3-libvirt getAllDomainStats(INTERFACE): all $((NDOM * NNIC)) VNICs counted"

for d in $(seq 1 $NDOM); do V destroy "mv$d" >/dev/null || fail "destroy mv$d"; done
for _ in $(seq 50); do [ "$("$VNICADM" show-vnic | grep -c '^xvm')" = 0 ] && break; sleep 0.1; done
[ "$("$VNICADM" show-vnic | grep -c '^xvm')" = 0 ] || fail "guest VNICs left: $("$VNICADM" show-vnic | grep -c '^xvm')"
xvmd_stop
