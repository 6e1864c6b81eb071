#!/bin/bash
# The same minios.elf boots under QEMU/KVM through QEMU's PVH loader
# (-kernel), reaches the ready line and powers QEMU off through ACPI.
# timeout: 150
. "$(dirname "$0")/lib.sh"
require_kvm
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 not installed (make deps)"
qemu-system-x86_64 -enable-kvm -nodefaults -no-user-config -display none \
	-m 64 -serial "file:$TMP/qemu.console" -no-reboot \
	-kernel "$GUEST" -append "workload=hello" >"$TMP/qemu.err" 2>&1 &
HV_PID=$!
at_exit "kill -9 $HV_PID"
expect_exit qemu 120 0
expect_console qemu '^guest: ready mem=6[34] vcpus=1 workload=hello$' 1
expect_console qemu '^guest: hello from minios' 1
