#!/bin/bash
# virsh managedsave of a real guest: the image goes to
# $XVM_STATEDIR/save/NAME.save, list --managed-save shows "saved", dominfo
# "Managed save: yes", the VNIC goes; virsh start resumes the guest (no
# second boot, its spin count goes on) and removes the image; start
# --paused resumes it paused; the saved state survives an xvmd restart;
# start --force-boot boots afresh and discards the image; undefine refuses
# while an image exists and --managed-save removes it.
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
boots() { count_lines '^guest: ready' "$(conlog "$1")"; }
wait_spins() {	# NAME N: at least N spin lines
	local end; end=$(deadline_in 60)
	while before "$end"; do
		[ "$(spins "$1")" -ge "$2" ] && return 0
		sleep 0.2
	done
	tail -n 5 "$(conlog "$1")"; fail "$1: fewer than $2 spin lines"
}
img=$XVM_STATEDIR/save/web1.save

dom_xml web1 "workload=spin" "" "<interface type='bridge'><source bridge='$stub'/></interface>"
V define "$TMP/web1.xml" >/dev/null && V start web1 >/dev/null || fail "start web1"
wait_spins web1 3
V managedsave web1 >/dev/null || fail "managedsave"
t_saved=$(ticks web1); n_saved=$(spins web1)
[ -f "$img" ] || fail "no $img"
V list --all --managed-save | grep -Eq ' web1 +saved$' || fail "list: $(V list --all --managed-save)"
V dominfo web1 | grep -Eq '^Managed save: +yes$' || fail "dominfo: $(V dominfo web1)"
[ "$(V domstate --reason web1)" = "shut off (saved)" ] || fail "web1: $(V domstate --reason web1)"
"$VNICADM" show-vnic | grep -q '^xvm' && fail "VNIC left after managedsave"
pass "managedsave: $img, listed as saved, VNIC gone"

V start web1 >/dev/null || fail "start from the managed save image"
[ "$(V domstate --reason web1)" = "running (restored)" ] || fail "web1: $(V domstate --reason web1)"
[ -e "$img" ] && fail "image kept after the restore"
wait_spins web1 $((n_saved + 2))
[ "$(boots web1)" = 1 ] || fail "the guest booted again"
[ "$(ticks web1)" -ge "$t_saved" ] || fail "spin count went back: $(ticks web1) after $t_saved"
V dominfo web1 | grep -Eq '^Managed save: +no$' || fail "dominfo after start: $(V dominfo web1)"
pass "start resumed the guest (t=$t_saved -> $(ticks web1), one boot) and removed the image"

V managedsave web1 >/dev/null && V start --paused web1 >/dev/null || fail "start --paused"
[ "$(V domstate web1)" = paused ] || fail "start --paused: $(V domstate web1)"
V resume web1 >/dev/null || fail "resume"
pass "start --paused of a saved guest: paused, then resumed"

V managedsave web1 >/dev/null || fail "managedsave before the xvmd restart"
xvmd_stop
xvmd_start
V list --all --managed-save | grep -Eq ' web1 +saved$' || fail "after xvmd restart: $(V list --all --managed-save)"
expect_fail "Refusing to undefine while domain managed save image exists" undefine web1
V start --force-boot web1 >/dev/null || fail "start --force-boot"
[ -e "$img" ] && fail "--force-boot kept the image"
end=$(deadline_in 60)
while before "$end" && [ "$(boots web1)" -lt 2 ]; do sleep 0.2; done
[ "$(boots web1)" = 2 ] || fail "--force-boot did not boot the guest afresh"
pass "the image survives an xvmd restart; start --force-boot boots afresh"

V managedsave web1 >/dev/null || fail "managedsave for undefine"
V undefine --managed-save web1 >/dev/null || fail "undefine --managed-save"
[ -e "$img" ] && fail "undefine --managed-save kept the image"
V list --all | grep -q ' web1 ' && fail "web1 still defined"
pass "undefine --managed-save removes definition and image"
xvmd_stop
