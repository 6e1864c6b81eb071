#!/bin/bash
# vnicadm snoop: captures of host VNICs in namespaces, read back with
# tshark. Two VNICs over an etherstub ping each other while three captures
# run at once (v1 whole, v1 with the filter "icmp", v2 as summary lines):
# v1's pcap holds the echo requests (v1's MAC to v2's) and replies (back)
# and the ARP exchange, the filtered one the same ICMP frames and no ARP.
# -c 5 stops by itself after 5 frames; "-o -" streams pcap into
# "tshark -r -". A reader that stops reading (SIGSTOP) leaves a fast ping
# without loss while vswitchd counts the frames it could not keep; 200
# captures started and killed leave vswitchd's mbufs and memory where
# they were. An uplink capture shows a VLAN VNIC's frames tagged, as on
# the wire; guest VNICs (virtio-user endpoints in place of guests) are
# captured too. Deleting a link ends its capture. Bad input (filter, link,
# count, snap length, raw filters over the socket) gets clear errors and
# vswitchd keeps serving; it stops cleanly with captures running.
# timeout: 300
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
command -v tshark >/dev/null || fail "tshark is not installed (make deps)"
[ -x "$VUSER" ] || fail "$VUSER is not built"
lan_create
lan_host lh 10.39.1.10/24
vsw_start
stub=$(vname 9)
v1=$(vname 1) v2=$(vname 2) v3=$(vname 3) v4=$(vname 4)
vna create-etherstub -t "$stub"
host_vnic "$v1" "$stub" a 10.39.0.1/24
host_vnic "$v2" "$stub" b 10.39.0.2/24
m1=$(canon_mac "$(vnic_mac "$v1")") m2=$(canon_mac "$(vnic_mac "$v2")")
[ -n "$m1" ] && [ -n "$m2" ] || fail "no MAC addresses from show-vnic"

captures_running() {
	vsw_rpc capture.list | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["captures"]))'
}

# --- three captures at once, on one link and on two ---
snoop_bg all -o "$TMP/all.pcap" "$v1"
pid_all=$SNOOP_PID
snoop_bg icmp -d "$v1" -o "$TMP/icmp.pcap" icmp
pid_icmp=$SNOOP_PID
snoop_bg lines "$v2"
pid_lines=$SNOOP_PID
[ "$(captures_running)" = 3 ] || fail "capture.list does not show 3 captures"
ns_ping "$(nsn a)" 10.39.0.2 5 || fail "$v1 cannot ping $v2"
sleep 0.3
snoop_end "$pid_all" all
snoop_end "$pid_icmp" icmp
snoop_end "$pid_lines" lines

req=$(fields "$TMP/all.pcap" "icmp.type == 8" eth.src eth.dst | sort | uniq -c)
rep=$(fields "$TMP/all.pcap" "icmp.type == 0" eth.src eth.dst | sort | uniq -c)
echo "$req" | grep -Eq "^ *[5-9] $m1 $m2\$" ||
	fail "echo requests in $v1's capture are not 5+ from $m1 to $m2: $req"
echo "$rep" | grep -Eq "^ *[5-9] $m2 $m1\$" ||
	fail "echo replies in $v1's capture are not 5+ from $m2 to $m1: $rep"
pass "$v1's capture: echo requests $m1 -> $m2 and replies $m2 -> $m1 ($(echo $req | awk '{print $1}') each)"
narp=$(fields "$TMP/all.pcap" arp frame.number | wc -l)
[ "$narp" -ge 2 ] || fail "no ARP exchange in $v1's unfiltered capture"
nall=$(tshark -r "$TMP/all.pcap" 2>/dev/null | wc -l)
[ "$(captured all)" = "$nall" ] ||
	fail "snoop said $(captured all) frames captured, the file has $nall"
[ "$(dropped all)" = 0 ] || fail "snoop all reports $(dropped all) drops"
nicmp=$(fields "$TMP/icmp.pcap" icmp frame.number | wc -l)
nother=$(fields "$TMP/icmp.pcap" "!icmp" frame.number | wc -l)
nicmp_all=$(fields "$TMP/all.pcap" icmp frame.number | wc -l)
[ "$nother" = 0 ] || fail "the capture filtered with 'icmp' has $nother other frames"
[ "$nicmp" = "$nicmp_all" ] ||
	fail "the 'icmp' capture has $nicmp ICMP frames, the unfiltered one $nicmp_all"
pass "filter 'icmp': $nicmp ICMP frames, none of the $narp ARP frames"
grep -Eq "^ +[0-9]+ +[0-9.]+ in +[0-9a-f:]+ -> [0-9a-f:]+ 10\.39\.0\.1 -> 10\.39\.0\.2 ICMP Echo request" "$TMP/lines.out" ||
	{ head -5 "$TMP/lines.out"; fail "no summary line for an echo request reaching $v2"; }
grep -Eq " out .*10\.39\.0\.2 -> 10\.39\.0\.1 ICMP Echo reply" "$TMP/lines.out" ||
	fail "no summary line for an echo reply sent by $v2"
pass "summary lines of $v2: $(wc -l <"$TMP/lines.out") frames, e.g. '$(grep -m1 'Echo request' "$TMP/lines.out" | sed 's/  */ /g')'"

# --- -c 5 stops by itself; -o - streams into tshark ---
in_ns "$(nsn a)" ping -q -i 0.1 -c 40 10.39.0.2 >/dev/null 2>&1 &
ping_pid=$!
at_exit "kill $ping_pid"
timeout 20 "$VNICADM" snoop -c 5 -o "$TMP/c5.pcap" "$v1" 2>"$TMP/c5.err" ||
	{ cat "$TMP/c5.err"; fail "snoop -c 5 did not end by itself (status $?)"; }
n=$(tshark -r "$TMP/c5.pcap" 2>/dev/null | wc -l)
[ "$n" = 5 ] && [ "$(captured c5)" = 5 ] ||
	fail "snoop -c 5 wrote $n frames and said $(captured c5)"
pass "snoop -c 5 stopped after 5 frames"
timeout 20 "$VNICADM" snoop -D -c 3 "$v1" >"$TMP/d.out" 2>"$TMP/d.err" ||
	fail "snoop -D -c 3 failed"
n=$(grep -Ec "^ +[0-9]+ +[0-9.]+ (in|out) +drops: 0 [0-9a-f:]+ -> " "$TMP/d.out")
[ "$n" = 3 ] || { cat "$TMP/d.out"; fail "snoop -D: $n of 3 lines show the drops"; }
pass "snoop -D: the drops on each line ('$(head -1 "$TMP/d.out" | sed 's/  */ /g')')"
types=$(timeout 20 "$VNICADM" snoop "$v1" -c 4 -o - icmp 2>"$TMP/pipe.err" |
	tshark -r - -T fields -e icmp.type 2>/dev/null | sort | uniq -c | awk '{print $1 "x" $2}' | xargs)
[ "$types" = "2x0 2x8" ] ||
	fail "snoop -o - icmp | tshark -r - gave ICMP types '$types', not 2 requests and 2 replies"
pass "snoop -o - | tshark -r -: 2 echo requests, 2 replies"
wait "$ping_pid"

# --- a reader that stops reading ---
snoop_bg slow -o "$TMP/slow.pcap" "$v1"
pid_slow=$SNOOP_PID
kill -STOP "$pid_slow"
in_ns "$(nsn a)" ping -q -i 0.002 -c 2000 -s 1000 -W 1 10.39.0.2 >"$TMP/fast.ping" 2>&1 ||
	{ cat "$TMP/fast.ping"; fail "fast ping failed with a stopped capture on $v1"; }
grep -q " 0% packet loss" "$TMP/fast.ping" ||
	{ cat "$TMP/fast.ping"; fail "fast ping lost frames with a stopped capture on $v1"; }
pass "ping -i 0.002 x2000 with a stopped reader: $(grep -o '[0-9]* received' "$TMP/fast.ping"), 0% loss"
kill -CONT "$pid_slow"
snoop_end "$pid_slow" slow
nslow=$(tshark -r "$TMP/slow.pcap" 2>/dev/null | wc -l)
[ "$(dropped slow)" -gt 0 ] || fail "the stopped reader has no drops counted"
[ "$(captured slow)" = "$nslow" ] || fail "snoop said $(captured slow) captured, the file has $nslow"
[ $(( nslow + $(dropped slow) )) -ge 4000 ] ||
	fail "captured $nslow + dropped $(dropped slow) < the 4000 frames of the ping"
pass "stopped reader: $nslow frames captured, $(dropped slow) dropped by vswitchd"

# --- 200 captures started and killed ---
# mem: the fewest mbufs in use over 3 samples (a sample may fall inside a
# burst the PMD is reading); rss: vswitchd's resident memory in kB.
mem() {
	local i n min=
	for i in 1 2 3; do
		n=$(vsw_rpc stats | python3 -c 'import json, sys; print(json.load(sys.stdin)["mbufs"]["in_use"])')
		[ -z "$min" ] || [ "$n" -lt "$min" ] && min=$n
		sleep 0.1
	done
	echo "$min"
}
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$VSW_PID/status"; }
# bg_ping: a ping every 10 ms from a to b until stop_ping (by its pid).
bg_ping() {
	in_ns "$(nsn a)" sh -c 'echo $$ >"$1"; exec ping -q -i 0.01 10.39.0.2' sh "$TMP/ping.pid" >/dev/null 2>&1 &
	wait_for_line "$TMP/ping.pid" '^[0-9]+$' 5 || fail "no background ping"
	at_exit "kill $(cat "$TMP/ping.pid")"
}
stop_ping() { kill "$(cat "$TMP/ping.pid")"; rm -f "$TMP/ping.pid"; sleep 0.5; }
# loop_captures N: N captures of v1, each interrupted (^C, or kill -9 for
# every second one) once it runs. Polled with builtins every 20 ms (no
# grep, no wait_pid's 100 ms sleeps): on a loaded machine 200 rounds of
# process starts took 4 of the scenario's 5 minutes.
loop_captures() {
	local i n=$1 p line end
	for ((i = 0; i < n; i++)); do
		# emptied first: the last capture's "Using link" must not
		# pass for this one's (a SIGINT sent before snoop set its
		# handler is ignored, as bash starts it ignoring SIGINT, and
		# the wait for it never ended)
		: >"$TMP/loop.err"
		"$VNICADM" snoop -o /dev/null "$v1" 2>"$TMP/loop.err" &
		p=$!
		end=$(deadline_in 10) line=
		until [[ $line == "Using link"* ]]; do
			before "$end" || fail "capture $i did not start: $(cat "$TMP/loop.err")"
			sleep 0.02
			read -r line <"$TMP/loop.err"
		done
		if ((i % 2)); then kill -9 "$p"; else kill -INT "$p"; fi
		end=$(deadline_in 10)
		while kill -0 "$p" 2>/dev/null; do
			before "$end" || fail "capture $i still running 10 s after kill -$((i % 2 ? 9 : 2))"
			sleep 0.02
		done
		wait "$p" 2>/dev/null
	done
}
bg_ping
loop_captures 5
stop_ping
mb0=$(mem) rss0=$(rss)
bg_ping
t0=$EPOCHSECONDS
loop_captures 200
echo "  200 captures in $((EPOCHSECONDS - t0)) s"
stop_ping
mb1=$(mem) rss1=$(rss)
[ "$(captures_running)" = 0 ] || fail "captures still running after their clients went"
[ "$mb1" -le "$mb0" ] || fail "mbufs in use went from $mb0 to $mb1 over 200 captures"
[ "$rss1" -le $((rss0 + 2048)) ] || fail "vswitchd's RSS went from $rss0 kB to $rss1 kB over 200 captures"
pass "200 captures started and killed: mbufs in use $mb0 -> $mb1, RSS $rss0 -> $rss1 kB"

# --- an uplink capture: a VLAN VNIC's frames tagged as on the wire ---
host_vnic "$v4" "$UPLINK" d 10.39.2.1/24 -v 39
lan_host_vlan "$(nsn lh)" 39 10.39.2.10/24
snoop_bg up -o "$TMP/up.pcap" "$UPLINK" vlan 39 and icmp
pid_up=$SNOOP_PID
snoop_bg v4 -o "$TMP/v4.pcap" "$v4" icmp
pid_v4=$SNOOP_PID
ns_ping "$(nsn d)" 10.39.2.10 3 || fail "$v4 (VLAN 39) cannot ping the LAN host"
sleep 0.3
snoop_end "$pid_up" up
snoop_end "$pid_v4" v4
tagged=$(fields "$TMP/up.pcap" "vlan.id == 39 && icmp" frame.number | wc -l)
untagged=$(fields "$TMP/v4.pcap" "vlan" frame.number | wc -l)
nv4=$(fields "$TMP/v4.pcap" "icmp" frame.number | wc -l)
[ "$tagged" -ge 6 ] || fail "the uplink capture has $tagged ICMP frames tagged 39 (want 6+)"
[ "$untagged" = 0 ] && [ "$nv4" -ge 6 ] ||
	fail "$v4's capture: $nv4 ICMP frames, $untagged tagged (want 6+, 0)"
pass "uplink capture: $tagged ICMP frames tagged VLAN 39; $v4's own: $nv4, untagged"
# the uplink's last VNIC goes: vswitchd detaches the phys link, and its
# capture ends with it
snoop_bg upgone "$UPLINK"
pid_upgone=$SNOOP_PID
vna delete-vnic -t "$v4"
wait_pid "$pid_upgone" 10 || fail "snoop of $UPLINK still running after it was detached"
[ "$WAIT_RC" = 1 ] && grep -q "ended: link deleted" "$TMP/upgone.err" ||
	{ cat "$TMP/upgone.err"; fail "snoop of a detached uplink: status $WAIT_RC"; }
pass "detaching $UPLINK (its last VNIC deleted) ended its capture"

# --- guest VNICs: virtio-user endpoints (xvm-vuser) stand in for guests ---
g1=$(vname 5) g2=$(vname 6)
guest_vnic "$g1" "$stub"; sock1=$SOCK gmac1=$MAC
guest_vnic "$g2" "$stub"; sock2=$SOCK gmac2=$MAC
snoop_bg g1 -o "$TMP/g1.pcap" "$g1"
pid_g1=$SNOOP_PID
snoop_bg g2 -c 300 -o "$TMP/g2.pcap" "$g2" ether src "$(canon_mac "$gmac1")"
pid_g2=$SNOOP_PID
"$VUSER" -s "$sock2" -P "xvm${NETID}rx" -c 1 recv -t 120 -f "$gmac1" -n 300 \
	>"$TMP/rx.out" 2>"$TMP/rx.err" &
rx=$!
at_exit "kill -9 $rx"
link_wait_state "$g2" up 30
timeout 20 "$VUSER" -s "$sock1" -P "xvm${NETID}tx" -c 0 send -d "$gmac2" -S "$gmac1" \
	-n 300 -l 128 -r 2000 -t 8 >"$TMP/tx.out" 2>"$TMP/tx.err" ||
	{ tail -n 5 "$TMP/tx.err"; fail "xvm-vuser could not send on $g1"; }
vuser_rx_end "$rx" 15
grep -q "^vuser: received=300 " "$TMP/rx.out" || fail "xvm-vuser on $g2: $(cat "$TMP/rx.out")"
wait_pid "$pid_g2" 10 || fail "snoop -c 300 of $g2 did not end"
snoop_end "$pid_g1" g1
n1=$(fields "$TMP/g1.pcap" "eth.src == $(canon_mac "$gmac1") && eth.dst == $(canon_mac "$gmac2") && frame.len == 124" frame.number | wc -l)
n2=$(fields "$TMP/g2.pcap" "eth.src == $(canon_mac "$gmac1") && eth.dst == $(canon_mac "$gmac2")" frame.number | wc -l)
[ "$n1" = 300 ] && [ "$n2" = 300 ] ||
	fail "guest VNIC captures: $n1 frames sent by $g1, $n2 received by $g2 (want 300 each)"
pass "guest VNICs: 300 frames $gmac1 -> $gmac2 in both $g1's and $g2's captures"

# --- deleting a link ends its captures ---
vna create-vnic -t -l "$stub" "$v3"
snoop_bg gone "$v3"
pid_gone=$SNOOP_PID
vna delete-vnic -t "$v3"
wait_pid "$pid_gone" 10 || fail "snoop of $v3 still running after $v3 was deleted"
[ "$WAIT_RC" = 1 ] && grep -q "vnicadm: capture on '$v3' ended: link deleted" "$TMP/gone.err" ||
	{ cat "$TMP/gone.err"; fail "snoop of a deleted link: status $WAIT_RC"; }
pass "deleting $v3 ended its capture: '$(grep 'link deleted' "$TMP/gone.err")'"

# --- a long expression: compiled whole, shown cut in capture.list ---
long=icmp
for i in $(seq 60); do long="$long or host 10.39.9.$i"; done
snoop_bg long -o "$TMP/long.pcap" "$v1" "$long"
pid_long=$SNOOP_PID
shown=$(vsw_rpc capture.list | python3 -c 'import json, sys; print(json.load(sys.stdin)["captures"][0]["expr"])')
[ "${#shown}" = 255 ] && [ "${shown%...}" != "$shown" ] ||
	fail "capture.list shows a ${#long}-byte expression as '${shown:0:40}...' (${#shown} bytes)"
ns_ping "$(nsn a)" 10.39.0.2 2 || fail "$v1 cannot ping $v2 under a long filter"
snoop_end "$pid_long" long
n=$(fields "$TMP/long.pcap" icmp frame.number | wc -l)
[ "$n" -ge 4 ] || fail "the ${#long}-byte filter captured $n ICMP frames"
pass "a ${#long}-byte filter: $n ICMP frames; capture.list shows its first 252 bytes and '...'"

# --- bad input ---
# bad CMD... / EXPECTED: status 1 and EXPECTED on stderr.
bad() {
	local want=$1 err
	shift
	err=$("$VNICADM" snoop "$@" 2>&1 >/dev/null </dev/null) && fail "snoop $* succeeded"
	[ $? = 1 ] || fail "snoop $*: exit status not 1"
	echo "$err" | grep -qF -- "$want" || fail "snoop $*: '$err', expected '$want'"
	pass "snoop $*: $(echo "$err" | head -1)"
}
bad "vnicadm: invalid filter expression 'port port': " "$v1" port port
bad "vnicadm: cannot capture on '$(vname 77)': object not found" "$(vname 77)"
bad "vnicadm: invalid link name 'bad!'" 'bad!'
bad "vnicadm: invalid count 'abc'" -c abc "$v1"
bad "vnicadm: invalid count '0'" -c 0 "$v1"
bad "vnicadm: invalid snapshot length '70000'" -s 70000 "$v1"
bad "vnicadm: cannot capture on '$stub': '$stub' is an etherstub" "$stub"
bad "vnicadm: cannot open '/nonexistent/x.pcap'" -o /nonexistent/x.pcap "$v1"
# rawbad PARAMS MESSAGE: capture.start refused with MESSAGE.
rawbad() {
	local err
	err=$(vsw_rpc capture.start "$1" 2>&1 >/dev/null) && fail "capture.start $1 accepted"
	echo "$err" | grep -qF -- "$2" || fail "capture.start $1: '$err', expected '$2'"
}
rawbad "{\"link\":\"$v1\",\"filter\":[[6,0,0,65535],[1]]}" "invalid filter: instruction 1 is not [code, jt, jf, k]"
rawbad "{\"link\":\"$v1\",\"filter\":[[21,5,0,0],[6,0,0,0]]}" "invalid filter: instruction 0 jumps out of the program"
rawbad "{\"link\":\"$v1\",\"filter\":[[40,0,0,12]]}" "invalid filter: the last instruction is not a return"
rawbad "{\"link\":\"$v1\",\"filter\":[[255,0,0,0],[6,0,0,0]]}" "invalid filter: instruction 0 has unknown opcode 0xff"
rawbad "{\"link\":\"$v1\",\"filter\":[[96,0,0,16],[6,0,0,0]]}" "invalid filter: instruction 0 uses scratch word 16"
rawbad "{\"link\":\"$v1\",\"filter\":[]}" "invalid filter: a filter has 1 to 4096 instructions"
# checked, but refused by DPDK: "ret x" (no conversion), a division by an
# X that may be 0 (the eBPF verifier)
rawbad "{\"link\":\"$v1\",\"filter\":[[14,0,0,0]]}" "invalid filter: DPDK's converter refused it (rte_bpf_convert: "
rawbad "{\"link\":\"$v1\",\"filter\":[[0,0,0,5],[60,0,0,0],[22,0,0,0]]}" "invalid filter: DPDK's verifier refused it (rte_bpf_load: "
rawbad "{\"link\":\"$v1\",\"filter\":$(python3 -c 'print([[6,0,0,0]] * 4097)')}" "a filter has 1 to 4096 instructions"
rawbad "{\"link\":\"$v1\",\"filter\":\"icmp\"}" "parameter 'filter' must be an array"
rawbad "{\"link\":\"$v1\",\"snaplen\":0}" "parameter 'snaplen' must be 1 to 65535"
rawbad "{\"link\":\"$v1\",\"count\":-1}" "parameter 'count' must be 0 to"
rawbad "{}" "missing parameter 'link'"
err=$(vsw_rpc capture.stop '{"id":12345}' 2>&1) && fail "capture.stop of nothing accepted"
echo "$err" | grep -q "no such capture" || fail "capture.stop of nothing: '$err'"
pass "capture.start/stop over the socket refuse bad filters, sizes and ids"
"$VNICADM" show-vnic "$v1" >/dev/null || fail "vswitchd stopped serving after bad input"
[ "$(captures_running)" = 0 ] || fail "a refused capture is listed"
ns_ping "$(nsn a)" 10.39.0.2 2 || fail "$v1 cannot ping $v2 after the bad input"
pass "vswitchd keeps serving and forwarding"

# --- vswitchd stopping with captures running ---
snoop_bg last1 "$v1"
pid_last1=$SNOOP_PID
snoop_bg last2 -o "$TMP/last2.pcap" "$v2" icmp
pid_last2=$SNOOP_PID
vsw_stop || fail "vswitchd did not stop on SIGTERM with 2 captures running"
[ "$WAIT_RC" = 0 ] || { tail -n 5 "$TMP/vswitchd.log"; fail "vswitchd exited $WAIT_RC with captures running"; }
for p in "$pid_last1:last1" "$pid_last2:last2"; do
	wait_pid "${p%%:*}" 10 || fail "snoop ${p#*:} still running after vswitchd stopped"
	[ "$WAIT_RC" = 1 ] && grep -q "vnicadm: vswitchd: connection closed" "$TMP/${p#*:}.err" ||
		{ cat "$TMP/${p#*:}.err"; fail "snoop ${p#*:} when vswitchd stopped: status $WAIT_RC"; }
done
pass "vswitchd stops cleanly with captures running; their snoops say 'vswitchd: connection closed'"
