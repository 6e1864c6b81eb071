#!/bin/bash
# Reboot paths end hv with status 10: the control `reset` of a running
# guest, and the guest's own reboot through the i8042 reset line.
# timeout: 120
. "$(dirname "$0")/lib.sh"
require_kvm
start_hv r1 --memory 32 --vcpus 1 --kernel "$GUEST" --cmdline "workload=idle"
expect_console r1 '^guest: ready' 60
hv_ctl r1 reset >/dev/null || fail "reset failed"
expect_exit r1 20 10

start_hv r2 --memory 32 --vcpus 1 --kernel "$GUEST" --cmdline "workload=reboot"
expect_exit r2 60 10
expect_console r2 '^guest: rebooting' 1
