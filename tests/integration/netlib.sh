# Helpers for the network scenarios (3N-*.sh), sourced after lib.sh.
#
# They build the standard "physical LAN" with nettopo (tests/tools/nettopo.c,
# libnl-route; never ip(8)):
#
#   root namespace                     namespace $LAN_NS
#   vswitchd ── uplink $UPLINK ═veth═ $LAN_PORT ── bridge br0 ── lh_NAME ═veth═ lan0 (namespace of LAN host NAME)
#
# start and stop vswitchd with the temporary XVM_RUNDIR/XVM_STATEDIR of
# lib.sh, and register a cleanup that removes everything made (processes
# in our namespaces, the namespaces, the uplink pair, vswitchd and its DPDK
# runtime files), pass or fail. Names carry a random number $NETID so
# concurrent runs and leftovers do not collide; interface names stay under
# 16 characters and the uplink's is a valid vnicadm link name.
#
# The kernel here has no 8021q: nettopo's VLAN interfaces are then tap
# devices relayed by a small process (see nettopo.c); the helpers hide it.

NETTOPO=$TOP/build/tests/tools/nettopo
VNICADM=$BIN/vnicadm
VSWITCHD=${XVM_VSWITCHD:-$BIN/vswitchd}	# XVM_VSWITCHD: test another build
VUSER=$BIN/xvm-vuser

NETID=$((RANDOM % 90000 + 10000))
UPLINK=phys$NETID		# vswitchd's uplink, root namespace
LAN_NS=xvm${NETID}lan
LAN_PORT=up$NETID		# the uplink's peer, on the LAN bridge
DPDK_RUN=/var/run/dpdk
VSW_PID=
VSW_DPDK_DIRS=
_net_ns=()			# namespaces made, deleted at exit

topo() { "$NETTOPO" "$@" || fail "nettopo $*"; }

# net_require: root, the tools and the daemon are there.
net_require() {
	[ "$(id -u)" = 0 ] || skip "network scenarios need root"
	local f
	for f in "$NETTOPO" "$VSWITCHD" "$VNICADM"; do
		[ -x "$f" ] || fail "$f is not built"
	done
	for f in tcpdump ping; do
		command -v "$f" >/dev/null || fail "$f is not installed"
	done
}

# vname N: a VNIC (or etherstub) name unique to this run: v<NETID>_N.
vname() { echo "v${NETID}_$1"; }

# nsn NAME: the name of this run's namespace NAME (xvm<NETID>NAME).
nsn() { echo "xvm${NETID}$1"; }

# ns_add NAME: namespace $(nsn NAME), IPv6 off (so the kernel sends no
# router solicitations or MLD reports into captures), loopback up;
# deleted at exit with everything running inside it.
ns_add() {
	local ns=xvm${NETID}$1
	topo netns-add "$ns"
	_net_ns+=("$ns")
	"$NETTOPO" -n "$ns" exec sh -c 'echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6; echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6' ||
		fail "cannot disable IPv6 in $ns"
	topo -n "$ns" up lo
}

# in_ns NS CMD...: run CMD inside namespace NS.
in_ns() { local ns=$1; shift; "$NETTOPO" -n "$ns" exec "$@"; }

_net_cleanup() {
	local ns pid d
	for ns in "${_net_ns[@]}"; do
		for pid in $("$NETTOPO" netns-pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
	done
	"$NETTOPO" del "$UPLINK" 2>/dev/null
	for ns in "${_net_ns[@]}"; do
		"$NETTOPO" netns-del "$ns" 2>/dev/null
	done
	for d in $VSW_DPDK_DIRS "$DPDK_RUN"/xvm${NETID}*; do
		[ -d "$d" ] && rm -rf "$d"
	done
	return 0
}
at_exit _net_cleanup

# lan_create: the LAN namespace, its bridge and the uplink veth pair
# ($UPLINK in the root namespace, up, IPv6 off, no address).
lan_create() {
	ns_add lan
	topo -n "$LAN_NS" bridge br0
	topo veth "$UPLINK" "$LAN_PORT" "$LAN_NS"
	echo 1 >"/proc/sys/net/ipv6/conf/$UPLINK/disable_ipv6"
	topo -n "$LAN_NS" master "$LAN_PORT" br0
	# The "wire" into the uplink: frames get complete checksums here (LAN
	# hosts' stacks leave TCP/UDP sums to offload, which a veth keeps and
	# af_packet would hand to vswitchd unfinished), as on a real LAN.
	topo -n "$LAN_NS" txcsum "$LAN_PORT" off
	topo -n "$LAN_NS" up br0 "$LAN_PORT"
	topo up "$UPLINK"
}

# lan_host NAME [ADDR/PLEN]: a LAN host in namespace $(nsn NAME) whose
# interface lan0 is on the LAN bridge.
lan_host() {
	local ns=xvm${NETID}$1
	ns_add "$1"
	topo -n "$LAN_NS" veth "lh_$1" lan0 "$ns"
	topo -n "$LAN_NS" master "lh_$1" br0
	topo -n "$LAN_NS" up "lh_$1"
	topo -n "$ns" up lan0
	[ -z "${2:-}" ] || topo -n "$ns" addr lan0 "$2"
}

# lan_host_vlan NS VID ADDR/PLEN: an 802.1Q interface lan0.VID on a LAN
# host's lan0, with an address.
lan_host_vlan() {
	topo -n "$1" vlan "lan0.$2" lan0 "$2"
	topo -n "$1" up "lan0.$2"
	topo -n "$1" addr "lan0.$2" "$3"
}

# vsw_start: vswitchd in the background, output in $TMP/vswitchd.log;
# waits for its control socket. Stopped at exit (and by vsw_stop).
vsw_start() {
	"$VSWITCHD" ${VSWITCHD_ARGS:-} </dev/null >>"$TMP/vswitchd.log" 2>&1 &
	VSW_PID=$!
	at_exit "vsw_stop"
	# 60 s: its DPDK start (the pools, their memory touched) took over
	# 30 s at load 25; a vswitchd that exits fails at once
	local end
	end=$(deadline_in 60)
	until [ -S "$XVM_RUNDIR/vswitchd.sock" ]; do
		kill -0 "$VSW_PID" 2>/dev/null && before "$end" || {
			tail -n 20 "$TMP/vswitchd.log"
			kill -0 "$VSW_PID" 2>/dev/null || fail "vswitchd exited before making its control socket"
			fail "vswitchd: no control socket after 60 s"
		}
		sleep 0.1
	done
	_vsw_note_dpdk_dirs
}

# The DPDK runtime directory of this test's vswitchd, removed at exit
# (a vswitchd killed with -9 cannot remove it itself). vswitchd names it
# after XVM_RUNDIR: "vswd-" and a 64-bit FNV-1a-style hash of the path
# (vswitch/main.c, eal_prefix()), recomputed here.
_vsw_note_dpdk_dirs() {
	local h=1469598103934665603 i c
	for ((i = 0; i < ${#XVM_RUNDIR}; i++)); do
		printf -v c '%d' "'${XVM_RUNDIR:i:1}"
		h=$(( (h ^ c) * 1099511628211 ))
	done
	printf -v c 'vswd-%016x' "$h"
	[[ $VSW_DPDK_DIRS == *"$c"* ]] || VSW_DPDK_DIRS="$VSW_DPDK_DIRS $DPDK_RUN/$c"
	return 0
}

# vsw_stop: SIGTERM, up to 15 s to exit, then SIGKILL. Returns 1 if it
# had to be killed.
vsw_stop() {
	[ -n "$VSW_PID" ] || return 0
	local pid=$VSW_PID rc=0
	VSW_PID=
	kill -TERM "$pid" 2>/dev/null || return 0
	wait_pid "$pid" 15 || { kill -9 "$pid"; wait "$pid"; rc=1; }
	rm -f "$XVM_RUNDIR/vswitchd.sock"
	return $rc
}

# vna ARGS...: vnicadm, failing the scenario if it fails.
vna() {
	"$VNICADM" "$@" || { tail -n 20 "$TMP/vswitchd.log"; fail "vnicadm $*"; }
}

# vsw_rpc METHOD [PARAMS]: one call on vswitchd's control socket.
vsw_rpc() { "$RPC" -t 10000 "$XVM_RUNDIR/vswitchd.sock" "$@"; }

# host_vnic NAME LINK NSNAME ADDR/PLEN [vnicadm create-vnic options...]:
# a temporary host VNIC over LINK, moved into a new namespace
# $(nsn NSNAME), up, with an address.
host_vnic() {
	local name=$1 link=$2 nsname=$3 ns=xvm${NETID}$3 addr=$4
	shift 4
	vna create-vnic -t -l "$link" "$@" "$name"
	ns_add "$nsname"
	topo setns "$name" "$ns"
	topo -n "$ns" up "$name"
	topo -n "$ns" addr "$name" "$addr"
}

# vnic_mac NAME: the VNIC's MAC as vnicadm prints it.
vnic_mac() { "$VNICADM" show-vnic -p -o macaddress "$1"; }

# cap_start NS IFACE FILE [FILTER...]: tcpdump writing FILE, ready when
# this returns; stopped by cap_stop or at exit (60 s at most).
cap_start() {
	local ns=$1 ifc=$2 file=$3
	shift 3
	# --immediate-mode: frames reach the file as they arrive, not when the
	# kernel's buffer block times out (up to 1 s, lost if stopped first).
	in_ns "$ns" timeout 120 tcpdump --immediate-mode -U -ni "$ifc" -w "$file" "$@" \
		2>"$file.err" &
	CAP_PID=$!
	at_exit "kill $CAP_PID"
	wait_for_line "$file.err" 'listening on' 10 || {
		cat "$file.err"; fail "tcpdump on $ns/$ifc did not start"
	}
}

# cap_stop [PID]: let tcpdump (the last one started, or PID) write what
# it has, then stop it.
cap_stop() {
	local pid=${1:-$CAP_PID}
	sleep 0.5
	kill -TERM "$pid" 2>/dev/null
	wait_pid "$pid" 5 || kill -9 "$pid" 2>/dev/null
}

# cap_show FILE [FILTER...]: the capture as tcpdump -e prints it.
cap_show() { local f=$1; shift; tcpdump -nner "$f" "$@" 2>/dev/null; }

# isolated_from HOST ADDR MAC PROBE WHAT: the LAN host HOST (nsn name) on
# another VLAN, or untagged, cannot ping ADDR; its frames (capture lines
# matching PROBE) do reach the uplink, and none there comes from MAC.
# Sets PROBES to how many it sent. WHAT names HOST in the messages.
isolated_from() {
	local host=$1 addr=$2 m=$3 probe=$4 what=$5 leak
	local pcap=$TMP/isolated-$1.pcap
	cap_start "$LAN_NS" "$LAN_PORT" "$pcap"
	! ns_ping "$(nsn "$host")" "$addr" 5 || fail "$what reaches the guest"
	cap_stop
	PROBES=$(cap_show "$pcap" | grep -c -- "$probe")
	[ "$PROBES" -gt 0 ] || fail "$what: its frames never reached the uplink (test broken)"
	leak=$(cap_show "$pcap" | grep -i "$m >")
	[ -z "$leak" ] || { echo "$leak" | head; fail "the guest answered $what"; }
}

# iperf_server NS ADDR PORT SECS: an iperf3 server daemon (-D) in
# namespace NS on ADDR:PORT for at most SECS, returned from once it
# listens (-D returns before the daemon does).
iperf_server() {
	local end
	in_ns "$1" timeout "$4" iperf3 -s -D -B "$2" -p "$3" ||
		fail "cannot start the iperf3 server on $2:$3"
	end=$(deadline_in 10)
	until in_ns "$1" ss -Hltn src "$2:$3" | grep -q .; do
		before "$end" || fail "the iperf3 server on $2:$3 is not listening after 10 s"
		sleep 0.1
	done
}

# ns_ping NS ADDR [COUNT]: succeeds if ADDR answers.
ns_ping() {
	in_ns "$1" ping -n -c "${3:-3}" -i 0.2 -W 1 "$2" >/dev/null 2>&1
}

# proc_cpu_ticks PID: utime + stime of a process, in clock ticks.
proc_cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# canon_mac MAC: "2:8:20:a:b:c" -> "02:08:20:0a:0b:0c" (as tcpdump prints).
canon_mac() {
	local IFS=: o out=
	for o in $1; do out+=$(printf '%02x:' "0x$o"); done
	echo "${out%:}"
}

# table_field FIELD KEY: from a vnicadm table on stdin (header line
# first), the FIELD column of the row whose first column is KEY.
table_field() {
	awk -v f="$1" -v k="$2" 'NR == 1 { for (i = 1; i <= NF; i++)
		if (toupper($i) == toupper(f)) c = i; next }
		$1 == k && c { print $c; exit }'
}

# vnic_stat NAME KEY: a counter of VNIC NAME from the control socket's
# vnic.list with stats ("opackets", "obytes", ..., or "drops.mac_spoof").
vnic_stat() {
	vsw_rpc vnic.list "{\"name\":\"$1\",\"stats\":true}" |
		python3 -c 'import json, sys
v = json.load(sys.stdin)["vnics"][0]["stats"]
for k in sys.argv[1].split("."):
    v = v.get(k, 0) if isinstance(v, dict) else 0
print(v)' "$2"
}

# --- PV guests on guest VNICs (scenarios 4N) ---

# guest_vnic NAME LINK [JSON]: a temporary guest VNIC over LINK through the
# control socket, as xvmd makes them; JSON adds members to the request
# (',"vid":5,"props":{"maxbw":"100M"}'). Sets SOCK and MAC.
guest_vnic() {
	local r
	r=$(vsw_rpc vnic.create "{\"name\":\"$1\",\"link\":\"$2\",\"kind\":\"guest\",\"temporary\":true${3:-}}") ||
		{ tail -n 20 "$TMP/vswitchd.log"; fail "vnic.create $1 over $2 failed: $r"; }
	SOCK=$(echo "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin)["socket"])')
	MAC=$(echo "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mac"])')
	[ -S "$SOCK" ] || fail "$1: no vhost-user socket at '$SOCK'"
}

# link_wait_state LINK STATE SECONDS: vnicadm show-link gives LINK's STATE
# ("up": a frontend is connected to the guest VNIC, its rings ready;
# "down": none is, or the last one's going has been seen). A frontend
# started in the background is connected only when this says so, however
# long its start takes on a busy machine: a sender started before that
# loses its first frames.
link_wait_state() {
	local end s
	end=$(deadline_in "$3")
	while :; do
		s=$("$VNICADM" show-link -p -o state "$1" 2>/dev/null)
		[ "$s" = "$2" ] && return 0
		before "$end" || break
		sleep 0.1
	done
	tail -n 5 "$TMP/vswitchd.log"
	fail "$1: show-link state '$s', not '$2' within $3 s"
}

# vuser_rx_end PID SECONDS: an xvm-vuser receiver (recv -n COUNT -t T,
# T long) ends by itself once it has its COUNT frames; this waits for that
# SECONDS (after the sender is done), then interrupts it (it reports what
# it received, for the caller to judge) and sets WAIT_RC. A receiver's own
# -t cannot be its bound: it runs from its start, and on a busy machine
# the sender's start alone took over its 12 s (the sender then sent half
# its frames to a receiver that had left).
vuser_rx_end() {
	wait_pid "$1" "$2" && return 0
	kill -INT "$1"
	wait_pid "$1" 10 || { kill -9 "$1"; fail "xvm-vuser receiver $1 ignored SIGINT"; }
}

# sock_link SOCK: the guest VNIC whose vhost-user socket SOCK is.
sock_link() { local n=${1##*/}; echo "${n%.sock}"; }

# guest_start NAME SOCK MAC CMDLINE: a 64 MiB, 1-vCPU PV guest under hv
# with one NIC on SOCK (start_hv: console in $TMP/NAME.console, HV_PID).
guest_start() {
	start_hv "$1" --memory 64 --vcpus 1 --kernel "$GUEST" \
		--net "vnic=$2,mac=$3" --cmdline "$4"
}

# --- The PV guest under QEMU as the vhost-user frontend (scenarios 45-47) ---
#
# The same minios.elf and guest VNICs as above, but the frontend is QEMU's
# vhost-user netdev instead of hv: guest memory is a shared memfd
# (memory-backend-memfd,share=on) that vswitchd maps, and the guest's
# virtio-net-pci is modern only (disable-legacy=on; the guest drives
# virtio 1.x and polls, so it needs no MSI-X). These scenarios do not need
# /dev/kvm: QEMU uses KVM where kvm-probe finds it usable, else its
# software mode (TCG).

QEMU=${XVM_QEMU:-qemu-system-x86_64}	# XVM_QEMU: test another QEMU
QEMU_ACCEL=
QEMU_SECS=${QEMU_SECS:-300}	# the longest a QEMU may run, even if its scenario is killed

# qemu_require: QEMU is installed; picks the accelerator (QEMU_ACCEL).
qemu_require() {
	command -v "$QEMU" >/dev/null || fail "$QEMU is not installed (make deps)"
	if "$TOP/build/tests/tools/kvm-probe" >/dev/null 2>&1; then
		QEMU_ACCEL=kvm
	else
		QEMU_ACCEL=tcg
	fi
	pass "QEMU: $("$QEMU" --version | head -n 1), accelerator $QEMU_ACCEL"
}

# qemu_guest_start NAME SOCK MAC CMDLINE: the PV guest under QEMU, 64 MiB
# in a shared memfd, 1 vCPU, one virtio-net-pci NIC with MAC whose backend
# is the vhost-user socket SOCK (a guest VNIC's). As start_hv: serial
# console in $TMP/NAME.console, QEMU's own output in $TMP/NAME.err, HV_PID
# (a `timeout` wrapper whose exit status is QEMU's), so expect_console,
# expect_exit and show work; QEMU powers off with the guest (-no-reboot)
# and is stopped at exit.
qemu_guest_start() {
	local name=$1 sock=$2 mac=$3 cmdline=$4
	[ -n "$QEMU_ACCEL" ] || qemu_require
	timeout -k 5 "$QEMU_SECS" "$QEMU" -accel "$QEMU_ACCEL" \
		-nodefaults -no-user-config -display none -no-reboot \
		-object memory-backend-memfd,id=mem,size=64M,share=on \
		-machine pc,memory-backend=mem -m 64 -smp 1 \
		-chardev socket,id=vu0,path="$sock" \
		-netdev vhost-user,id=net0,chardev=vu0 \
		-device virtio-net-pci,netdev=net0,mac="$(canon_mac "$mac")",disable-legacy=on \
		-serial "file:$TMP/$name.console" -pidfile "$TMP/$name.pid" \
		-kernel "$GUEST" -append "$cmdline" \
		</dev/null >"$TMP/$name.err" 2>&1 &
	HV_PID=$!
	at_exit "qemu_guest_kill $name $HV_PID"
}

# qemu_guest_kill NAME PID: stop a QEMU started by qemu_guest_start (PID
# is its wrapper's): SIGTERM, which QEMU takes as quit, up to 10 s, then
# SIGKILL (QEMU itself first: its pid file names it if its parent is PID).
# Returns 1 if it had to be killed.
qemu_guest_kill() {
	local name=$1 pid=$2 qpid
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	wait_pid "$pid" 10 && return 0
	qpid=$(cat "$TMP/$name.pid" 2>/dev/null)
	[ -n "$qpid" ] && [ "$(ps -o ppid= -p "$qpid" | tr -d ' ')" = "$pid" ] &&
		kill -9 "$qpid" 2>/dev/null
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 1
}

# cap_echoes FILE MAC: in capture FILE, the ICMP echo requests to MAC and
# MAC's echo replies, matched by ICMP id and sequence number. Prints
# "REQUESTS REQUEST_BYTES REPLIES REPLY_BYTES UNANSWERED" (bytes: frame
# lengths as tcpdump -e gives them, without FCS).
cap_echoes() {
	cap_show "$1" | awk -v m="$(echo "$2" | tr 'A-F' 'a-f')" '
	{ l = tolower($0) }
	l ~ /icmp echo (request|reply)/ && match(l, /id [0-9]+, seq [0-9]+/) {
		k = substr(l, RSTART, RLENGTH)
		n = match(l, /length [0-9]+:/) ? substr(l, RSTART + 7, RLENGTH - 8) + 0 : 0
		if ($4 == m "," && l ~ /echo request/) { req[k] = 1; nq++; bq += n }
		else if ($2 == m && l ~ /echo reply/) { rep[k] = 1; np++; bp += n }
	}
	END {	for (k in req) if (!(k in rep)) miss++
		printf "%d %d %d %d %d\n", nq, bq, np, bp, miss }'
}

# cap_echoes_wait FILE MAC SECS: wait (SECS at most) until every echo
# request to MAC in capture FILE has its reply there; a guest under
# emulation on a busy machine may answer late.
cap_echoes_wait() {
	local i r
	for ((i = 0; i < $3 * 10; i++)); do
		r=$(cap_echoes "$1" "$2")
		[ "${r##* }" = 0 ] && [ "${r%% *}" != 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# lan_rx_sample NS: "TIME RX_BYTES" of lan0 in namespace NS, read together
# by one bash with builtins only (no process start between the two).
lan_rx_sample() {
	in_ns "$1" bash -c 'mapfile -t l </proc/net/dev; t=$EPOCHREALTIME
		for x in "${l[@]}"; do
			[[ $x =~ ^\ *lan0:\ *([0-9]+)\  ]] && echo "$t ${BASH_REMATCH[1]}"
		done'
}

# lan_rx_mbps NS SECS: Mb/s that lan0 in namespace NS received over SECS
# seconds (frames without FCS, as caps count them).
lan_rx_mbps() {
	local t0 b0 t1 b1
	read -r t0 b0 <<<"$(lan_rx_sample "$1")"
	sleep "$2"
	read -r t1 b1 <<<"$(lan_rx_sample "$1")"
	[ -n "$b0" ] && [ -n "$b1" ] || fail "cannot read lan0's rx_bytes in $1"
	awk -v b="$((b1 - b0))" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.1f", b * 8 / (t1 - t0) / 1e6 }'
}

# The cap scenarios (42 with hv, 47 with QEMU as the frontend): a guest's
# pktgen sends flat out to LAN host h over VNIC $1, console $TMP/g.console.
# cap_pick MAX SECS: measures what the guest offers uncapped over SECS
# seconds into $offered and sets $cap to MAX Mb/s, or to a quarter of the
# offered rate where that is lower, so the switch, not the guest, limits.
cap_pick() {
	offered=$(lan_rx_mbps "$(nsn h)" "$2")
	cap=$(awk -v o="$offered" -v m="$1" 'BEGIN { c = int(o * 0.25); if (c > m) c = m; print c }')
	[ "$cap" -ge 2 ] || fail "the guest offers only $offered Mb/s uncapped: too little to test a cap"
	echo "  uncapped, the guest offers $offered Mb/s: cap ${cap}M, then $((2 * cap))M"
}

# cap_window VNIC MBPS SECS: sets maxbw=MBPS on VNIC (show-vnic must show
# it as SPEED), lets it settle 2 s, and puts the LAN host's rate over SECS
# seconds in $rate (not printed: a fail here must end the scenario).
cap_window() {
	local speed
	vna set-linkprop -t -p maxbw="$2"M "$1"
	speed=$("$VNICADM" show-vnic -p -o speed "$1")
	[ "$speed" = "$2" ] || fail "show-vnic gives SPEED '$speed' for a ${2}M cap"
	sleep 2
	rate=$(lan_rx_mbps "$(nsn h)" "$3")
	grep '^guest: pktgen t=[0-9]* ' "$TMP/g.console" | tail -n 2 | sed 's/^/  /'
}

# cap_judge RATE CAP LOW: the cap held (RATE at most 5% above CAP) and the
# rate reached LOW times it.
cap_judge() {
	awk -v m="$1" -v c="$2" 'BEGIN { exit !(m <= c * 1.05) }' ||
		fail "with maxbw=$2M the LAN host received $1 Mb/s: more than 5% above the cap"
	awk -v m="$1" -v c="$2" -v l="$3" 'BEGIN { exit !(m >= c * l) }' ||
		fail "with maxbw=$2M the LAN host received only $1 Mb/s, less than $3 of the cap (uncapped: $offered)"
	pass "with maxbw=$2M the LAN host receives $1 Mb/s (uncapped: $offered)"
}

# cap_no_loss VNIC: the guest's pktgen summary says errors=0 and VNIC
# counts no drop of what it sent: the cap held frames back, lost none.
cap_no_loss() {
	local summary drops
	summary=$(grep -m1 '^guest: pktgen sent=' "$TMP/g.console")
	echo "  $summary"
	[[ $summary == *" errors=0 "* ]] || fail "the guest reports send errors: $summary"
	pass "the guest reports errors=0"
	drops=$(vnic_stat "$1" oerrors)
	[ "$drops" = 0 ] || fail "$1 counts $drops frames it sent as dropped (oerrors)"
	pass "$1 dropped nothing it sent (oerrors=0): backpressure, not loss"
}

# ---- vnicadm snoop (48-snoop, 65-guest-snoop) ----

# snoop_bg NAME ARGS...: vnicadm snoop ARGS in the background, stdout in
# $TMP/NAME.out, stderr in $TMP/NAME.err; waits until it captures. Sets
# SNOOP_PID.
snoop_bg() {
	local name=$1
	shift
	: >"$TMP/$name.err"	# a NAME used before: wait for this one's line
	"$VNICADM" snoop "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	SNOOP_PID=$!
	at_exit "kill -9 $SNOOP_PID"
	wait_for_line "$TMP/$name.err" '^Using link' 10 || {
		cat "$TMP/$name.err"; fail "snoop $* did not start"
	}
}

# snoop_end PID NAME: interrupt it as a user would (^C); it must exit 0.
snoop_end() {
	kill -INT "$1"
	wait_pid "$1" 10 || fail "snoop $2 still running 10 s after SIGINT"
	[ "$WAIT_RC" = 0 ] || { cat "$TMP/$2.err"; fail "snoop $2 exited $WAIT_RC"; }
}

# captured NAME / dropped NAME: the counts snoop printed at its end.
captured() { sed -n 's/^\([0-9]*\) frames captured$/\1/p' "$TMP/$1.err"; }
dropped() { sed -n 's/^\([0-9]*\) frames dropped by vswitchd$/\1/p' "$TMP/$1.err"; }

# fields FILE FILTER FIELD...: tshark's fields of the matching frames.
fields() {
	local f=$1 y=$2
	shift 2
	tshark -r "$f" -Y "$y" -T fields -E separator=' ' $(printf -- '-e %s ' "$@") 2>/dev/null
}
