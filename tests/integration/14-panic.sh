#!/bin/bash
# A guest that panics reports it; hv prints why and exits 11.
# timeout: 90
. "$(dirname "$0")/lib.sh"
require_kvm
start_hv p --memory 32 --vcpus 1 --kernel "$GUEST" --cmdline "workload=panic"
expect_exit p 60 11
expect_console p '^guest: panic: requested by workload' 1
grep -qi 'panic' "$TMP/p.err" || { show p; fail "hv did not say the guest panicked"; }
pass "hv: $(grep -im1 panic "$TMP/p.err")"
