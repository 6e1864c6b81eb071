#!/bin/bash
# Save and restore of a guest on a vhost-user VNIC (issue 9): guest A
# (`ping` plus `memcheck`) answers guest B's pings over an etherstub; A is
# saved with `hvctl save` (hv stops the backend's rings first) and hv
# exits 0; a new hv restores A on the same VNIC; the restored guest goes
# on counting and a new pinger gets every reply again: the vhost-user
# rings restarted where the saved guest's stood.
# timeout: 300
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
require_kvm
net_require
vsw_start
stub=$(vname 9) a=$(vname 1) b=$(vname 2)
vna create-etherstub -t "$stub"
guest_vnic "$a" "$stub"; sock_a=$SOCK mac_a=$MAC
guest_vnic "$b" "$stub"; sock_b=$SOCK mac_b=$MAC
save=$TMP/ga.save
N=5

guest_start ga "$sock_a" "$mac_a" "workload=ping,memcheck ip=10.70.0.1/24"
expect_console ga "^guest: nic0 mac=$mac_a link=up ip=10.70.0.1/24" 60
expect_console ga '^guest: memcheck n=2 ok' 60

# pinger NAME: N pings from a fresh guest B, all answered; B powers off.
pinger() {
	guest_start "$1" "$sock_b" "$mac_b" \
		"workload=pinger ip=10.70.0.2/24 peer=10.70.0.1 count=$N interval_ms=200"
	expect_console "$1" '^guest: pinger sent=' 90
	line=$(grep -m1 '^guest: pinger sent=' "$TMP/$1.console")
	[ "$line" = "guest: pinger sent=$N received=$N lost=0" ] ||
		{ show "$1"; show ga; show ga2; fail "$1: '$line', expected sent=$N received=$N lost=0"; }
	expect_exit "$1" 30 0
	pass "$1: $line"
}
pinger gb1

"$BIN/hvctl" -s "$XVM_RUNDIR/ga.sock" save "$save" >"$TMP/out" 2>"$TMP/err" ||
	{ cat "$TMP/out" "$TMP/err"; show ga; fail "hvctl save failed"; }
cat "$TMP/out"
bytes=$(sed -n 's/^saved \([0-9]*\) bytes to .*$/\1/p' "$TMP/out")
[ "$bytes" = "$(stat -c %s "$save")" ] ||
	fail "hvctl said '$bytes' bytes, the file has $(stat -c %s "$save")"
HV_PID=$(cat "$TMP/ga.pid") expect_exit ga 60 0
grep -q 'in flight lost' "$TMP/ga.err" && { show ga; fail "descriptors were in flight at the save"; }
saved_n=$(sed -n 's/^guest: memcheck n=\([0-9]*\).*$/\1/p' "$TMP/ga.console" | tail -n1)
pass "saved at memcheck n=$saved_n; hv exited 0"

start_hv ga2 --memory 64 --vcpus 1 --net "vnic=$sock_a,mac=$mac_a" --restore "$save"
expect_console ga2 "^guest: memcheck n=$((saved_n + 2)) ok \\(0 bad words\\)\$" 120
grep -Eq '^minios: xvm PV guest|^guest: ready' "$TMP/ga2.console" &&
	{ show ga2; fail "the restored guest booted again"; }
pass "restored guest continues after n=$saved_n"
pinger gb2
"$BIN/hvctl" -s "$XVM_RUNDIR/ga2.sock" destroy || fail "destroy of the restored domain"
expect_exit ga2 60 0
