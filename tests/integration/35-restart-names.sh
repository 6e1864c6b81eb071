#!/bin/bash
# Names and the saved configuration (issue 12, finding 5): a persistent
# VNIC deleted with -t keeps its name, so neither a temporary VNIC nor an
# etherstub can take it (either would cost the saved VNIC at the next save
# or restart); delete-vnic without -t then removes the saved entry and the
# name is free again. Temporary files of a save cut short by kill -9 are
# removed at start, and the configuration they belonged to is intact.
# timeout: 150
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
vsw_start
stub=$(vname 9) p1=$(vname 1) p2=$(vname 2)
cfg=$XVM_STATEDIR/vswitchd/config.json
vna create-etherstub "$stub"
vna create-vnic -l "$stub" -m 2:0:0:35:1:1 "$p1"
vna create-vnic -l "$stub" -m 2:0:0:35:1:2 "$p2"
vna delete-vnic -t "$p1"

# refused NAME_OF_TEST ARGS...: vnicadm ARGS fails with "object already exists".
refused() {
	local what=$1; shift
	"$VNICADM" "$@" >"$TMP/out" 2>"$TMP/err" && fail "$what: vnicadm $* succeeded"
	grep -q "object already exists" "$TMP/err" || { cat "$TMP/err"; fail "$what: no 'object already exists'"; }
	pass "$what refused: $(head -n 1 "$TMP/err")"
}
refused "temporary VNIC named as a saved one deleted with -t" create-vnic -t -l "$stub" "$p1"
refused "persistent VNIC named as a saved one deleted with -t" create-vnic -l "$stub" "$p1"
refused "etherstub named as a saved VNIC deleted with -t" create-etherstub "$p1"
refused "temporary etherstub named as a saved VNIC" create-etherstub -t "$p1"
refused "etherstub named as a running VNIC" create-etherstub "$p2"
# Something else that saves: the saved p1 must survive it.
vna set-linkprop -p maxbw=10M "$p2"
grep -q "\"$p1\"" "$cfg" || { cat "$cfg"; fail "$p1 left $cfg after another change was saved"; }
pass "$p1 is still in $cfg after other changes were saved"
"$VNICADM" delete-vnic -t "$p1" >/dev/null 2>"$TMP/err" && fail "delete-vnic -t of a VNIC not running succeeded"
grep -q "not active" "$TMP/err" || { cat "$TMP/err"; fail "delete-vnic -t: no 'not active'"; }
pass "delete-vnic -t of the saved-only $p1 refused: $(cat "$TMP/err")"

# A save cut short leaves .config.json.XXXXXX: removed at the next start.
kill -9 "$VSW_PID"
wait "$VSW_PID" 2>/dev/null
echo '{"partial' >"$XVM_STATEDIR/vswitchd/.config.json.AbC123"
echo 'keep me' >"$XVM_STATEDIR/vswitchd/notes.txt"
VSW_PID=
rm -f "$XVM_RUNDIR/vswitchd.sock"	# left by the killed one
vsw_start
[ ! -e "$XVM_STATEDIR/vswitchd/.config.json.AbC123" ] || fail "stale .config.json.AbC123 not removed at start"
[ -e "$XVM_STATEDIR/vswitchd/notes.txt" ] || fail "a file that is not a save's temporary was removed"
grep -q "removed .*\.config\.json\.AbC123" "$TMP/vswitchd.log" || fail "removal of the stale temporary not logged"
pass "the stale temporary file is removed at start, other files left alone"
# (-p escapes the colons in a MAC address)
"$VNICADM" show-vnic -p -o link,over,macaddress >"$TMP/vnics" || fail "show-vnic"
grep -qFx "$p1:$stub:2\\:0\\:0\\:35\\:1\\:1" "$TMP/vnics" || { cat "$TMP/vnics"; fail "$p1 did not come back after the restart"; }
grep -qFx "$p2:$stub:2\\:0\\:0\\:35\\:1\\:2" "$TMP/vnics" || { cat "$TMP/vnics"; fail "$p2 did not come back"; }
! grep -q "duplicate\|name already taken" "$TMP/vswitchd.log" || fail "a saved entry was skipped at restart"
pass "$p1 (deleted with -t) and $p2 are back after kill -9 and restart"

# delete-vnic -t again, then delete-vnic: the saved entry goes, the name
# is free, and a restart does not bring it back.
vna delete-vnic -t "$p1"
vna delete-vnic "$p1"
! grep -q "\"$p1\"" "$cfg" || fail "$p1 still saved after delete-vnic"
vna create-etherstub -t "$p1"
pass "delete-vnic removes the saved entry of a VNIC deleted with -t; its name is free again"
vna delete-etherstub "$p1"
vsw_stop || fail "vswitchd did not stop on SIGTERM"
vsw_start
! "$VNICADM" show-link "$p1" >/dev/null 2>&1 || fail "$p1 came back after it was deleted"
pass "a deleted VNIC stays deleted across a restart"
