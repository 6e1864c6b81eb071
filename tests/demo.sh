#!/bin/bash
# make demo: boot the PV guest under hv on two vCPUs and show its console.
# The guest prints its banner and ready line, says hello and powers off;
# hv's exit status is shown at the end.
cd "$(dirname "$0")/.."
[ -c /dev/kvm ] || { echo "demo: /dev/kvm is needed to run a guest" >&2; exit 1; }
echo "\$ build/bin/hv --name demo --memory 64 --vcpus 2 --kernel build/guest/minios.elf --cmdline workload=hello"
timeout 120 build/bin/hv --name demo --memory 64 --vcpus 2 \
	--kernel build/guest/minios.elf --cmdline "workload=hello" </dev/null
rc=$?
echo "hv exited with status $rc (0: the guest powered off)"
exit $rc
