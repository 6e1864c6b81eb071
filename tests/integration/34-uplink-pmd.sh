#!/bin/bash
# The pmd property of a phys link (its uplink's PMD), vswitchd --pmd-cpus 0,1:
# - refused with the VNICs' messages (a PMD vswitchd does not run), other
#   properties refused on a phys link ("operation not supported");
# - set before anything is over the link (not attached), saved in
#   config.json, shown by show-linkprop (PERM rw) and, once attached, by
#   show-phys -o pmd and stats' pmds; the uplink goes to its pinned PMD
#   and its host VNIC with it (the switch stays whole), the etherstub
#   already there moving to the other PMD;
# - moved with -t, PMD 1, 0, 1, while a VNIC over it pings a LAN host
#   every 50 ms: no echo lost; the saved value unchanged; reset with -t:
#   back with its switch;
# - a restart restores it (a saved VNIC over the link attaches it on the
#   pinned PMD); with one PMD the saved pmd=1 is kept and shown, not
#   applied, with a warning; reset-linkprop removes it from config.json.
# timeout: 150
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs for --pmd-cpus 0,1 (this machine has $(nproc))"
lan_create
lan_host h1 10.34.0.10/24
VSWITCHD_ARGS="--pmd-cpus 0,1" vsw_start
conf=$XVM_STATEDIR/vswitchd/config.json
s1=$(vname 91) g1=$(vname 1) g2=$(vname 2) a=$(vname 3) b=$(vname 4)
vna create-etherstub -t "$s1"
guest_vnic "$g1" "$s1"
guest_vnic "$g2" "$s1"

pmdinfo() { vsw_rpc stats | python3 -c "import json, sys; s = json.load(sys.stdin); print($1)"; }
pmdmap() { pmdinfo '"; ".join("%d %s" % (p["index"], ",".join(sorted(p["links"] + p["vnics"]))) for p in s["pmds"])'; }
phys_pmd() { "$VNICADM" show-phys -p -o link,pmd | sed -n "s/^$UPLINK://p"; }
[ "$(pmdmap)" = "0 $g1,$g2; 1 " ] || fail "etherstub pair: '$(pmdmap)'"

# refusals, worded as for a VNIC
out=$("$VNICADM" set-linkprop -p pmd=2 "$UPLINK" 2>&1) && fail "pmd=2 accepted with 2 PMDs"
echo "$out" | grep -q "invalid value '2' for link property 'pmd': vswitchd runs 2 PMDs (0-1)" ||
	fail "pmd=2 on $UPLINK: '$out'"
out=$("$VNICADM" set-linkprop -p maxbw=10M "$UPLINK" 2>&1) && fail "maxbw accepted on a phys link"
[ "$out" = "vnicadm: cannot set link property 'maxbw' on '$UPLINK': operation not supported" ] ||
	fail "maxbw on $UPLINK: '$out'"
out=$("$VNICADM" set-linkprop -p pmd=1 "$s1" 2>&1) && fail "pmd accepted on an etherstub"
echo "$out" | grep -q "operation not supported" || fail "pmd on etherstub $s1: '$out'"
out=$("$VNICADM" set-linkprop -p pmd=1 nosuch0 2>&1) && fail "pmd accepted on a link that does not exist"
echo "$out" | grep -q "object not found" || fail "pmd on nosuch0: '$out'"
[ ! -e "$conf" ] || ! grep -q '"phys": *\[ *{' "$conf" || fail "a refused pmd was saved: $(cat "$conf")"
pass "pmd=2, maxbw on a phys link, pmd on an etherstub or a missing link: refused with a reason"

# set while nothing is over it: saved, shown
vna set-linkprop -p pmd=0 "$UPLINK"
python3 - "$conf" "$UPLINK" <<'EOF' || fail "pmd=0 on $UPLINK not saved: $(cat "$conf")"
import json, sys
c = json.load(open(sys.argv[1]))
sys.exit(c.get("phys") != [{"name": sys.argv[2], "props": {"pmd": "0"}}])
EOF
[ "$("$VNICADM" show-linkprop -c -o value,perm -p pmd "$UPLINK")" = "0:rw" ] ||
	fail "show-linkprop pmd of $UPLINK: '$("$VNICADM" show-linkprop -c -o value,perm -p pmd "$UPLINK")'"
[ "$("$VNICADM" show-linkprop -c -o perm -p maxbw "$UPLINK")" = "r-" ] || fail "maxbw of $UPLINK not read-only"
[ "$(phys_pmd)" = "" ] || fail "show-phys -o pmd of $UPLINK not attached: '$(phys_pmd)'"
"$VNICADM" show-phys | head -n 1 | grep -q PMD && fail "show-phys shows PMD without -o"
pass "pmd=0 set on $UPLINK before it is attached: saved, show-linkprop 0 (rw), show-phys -o pmd '--'"

# attached by a VNIC: on PMD 0 as pinned (by default it would take the
# idle PMD 1), the VNIC with it; the etherstub moves to PMD 1
host_vnic "$a" "$UPLINK" a 10.34.0.1/24
[ "$(phys_pmd)" = 0 ] || fail "show-phys -o pmd of $UPLINK pinned to 0: '$(phys_pmd)'"
[ "$(pmdmap)" = "0 $UPLINK,$a; 1 $g1,$g2" ] || fail "uplink pinned to 0: '$(pmdmap)'"
ns_ping "$(nsn a)" 10.34.0.10 3 || fail "$a cannot ping the LAN host"
pass "attached: uplink on PMD 0 as pinned, $a with it, the etherstub moved to PMD 1; $a pings the LAN"

# moved while pinging: nothing lost
in_ns "$(nsn a)" ping -n -c 60 -i 0.05 -W 2 10.34.0.10 >"$TMP/ping.out" 2>&1 &
ping_pid=$!
sleep 0.5
for pmd in 1 0 1; do
	vna set-linkprop -t -p pmd=$pmd "$UPLINK"
	[ "$(phys_pmd)" = $pmd ] || fail "$UPLINK pinned to $pmd is on PMD '$(phys_pmd)'"
	sleep 0.6
done
wait_pid "$ping_pid" 20 || { kill "$ping_pid"; fail "ping did not finish"; }
grep -q ' 60 received, 0% packet loss' "$TMP/ping.out" || fail "echoes lost while the uplink moved: $(tail -n 2 "$TMP/ping.out")"
[ "$(pmdmap)" = "0 $a; 1 $UPLINK,$g1,$g2" ] || fail "uplink pinned to 1: '$(pmdmap)'"
grep -q '"pmd": *"0"' "$conf" || fail "set -t changed the saved value: $(cat "$conf")"
[ "$("$VNICADM" show-linkprop -P -c -o value -p pmd "$UPLINK")" = 0 ] || fail "show-linkprop -P pmd after set -t"
pass "uplink moved to PMD 1, 0, 1 while $a pinged every 50 ms: 60 of 60 answered; saved value still 0"
vna reset-linkprop -t -p pmd "$UPLINK"
[ "$(pmdmap)" = "0 $UPLINK,$a; 1 $g1,$g2" ] || fail "pin reset (-t): '$(pmdmap)'"
[ -z "$("$VNICADM" show-linkprop -c -o value -p pmd "$UPLINK")" ] || fail "show-linkprop pmd after reset -t: '$("$VNICADM" show-linkprop -c -o value -p pmd "$UPLINK")'"
pass "pin reset with -t: the uplink back with its VNIC on PMD 0"

# a saved VNIC over it and pmd=1 saved: a restart attaches it on PMD 1
vna create-vnic -l "$UPLINK" "$b"
vna set-linkprop -p pmd=1 "$UPLINK"
vsw_stop || fail "vswitchd did not stop"
VSWITCHD_ARGS="--pmd-cpus 0,1" vsw_start
[ "$(phys_pmd)" = 1 ] || fail "after a restart $UPLINK is on PMD '$(phys_pmd)', saved pmd=1"
[ "$("$VNICADM" show-vnic -p -o pmd "$b")" = 1 ] || fail "$b not with its uplink on PMD 1"
[ "$("$VNICADM" show-linkprop -c -o value -p pmd "$UPLINK")" = 1 ] || fail "show-linkprop pmd after a restart"
pass "restarted: saved pmd=1 restored, $UPLINK and $b on PMD 1"

# one PMD: kept and shown, not applied
vsw_stop || fail "vswitchd did not stop"
VSWITCHD_ARGS= vsw_start
[ "$(phys_pmd)" = 0 ] || fail "with one PMD $UPLINK is on PMD '$(phys_pmd)'"
[ "$("$VNICADM" show-linkprop -c -o value -p pmd "$UPLINK")" = 1 ] || fail "pmd=1 not kept with one PMD"
grep -q "link $UPLINK: pmd 1 not applied: vswitchd runs 1 PMD(s)" "$TMP/vswitchd.log" || fail "no warning for pmd=1 with one PMD"
out=$("$VNICADM" set-linkprop -t -p pmd=1 "$UPLINK" 2>&1) && fail "pmd=1 accepted with one PMD"
echo "$out" | grep -q "vswitchd runs one PMD (0)" || fail "pmd=1 with one PMD: '$out'"
vna reset-linkprop -p pmd "$UPLINK"
python3 - "$conf" <<'EOF' || fail "pmd still saved after reset-linkprop: $(cat "$conf")"
import json, sys
sys.exit(json.load(open(sys.argv[1])).get("phys") != [])
EOF
vna delete-vnic "$b"
pass "one PMD: saved pmd=1 kept, shown, not applied (logged); reset-linkprop removed it from config.json"
