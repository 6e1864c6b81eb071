#!/bin/bash
# virsh save / restore of a real guest with a VNIC: save writes the image
# (XVMSAVE header, 0600), the domain is shut off (saved), its VNIC and hv
# are gone; restore brings it back running (restored) with a VNIC of the
# same MAC, and the guest goes on where it was (its spin count continues,
# "guest: ready" is printed once: no second boot); a restore while it runs
# is refused; a guest checking a memory pattern every second (workload
# memcheck, the hv part's) finds it intact after the restore and goes on
# from its saved round; images altered in the header, cut short, or with
# a stream hv does not accept are refused with the reason and leave the
# domain shut off with no VNIC and no hv. xvmd's side without KVM is
# 73-xvmd-save-native.
# timeout: 300
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
. "$(dirname "$0")/xvmdlib.sh"
require_kvm
net_require
vsw_start
stub=$(vname 9)
vna create-etherstub -t "$stub"
xvmd_start

ticks() { sed -n 's/^guest: spin t=\([0-9]*\).*/\1/p' "$(conlog "$1")" | tail -n 1; }
spins() { count_lines '^guest: spin t=' "$(conlog "$1")"; }
wait_spins() {	# NAME N: at least N spin lines
	local end; end=$(deadline_in 60)
	while before "$end"; do
		[ "$(spins "$1")" -ge "$2" ] && return 0
		sleep 0.2
	done
	tail -n 5 "$(conlog "$1")"; fail "$1: fewer than $2 spin lines"
}
vnic_of() { V domiflist "$1" | awk '$1 ~ /^xvm/ {print $1}'; }
dlmac() { echo "$1" | sed -E 's/(^|:)0([0-9a-f])/\1\2/g'; }

dom_xml web1 "workload=spin" "" "<interface type='bridge'><source bridge='$stub'/></interface>"
V define "$TMP/web1.xml" >/dev/null && V start web1 >/dev/null || fail "start web1"
wait_spins web1 3
mac=$(V dumpxml web1 | sed -n "s/.*<mac address='\([^']*\)'.*/\1/p")
vnic=$(vnic_of web1)
[ "$(vnic_mac "$vnic")" = "$(dlmac "$mac")" ] || fail "$vnic: MAC $(vnic_mac "$vnic"), expected $mac"

img=$TMP/save/web1.img
mkdir -p "$TMP/save"
V save web1 "$img" >/dev/null || fail "save web1"
t_saved=$(ticks web1)
n_saved=$(spins web1)
[ -f "$img" ] && [ "$(stat -c %a "$img")" = 600 ] && [ "$(head -c 8 "$img")" = XVMSAVE ] ||
	fail "image: $(ls -l "$img" 2>&1)"
[ "$(V domstate --reason web1)" = "shut off (saved)" ] || fail "web1: $(V domstate --reason web1)"
"$VNICADM" show-vnic | grep -q "^$vnic " && fail "$vnic still there after save"
[ -e "$XVM_RUNDIR/hv/web1.pid" ] && fail "hv pid file left after save"
# save answers once the image is complete and the domain shut off; hv's
# exit follows (xvmd watches it and kills one that lingers): gone soon
end=$(deadline_in 5)
while pgrep -f -- "--name web1 " >/dev/null; do
	before "$end" || fail "an hv for web1 still runs 5 s after the save"
	sleep 0.05
done
pass "save: $(stat -c %s "$img") bytes, web1 shut off (saved), $vnic and hv gone (spin t=$t_saved)"
sleep 2		# a restore that rebooted would show t small again
V restore "$img" >/dev/null || fail "restore"
[ "$(V domstate --reason web1)" = "running (restored)" ] || fail "web1: $(V domstate --reason web1)"
vnic2=$(vnic_of web1)
[ "$(vnic_mac "$vnic2")" = "$(dlmac "$mac")" ] || fail "$vnic2: MAC $(vnic_mac "$vnic2"), expected $mac"
wait_spins web1 $((n_saved + 2))
[ "$(grep -c '^guest: ready' "$(conlog web1)")" = 1 ] ||
	{ tail -n 20 "$(conlog web1)"; fail "the guest booted again"; }
t_now=$(ticks web1)
[ "$t_now" -ge "$t_saved" ] || fail "spin count went back: t=$t_now after t=$t_saved"
pass "restore: running (restored), VNIC $vnic2 with MAC $mac, the guest went on (t=$t_saved -> $t_now, one boot)"
expect_fail "domain 'web1' is already active" restore "$img"
V destroy web1 >/dev/null

# The guest's memory comes back as it was: memcheck verifies a pattern
# each round and goes on from the saved round after a restore.
rounds() { count_lines '^guest: memcheck n=' "$(conlog mc)"; }
last_n() { sed -n 's/^guest: memcheck n=\([0-9]*\).*/\1/p' "$(conlog mc)" | tail -n 1; }
wait_rounds() {
	local end; end=$(deadline_in 60)
	while before "$end"; do
		[ "$(rounds)" -ge "$1" ] && return 0
		sleep 0.2
	done
	tail -n 5 "$(conlog mc)"; fail "mc: fewer than $1 memcheck rounds"
}
dom_xml mc "workload=memcheck"
V create "$TMP/mc.xml" >/dev/null || fail "create mc"
wait_rounds 3
V save mc "$TMP/save/mc.img" >/dev/null || fail "save mc"
n_saved=$(last_n); r_saved=$(rounds)
V restore "$TMP/save/mc.img" >/dev/null || fail "restore mc"
wait_rounds $((r_saved + 2))
grep '^guest: memcheck n=' "$(conlog mc)" | grep -v ' ok (0 bad words)$' &&
	fail "memcheck found damaged memory after the restore"
first=$(grep '^guest: memcheck n=' "$(conlog mc)" | sed -n "$((r_saved + 1))s/^guest: memcheck n=\([0-9]*\).*/\1/p")
[ "$first" -gt "$n_saved" ] || fail "memcheck started over: n=$first after n=$n_saved"
[ "$(grep -c '^guest: ready' "$(conlog mc)")" = 1 ] || fail "mc booted again"
pass "memcheck: memory intact after save/restore, rounds go on (n=$n_saved -> $first)"
V destroy mc >/dev/null

# Altered images: nothing is started, nothing left.
cp "$img" "$TMP/flip.img"
printf 'Z' | dd of="$TMP/flip.img" bs=1 seek=100 conv=notrunc status=none
size=$(stat -c %s "$img")
head -c $((size - 4096)) "$img" >"$TMP/short.img"
cp "$img" "$TMP/badstream.img"
off=$(( $(od -An -tu1 -j12 -N4 "$img" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}') ))
dd if=/dev/urandom of="$TMP/badstream.img" bs=4096 seek=$((off / 4096)) count=1 conv=notrunc status=none
expect_fail "save image header corrupt \(CRC mismatch\)" restore "$TMP/flip.img"
expect_fail "save image truncated" restore "$TMP/short.img"
expect_fail "hv for 'web1' failed to start: " restore "$TMP/badstream.img"
[ "$(V domstate web1)" = "shut off" ] || fail "web1 after failed restores: $(V domstate web1)"
"$VNICADM" show-vnic | grep -q '^xvm' && fail "VNIC left by a failed restore: $("$VNICADM" show-vnic)"
[ -e "$XVM_RUNDIR/hv/web1.pid" ] && fail "hv left by a failed restore"
pass "altered images refused: web1 shut off, no VNIC, no hv"
xvmd_stop
