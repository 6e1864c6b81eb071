#!/bin/bash
# xvm-install against xvmd and vswitchd on the test LAN: the issue's
#   xvm-install -n web1 -r 64 -p --boot kernel=minios.elf,cmdline=... \
#       -w bridge=phys0,vlanid=5,capped-bandwidth=100M
# defines and starts a domain whose VNIC xvm<id>_0 shows in
# `vnicadm show-vnic` over the uplink with VID 5 and speed 100, and whose
# guest answers pings from the LAN host's VLAN-5 interface. Bad values,
# which need no guest, are 63-xvm-install-args, run natively.
# timeout: 180
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
require_kvm
net_require
INSTALL=$BIN/xvm-install
command -v virsh >/dev/null || fail "virsh is not installed (libvirt-clients)"
for f in "$BIN/xvmd" "$INSTALL"; do [ -x "$f" ] || fail "$f is not built"; done

WEB=web$NETID

# xvmd with its own cgroup parent; every hv it started, xvmd and the
# cgroups go at exit (tests/integration/xvmdlib.sh).
. "$(dirname "$0")/xvmdlib.sh"
export LIBVIRT_DEFAULT_URI=$URI

lan_create
lan_host h5
lan_host_vlan "$(nsn h5)" 5 10.60.0.10/24
vsw_start
xvmd_start

out=$(timeout 60 "$INSTALL" -n "$WEB" -r 64 -p \
	--boot "kernel=$GUEST,cmdline=workload=ping ip=10.60.0.2/24" \
	-w "bridge=$UPLINK,vlanid=5,capped-bandwidth=100M" --autostart \
	--noautoconsole 2>&1) || {
	echo "$out"; tail -n 20 "$TMP/xvmd.log"; fail "xvm-install failed"
}
echo "$out"
id=$(sed -n "s/^Domain $WEB started with id \([0-9]*\)\.$/\1/p" <<<"$out")
[ -n "$id" ] || fail "xvm-install did not print the domain id"
grep -q "NIC 0: VNIC xvm${id}_0 over $UPLINK, .*VLAN 5, cap 100 Mb/s" <<<"$out" ||
	fail "xvm-install did not report the VNIC xvm${id}_0"
virsh list | grep -Eq "^ *$id +$WEB +running *$" || { virsh list; fail "virsh list: $WEB not running with id $id"; }
virsh dominfo "$WEB" | grep -Eq '^Autostart: *enable' || fail "$WEB: autostart not set"
pass "$WEB defined, running with id $id, autostart on"

row=$("$VNICADM" show-vnic -p -o link,over,speed,vid "xvm${id}_0") ||
	fail "vnicadm show-vnic xvm${id}_0 failed"
[ "$row" = "xvm${id}_0:$UPLINK:100:5" ] || { "$VNICADM" show-vnic; fail "show-vnic: '$row', expected xvm${id}_0:$UPLINK:100:5"; }
pass "show-vnic: $row"
xml=$(virsh dumpxml "$WEB")
grep -q "<target dev='xvm${id}_0'/>" <<<"$xml" || { echo "$xml"; fail "dumpxml lacks the live VNIC name"; }

ok=0
for ((i = 0; i < 15; i++)); do
	ns_ping "$(nsn h5)" 10.60.0.2 2 && { ok=1; break; }
done
[ "$ok" = 1 ] || { tail -n 20 "$TMP/xvmd.log"; fail "$WEB does not answer pings from the VLAN-5 LAN host"; }
pass "$WEB answers pings from the LAN host on VLAN 5"
