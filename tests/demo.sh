#!/bin/bash
# make demo: what xvm is for, in two acts, on this machine alone.
#  1. hv boots the PV guest on two vCPUs: its console, then power-off.
#  2. vswitchd carves two guest VNICs out of an etherstub; two PV guests
#     under hv, each on its VNIC, ping each other through the switch;
#     vnicadm shows the VNICs and their counters.
# Everything runs in a temporary XVM_RUNDIR/XVM_STATEDIR, is bounded in
# time and is stopped and removed at the end.
# Without a usable /dev/kvm the whole demo runs in the nested test VM
# (tests/vm/run), where QEMU's emulated SVM CPU gives one.
cd "$(dirname "$0")/.."
if ! why=$(build/tests/tools/kvm-probe); then
	echo "demo: $why here: the guests run in the nested test VM (tests/vm/run,"
	echo "demo: QEMU in software mode with an emulated SVM CPU); booting it."
	exec tests/vm/run -t 900 -- tests/demo.sh
fi
G=build/guest/minios.elf
tmp=$(mktemp -d /tmp/xvm-demo.XXXXXX)
export XVM_RUNDIR=$tmp/run XVM_STATEDIR=$tmp/state
mkdir -p "$XVM_RUNDIR" "$XVM_STATEDIR"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "== 1. a PV guest under hv"
echo "\$ hv --name demo --memory 64 --vcpus 2 --kernel $G --cmdline workload=hello"
timeout 120 build/bin/hv --name demo --memory 64 --vcpus 2 --kernel "$G" \
	--cmdline "workload=hello" </dev/null
echo "hv exited with status $? (0: the guest powered off)"

echo
echo "== 2. two guests on guest VNICs of vswitchd, over an etherstub"
timeout 120 build/bin/vswitchd >"$tmp/vswitchd.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 150; i++)); do [ -S "$XVM_RUNDIR/vswitchd.sock" ] && break; sleep 0.2; done
[ -S "$XVM_RUNDIR/vswitchd.sock" ] || { cat "$tmp/vswitchd.log"; exit 1; }
run() { echo "\$ $*"; "$@" || exit 1; }
run build/bin/vnicadm create-etherstub -t stub0
run build/bin/vnicadm create-vnic -t -k guest -l stub0 -m 0:16:3e:0:0:1 xvm1_0
run build/bin/vnicadm create-vnic -t -k guest -l stub0 -m 0:16:3e:0:0:2 xvm2_0
run build/bin/vnicadm show-vnic
sock=$XVM_RUNDIR/vnic
echo "\$ hv --name a --net vnic=$sock/xvm1_0.sock ... --cmdline 'workload=ping ip=10.0.0.1/24' &"
timeout 120 build/bin/hv --name a --memory 32 --vcpus 1 --kernel "$G" \
	--net "vnic=$sock/xvm1_0.sock,mac=0:16:3e:0:0:1" \
	--cmdline "workload=ping ip=10.0.0.1/24" </dev/null >"$tmp/a.console" 2>&1 &
pids+=($!)
echo "\$ hv --name b --net vnic=$sock/xvm2_0.sock ... --cmdline 'workload=pinger ip=10.0.0.2/24 peer=10.0.0.1 count=5'"
timeout 120 build/bin/hv --name b --memory 32 --vcpus 1 --kernel "$G" \
	--net "vnic=$sock/xvm2_0.sock,mac=0:16:3e:0:0:2" \
	--cmdline "workload=pinger ip=10.0.0.2/24 peer=10.0.0.1 count=5 interval_ms=200" \
	</dev/null 2>&1 | grep '^guest:'
run build/bin/vnicadm show-vnic -s
echo "(the pinger guest powered off; the others are stopped now)"
