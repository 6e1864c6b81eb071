#!/bin/bash
# vswitchd killed (kill -9) and restarted while a LAN host pings a PV
# guest (every 0.2 s) on a persistent guest VNIC over the uplink: the
# guest's first reply comes within 2 s (6 s in the nested test VM, see
# below) of the new vswitchd being back
# (the guest VNIC's vhost-user socket there again, which is what hv
# reconnects to; the time from starting vswitchd is printed too). hv
# never stops (same pid throughout) and rebuilds the vhost-user session
# by itself; the guest keeps running: it sees its link go down while
# vswitchd is gone and come back up, its pinger towards the LAN host
# (started before the kill) finishes and reports, and it answers the LAN
# host at the end.
# timeout: 150
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
require_kvm
net_require
lan_create
lan_host h 10.43.0.10/24
vsw_start
g=$(vname 1)
# Persistent, so the new vswitchd re-creates it (same MAC and socket).
vna create-vnic -k guest -l "$UPLINK" "$g"
SOCK=$(vsw_rpc vnic.list "{\"name\":\"$g\"}" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["vnics"][0]["socket"])')
MAC=$(vnic_mac "$g")
[ -S "$SOCK" ] || fail "$g: no vhost-user socket at '$SOCK'"
guest_start g "$SOCK" "$MAC" \
	"workload=ping,pinger ip=10.43.0.1/24 peer=10.43.0.10 interval_ms=500 secs=25"
pid=$HV_PID
expect_console g "^guest: nic0 mac=$MAC link=up" 30
ns_ping "$(nsn h)" 10.43.0.1 3 || { show g; fail "the LAN host cannot ping the guest before the restart"; }
pass "the LAN host pings the guest"

# ping -D: each reply line starts with [epoch.usec].
# Not -w: with a deadline, iputils ping exits at its first error, and a
# restart that takes long enough (seconds in the nested VM) for the LAN
# host's neighbour entry to fail gives "Destination Host Unreachable".
# Stopped with SIGINT (it prints its statistics) once the checks are done.
in_ns "$(nsn h)" timeout $((120 * WAIT_SCALE)) ping -n -D -i 0.2 -W 1 10.43.0.1 >"$TMP/ping.out" 2>&1 &
ping_pid=$!
at_exit "kill $ping_pid"
wait_for_line "$TMP/ping.out" 'icmp_seq=' 10 || fail "no replies to the LAN host's ping before the kill"
sleep 1
old=$VSW_PID
kill -9 "$old"
wait "$old" 2>/dev/null
VSW_PID=
t_kill=$(date +%s.%N)
pass "vswitchd (pid $old) killed with SIGKILL"
sleep 2
kill -0 "$pid" || { show g; fail "hv exited when vswitchd was killed"; }
# The dead daemon's sockets stay behind; vsw_start waits for the new
# control socket, and vswitchd is back for hv once the VNIC's vhost-user
# socket is there again (polled every 10 ms meanwhile).
rm -f "$XVM_RUNDIR/vswitchd.sock" "$SOCK"
( end=$(deadline_in 30)
  while before "$end"; do
	[ -S "$SOCK" ] && { echo "$EPOCHREALTIME" >"$TMP/t_back"; exit 0; }
	sleep 0.01
  done ) &
t_start=$(date +%s.%N)
vsw_start
wait_for_line "$TMP/t_back" . 30 || fail "$g: no vhost-user socket after the restart"
t_back=$(cat "$TMP/t_back")

# first_reply_after T: epoch time of the first ping reply after T.
first_reply_after() {
	sed -n 's/^\[\([0-9.]*\)\] .*icmp_seq=.*time=.*/\1/p' "$TMP/ping.out" |
		awk -v t="$1" '$1 > t { print; exit }'
}
end=$(deadline_in 10)
while before "$end"; do
	t_reply=$(first_reply_after "$t_back")
	[ -n "$t_reply" ] && break
	sleep 0.1
done
[ -n "$t_reply" ] || { tail -n 5 "$TMP/ping.out"; show g; tail -n 20 "$TMP/vswitchd.log"; fail "no reply within 10 s of vswitchd being back"; }
d() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
after=$(d "$t_back" "$t_reply")
echo "  vswitchd started $(d "$t_kill" "$t_start") s after the kill, back (VNIC socket) $(d "$t_start" "$t_back") s later;"
echo "  first reply $after s after that ($(d "$t_start" "$t_reply") s after the start): replies gone $(d "$t_kill" "$t_reply") s in all"
grep -q 'backend back after' "$TMP/g.err" && sed -n 's/^hv\[g\]: warning: .*: \(backend back after .*\)/  hv: \1/p' "$TMP/g.err"
# The promise is judged natively: 2 s (DPDK's vhost thread takes a new
# socket at its next 1 s poll, then hv's retry and handshake). In the
# nested VM every one of those steps is emulated and runs about 3 times
# slower (measured 0.7-2.0 s there on a quiet machine), so it is given
# 2 s times the VM's time scale; a guest that never answers again (or
# only after the LAN host's neighbour entry is rebuilt) fails either way.
limit=$((2 * WAIT_SCALE))
if ! awk -v d="$after" -v l="$limit" 'BEGIN { exit !(d <= l) }'; then
	tail -n 30 "$TMP/vswitchd.log"; cat "$TMP/g.err"
	sed -n 's/^\[\([0-9.]*\)\] /\1 /p' "$TMP/ping.out" | awk -v a="$t_back" '{ printf "%+.2f %s\n", $1 - a, $0 }' | tail -n 30
	fail "first reply $after s after vswitchd was back (more than $limit s)"
fi
pass "replies resume $after s after vswitchd is back"

kill -0 "$pid" || { show g; fail "hv exited"; }
[ "$(hv_ctl g status | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["pid"], r["state"])')" = "$pid running" ] ||
	fail "hv status is not 'running' with pid $pid"
pass "hv still running, same pid $pid"
expect_console g '^guest: pinger sent=' 40
links=$(grep -E '^guest: nic0 link=(up|down)$' "$TMP/g.console" | tr '\n' ' ')
[ "$links" = "guest: nic0 link=down guest: nic0 link=up " ] ||
	{ show g; fail "the guest's link changes were '$links', expected down then up"; }
pass "the guest saw its link go down and come back up"
# SIGINT to ping itself (timeout(1) between us does not pass it on).
for p in $("$NETTOPO" netns-pids "$(nsn h)"); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = ping ] && kill -INT "$p"
done
wait_pid "$ping_pid" 15 || fail "the LAN host's ping did not stop on SIGINT"
grep -E 'packets transmitted' "$TMP/ping.out" | sed 's/^/  LAN host: /'
ns_ping "$(nsn h)" 10.43.0.1 3 || { show g; fail "the guest does not answer at the end"; }
pass "the guest still answers at the end"
