#!/bin/bash
# Two PMD threads (vswitchd --pmd-cpus 0,1): bad CPU lists are refused
# with a message; two etherstubs go to different PMDs (stats' "pmds" says
# which links and VNICs each serves), each with a pair of guest VNICs
# (xvm-vuser endpoints). Both pairs move frames at the same time without
# loss, while VNICs on the first PMD's etherstub are made and deleted
# meanwhile; each PMD counts its own polls and "pmd" is their sum.
# timeout: 150
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
[ -x "$VUSER" ] || fail "$VUSER is not built"
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs for --pmd-cpus 0,1 (this machine has $(nproc))"

# refused CPU lists: exit status 2 or 1, a message naming the problem
bad_cpus() {
	local out rc
	out=$("$VSWITCHD" --pmd-cpus "$1" </dev/null 2>&1); rc=$?
	[ $rc != 0 ] || fail "vswitchd --pmd-cpus '$1' did not fail"
	echo "$out" | grep -q -- "$2" || fail "vswitchd --pmd-cpus '$1': '$out' does not say '$2'"
}
bad_cpus 4096 "not online"
bad_cpus 0,0 "given twice"
bad_cpus 1-0 "invalid CPU list"
bad_cpus x "invalid CPU list"
bad_cpus 0, "invalid CPU list"
pass "bad --pmd-cpus lists are refused with a reason"

VSWITCHD_ARGS="--pmd-cpus 0,1" vsw_start
s1=$(vname 91) s2=$(vname 92)
vna create-etherstub -t "$s1"
vna create-etherstub -t "$s2"
guest_vnic "$(vname 1)" "$s1"; sa1=$SOCK ma1=$MAC
guest_vnic "$(vname 2)" "$s1"; sb1=$SOCK mb1=$MAC
guest_vnic "$(vname 3)" "$s2"; sa2=$SOCK ma2=$MAC
guest_vnic "$(vname 4)" "$s2"; sb2=$SOCK mb2=$MAC

# pmdinfo EXPR: a Python expression over the stats reply (s).
pmdinfo() { vsw_rpc stats | python3 -c "import json, sys; s = json.load(sys.stdin); print($1)"; }
got=$(pmdinfo '"; ".join("%d cpu%d %s %s" % (p["index"], p["cpu"], ",".join(p["links"]), ",".join(sorted(p["vnics"]))) for p in s["pmds"])')
want="0 cpu0 $s1 $(vname 1),$(vname 2); 1 cpu1 $s2 $(vname 3),$(vname 4)"
[ "$got" = "$want" ] || fail "stats pmds: '$got', expected '$want'"
pass "two PMDs on CPUs 0 and 1; $s1 and its VNICs on PMD 0, $s2 and its VNICs on PMD 1"

# send NAME FROM_SOCK FROM_MAC TO_SOCK TO_MAC: 10000 64-byte frames at
# 2500/s from FROM to TO, receiver counting (in the background; results
# in $TMP/NAME.{rx,tx}).
send() {
	"$VUSER" -s "$4" -P "xvm${NETID}$1r" -c 1 recv -t 14 -f "$3" -n 10000 \
		>"$TMP/$1.rx" 2>"$TMP/$1.rxerr" &
	eval "rx_$1=\$!"
	sleep 2
	timeout 20 "$VUSER" -s "$2" -P "xvm${NETID}$1t" -c 0 send -d "$5" -S "$3" \
		-n 10000 -l 64 -r 2500 -t 8 >"$TMP/$1.tx" 2>"$TMP/$1.txerr" &
	eval "tx_$1=\$!"
}
send p1 "$sa1" "$ma1" "$sb1" "$mb1"
send p2 "$sa2" "$ma2" "$sb2" "$mb2"
# meanwhile: VNICs made and deleted on PMD 0's etherstub (commands to a
# PMD that is forwarding), and a third etherstub (to PMD 0: fewest links)
for i in 1 2 3 4 5; do
	guest_vnic "$(vname 5)" "$s1"
	vna delete-vnic -t "$(vname 5)"
done
vna create-etherstub -t "$(vname 93)"
for p in p1 p2; do
	eval "tx=\$tx_$p rx=\$rx_$p"
	wait_pid "$tx" 25 || { kill -9 "$tx"; fail "$p: sender did not finish"; }
	wait_pid "$rx" 25 || { kill -9 "$rx"; fail "$p: receiver did not finish"; }
	sent=$(sed -n 's/^vuser: sent=\([0-9]*\) .*/\1/p' "$TMP/$p.tx")
	rcvd=$(sed -n 's/^vuser: received=\([0-9]*\) .*/\1/p' "$TMP/$p.rx")
	echo "  $p: $(cat "$TMP/$p.tx") / $(cat "$TMP/$p.rx")"
	[ "$sent" = 10000 ] && [ "$rcvd" = 10000 ] ||
		{ tail -n 5 "$TMP/$p.rxerr" "$TMP/$p.txerr" "$TMP/vswitchd.log"; vsw_rpc stats; fail "$p: sent $sent, received $rcvd of 10000"; }
done
pass "both pairs: 10000 frames each sent and received at the same time, VNICs made and deleted meanwhile"
got=$(pmdinfo '"; ".join(",".join(sorted(p["links"])) for p in s["pmds"])')
[ "$got" = "$s1,$(vname 93); $s2" ] || fail "stats pmds links after a third etherstub: '$got'"
pass "a third etherstub went to PMD 0 (the fewest links; ties to the lowest)"

# each PMD moved frames; the "pmd" counters are the sum of the PMDs'.
# At 2500 frames/s the PMDs sleep between frames and the senders' kicks
# wake them: wakeups counts ports that ended a sleep, and these PMDs have
# only guest VNICs, so without kicks it would stay 0 (a timer ending a
# sleep is not counted). Frames come in bursts when a sender was
# descheduled, so fewer wakeups than frames; 100 is far from 0.
echo "  pmds: $(pmdinfo '"; ".join("%d: busy %d idle %d sleeps %d wakeups %d" % (p["index"], p["busy_polls"], p["idle_polls"], p["sleeps"], p["wakeups"]) for p in s["pmds"])')"
[ "$(pmdinfo 'all(p["wakeups"] >= 100 for p in s["pmds"])')" = True ] ||
	fail "a PMD was woken by its ports fewer than 100 times for 10000 frames at 2500/s"
pass "both PMDs were woken by their guests' kicks (100 times or more each)"
check=$(pmdinfo 'all(p["busy_polls"] > 0 for p in s["pmds"]) and all(s["pmd"][k] == sum(p[k] for p in s["pmds"]) for k in ("busy_polls", "idle_polls", "sleeps", "wakeups"))')
[ "$check" = True ] || { vsw_rpc stats; fail "per-PMD counters: each busy and summed in pmd: $check"; }
pass "each PMD counted its busy polls; pmd is the sum of the pmds"
# each VNIC's counters, read from its PMD: what it sent and received
for n in 1 3; do
	[ "$(vnic_stat "$(vname $n)" opackets)" = 10000 ] &&
	[ "$(vnic_stat "$(vname $((n + 1)))" ipackets)" = 10000 ] ||
		fail "$(vname $n) opackets $(vnic_stat "$(vname $n)" opackets), $(vname $((n + 1))) ipackets $(vnic_stat "$(vname $((n + 1)))" ipackets), expected 10000"
done
pass "the VNICs on both PMDs count 10000 frames sent and received"
