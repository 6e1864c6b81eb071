#!/bin/bash
# pause stops a spinning guest's progress (no new per-second reports while
# paused, status says paused); resume restarts it.
# timeout: 120
. "$(dirname "$0")/lib.sh"
require_kvm
start_hv s --memory 32 --vcpus 1 --kernel "$GUEST" --cmdline "workload=spin"
expect_console s '^guest: spin t=2 ' 60
hv_ctl s pause >/dev/null || fail "pause failed"
hv_ctl s status | grep -q '"state": *"paused"' || fail "status not paused"
sleep 1
n1=$(grep -c '^guest: spin t=' "$TMP/s.console")
sleep 3
n2=$(grep -c '^guest: spin t=' "$TMP/s.console")
[ "$n1" = "$n2" ] || { show s; fail "guest progressed while paused ($n1 -> $n2 reports)"; }
pass "no progress while paused ($n2 reports)"
hv_ctl s resume >/dev/null || fail "resume failed"
hv_ctl s status | grep -q '"state": *"running"' || fail "status not running after resume"
end=$(deadline_in 10)
while before "$end"; do
	n3=$(grep -c '^guest: spin t=' "$TMP/s.console")
	[ "$n3" -ge $((n2 + 2)) ] && break
	sleep 0.1
done
[ "$n3" -ge $((n2 + 2)) ] || { show s; fail "no progress after resume ($n2 -> $n3)"; }
pass "progress resumed ($n2 -> $n3 reports)"
hv_ctl s destroy >/dev/null
expect_exit s 10 0
