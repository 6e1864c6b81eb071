# Two "hosts" for the migration scenarios (75-xvmd-migrate, 76-xvmd-
# migrate-native), sourced after xvmdlib.sh: host A is xvmdlib's xvmd,
# host B a second xvmd with its own run and state directories and cgroup;
# both listen on loopback TCP ports (stock virsh: xvm+tcp://127.0.0.1:P/
# system) and take migrations on their own relocation ports.
PORT_A=$((20000 + $$ % 20000))
PORT_B=$((PORT_A + 1))
RELOC_A=$((PORT_A + 2))
RELOC_B=$((PORT_A + 10))
URI_A=xvm+tcp://127.0.0.1:$PORT_A/system
URI_B=xvm+tcp://127.0.0.1:$PORT_B/system
RUN_B=$TMP/runB
STATE_B=$TMP/stateB
XVMD_B_PID=
mkdir -p "$RUN_B" "$STATE_B"

VA() { timeout 60 virsh -q -c "$URI_A" "$@"; }
VB() { timeout 60 virsh -q -c "$URI_B" "$@"; }

# xvmd_a_start ARGS...: host A (xvmdlib's xvmd) listening on PORT_A.
xvmd_a_start() {
	xvmd_start --listen "127.0.0.1:$PORT_A" --relocation-port "$RELOC_A" "$@"
}

# xvmd_b_start ARGS...: host B, log $TMP/xvmdB.log; returns once it serves
# (its TCP listener too), as xvmd_start.
xvmd_b_start() {
	local n
	rm -f "$RUN_B/libvirt-sock"
	n=$(xvmd_serving "$TMP/xvmdB.log")
	XVM_RUNDIR=$RUN_B XVM_STATEDIR=$STATE_B "$XVMD" --cgroup "${XVMD_CGROUP}b" \
		--stop-timeout 10 --listen "127.0.0.1:$PORT_B" \
		--relocation-port "$RELOC_B" "$@" </dev/null >>"$TMP/xvmdB.log" 2>&1 &
	XVMD_B_PID=$!
	xvmd_wait_serving "$TMP/xvmdB.log" "${n:-0}" "$XVMD_B_PID" || {
		tail -n 20 "$TMP/xvmdB.log"; fail "xvmd B: not serving after 30 s"; }
}

xvmd_b_stop() {
	[ -n "$XVMD_B_PID" ] || return 0
	kill "$XVMD_B_PID" 2>/dev/null
	wait_pid "$XVMD_B_PID" 40 || { kill -9 "$XVMD_B_PID"; fail "xvmd B did not stop"; }
	XVMD_B_PID=
}

_xvmd_b_cleanup() {
	local f
	[ -n "$XVMD_B_PID" ] && kill -9 "$XVMD_B_PID" 2>/dev/null
	for f in "$RUN_B"/hv/*.pid; do
		[ -e "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	sleep 0.3
	for f in /sys/fs/cgroup/*/"${XVMD_CGROUP}b"/* /sys/fs/cgroup/*/"${XVMD_CGROUP}b"; do
		[ -d "$f" ] && rmdir "$f" 2>/dev/null
	done
	true
}
at_exit _xvmd_b_cleanup

conlog_b() { echo "$RUN_B/console/$1.log"; }

# no_trace_b NAME: host B has no domain, hv, socket or definition of NAME.
no_trace_b() {
	VB domstate "$1" >/dev/null 2>&1 && fail "B still has $1: $(VB domstate --reason "$1")"
	[ -e "$RUN_B/hv/$1.pid" ] && fail "B: hv pid file of $1 left"
	[ -e "$RUN_B/hv/$1.mig" ] && fail "B: migration socket of $1 left"
	[ -e "$STATE_B/domains/$1.xml" ] && fail "B: definition of $1 left"
	# a source hv that sent the guest away exits on its own; xvmd
	# watches that on its loop (killed after 10 s), not in it
	local i
	for i in $(seq 110); do
		pgrep -f -- "--incoming unix:$RUN_B/hv/$1.mig" >/dev/null || break
		sleep 0.1
	done
	pgrep -f -- "--incoming unix:$RUN_B/hv/$1.mig" >/dev/null && fail "B: an incoming hv of $1 still runs"
	[ "$i" -gt 1 ] && echo "B: the hv of $1 took $(( (i - 1) * 100 )) ms or so to exit"
	true
}

# A failure also shows host B's log.
_miglib_fail_a=$(declare -f fail)
eval "_fail_a${_miglib_fail_a#fail}"
fail() {
	echo "--- xvmd B log (last lines):"
	tail -n 20 "$TMP/xvmdB.log" 2>/dev/null
	_fail_a "$@"
}
