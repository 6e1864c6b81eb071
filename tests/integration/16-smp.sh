#!/bin/bash
# Two vCPUs: the guest starts its application processor and reports both.
# timeout: 90
. "$(dirname "$0")/lib.sh"
require_kvm
start_hv smp --memory 64 --vcpus 2 --kernel "$GUEST" --cmdline "workload=hello"
expect_exit smp 60 0
expect_console smp '^guest: ready mem=64 vcpus=2 workload=hello$' 1
