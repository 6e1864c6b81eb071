#!/bin/bash
# NIC hot-plug at hv's level (hvctl nic-add/nic-remove): a PV guest with
# nic0 (untagged, over the uplink) gets a second NIC on a VLAN-7 guest
# VNIC while it runs; the guest sees it (hot-plug controller, GPE 1),
# takes the address ip= names for nic1 and answers ping from a LAN host's
# VLAN-7 interface; save refuses while the device set differs from the
# command line; nic-remove asks the guest, which releases it, and hv
# removes it (nic-list no longer shows it); nic0 still answers; a second
# plug reuses nic1. Removal from a paused guest is refused; a guest that
# ignores hot-plug (hotplug=off) gets nic-remove's time limit: the request
# is withdrawn with a clear error and the NIC stays.
# timeout: 150
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
require_kvm
net_require
HVCTL=$BIN/hvctl
lan_create
lan_host h1 10.34.0.10/24
lan_host h7
lan_host_vlan "$(nsn h7)" 7 10.34.7.10/24
vsw_start
g0=$(vname 1) g1=$(vname 2)
guest_vnic "$g0" "$UPLINK"; sock0=$SOCK mac0=$MAC
guest_vnic "$g1" "$UPLINK" ',"vid":7'; sock1=$SOCK mac1=$MAC
guest_start g "$sock0" "$mac0" "workload=ping,idle ip=10.34.0.1/24,10.34.7.1/24@nic1"
expect_console g "^guest: nic0 mac=$mac0 link=up ip=10.34.0.1/24" 30
expect_console g "^minios: pci: hot-plug controller found" 5
ns_ping "$(nsn h1)" 10.34.0.1 || { show g; fail "nic0 does not answer"; }
ctl() { "$HVCTL" -s "$XVM_RUNDIR/g.sock" "$@"; }

ctl nic-add "vnic=$sock1,mac=$mac1" >"$TMP/out" 2>&1 || { cat "$TMP/out"; show g; fail "nic-add"; }
cat "$TMP/out"
slot=$(sed -n 's/^NIC .* in slot \(00:[0-9a-f]*\.0\)$/\1/p' "$TMP/out")
[ -n "$slot" ] || fail "nic-add printed no slot"
expect_console g "^guest: hotplug: nic1 added at $slot" 10
expect_console g "^guest: nic1 mac=$mac1 link=up ip=10.34.7.1/24" 5
in_ns "$(nsn h7)" ping -n -c 5 -i 0.2 -W 2 10.34.7.1 >"$TMP/ping7" 2>&1 ||
	{ cat "$TMP/ping7"; show g; fail "the VLAN-7 LAN host gets no answer through nic1"; }
pass "hot-plugged nic1 ($slot, VLAN 7) answers: $(grep -o '[0-9]* received' "$TMP/ping7")"
ctl nic-list | tee "$TMP/list"
cmac1=$(canon_mac "$mac1")
grep -Eq "^$slot +$cmac1 +yes +$sock1\$" "$TMP/list" || fail "nic-list does not show the hot-plugged NIC"
"$HVCTL" -s "$XVM_RUNDIR/g.sock" save "$TMP/g.save" >"$TMP/out" 2>&1 && fail "save went on with a hot-plugged NIC"
grep -q "hot-plugged or removed since hv started" "$TMP/out" || { cat "$TMP/out"; fail "save: unclear refusal"; }
pass "save refused: $(cat "$TMP/out")"
ctl migrate "unix:$TMP/nowhere.sock" >"$TMP/out" 2>&1 && fail "migrate went on with a hot-plugged NIC"
grep -q "hot-plugged or removed since hv started.*cannot migrate" "$TMP/out" || { cat "$TMP/out"; fail "migrate: unclear refusal"; }
kill -0 "$HV_PID" || fail "hv exited after the refused save/migrate"

ctl nic-remove "$mac1" >"$TMP/out" 2>&1 || { cat "$TMP/out"; show g; fail "nic-remove"; }
expect_console g "^guest: hotplug: nic1 removed from $slot" 5
ctl nic-list >"$TMP/list"
grep -q "$cmac1" "$TMP/list" && { cat "$TMP/list"; fail "the NIC is still listed after nic-remove"; }
ns_ping "$(nsn h7)" 10.34.7.1 2 && fail "10.34.7.1 still answers after the NIC left"
ns_ping "$(nsn h1)" 10.34.0.1 || { show g; fail "nic0 no longer answers"; }
kill -0 "$HV_PID" || { show g; fail "hv exited"; }
pass "nic-remove: the guest released nic1, hv removed it; nic0 still answers"

ctl nic-add "vnic=$sock1,mac=$mac1" >/dev/null || fail "second nic-add"
end=$(deadline_in 10)
while before "$end" && [ "$(grep -c '^guest: hotplug: nic[0-9]* added' "$TMP/g.console")" -lt 2 ]; do
	sleep 0.1
done
[ "$(grep -c '^guest: hotplug: nic1 added' "$TMP/g.console")" = 2 ] || { show g; fail "second plug not seen as nic1"; }
ns_ping "$(nsn h7)" 10.34.7.1 || { show g; fail "nic1 does not answer after the second plug"; }
pass "plugged again: nic1 again, answers"
ctl pause >/dev/null || fail "pause"
ctl nic-remove "$mac1" >"$TMP/out" 2>&1 && fail "nic-remove of a paused guest went on"
grep -q "paused" "$TMP/out" || { cat "$TMP/out"; fail "unclear refusal"; }
ctl resume >/dev/null || fail "resume"
ctl nic-add "vnic=$sock1,mac=$mac1" >"$TMP/out" 2>&1 && fail "nic-add of a MAC there already went on"
grep -q "exists already" "$TMP/out" || { cat "$TMP/out"; fail "unclear refusal of a duplicate MAC"; }
ctl nic-add "vnic=$TMP/nothing,mac=02:00:00:00:00:01" >"$TMP/out" 2>&1 && fail "nic-add of a missing socket went on"
grep -q "No such file" "$TMP/out" || { cat "$TMP/out"; fail "unclear refusal of a missing socket"; }
pass "refused: removal from a paused guest, a duplicate MAC, a missing socket"
ctl nic-remove "$mac1" >/dev/null 2>&1 || { show g; fail "final nic-remove"; }
ctl destroy >/dev/null
HV_PID=$HV_PID expect_exit g 10 0

g2=$(vname 3)
guest_vnic "$g2" "$UPLINK"; sock2=$SOCK mac2=$MAC
start_hv deaf --memory 32 --vcpus 1 --kernel "$GUEST" --cmdline "workload=idle hotplug=off"
expect_console deaf "^minios: pci: hot-plug events ignored" 30
"$HVCTL" -s "$XVM_RUNDIR/deaf.sock" nic-add "vnic=$sock2,mac=$mac2" >/dev/null || fail "nic-add to deaf"
t0=$(date +%s)
"$HVCTL" -s "$XVM_RUNDIR/deaf.sock" nic-remove "$mac2" >"$TMP/out" 2>&1 && fail "nic-remove from a deaf guest went on"
t1=$(date +%s)
grep -q "the guest did not release NIC $(canon_mac "$mac2") (slot 00:02.0) in time" "$TMP/out" ||
	{ cat "$TMP/out"; fail "unclear time-out message"; }
[ $((t1 - t0)) -ge 4 ] || fail "nic-remove gave up after $((t1 - t0)) s, expected the 5 s limit"
"$HVCTL" -s "$XVM_RUNDIR/deaf.sock" nic-list | grep -Eq "^00:02.0 +$(canon_mac "$mac2") +yes " ||
	fail "the NIC is gone although the guest never released it"
pass "a guest that ignores hot-plug: $(cat "$TMP/out")"
"$HVCTL" -s "$XVM_RUNDIR/deaf.sock" destroy >/dev/null
HV_PID=$HV_PID expect_exit deaf 10 0
