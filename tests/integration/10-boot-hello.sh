#!/bin/bash
# hv boots the PV guest's hello workload: boot banner, ready line with the
# configured memory and one vCPU, the workload's output, and power-off
# through ACPI S5 ending hv with status 0.
# timeout: 90
. "$(dirname "$0")/lib.sh"
require_kvm
start_hv hello --memory 64 --vcpus 1 --kernel "$GUEST" --cmdline "workload=hello"
expect_exit hello 60 0
expect_console hello '^guest: ready mem=64 vcpus=1 workload=hello$' 1
expect_console hello '^guest: hello from minios' 1
