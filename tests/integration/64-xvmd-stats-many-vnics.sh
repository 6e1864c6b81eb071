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
# and their VNICs had no counters, and xvmd held ~256 more fds. Each
# domain has a disk: domstats --block with every hv stopped a moment
# asks 8 hv at a time (xvmd's fds grow by at most 2 per call out, 8 of
# them, not 16), and once they go on every disk has its counters.
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
	truncate -s 1M "$TMP/mv$d.img"
	dom_xml "mv$d" "workload=spin" "" "$nics<disk type='file'><source file='$TMP/mv$d.img'/><target dev='vda'/></disk>"
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
# out_fds F0: xvmd's fd count once the call is out: polled until it is
# F0 + 3 (the client's connection, one call's socket and timer; 5 s at
# most: virsh may be slow to start on a busy machine), then read again
# a moment later (the call's other connections go out with the first).
out_fds() {
	local end
	end=$(deadline_in 5)
	while before "$end" && (( $(fds) < $1 + 3 )); do sleep 0.05; done
	sleep 0.3
	fds
}
f0=$(fds)
kill -STOP "$VSW_PID"; STOPPED=$VSW_PID
( V domstats --interface >"$TMP/ds2" 2>&1; echo $? >"$TMP/ds2.rc" ) &
bg=$!
f1=$(out_fds "$f0")
kill -CONT "$VSW_PID"; STOPPED=
wait $bg
[ "$(cat "$TMP/ds2.rc")" = 0 ] || fail "domstats with vswitchd stopped a moment: $(cat "$TMP/ds2")"
(( f1 - f0 <= 8 )) || fail "xvmd held $((f1 - f0)) more fds during domstats ($f0 -> $f1)"
[ "$(counted "$TMP/ds2")" = $((NDOM * NNIC)) ] ||
	fail "domstats with vswitchd stopped a moment: $(counted "$TMP/ds2") VNICs with counters, expected $((NDOM * NNIC))"
pass "domstats while vswitchd was stopped: xvmd's fds $f0 -> $f1 during the call, all $((NDOM * NNIC)) VNICs counted once it went on"

# Every hv stopped while domstats --block goes out: 8 blkstats calls at
# a time, the rest queued; all answered once the hvs go on.
hvpids=$(cat "$XVM_RUNDIR"/hv/mv*.pid)
[ "$(echo $hvpids | wc -w)" = $NDOM ] || fail "hv pids: $hvpids"
f0=$(fds)
kill -STOP $hvpids; STOPPED=$hvpids
( V domstats --block >"$TMP/ds3" 2>&1; echo $? >"$TMP/ds3.rc" ) &
bg=$!
f1=$(out_fds "$f0")
kill -CONT $hvpids; STOPPED=
wait $bg
[ "$(cat "$TMP/ds3.rc")" = 0 ] || fail "domstats --block with the hvs stopped a moment: $(cat "$TMP/ds3")"
(( f1 - f0 <= 20 )) || fail "xvmd held $((f1 - f0)) more fds during domstats --block ($f0 -> $f1)"
[ "$(grep -c 'block.0.wr.bytes=512$' "$TMP/ds3")" = $NDOM ] ||
	fail "domstats --block: $(grep -c 'block.0.wr.bytes=512$' "$TMP/ds3") disks with counters, expected $NDOM: $(head -n 20 "$TMP/ds3")"
pass "domstats --block while every hv was stopped: xvmd's fds $f0 -> $f1 during the call (8 hv calls at a time), all $NDOM disks counted once they went on"

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
