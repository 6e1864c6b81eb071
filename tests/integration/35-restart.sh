#!/bin/bash
# Restart: persistent etherstubs, VNICs (host and guest) and their
# properties come back after vswitchd restarts, with the same MAC, VLAN and
# values; objects made with -t (or "temporary") do not.
# timeout: 120
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
lan_create
vsw_start
stub=$(vname 9) tstub=$(vname 8)
p1=$(vname 1) p2=$(vname 2) pg=$(vname 3) t1=$(vname 4) t2=$(vname 5)
vna create-etherstub "$stub"
vna create-etherstub -t "$tstub"
vna create-vnic -l "$stub" -p maxbw=100M,priority=low "$p1"
vna create-vnic -l "$UPLINK" -v 7 -m 2:0:0:35:0:2 -p protection=mac-nospoof "$p2"
vsw_rpc vnic.create "{\"name\":\"$pg\",\"link\":\"$stub\",\"kind\":\"guest\"}" >/dev/null ||
	fail "vnic.create $pg (guest) failed"
vna create-vnic -t -l "$stub" "$t1"
vna create-vnic -t -l "$tstub" "$t2"
vna set-linkprop -p maxbw=20M "$p2"
vna set-linkprop -t -p priority=medium "$p2"	# temporary change

# snapshot FILE: what an administrator would look at.
snapshot() {
	{
		"$VNICADM" show-link -p -o link,class,over
		"$VNICADM" show-vnic -p -o link,over,macaddress,macaddrtype,vid
		"$VNICADM" show-linkprop -c -o link,property,value
		"$VNICADM" show-etherstub
	} >"$1" 2>&1
}
snapshot "$TMP/before"
[ -s "$XVM_STATEDIR/vswitchd/config.json" ] || fail "no $XVM_STATEDIR/vswitchd/config.json"

vsw_stop || fail "vswitchd did not stop on SIGTERM within 15 s"
pass "vswitchd stopped"
vsw_start
snapshot "$TMP/after"
cat "$TMP/after"

# Expected: the snapshot without the temporary objects, and p2's priority
# back to its persistent value.
grep -v -e "$tstub" -e "$t1" -e "$t2" "$TMP/before" |
	sed "s/^$p2:priority:medium\$/$p2:priority:high/" >"$TMP/expected"
grep -q "^$p2:priority:medium" "$TMP/before" || fail "the temporary priority was not shown before the restart"
# An unset value prints as "--" or the empty string; compare both ways.
norm() { sed 's/:--$/:/' "$1"; }
diff <(norm "$TMP/expected") <(norm "$TMP/after") || fail "state after restart differs from the persistent state before"
pass "persistent etherstub, VNICs and properties are back unchanged"
for o in "$tstub" "$t1" "$t2"; do
	! grep -q "$o" "$TMP/after" || fail "temporary $o came back"
done
pass "temporary $tstub, $t1 and $t2 are gone"
[ -S "$XVM_RUNDIR/vnic/$pg.sock" ] || fail "guest VNIC $pg has no socket after the restart"
pass "guest VNIC $pg has its vhost-user socket again"
