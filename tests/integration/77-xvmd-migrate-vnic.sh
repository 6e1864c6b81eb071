#!/bin/bash
# Stock `virsh migrate --live` of a domain with a guest NIC between two
# xvmd "hosts" (issue 9's main scenario). Hosts A and B are network
# namespaces as in 74-hv-migrate-vnic: each has an uplink phys0 into a
# LAN namespace (bridge br0, LAN host h on VLAN 5), its own vswitchd and
# its own xvmd (own XVM_RUNDIR/XVM_STATEDIR), the xvmd listening on the
# host's management address (a second veth mgmt0 into the LAN) with
# --tcp-allow and --relocation-hosts-allow naming the other host. The
# domain has <interface type='bridge'> over phys0 with a MAC, VLAN 5 and
# a <bandwidth> cap; its guest answers pings and runs memcheck. virsh
# runs on host A (source by unix socket, destination by TCP).
# First a destination without the link the interface names: prepare
# refuses the migration with vswitchd's reason, the guest runs on at A
# with its VNIC. Then the migration A -> B while h pings every 50 ms.
# Checked: virsh exits 0; B lists the domain running, A no longer; B has
# a VNIC with the same MAC, VLAN 5 and maxbw, A none; h's pings are
# answered after the switch-over through B (B's VNIC counts the replies);
# a RARP from the guest's MAC crosses B's uplink; memcheck counts on
# with its pattern intact. The largest gap between replies is printed,
# not judged.
# timeout: 420
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
require_kvm
net_require

XVMD=$BIN/xvmd
GADDR=10.77.0.1
MAC=52:54:00:77:00:01
MAC_S=52:54:0:77:0:1	# as the guest prints it
CG=xvmtest$$
MG_A=10.77.1.1 MG_B=10.77.1.2

# vsw_stop_pid PID / xvmd_stop_pid PID: SIGTERM, then SIGKILL.
vsw_stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	wait_pid "$1" 15 || kill -9 "$1"
}

# _host_cleanup HOST: kill what HOST's xvmd started, remove its cgroup.
_host_cleanup() {
	local f
	for f in "$TMP/$1/run"/hv/*.pid; do
		[ -e "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	sleep 0.3
	for f in /sys/fs/cgroup/*/"$CG$1"/* /sys/fs/cgroup/*/"$CG$1"; do
		[ -d "$f" ] && rmdir "$f" 2>/dev/null
	done
	true
}

# host_start HOST MGMT_ADDR: namespace $(nsn HOST) with a management
# interface mgmt0 (peer lm_HOST on the LAN bridge) with MGMT_ADDR/24 and a
# vswitchd of its own; run and state directories under $TMP/HOST.
host_start() {
	local h=$1 ns dir=$TMP/$1
	ns=$(nsn "$h")
	mkdir -p "$dir/run" "$dir/state"
	ns_add "$h"
	topo -n "$LAN_NS" veth "lm_$h" mgmt0 "$ns"
	topo -n "$LAN_NS" master "lm_$h" br0
	topo -n "$LAN_NS" up "lm_$h"
	topo -n "$ns" up mgmt0
	topo -n "$ns" addr mgmt0 "$2/24"
	XVM_RUNDIR=$dir/run XVM_STATEDIR=$dir/state "$NETTOPO" -n "$ns" exec \
		"$VSWITCHD" ${VSWITCHD_ARGS:-} </dev/null >>"$dir/vswitchd.log" 2>&1 &
	at_exit "vsw_stop_pid $!"
	XVM_RUNDIR=$dir/run _vsw_note_dpdk_dirs
	wait_socket "$dir/run/vswitchd.sock" 30 || {
		tail -n 20 "$dir/vswitchd.log"; fail "vswitchd of host $h: no control socket after 30 s"
	}
}

# host_uplink HOST: HOST's uplink phys0, its peer lp_HOST on the LAN
# bridge (vswitchd attaches it when a VNIC first names it).
host_uplink() {
	local ns
	ns=$(nsn "$1")
	topo -n "$LAN_NS" veth "lp_$1" phys0 "$ns"
	topo -n "$LAN_NS" master "lp_$1" br0
	topo -n "$LAN_NS" txcsum "lp_$1" off	# complete checksums, see lan_create
	topo -n "$LAN_NS" up "lp_$1"
	topo -n "$ns" up phys0
}

# xvmd_at HOST ADDR PEER: HOST's xvmd on ADDR, taking clients and
# streams from PEER. Its pid in XPID_HOST.
xvmd_at() {
	local h=$1 dir=$TMP/$1
	XVM_RUNDIR=$dir/run XVM_STATEDIR=$dir/state "$NETTOPO" -n "$(nsn "$h")" exec \
		"$XVMD" --cgroup "$CG$h" --stop-timeout 10 --listen "$2" \
		--tcp-allow "$3" --relocation-hosts-allow "$3" \
		</dev/null >>"$dir/xvmd.log" 2>&1 &
	eval "XPID_$h=$!"
	at_exit "_host_cleanup $h"
	at_exit "kill -9 $! 2>/dev/null"
	wait_socket "$dir/run/libvirt-sock" 10 || {
		tail -n 20 "$dir/xvmd.log"; fail "xvmd of host $h: no socket after 10 s"; }
}

# VA ARGS...: virsh on host A, to A's xvmd; VB: to B's (over TCP from A).
VA() { timeout 120 "$NETTOPO" -n "$(nsn a)" exec virsh -q -c "xvm+unix:///system?socket=$TMP/a/run/libvirt-sock" "$@"; }
VB() { timeout 120 "$NETTOPO" -n "$(nsn a)" exec virsh -q -c "xvm+tcp://$MG_B/system" "$@"; }
# vnicadm_at HOST ARGS...: vnicadm in HOST's namespace against its vswitchd.
vnicadm_at() { local h=$1; shift; XVM_RUNDIR=$TMP/$h/run "$NETTOPO" -n "$(nsn "$h")" exec "$VNICADM" "$@"; }
vnic_stat_at() {
	"$RPC" -t 10000 "$TMP/$1/run/vswitchd.sock" vnic.list "{\"name\":\"$2\",\"stats\":true}" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["vnics"][0]["stats"].get(sys.argv[1], 0))' "$3"
}
conlog_at() { echo "$TMP/$1/run/console/$2.log"; }
last_n() { sed -n 's/^guest: memcheck n=\([0-9]*\).*/\1/p' "$1" | tail -n 1; }
wait_n() {	# LOG N: a memcheck round numbered N or more printed
	local end n; end=$(deadline_in 120)
	while before "$end"; do
		n=$(last_n "$1")
		[ -n "$n" ] && [ "$n" -ge "$2" ] && return 0
		sleep 0.2
	done
	tail -n 5 "$1"; fail "$1: no memcheck round n >= $2"
}
intact() {
	grep -E '^guest: memcheck n=.*(BAD|[1-9][0-9]* bad words)' "$1" &&
		fail "memcheck found damaged memory ($1)"
	grep -q ' ok (0 bad words)$' "$1" || fail "no intact memcheck round in $1"
}
# the guest's VNIC on HOST: "NAME MAC VID" from show-vnic, empty if none
vnic_of() {
	vnicadm_at "$1" show-vnic -p -o link,macaddress,vid |
		sed -n 's/\\:/-/g; s/^\(xvm[^:]*\):\([^:]*\):\([^:]*\)$/\1 \2 \3/p' | tr - :
}

# A failure shows both xvmd's last lines.
_fail0=$(declare -f fail)
eval "_fail_lib${_fail0#fail}"
fail() {
	local h
	for h in a b; do
		echo "--- xvmd $h log (last lines):"
		tail -n 15 "$TMP/$h/xvmd.log" 2>/dev/null
	done
	_fail_lib "$@"
}

ns_add lan
topo -n "$LAN_NS" bridge br0
topo -n "$LAN_NS" up br0
lan_host h
lan_host_vlan "$(nsn h)" 5 10.77.0.10/24
host_start a "$MG_A"
host_uplink a
host_start b "$MG_B"	# without phys0 for now
xvmd_at a "$MG_A" "$MG_B"
xvmd_at b "$MG_B" "$MG_A"
in_ns "$(nsn a)" ping -n -c 1 -W 2 "$MG_B" >/dev/null || fail "host a cannot reach host b's management address"

cat >"$TMP/nic.xml" <<XML
<domain type='xvm'>
  <name>mn</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type>xen</type>
    <kernel>$GUEST</kernel>
    <cmdline>workload=ping,memcheck ip=$GADDR/24</cmdline>
  </os>
  <devices>
    <console type='pty'/>
    <interface type='bridge'>
      <source bridge='phys0'/>
      <mac address='$MAC'/>
      <vlan><tag id='5'/></vlan>
      <bandwidth><inbound average='12500'/><outbound average='12500'/></bandwidth>
    </interface>
  </devices>
</domain>
XML
VA create "$TMP/nic.xml" >/dev/null || fail "virsh create mn on host a"
ca=$(conlog_at a mn) cb=$(conlog_at b mn)
wait_for_line "$ca" "^guest: nic0 mac=$MAC_S link=up ip=$GADDR/24" 120 || { tail -n 5 "$ca"; fail "mn's NIC did not come up"; }
wait_n "$ca" 2
ns_ping "$(nsn h)" "$GADDR" 3 || fail "the LAN host cannot ping mn on host a"
vn_a=$(vnic_of a)
read -r va mac_a vid_a <<<"$vn_a"
[ "$(canon_mac "$mac_a")" = "$MAC" ] && [ "$vid_a" = 5 ] || fail "host a's VNIC: '$vn_a'"
bw_a=$(vnicadm_at a show-linkprop -c -o value -p maxbw "$va")
[ "${bw_a%M}" = 100 ] || fail "A's $va maxbw '$bw_a', expected 100M (<bandwidth> 12500 KB/s)"
pass "mn runs on host a with $va ($MAC, VLAN 5, maxbw $bw_a); the LAN host pings it"

# failure: host B has no link phys0
out=$(VA migrate --live mn "xvm+tcp://$MG_B/system" 2>&1) && fail "migration to a host without phys0 succeeded"
echo "$out" | grep -q "vnic creation over phys0 failed" || fail "no link: '$out'"
[ "$(VA domstate mn)" = running ] || fail "mn on A after the refused migration: $(VA domstate --reason mn)"
VB domstate mn >/dev/null 2>&1 && fail "B has mn after the refused migration: $(VB domstate --reason mn)"
[ -z "$(vnic_of b)" ] || fail "B has a guest VNIC after the refused migration: $(vnic_of b)"
[ "$(vnic_of a)" = "$vn_a" ] || fail "A's VNIC after the refused migration: '$(vnic_of a)', was '$vn_a'"
n=$(last_n "$ca")
wait_n "$ca" $((n + 1))
ns_ping "$(nsn h)" "$GADDR" 3 || fail "mn does not answer after the refused migration"
pass "destination without phys0: '$(echo "$out" | head -n 1)'; mn runs on at A with $va, nothing on B"


# B gets its uplink; h pings every 50 ms during the migration
host_uplink b
cap_start "$LAN_NS" lp_b "$TMP/lp_b.pcap"
cap_b=$CAP_PID
"$NETTOPO" -n "$(nsn h)" exec ping -n -D -i 0.05 -W 1 "$GADDR" >"$TMP/ping.log" 2>&1 &
ping_pid=$!
at_exit "kill $ping_pid 2>/dev/null"
wait_for_line "$TMP/ping.log" 'bytes from' 30 || { cat "$TMP/ping.log"; fail "no ping reply before the migration"; }

VA migrate --live mn "xvm+tcp://$MG_B/system" >"$TMP/mig.out" 2>&1 ||
	{ cat "$TMP/mig.out"; tail -n 5 "$TMP/a/run/hv/mn.log" "$TMP/b/run/hv/mn.log" 2>/dev/null; fail "virsh migrate --live mn xvm+tcp://$MG_B/system"; }
t_done=$EPOCHREALTIME
n_a=$(last_n "$ca")
VA domstate mn >/dev/null 2>&1 && fail "mn still on A: $(VA domstate --reason mn)"
[ "$(VB domstate --reason mn)" = "running (migrated)" ] || fail "mn on B: $(VB domstate --reason mn 2>&1)"
VB list | grep -q ' mn .*running' || fail "B's list: $(VB list)"
VA list --all | grep -q ' mn ' && fail "A still lists mn: $(VA list --all)"
pass "virsh migrate --live mn xvm+tcp://$MG_B/system: running (migrated) on B, gone from A"

vn_b=$(vnic_of b)
read -r vb mac_b vid_b <<<"$vn_b"
[ -n "$vb" ] && [ "$(canon_mac "$mac_b")" = "$MAC" ] && [ "$vid_b" = 5 ] ||
	{ vnicadm_at b show-vnic; fail "B's VNIC: '$vn_b', expected MAC $MAC VLAN 5"; }
bw_b=$(vnicadm_at b show-linkprop -c -o value -p maxbw "$vb")
[ "$bw_b" = "$bw_a" ] || fail "B's $vb maxbw '$bw_b', A's was '$bw_a'"
[ -z "$(vnic_of a)" ] || fail "A still has a guest VNIC: $(vnic_of a)"
VB dumpxml mn | grep -q "<target dev='$vb'/>" || fail "B's dumpxml does not name $vb"
pass "B has $vb: MAC $MAC, VLAN 5, maxbw $bw_b; A's $va is gone"

wait_n "$cb" $((n_a + 2))
first=$(sed -n 's/^guest: memcheck n=\([0-9]*\).*/\1/p' "$cb" | head -n 1)
[ -n "$first" ] && [ "$first" -gt "$n_a" ] || fail "B's first round n=$first, not after A's n=$n_a"
intact "$ca"; intact "$cb"
grep -Eq '^minios: xvm PV guest|^guest: ready' "$cb" && fail "mn booted again on B"
pass "memcheck goes on on B (n=$n_a -> $first), pattern intact, no second boot"

# pings answered after the switch-over
end=$(deadline_in 30)
while before "$end"; do
	last=$(sed -n 's/^\[\([0-9.]*\)\] .* bytes from .*/\1/p' "$TMP/ping.log" | tail -n1)
	[ -n "$last" ] && awk -v l="$last" -v d="$t_done" 'BEGIN { exit !(l > d) }' && break
	sleep 0.2
done
kill -INT "$ping_pid"
wait_pid "$ping_pid" 10 || fail "ping still running 10 s after SIGINT"
awk -v l="${last:-0}" -v d="$t_done" 'BEGIN { exit !(l > d) }' ||
	{ tail -n 5 "$TMP/ping.log"; fail "no ping answered after the switch-over"; }
grep -E 'packets transmitted' "$TMP/ping.log" | sed 's/^/  ping: /'
gap=$(sed -n 's/^\[\([0-9.]*\)\] .* bytes from .*/\1/p' "$TMP/ping.log" |
	awk 'NR > 1 && $1 - p > g { g = $1 - p } { p = $1 } END { printf "%.0f", g * 1000 }')
echo "  largest gap between ping replies during the migration: $gap ms (interval 50 ms)"
pass "the LAN host's pings are answered after the switch-over"

ob=$(vnic_stat_at b "$vb" opackets)
ns_ping "$(nsn h)" "$GADDR" 5 || fail "the LAN host cannot ping mn on B"
ob2=$(vnic_stat_at b "$vb" opackets)
[ "$((ob2 - ob))" -ge 5 ] || fail "5 more pings: $vb on B sent $((ob2 - ob)) frames"
pass "replies leave through B: $vb opackets +$((ob2 - ob))"
cap_stop "$cap_b"
cap_show "$TMP/lp_b.pcap" | grep -i "^[0-9:.]* $MAC > .*vlan 5,.*ICMP echo reply" >/dev/null ||
	{ cap_show "$TMP/lp_b.pcap" | head -20; fail "no VLAN 5 echo reply from $MAC on the LAN side of B's uplink"; }
rarp=$(cap_show "$TMP/lp_b.pcap" | grep -i "^[0-9:.]* $MAC > ff:ff:ff:ff:ff:ff, .*Reverse ARP")
[ -n "$rarp" ] || { cap_show "$TMP/lp_b.pcap" | head -20; fail "no RARP from $MAC on the LAN side of B's uplink"; }
pass "B announced mn: $(echo "$rarp" | head -n1 | cut -c 17-)"

VB destroy mn >/dev/null || fail "destroy mn on B"
[ -z "$(vnic_of b)" ] || fail "B's VNIC left after destroy: $(vnic_of b)"
pass "destroy on B removed $vb"
