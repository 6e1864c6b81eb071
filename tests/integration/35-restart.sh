#!/bin/bash
# Restart: persistent etherstubs, VNICs (host and guest) and their
# properties come back after vswitchd restarts, with the same MAC, VLAN and
# values; objects made with -t (or "temporary") do not, and one deleted
# with -t does. show-vnic -P and show-linkprop -P show beforehand what
# comes back.
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

# saved FILE [-P]: the VNICs and their properties, sorted.
saved() {
	local f=$1; shift
	{
		"$VNICADM" show-vnic "$@" -p -o link,over,macaddress,macaddrtype,vid
		"$VNICADM" show-linkprop "$@" -c -o link,property,value
	} 2>&1 | sed 's/:--$/:/' | sort >"$f"
}
# -P shows what a restart brings back: p1, deleted with -t now, is there,
# p2's priority is the persistent one, the temporary VNICs are not.
vna delete-vnic -t "$p1"
saved "$TMP/persistent" -P
grep -q "^$p1:$stub:" "$TMP/persistent" || fail "show-vnic -P leaves out $p1, deleted with -t"
grep -q "^$p2:priority:high\$" "$TMP/persistent" || fail "show-linkprop -P shows $p2's temporary priority"
! grep -q -e "$t1" -e "$t2" "$TMP/persistent" || fail "show-vnic -P shows a temporary VNIC"
pass "show-vnic -P and show-linkprop -P show the persistent configuration"

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
saved "$TMP/active"
diff "$TMP/persistent" "$TMP/active" || fail "the -P views before the restart differ from the state after it"
pass "the -P views before the restart are the state after it"
for o in "$tstub" "$t1" "$t2"; do
	! grep -q "$o" "$TMP/after" || fail "temporary $o came back"
done
pass "temporary $tstub, $t1 and $t2 are gone"
[ -S "$XVM_RUNDIR/vnic/$pg.sock" ] || fail "guest VNIC $pg has no socket after the restart"
pass "guest VNIC $pg has its vhost-user socket again"
