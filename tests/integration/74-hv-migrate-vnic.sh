#!/bin/bash
# Live migration of a guest on a vhost-user VNIC between two "hosts" on
# this machine (issue 9). Host A and host B are network namespaces, each
# with its own vswitchd (own run and state directories) and an uplink
# (veth phys0) into a LAN namespace, where a bridge joins them and a LAN
# host h lives. The guest (`ping` and `memcheck`) runs on A on a guest
# VNIC over A's uplink; B has a guest VNIC with the same MAC, and the
# destination hv waits there with --incoming. h pings the guest every
# 50 ms while the source hv migrates it (vswitchd A logs the frames it
# writes into guest memory in hv's dirty log: SET_LOG_BASE, LOG_ALL).
# First a migration to a destination without the NIC fails after the
# switch-over began: the guest runs on at A, its NIC answering.
# Checked: the migration succeeds and the source hv exits 0; the guest
# goes on counting on B with its memory pattern intact; B's vswitchd
# announced the guest's MAC with a RARP on the LAN (DPDK's SEND_RARP);
# h's pings are answered after the switch-over through B (B's VNIC
# counts the replies, A's none, the LAN side of B's uplink carries
# them). The round sizes, the last pass and the largest gap between
# replies are printed, not judged.
# timeout: 420
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
require_kvm
net_require

GADDR=10.74.0.1
mig=$TMP/mig.sock

# vsw_at HOST METHOD [PARAMS]: a call on HOST's vswitchd control socket.
vsw_at() { local h=$1; shift; "$RPC" -t 10000 "$TMP/$h/run/vswitchd.sock" "$@"; }

# vsw_stop_pid PID: SIGTERM, 15 s to exit, then SIGKILL.
vsw_stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	wait_pid "$1" 15 || kill -9 "$1"
}

# host_start HOST: namespace $(nsn HOST) with an uplink phys0 whose peer
# lp_HOST is on the LAN bridge, and a vswitchd of its own inside it with
# run and state directories under $TMP/HOST.
host_start() {
	local h=$1 ns dir=$TMP/$1
	ns=$(nsn "$h")
	mkdir -p "$dir/run" "$dir/state"
	ns_add "$h"
	topo -n "$LAN_NS" veth "lp_$h" phys0 "$ns"
	topo -n "$LAN_NS" master "lp_$h" br0
	topo -n "$LAN_NS" txcsum "lp_$h" off	# complete checksums, see lan_create
	topo -n "$LAN_NS" up "lp_$h"
	topo -n "$ns" up phys0
	# nettopo execs it: $! is vswitchd's pid
	XVM_RUNDIR=$dir/run XVM_STATEDIR=$dir/state "$NETTOPO" -n "$ns" exec \
		"$VSWITCHD" ${VSWITCHD_ARGS:-} </dev/null >>"$dir/vswitchd.log" 2>&1 &
	at_exit "vsw_stop_pid $!"
	XVM_RUNDIR=$dir/run _vsw_note_dpdk_dirs
	wait_socket "$dir/run/vswitchd.sock" 30 || {
		tail -n 20 "$dir/vswitchd.log"; fail "vswitchd of host $h: no control socket after 30 s"
	}
}

# guest_vnic_at HOST NAME [JSON]: a temporary guest VNIC over HOST's
# uplink; sets SOCK and MAC.
guest_vnic_at() {
	local r
	r=$(vsw_at "$1" vnic.create "{\"name\":\"$2\",\"link\":\"phys0\",\"kind\":\"guest\",\"temporary\":true${3:-}}") ||
		{ tail -n 20 "$TMP/$1/vswitchd.log"; fail "host $1: vnic.create $2 failed: $r"; }
	SOCK=$(echo "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin)["socket"])')
	MAC=$(echo "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mac"])')
	[ -S "$SOCK" ] || fail "$2: no vhost-user socket at '$SOCK'"
}

# vnic_stat_at HOST NAME KEY: a counter of VNIC NAME on HOST's vswitchd.
vnic_stat_at() {
	vsw_at "$1" vnic.list "{\"name\":\"$2\",\"stats\":true}" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["vnics"][0]["stats"].get(sys.argv[1], 0))' "$3"
}

# migrate_field NAME: a member of the migrate result in $TMP/out.
migrate_field() {
	head -n1 "$TMP/out" | python3 -c 'import json, sys
v = json.load(sys.stdin)[sys.argv[1]]
print(" ".join(map(str, v)) if isinstance(v, list) else v)' "$1"
}

ns_add lan
topo -n "$LAN_NS" bridge br0
topo -n "$LAN_NS" up br0
lan_host h 10.74.0.10/24
host_start a
host_start b
va=$(vname 1) vb=$(vname 2)
guest_vnic_at a "$va"; sock_a=$SOCK mac=$MAC
guest_vnic_at b "$vb" ",\"mac\":\"$mac\""; sock_b=$SOCK
[ "$MAC" = "$mac" ] || fail "host b's VNIC got MAC $MAC, not $mac"
m=$(canon_mac "$mac")
pass "host a: $va, host b: $vb, both $mac"

start_hv src --memory 64 --vcpus 1 --kernel "$GUEST" --net "vnic=$sock_a,mac=$mac" \
	--cmdline "workload=ping,memcheck ip=$GADDR/24"
src_pid=$HV_PID
expect_console src "^guest: nic0 mac=$mac link=up ip=$GADDR/24" 60
expect_console src '^guest: memcheck n=2 ok' 120
ns_ping "$(nsn h)" "$GADDR" 3 || { show src; fail "the LAN host cannot ping the guest on host a"; }
pass "the LAN host pings the guest on host a ($va opackets=$(vnic_stat_at a "$va" opackets))"

# A migration that fails (a destination without the NIC refuses the
# stream at its configuration, before any RAM is written, and says why):
# the source turns the backend's log off, and its guest runs on with a
# working NIC.
start_hv bad --memory 64 --vcpus 1 --incoming "unix:$TMP/bad.sock"
bad_pid=$HV_PID
wait_socket "$TMP/bad.sock" 60 || { show bad; fail "bad destination not listening"; }
"$RPC" -t 300000 "$TMP/run/src.sock" migrate "{\"uri\":\"unix:$TMP/bad.sock\"}" >"$TMP/out" 2>"$TMP/err" &&
	{ cat "$TMP/out"; fail "migrate to a destination without the NIC succeeded"; }
grep -q 'destination refused the stream: configuration mismatch' "$TMP/err" || { cat "$TMP/err"; fail "refusal not reported"; }
HV_PID=$bad_pid expect_exit bad 60 1
oa=$(vnic_stat_at a "$va" opackets)
ns_ping "$(nsn h)" "$GADDR" 3 || { show src; fail "the guest's NIC is dead after the failed migration"; }
[ "$(vnic_stat_at a "$va" opackets)" -gt "$oa" ] || fail "$va carried no reply after the failed migration"
n=$(sed -n 's/^guest: memcheck n=\([0-9]*\).*$/\1/p' "$TMP/src.console" | tail -n1)
expect_console src "^guest: memcheck n=$((n + 1)) ok" 60
pass "failed migration ($(cat "$TMP/err")): the guest runs on host a, its NIC answers"

start_hv dst --memory 64 --vcpus 1 --net "vnic=$sock_b,mac=$mac" --incoming "unix:$mig"
dst_pid=$HV_PID
wait_socket "$mig" 60 || { show dst; fail "destination not listening"; }
cap_start "$LAN_NS" "lp_b" "$TMP/lp_b.pcap"
cap_b=$CAP_PID
# 20 pings a second from the LAN host for the whole migration
"$NETTOPO" -n "$(nsn h)" exec ping -n -D -i 0.05 -W 1 "$GADDR" >"$TMP/ping.log" 2>&1 &
ping_pid=$!
at_exit "kill $ping_pid"
wait_for_line "$TMP/ping.log" 'bytes from' 30 || { cat "$TMP/ping.log"; fail "no ping reply before the migration"; }

t_mig=$EPOCHREALTIME
"$RPC" -t 300000 -e 30 "$TMP/run/src.sock" migrate "{\"uri\":\"unix:$mig\"}" >"$TMP/out" 2>"$TMP/err" ||
	{ cat "$TMP/out" "$TMP/err"; show src; show dst; tail -n 20 "$TMP/a/vswitchd.log"; fail "migrate failed"; }
t_done=$EPOCHREALTIME
head -n1 "$TMP/out"
grep -q '"state":"shutoff","reason":"migrated"' "$TMP/out" || fail "no shutoff/migrated event"
HV_PID=$src_pid expect_exit src 60 0
grep -q 'in flight lost' "$TMP/src.err" && { show src; fail "descriptors were in flight at the switch-over"; }
echo "  migration took $(awk -v a="$t_mig" -v b="$t_done" 'BEGIN { printf "%.1f", b - a }') s:" \
	"rounds $(migrate_field rounds), pages sent $(migrate_field pages)," \
	"dirty pages per round [$(migrate_field round_pages)]," \
	"last pass (vCPUs paused) $(migrate_field final_pages) pages of 16384," \
	"pages only hv's log had (devices, vswitchd) $(migrate_field hv_pages)"
[ "$(migrate_field final_pages)" -lt 16384 ] ||
	fail "the last pass sent every page: hv's own writes were not logged"
pass "the last pass sent only the pages dirty again: $(migrate_field final_pages)"

# the guest goes on on host b (as 73: counts above the source's, pattern kept)
saved_n=$(sed -n 's/^guest: memcheck n=\([0-9]*\).*$/\1/p' "$TMP/src.console" | tail -n1)
HV_PID=$dst_pid
expect_console dst '^guest: memcheck n=[0-9]* ok \(0 bad words\)$' 120
first_n=$(sed -n 's/^guest: memcheck n=\([0-9]*\) .*$/\1/p' "$TMP/dst.console" | head -n1)
[ -n "$first_n" ] && [ "$first_n" -gt "$saved_n" ] ||
	{ show dst; fail "destination's first count n=$first_n, not after the source's n=$saved_n"; }
expect_console dst "^guest: memcheck n=$((first_n + 1)) ok \\(0 bad words\\)\$" 60
grep -q 'BAD' "$TMP/dst.console" && { show dst; fail "memory pattern broken after migration"; }
grep -Eq '^minios: xvm PV guest|^guest: ready' "$TMP/dst.console" &&
	{ show dst; fail "the migrated guest booted again"; }
pass "migrated guest continues on host b: n=$first_n after n=$saved_n, pattern verified"

# pings answered after the switch-over: a reply stamped after the
# migrate call returned
end=$(deadline_in 30)
while before "$end"; do
	last=$(sed -n 's/^\[\([0-9.]*\)\] .* bytes from .*/\1/p' "$TMP/ping.log" | tail -n1)
	[ -n "$last" ] && awk -v l="$last" -v d="$t_done" 'BEGIN { exit !(l > d) }' && break
	sleep 0.2
done
kill -INT "$ping_pid"
wait_pid "$ping_pid" 10 || fail "ping still running 10 s after SIGINT"
awk -v l="${last:-0}" -v d="$t_done" 'BEGIN { exit !(l > d) }' ||
	{ tail -n 5 "$TMP/ping.log"; show dst; fail "no ping answered after the switch-over"; }
grep -E 'packets transmitted' "$TMP/ping.log" | sed 's/^/  ping: /'
gap=$(sed -n 's/^\[\([0-9.]*\)\] .* bytes from .*/\1/p' "$TMP/ping.log" |
	awk 'NR > 1 && $1 - p > g { g = $1 - p } { p = $1 } END { printf "%.0f", g * 1000 }')
echo "  largest gap between ping replies during the migration: $gap ms (interval 50 ms)"
pass "the LAN host's pings are answered after the switch-over"

# and they go through host b: its VNIC carries the replies, host a's none
oa=$(vnic_stat_at a "$va" opackets) ob=$(vnic_stat_at b "$vb" opackets)
ns_ping "$(nsn h)" "$GADDR" 5 || { show dst; fail "the LAN host cannot ping the migrated guest"; }
oa2=$(vnic_stat_at a "$va" opackets) ob2=$(vnic_stat_at b "$vb" opackets)
[ "$((ob2 - ob))" -ge 5 ] && [ "$oa2" = "$oa" ] ||
	fail "5 more pings: $vb (host b) sent $((ob2 - ob)) frames, $va (host a) $((oa2 - oa)); expected >= 5 and 0"
pass "replies leave through host b: $vb opackets +$((ob2 - ob)), $va +0"
cap_stop "$cap_b"
cap_show "$TMP/lp_b.pcap" | grep -i "^[0-9:.]* $m > .*ICMP echo reply" >/dev/null ||
	{ cap_show "$TMP/lp_b.pcap" | head -20; fail "no echo reply from $m on the LAN side of host b's uplink"; }
rarp=$(cap_show "$TMP/lp_b.pcap" | grep -i "^[0-9:.]* $m > ff:ff:ff:ff:ff:ff, ethertype Reverse ARP")
[ -n "$rarp" ] || { cap_show "$TMP/lp_b.pcap" | head -20; show dst; fail "no RARP from $m on the LAN side of host b's uplink"; }
pass "host b announced the guest: $(echo "$rarp" | head -n1 | cut -c 17-)"

"$BIN/hvctl" -s "$XVM_RUNDIR/dst.sock" destroy || fail "destroy of the destination"
expect_exit dst 60 0
