#!/bin/bash
# A hostile guest next to a well-behaved pair, all three under hv on guest
# VNICs over one etherstub: while guest B pings guest A every 100 ms,
# guest C runs `badring` (descriptors outside its memory, loops, huge
# lengths, bad indices, a notify for a missing queue). B's pinger loses
# nothing before, during or after the attacks; C's hv and vswitchd keep
# running (same pids), vswitchd still answers control requests, and C's
# VNIC counts as down or up but is still listed.
# timeout: 150
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
require_kvm
net_require
vsw_start
vsw_pid=$VSW_PID
stub=$(vname 9) a=$(vname 1) b=$(vname 2) c=$(vname 3)
vna create-etherstub -t "$stub"
guest_vnic "$a" "$stub"; sock_a=$SOCK mac_a=$MAC
guest_vnic "$b" "$stub"; sock_b=$SOCK mac_b=$MAC
guest_vnic "$c" "$stub"; sock_c=$SOCK mac_c=$MAC

N=120	# 12 s at 100 ms: the attacks take ~2.5 s in the middle
# In the nested test VM guest C takes 5-30 s to boot and attack: the pings
# must still be going then (the check is the same: none lost).
[ "${XVM_IN_TEST_VM:-0}" = 1 ] && N=450
guest_start ga "$sock_a" "$mac_a" "workload=ping,idle ip=10.44.0.1/24"
pid_a=$HV_PID
expect_console ga "^guest: nic0 mac=$mac_a link=up" 30
guest_start gb "$sock_b" "$mac_b" \
	"workload=pinger ip=10.44.0.2/24 peer=10.44.0.1 count=$N interval_ms=100"
pid_b=$HV_PID
expect_console gb '^guest: ping seq=2 ' 30
guest_start gc "$sock_c" "$mac_c" "workload=badring,idle ip=10.44.0.3/24 nic=0"
pid_c=$HV_PID
expect_console gc '^guest: badring: done' 60
grep '^guest: badring: ' "$TMP/gc.console" | sed 's/^/  /'
grep -q '^guest: pinger sent=' "$TMP/gb.console" &&
	fail "the pinger finished before the attacks did (test broken: attacks not during the pings)"
attacks=$(grep -c '^guest: badring: ' "$TMP/gc.console")
[ "$attacks" -ge 10 ] || { show gc; fail "only $attacks badring lines: the attack did not run"; }
pass "guest C ran its attacks ($((attacks - 2)) kinds) while B pinged A"

expect_console gb '^guest: pinger sent=' $((N / 10 + 30))
line=$(grep -m1 '^guest: pinger sent=' "$TMP/gb.console")
[ "$line" = "guest: pinger sent=$N received=$N lost=0" ] ||
	{ show gb; show ga; tail -n 20 "$TMP/vswitchd.log"; fail "pinger: '$line', expected sent=$N received=$N lost=0"; }
pass "B's pinger: 0% loss before, during and after the attacks"

kill -0 "$pid_c" || { show gc; fail "hv of the badring guest exited"; }
st=$(hv_ctl gc status | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["pid"], r["state"])')
[ "$st" = "$pid_c running" ] || { show gc; fail "hv of the badring guest: status '$st', expected '$pid_c running'"; }
pass "hv of the badring guest still running (pid $pid_c) and answering"
[ "$VSW_PID" = "$vsw_pid" ] && kill -0 "$vsw_pid" || { tail -n 30 "$TMP/vswitchd.log"; fail "vswitchd died"; }
vsw_rpc vnic.list "{\"name\":\"$c\",\"stats\":true}" >"$TMP/c.json" ||
	{ tail -n 30 "$TMP/vswitchd.log"; fail "vswitchd does not answer control requests"; }
vna show-vnic "$a" >/dev/null
pass "vswitchd still running (pid $vsw_pid) and answering: $c is $(python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["vnics"][0]; print(v["state"], "opackets=%d oerrors=%d" % (v["stats"]["opackets"], v["stats"]["oerrors"]))' "$TMP/c.json")"
kill -0 "$pid_a" || { show ga; fail "hv of guest A exited"; }
HV_PID=$pid_b expect_exit gb 20 0
grep -ci 'warn\|error\|invalid' "$TMP/vswitchd.log" | sed 's/^/  vswitchd log lines with warn\/error\/invalid: /'
