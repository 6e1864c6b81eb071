#!/bin/bash
# xvm-install against xvmd and vswitchd, no guest booted (runs natively,
# with or without KVM): bad values (capped-bandwidth below 1.2M or not a
# bandwidth, VLAN id out of range, an invalid link name, a name in use, a
# link vswitchd does not have) exit 1 with a clear message and leave
# nothing defined, and the domain already there unchanged; where KVM is
# unusable, an install with good values exits 1 with hv's reason, says
# the domain was undefined again, and leaves no domain and no VNIC.
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
INSTALL=$BIN/xvm-install
command -v virsh >/dev/null || fail "virsh is not installed (libvirt-clients)"
for f in "$BIN/xvmd" "$INSTALL"; do [ -x "$f" ] || fail "$f is not built"; done

WEB=web$NETID
. "$(dirname "$0")/xvmdlib.sh"
export LIBVIRT_DEFAULT_URI=$URI

# bad_install MESSAGE ARGS...: xvm-install ARGS exits 1 printing MESSAGE.
bad_install() {
	local msg=$1 out rc
	shift
	out=$(timeout 30 "$INSTALL" "$@" 2>&1); rc=$?
	[ "$rc" = 1 ] || { echo "$out"; fail "xvm-install $*: exit $rc, expected 1"; }
	grep -qF -- "$msg" <<<"$out" || { echo "$out"; fail "xvm-install $*: no '$msg'"; }
	pass "xvm-install refuses: $(grep -F -- "$msg" <<<"$out" | head -n 1)"
}

vsw_start
stub=$(vname 9)
vna create-etherstub -t "$stub"
xvmd_start
dom_xml "$WEB" "workload=idle"
V define "$TMP/$WEB.xml" >/dev/null || fail "define $WEB"
V dumpxml --inactive "$WEB" >"$TMP/$WEB.before" || fail "dumpxml $WEB"

K="kernel=$GUEST,cmdline=workload=ping"
bad_install "capped-bandwidth '1M' is below the minimum" -n "b$NETID" -r 64 -p \
	--boot "$K" -w "bridge=$UPLINK,capped-bandwidth=1M" --noautoconsole
bad_install "invalid capped-bandwidth '1.1M'" -n "b$NETID" -r 64 -p \
	--boot "$K" -w "bridge=$UPLINK,capped-bandwidth=1.1M" --noautoconsole
bad_install "invalid VLAN identifier '4095'" -n "b$NETID" -r 64 -p \
	--boot "$K" -w "bridge=$UPLINK,vlanid=4095" --noautoconsole
bad_install "invalid link name 'phys'" -n "b$NETID" -r 64 -p \
	--boot "$K" -w "bridge=phys" --noautoconsole
bad_install "domain '$WEB' already exists" -n "$WEB" -r 64 -p --boot "$K" \
	-w "bridge=$UPLINK" --noautoconsole
diff "$TMP/$WEB.before" <(V dumpxml --inactive "$WEB") || fail "$WEB's definition changed"
pass "$WEB's definition unchanged"
bad_install "cannot start domain 'b$NETID': vnic creation over nosuch$NETID failed" \
	-n "b$NETID" -r 64 -p --boot "$K" -w "bridge=nosuch$NETID" --noautoconsole
virsh dominfo "b$NETID" >/dev/null 2>&1 && fail "b$NETID is still defined after its failed start"
pass "the domain whose link does not exist is not left defined"
[ "$(V list --all --name | sort | tr '\n' ' ')" = "Domain-0 $WEB " ] ||
	fail "defined after the bad installs: $(V list --all --name)"
pass "only $WEB is defined after the bad installs"

args=(-n "g$NETID" -r 64 -p --boot "$K" -w "bridge=$stub,vlanid=5,capped-bandwidth=100M" --noautoconsole)
if [ -n "$NO_KVM" ]; then
	out=$(timeout 30 "$INSTALL" "${args[@]}" 2>&1); rc=$?
	[ "$rc" = 1 ] || { echo "$out"; fail "xvm-install g$NETID without KVM: exit $rc, expected 1"; }
	grep -qxF "xvm-install: cannot start domain 'g$NETID': operation failed: hv for 'g$NETID' failed to start: hv: $NO_KVM" <<<"$out" &&
		grep -qxF "xvm-install: domain 'g$NETID' undefined again" <<<"$out" ||
		{ echo "$out"; fail "xvm-install g$NETID without KVM: not hv's reason and 'undefined again'"; }
	pass "xvm-install without KVM: $(grep -F 'cannot start' <<<"$out")"
	virsh dominfo "g$NETID" >/dev/null 2>&1 && fail "g$NETID is still defined after its failed start"
	"$VNICADM" show-vnic | grep -q '^xvm' && fail "VNICs left: $("$VNICADM" show-vnic)"
	pass "no KVM here: g$NETID not left defined, no VNIC left"
else
	out=$(timeout 60 "$INSTALL" "${args[@]}" 2>&1) || { echo "$out"; fail "xvm-install g$NETID (KVM is usable here)"; }
	grep -q "^Domain g$NETID started with id [0-9]*\.$" <<<"$out" || { echo "$out"; fail "xvm-install did not say g$NETID started"; }
	V destroy "g$NETID" >/dev/null && V undefine "g$NETID" >/dev/null || fail "destroy/undefine g$NETID"
	pass "KVM is usable here: xvm-install started g$NETID"
fi
xvmd_stop
