#!/bin/bash
# Two PMD threads (vswitchd --pmd-cpus 0,1), ports placed by switch:
# - bad CPU lists are refused with a message;
# - four guest VNICs (two pairs of xvm-vuser endpoints) on ONE etherstub
#   stay together on PMD 0 (a switch of 8 ports or fewer is not split:
#   nothing it forwards crosses PMDs); a second etherstub's pair goes
#   whole to PMD 1: stats' "pmds", vnic.list's "pmd" and vnicadm
#   show-vnic -o pmd say so;
# - a pmd property vswitchd does not run is refused; one set is saved
#   like the other properties and shown by show-linkprop; a VNIC made
#   pinned moves none of the others;
# - both pairs send across PMDs at the same time (v1 -> v2, v4 -> v3 with
#   v4 pinned to PMD 1), every frame checked byte for byte and for order
#   by the receiver, while v2 is pinned to PMD 0, 1, 0, 1 (it moves:
#   show-vnic follows) and VNICs are made and deleted on the etherstub:
#   nothing is lost, the VNICs' counters (summed over the PMDs that
#   counted them) are exact; each PMD counts its own polls and "pmd" is
#   their sum; a pin reset puts the VNIC back with its switch;
# - a maxbw=20M cap on v3 (PMD 0) holds, within 5%, for frames sent
#   from v4 on PMD 1;
# - the second etherstub gone, nothing moves; the pins reset, the
#   etherstub's 4 ports whole on PMD 0; grown to 10 ports it is split,
#   its 5 newest VNICs on PMD 1; back to 8, whole on PMD 0 again.
# timeout: 180
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
s1=$(vname 91)
v1=$(vname 1) v2=$(vname 2) v3=$(vname 3) v4=$(vname 4)
vna create-etherstub -t "$s1"
guest_vnic "$v1" "$s1"; s_1=$SOCK m_1=$MAC
guest_vnic "$v2" "$s1"; s_2=$SOCK m_2=$MAC
guest_vnic "$v3" "$s1"; s_3=$SOCK m_3=$MAC
guest_vnic "$v4" "$s1"; s_4=$SOCK m_4=$MAC

# pmdinfo EXPR: a Python expression over the stats reply (s).
pmdinfo() { vsw_rpc stats | python3 -c "import json, sys; s = json.load(sys.stdin); print($1)"; }
pmdmap() { pmdinfo '"; ".join("%d cpu%d %s" % (p["index"], p["cpu"], ",".join(sorted(p["vnics"]))) for p in s["pmds"])'; }
# vnic_pmd NAME: its PMD as vnicadm show-vnic prints it
vnic_pmd() { "$VNICADM" show-vnic -p -o pmd "$1"; }
got=$(pmdmap)
want="0 cpu0 $v1,$v2,$v3,$v4; 1 cpu1 "
[ "$got" = "$want" ] || fail "stats pmds: '$got', expected '$want'"
got=$("$VNICADM" show-vnic -p -o link,pmd | tr '\n' ' ')
[ "$got" = "$v1:0 $v2:0 $v3:0 $v4:0 " ] || fail "show-vnic -o link,pmd: '$got'"
# the PMD column is not in dladm's default set
"$VNICADM" show-vnic "$v1" | head -n 1 | grep -q PMD && fail "show-vnic shows PMD without -o"
pass "four VNICs of one etherstub together on PMD 0 (stats, show-vnic -o pmd)"

# a second etherstub: its pair on the idle PMD, whole
s2=$(vname 92) v7=$(vname 7) v8=$(vname 8)
vna create-etherstub -t "$s2"
guest_vnic "$v7" "$s2"
guest_vnic "$v8" "$s2"
got=$(pmdmap)
want="0 cpu0 $v1,$v2,$v3,$v4; 1 cpu1 $v7,$v8"
[ "$got" = "$want" ] || fail "second etherstub: '$got', expected '$want'"
pass "a second etherstub's two VNICs together on PMD 1"

# the pmd property: checked against the PMDs vswitchd runs
out=$("$VNICADM" set-linkprop -t -p pmd=2 "$v2" 2>&1) && fail "pmd=2 accepted with 2 PMDs"
echo "$out" | grep -q "vswitchd runs 2 PMDs (0-1)" || fail "pmd=2: '$out'"
out=$("$VNICADM" set-linkprop -t -p pmd=16 "$v2" 2>&1) && fail "pmd=16 accepted"
echo "$out" | grep -q "invalid value '16' for link property 'pmd'" || fail "pmd=16: '$out'"
[ "$(vnic_pmd "$v2")" = 0 ] || fail "$v2 moved by a refused pmd"
pass "pmd=2 (2 PMDs) and pmd=16 refused with a reason; nothing moved"

# saved like the other properties; made pinned with create-vnic -p
s3=$(vname 93) v6=$(vname 6)
vna create-etherstub "$s3"
vna create-vnic -k guest -l "$s3" -p pmd=1 "$v6"
grep -q '"pmd": *"1"' "$XVM_STATEDIR/vswitchd/config.json" || fail "pmd=1 not saved"
[ "$("$VNICADM" show-linkprop -c -o value -p pmd "$v6")" = 1 ] || fail "show-linkprop pmd of $v6"
[ "$(vnic_pmd "$v6")" = 1 ] || fail "$v6 made with pmd=1 is on PMD $(vnic_pmd "$v6")"
vna delete-vnic "$v6"
vna delete-etherstub "$s3"
# back as before: the other VNICs were not moved for a pinned one
[ "$(pmdmap)" = "$want" ] || fail "after $v6 came and went: '$(pmdmap)'"
pass "pmd=1 given at create-vnic: on PMD 1, saved, shown by show-linkprop"

# send NAME FROM_SOCK FROM_MAC TO_SOCK TO_MAC SIZE: 10000 frames of SIZE
# at 2500/s from FROM to TO, every byte checked by the receiver (in the
# background; results in $TMP/NAME.{rx,tx}).
send() {
	"$VUSER" -s "$4" -P "xvm${NETID}$1r" -c 1 recv -t 14 -f "$3" -n 10000 -l "$6" -V \
		>"$TMP/$1.rx" 2>"$TMP/$1.rxerr" &
	eval "rx_$1=\$!"
	sleep 2
	timeout 20 "$VUSER" -s "$2" -P "xvm${NETID}$1t" -c 0 send -d "$5" -S "$3" \
		-n 10000 -l "$6" -r 2500 -t 8 -V >"$TMP/$1.tx" 2>"$TMP/$1.txerr" &
	eval "tx_$1=\$!"
}
# v4 pinned to PMD 1: what it sends to v3 crosses PMDs
vna set-linkprop -t -p pmd=1 "$v4"
[ "$(vnic_pmd "$v4")" = 1 ] || fail "$v4 pinned to 1 is on PMD $(vnic_pmd "$v4")"
[ "$(pmdmap)" = "0 cpu0 $v1,$v2,$v3; 1 cpu1 $v4,$v7,$v8" ] || fail "pinning $v4 moved others: '$(pmdmap)'"
send p1 "$s_1" "$m_1" "$s_2" "$m_2" 1518
send p2 "$s_4" "$m_4" "$s_3" "$m_3" 200
# meanwhile: v2 pinned back and forth (it moves with frames queued for
# it), VNICs made and deleted on the etherstub (placed, then the others
# rebalanced)
moves=0
for pmd in 0 1 0 1; do
	sleep 0.5
	vna set-linkprop -t -p pmd=$pmd "$v2"
	[ "$(vnic_pmd "$v2")" = $pmd ] || fail "$v2 pinned to $pmd is on PMD $(vnic_pmd "$v2")"
	moves=$((moves + 1))
	guest_vnic "$(vname 5)" "$s1"
	vna delete-vnic -t "$(vname 5)"
done
for p in p1 p2; do
	eval "tx=\$tx_$p rx=\$rx_$p"
	wait_pid "$tx" 25 || { kill -9 "$tx"; fail "$p: sender did not finish"; }
	wait_pid "$rx" 25 || { kill -9 "$rx"; fail "$p: receiver did not finish"; }
	sent=$(sed -n 's/^vuser: sent=\([0-9]*\) .*/\1/p' "$TMP/$p.tx")
	rcvd=$(sed -n 's/^vuser: received=\([0-9]*\) .*/\1/p' "$TMP/$p.rx")
	echo "  $p: $(cat "$TMP/$p.tx") / $(cat "$TMP/$p.rx")"
	[ "$sent" = 10000 ] && [ "$rcvd" = 10000 ] ||
		{ tail -n 5 "$TMP/$p.rxerr" "$TMP/$p.txerr" "$TMP/vswitchd.log"; vsw_rpc stats; fail "$p: sent $sent, received $rcvd of 10000"; }
	grep -q ' bad=0 reordered=0 gaps=0$' "$TMP/$p.rx" || fail "$p: frames damaged or out of order: $(cat "$TMP/$p.rx")"
done
pass "v1 -> v2 (1518 bytes) and v4 -> v3 (200 bytes) from PMD 0 to PMD 1 and back: 10000 frames each, every byte right, in order, none lost, while $v2 was pinned $moves times (and others rebalanced)"
got=$(pmdmap)
echo "  after the moves: $got"
[ "$(vnic_pmd "$v2")" = 1 ] || fail "$v2 pinned last to 1 is on $(vnic_pmd "$v2")"
[ "$got" = "0 cpu0 $v1,$v3; 1 cpu1 $v2,$v4,$v7,$v8" ] || fail "after the moves: '$got'"
vna reset-linkprop -t -p pmd "$v2"
got=$(pmdmap)
[ "$got" = "0 cpu0 $v1,$v2,$v3; 1 cpu1 $v4,$v7,$v8" ] || fail "pin of $v2 reset: '$got'"
pass "$v2 on PMD 1 where it was pinned last; pin reset: back with its switch on PMD 0, nothing else moved"

# each PMD moved frames; the "pmd" counters are the sum of the PMDs'.
echo "  pmds: $(pmdinfo '"; ".join("%d: busy %d idle %d sleeps %d wakeups %d" % (p["index"], p["busy_polls"], p["idle_polls"], p["sleeps"], p["wakeups"]) for p in s["pmds"])')"
[ "$(pmdinfo 'all(p["wakeups"] >= 100 for p in s["pmds"])')" = True ] ||
	fail "a PMD was woken fewer than 100 times for 10000 frames at 2500/s"
pass "both PMDs were woken by kicks or by frames handed from the other (100 times or more each)"
check=$(pmdinfo 'all(p["busy_polls"] > 0 for p in s["pmds"]) and all(s["pmd"][k] == sum(p[k] for p in s["pmds"]) for k in ("busy_polls", "idle_polls", "sleeps", "wakeups", "busy_cycles")) and all(p["busy_cycles"] > 0 for p in s["pmds"]) and s["pmd"]["tsc_hz"] > 0')
[ "$check" = True ] || { vsw_rpc stats; fail "per-PMD counters: each busy and summed in pmd: $check"; }
pass "each PMD counted its busy polls and their cycles; pmd is the sum of the pmds"
# the VNICs' counters, written by both PMDs ($v2 moved) and summed
for c in "$v1 opackets 10000" "$v1 obytes 15140000" "$v2 ipackets 10000" "$v2 rbytes 15140000" \
	 "$v4 opackets 10000" "$v3 ipackets 10000" "$v3 rbytes 1960000" "$v2 ierrors 0" "$v3 ierrors 0"; do
	set -- $c
	[ "$(vnic_stat "$1" "$2")" = "$3" ] || fail "$1 $2: $(vnic_stat "$1" "$2"), expected $3"
done
pass "the VNICs count exactly what was sent and received, summed over the PMDs"

# the second etherstub gone (before the cap below, which then runs with
# the ports it ran with before the placement by switch: two per PMD)
vna delete-vnic -t "$v7"
vna delete-vnic -t "$v8"
vna delete-etherstub "$s2"
got=$(pmdmap)
[ "$got" = "0 cpu0 $v1,$v2,$v3; 1 cpu1 $v4" ] || fail "second etherstub gone: '$got'"
pass "second etherstub gone: nothing moved ($v4 alone on PMD 1, pinned)"

# a cap on v3 (pinned to PMD 0) for frames from v4 (pinned to PMD 1):
# 1514-byte frames at 4000/s (48 Mb/s) against maxbw=20M, measured
# after 1 s
vna set-linkprop -t -p pmd=0 "$v3"
vna set-linkprop -t -p pmd=1 "$v4"
[ "$(vnic_pmd "$v3"),$(vnic_pmd "$v4")" = 0,1 ] || fail "$v3, $v4 pinned to 0, 1: $(vnic_pmd "$v3"),$(vnic_pmd "$v4")"
vna set-linkprop -t -p maxbw=20M "$v3"
"$VUSER" -s "$s_3" -P "xvm${NETID}cr" -c 1 recv -t 9 -f "$m_4" -w 1 >"$TMP/cap.rx" 2>"$TMP/cap.rxerr" &
crx=$!
sleep 2
timeout 20 "$VUSER" -s "$s_4" -P "xvm${NETID}ct" -c 0 send -d "$m_3" -S "$m_4" \
	-l 1518 -r 4000 -t 6 >"$TMP/cap.tx" 2>"$TMP/cap.txerr" &
ctx=$!
wait_pid "$ctx" 25 || { kill -9 "$ctx"; fail "cap: sender did not finish"; }
wait_pid "$crx" 25 || { kill -9 "$crx"; fail "cap: receiver did not finish"; }
echo "  cap: $(cat "$TMP/cap.tx") / $(cat "$TMP/cap.rx")"
mbps=$(sed -n 's/^vuser: received=.* gbps=\([0-9.]*\) .*/\1/p' "$TMP/cap.rx" | awk '{ printf "%.1f", $1 * 1000 }')
[ -n "$mbps" ] && awk -v m="$mbps" 'BEGIN { exit !(m >= 19 && m <= 21) }' ||
	fail "maxbw=20M on $v3 from $v4 on the other PMD: $mbps Mb/s, not within 5%"
[ "$(vnic_stat "$v3" drops.maxbw_queue)" -gt 0 ] || fail "no maxbw_queue drops on $v3 for 48 Mb/s into 20M"
pass "maxbw=20M on $v3 (PMD 0) held at $mbps Mb/s for frames from $v4 (PMD 1)"

# the pins reset: the etherstub's four VNICs together on PMD 0, PMD 1 idle
vna reset-linkprop -t -p maxbw,pmd "$v3"
vna reset-linkprop -t -p pmd "$v4"
got=$(pmdmap)
[ "$got" = "0 cpu0 $v1,$v2,$v3,$v4; 1 cpu1 " ] || fail "pins reset: '$got'"
pass "pins reset: one switch of four VNICs, whole on PMD 0"
# ten ports: split, the five newest on PMD 1; eight: whole again
big=""
for i in 11 12 13 14 15 16; do
	guest_vnic "$(vname $i)" "$s1"
	big="$big $(vname $i)"
done
got=$("$VNICADM" show-vnic -p -o link,pmd | tr '\n' ' ')
want="$v1:0 $v2:0 $v3:0 $v4:0 $(vname 11):0 $(vname 12):1 $(vname 13):1 $(vname 14):1 $(vname 15):1 $(vname 16):1 "
[ "$got" = "$want" ] || fail "ten VNICs on one etherstub: '$got', expected '$want'"
pass "ten VNICs on one etherstub (more than 8): split 5 and 5, the newest on PMD 1"
vna delete-vnic -t "$(vname 16)"
vna delete-vnic -t "$(vname 15)"
got=$("$VNICADM" show-vnic -p -o pmd | sort -u | tr '\n' ' ')
[ "$got" = "0 " ] || fail "eight VNICs on one etherstub not whole on PMD 0: '$("$VNICADM" show-vnic -p -o link,pmd | tr '\n' ' ')'"
grep -q "port $(vname 14): from PMD 1 to PMD 0" "$TMP/vswitchd.log" || fail "no move of $(vname 14) logged"
pass "back to eight VNICs: whole on PMD 0 again (moves logged)"
