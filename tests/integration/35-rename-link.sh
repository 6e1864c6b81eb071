#!/bin/bash
# vnicadm rename-link (dladm rename-link): an etherstub is renamed with the
# VNICs over it (running and saved), an idle guest VNIC gets a socket of its
# new name and carries frames through it, an idle host VNIC becomes a tap of
# the new name with the same MAC; a VNIC in use (a guest connected, a tap
# with an address or moved to another namespace, flows on it), a phys link,
# a taken or bad name are refused with dladm's message and change nothing;
# the names survive a restart. show-ether on a veth uplink.
# timeout: 150
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
[ -x "$VUSER" ] || fail "$VUSER is not built"
FLOWADM=$BIN/flowadm
vsw_start
stub=$(vname 9) stub2=$(vname 8) h1=$(vname h1) h2=$(vname h2)
g1=$(vname g1) g2=$(vname g2) g3=$(vname g3) d1=$(vname d1) d2=$(vname d2)
cfg=$XVM_STATEDIR/vswitchd/config.json
vna create-etherstub "$stub"
vna create-vnic -l "$stub" -m 2:0:0:35:2:1 "$h1"
vna create-vnic -l "$stub" -m 2:0:0:35:2:9 "$d1"
vna delete-vnic -t "$d1"		# saved, not running
guest_vnic "$g1" "$stub"; mac_g1=$MAC	# temporary guest VNICs, as xvmd makes
guest_vnic "$g2" "$stub"; sock_g2=$SOCK mac_g2=$MAC

# refused WHAT MESSAGE ARGS...: vnicadm ARGS exits 1 printing MESSAGE and
# the configuration file is unchanged.
refused() {
	local what=$1 msg=$2; shift 2
	cp "$cfg" "$TMP/cfg.before"
	"$VNICADM" "$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	[ $rc = 1 ] || { cat "$TMP/err"; fail "$what: vnicadm $* exited $rc, expected 1"; }
	grep -qF "$msg" "$TMP/err" || { cat "$TMP/err"; fail "$what: no '$msg'"; }
	cmp -s "$cfg" "$TMP/cfg.before" || fail "$what: $cfg changed"
	pass "$what refused: $(head -n 1 "$TMP/err")"
}

vna rename-link "$stub" "$stub2"
"$VNICADM" show-vnic -p -o link,over >"$TMP/vnics" || fail "show-vnic"
for v in "$h1" "$g1" "$g2"; do
	grep -qx "$v:$stub2" "$TMP/vnics" || { cat "$TMP/vnics"; fail "$v is not over $stub2"; }
done
"$VNICADM" show-etherstub -p -o link >"$TMP/stubs"
grep -qx "$stub2" "$TMP/stubs" && ! grep -qx "$stub" "$TMP/stubs" ||
	{ cat "$TMP/stubs"; fail "show-etherstub after the rename"; }
python3 - "$cfg" "$stub2" "$d1" "$h1" <<'PY' || fail "saved configuration after renaming the etherstub"
import json, sys
c = json.load(open(sys.argv[1]))
stubs = [e["name"] for e in c["etherstubs"]]
assert stubs == [sys.argv[2]], stubs
links = {v["name"]: v["link"] for v in c["vnics"]}
assert links.get(sys.argv[3]) == sys.argv[2], links	# the saved, not running one
assert links.get(sys.argv[4]) == sys.argv[2], links
PY
pass "etherstub $stub renamed $stub2; running VNICs and the saved $d1 are over it"

# An idle guest VNIC: new socket, same MAC, frames flow.
vna rename-link "$g1" "$g3"
[ -S "$XVM_RUNDIR/vnic/$g3.sock" ] || fail "no socket $XVM_RUNDIR/vnic/$g3.sock after the rename"
[ ! -e "$XVM_RUNDIR/vnic/$g1.sock" ] || fail "old socket $g1.sock still there"
[ "$(vnic_mac "$g3")" = "$mac_g1" ] || fail "$g3's MAC is $(vnic_mac "$g3"), was $mac_g1"
"$VUSER" -s "$XVM_RUNDIR/vnic/$g3.sock" -P "xvm${NETID}rx" -c 1 recv -t 120 -f "$mac_g2" -n 500 \
	>"$TMP/rx.out" 2>"$TMP/rx.err" &
rx=$!
at_exit "kill -9 $rx"
link_wait_state "$g3" up 30
# While a frontend is connected, the VNIC is in use.
refused "renaming a guest VNIC with a frontend connected" "rename operation failed: link busy" \
	rename-link "$g3" "$g1"
timeout 20 "$VUSER" -s "$sock_g2" -P "xvm${NETID}tx" -c 0 send -d "$mac_g1" -S "$mac_g2" \
	-n 500 -l 64 -r 2000 -t 8 >"$TMP/tx.out" 2>"$TMP/tx.err" || { tail -n 5 "$TMP/tx.err"; fail "sender failed"; }
vuser_rx_end $rx 15
grep -q '^vuser: received=500 ' "$TMP/rx.out" || { cat "$TMP/rx.out" "$TMP/rx.err"; fail "$g3 did not receive the 500 frames"; }
pass "guest VNIC $g1 renamed $g3: socket $g3.sock, same MAC, 500/500 frames received through it"

# An idle host VNIC: the tap of the new name, same MAC; saved.
vna rename-link "$h1" "$h2"
ip link show "$h2" >/dev/null 2>&1 || fail "no interface $h2"
! ip link show "$h1" >/dev/null 2>&1 || fail "interface $h1 still there"
[ "$(cat "/sys/class/net/$h2/address")" = 02:00:00:35:02:01 ] || fail "$h2's address is $(cat "/sys/class/net/$h2/address")"
grep -q "\"$h2\"" "$cfg" && ! grep -q "\"$h1\"" "$cfg" || fail "$cfg does not have $h2 instead of $h1"
pass "host VNIC $h1 renamed $h2: tap $h2 with 02:00:00:35:02:01, saved under the new name"
ip addr add 192.0.2.35/24 dev "$h2"
refused "renaming a host VNIC with an address" "rename operation failed: link busy" rename-link "$h2" "$h1"
ip addr del 192.0.2.35/24 dev "$h2"
"$FLOWADM" add-flow -l "$h2" -a transport=udp "$(vname f1)" || fail "add-flow on $h2"
refused "renaming a VNIC with flows" "rename operation failed: link still has flows" rename-link "$h2" "$h1"
"$FLOWADM" remove-flow "$(vname f1)" || fail "remove-flow"
host_vnic "$(vname x1)" "$stub2" n1 192.0.2.36/24
refused "renaming a host VNIC moved to another namespace" "link busy" rename-link "$(vname x1)" "$(vname y1)"

refused "a name taken by a VNIC" "rename operation failed: object already exists" rename-link "$stub2" "$h2"
refused "a name taken by a saved VNIC" "object already exists" rename-link "$h2" "$d1"
ip link add "$(vname p0)" type veth peer name "$(vname p9)"
at_exit "ip link del $(vname p0) 2>/dev/null"
refused "a name of a host interface" "object already exists" rename-link "$stub2" "$(vname p0)"
refused "a link that does not exist" "rename operation failed: object not found" rename-link "$(vname z1)" "$(vname z2)"
refused "a bad new name" "invalid link name" rename-link "$h2" "0bad"
refused "one operand" "usage" rename-link "$h2"
vna create-vnic -t -l "$(vname p0)" "$(vname q1)"
ip link set "$(vname p9)" up; ip link set "$(vname p0)" up
# The kernel's link watcher sets the pair's operstate up after the carrier,
# up to a second later (and later yet on a busy machine).
end=$(deadline_in 10)
until [ "$(cat "/sys/class/net/$(vname p0)/operstate")" = up ]; do
	before "$end" || fail "$(vname p0): operstate $(cat "/sys/class/net/$(vname p0)/operstate") 10 s after both ends were set up"
	sleep 0.1
done
# show-ether on it (the veth pair says 10000 Mb/s full duplex, no
# auto-negotiation, and nothing about flow control)
"$VNICADM" show-ether "$(vname p0)" >"$TMP/ether" || fail "show-ether $(vname p0)"
cat "$TMP/ether"
head -n 1 "$TMP/ether" | grep -q '^LINK  *PTYPE  *STATE  *AUTO  *SPEED-DUPLEX  *PAUSE$' || fail "show-ether header"
grep -Eq "^$(vname p0) +current +up +no +10G-f +--$" "$TMP/ether" || fail "show-ether row for $(vname p0)"
[ "$("$VNICADM" show-ether -p -o link,speed-duplex "$(vname p0)")" = "$(vname p0):10G-f" ] || fail "show-ether -p"
"$VNICADM" show-ether "$(vname z1)" >/dev/null 2>"$TMP/err" && fail "show-ether of a missing link succeeded"
pass "show-ether $(vname p0): current, no auto-negotiation, 10G-f; -p; a missing link refused ($(cat "$TMP/err"))"
refused "a phys link" "is a phys link" rename-link "$(vname p0)" "$(vname p1)"
vna delete-vnic -t "$(vname q1)"
ip link del "$(vname p0)"

# The saved VNIC that is not running, then a restart.
vna rename-link "$d1" "$d2"
vsw_stop || fail "vswitchd did not stop"
vsw_start
"$VNICADM" show-vnic -p -o link,over,macaddress >"$TMP/vnics" || fail "show-vnic after restart"
grep -qFx "$h2:$stub2:2\\:0\\:0\\:35\\:2\\:1" "$TMP/vnics" || { cat "$TMP/vnics"; fail "$h2 not back after restart"; }
grep -qFx "$d2:$stub2:2\\:0\\:0\\:35\\:2\\:9" "$TMP/vnics" || { cat "$TMP/vnics"; fail "$d2 (renamed while saved only) not back"; }
! grep -q "$h1\|$d1\|$g1\|$g3" "$TMP/vnics" || { cat "$TMP/vnics"; fail "an old or temporary name came back"; }
pass "after a restart: $stub2 with $h2 and $d2 (renamed while not running); temporary ones gone"
