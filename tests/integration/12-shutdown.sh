#!/bin/bash
# Control socket: `status` of an idle guest, then `shutdown` presses the ACPI
# power button; the guest sees it, powers off, and hv exits 0.
# timeout: 90
. "$(dirname "$0")/lib.sh"
require_kvm
start_hv idle --memory 32 --vcpus 1 --kernel "$GUEST" --cmdline "workload=idle"
expect_console idle '^guest: ready mem=32 vcpus=1 workload=idle$' 60
st=$(hv_ctl idle status) || fail "status failed"
echo "status: $st"
echo "$st" | grep -q '"state": *"running"' || fail "status does not say running: $st"
echo "$st" | grep -q '"name": *"idle"' || fail "status does not name the domain: $st"
"$RPC" -t 5000 -e 30 "$XVM_RUNDIR/idle.sock" shutdown >"$TMP/events" 2>&1 &
expect_exit idle 30 0
expect_console idle '^guest: power button pressed' 1
grep -q '"poweroff"' "$TMP/events" || { cat "$TMP/events"; fail "no poweroff state event"; }
pass "state event for poweroff received"
