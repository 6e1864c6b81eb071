# Helpers for the xvmd scenarios tests/integration/5x-*.sh (sourced after
# tests/integration/lib.sh): start an xvmd on the scenario's temporary
# XVM_RUNDIR/XVM_STATEDIR with its own cgroup, run stock virsh against
# it, write domain XML, and clean up every hv it started.
XVMD=$BIN/xvmd
URI="xvm+unix:///system?socket=$XVM_RUNDIR/libvirt-sock"
XVMD_CGROUP=xvmtest$$
XVMD_PID=

# V ARGS...: virsh against our xvmd, bounded.
V() { timeout 30 virsh -q -c "$URI" "$@"; }

# xvmd_serving LOG: how many times an xvmd logging to LOG said it serves
# (after every listener, the definitions, adoption, autostart's launches
# and the pools: main.c logs it just before its loop).
xvmd_serving() { grep -c '^xvmd: serving .*/libvirt-sock$' "$1" 2>/dev/null; }

# xvmd_wait_serving LOG BEFORE PID: until LOG has more than BEFORE such
# lines, or PID has exited (its caller sees why); 1 after 30 s. The
# socket alone is not enough: xvmd makes it first, so that a second xvmd
# on the same directories stops before touching anything, and its TCP
# and TLS listeners, adoption and the rest come after.
xvmd_wait_serving() {
	local end
	end=$(deadline_in 30)
	while before "$end"; do
		[ "$(xvmd_serving "$1")" -gt "$2" ] && return 0
		kill -0 "$3" 2>/dev/null || return 0
		sleep 0.1
	done
	[ "$(xvmd_serving "$1")" -gt "$2" ]
}

# xvmd_start [ARGS...]: xvmd in the background, log $TMP/xvmd.log;
# returns once it serves (or has exited).
xvmd_start() {
	local n
	rm -f "$XVM_RUNDIR/libvirt-sock"
	n=$(xvmd_serving "$TMP/xvmd.log")
	"$XVMD" --cgroup "$XVMD_CGROUP" --stop-timeout 10 "$@" \
		</dev/null >>"$TMP/xvmd.log" 2>&1 &
	XVMD_PID=$!
	xvmd_wait_serving "$TMP/xvmd.log" "${n:-0}" "$XVMD_PID" || {
		tail -n 20 "$TMP/xvmd.log"; fail "xvmd: not serving after 30 s"; }
}

# xvmd_stop: SIGTERM and wait (domains are shut down unless marked).
xvmd_stop() {
	[ -n "$XVMD_PID" ] || return 0
	kill "$XVMD_PID" 2>/dev/null
	wait_pid "$XVMD_PID" 40 || { kill -9 "$XVMD_PID"; fail "xvmd did not stop"; }
	XVMD_PID=
}

# xvmd_kill9: the daemon dies without a word; its domains keep running.
xvmd_kill9() {
	kill -9 "$XVMD_PID"
	wait "$XVMD_PID" 2>/dev/null
	XVMD_PID=
}

_xvmd_cleanup() {
	local f
	[ -n "$XVMD_PID" ] && kill -9 "$XVMD_PID" 2>/dev/null
	for f in "$XVM_RUNDIR"/hv/*.pid; do
		[ -e "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	sleep 0.3
	for f in /sys/fs/cgroup/*/"$XVMD_CGROUP"/* /sys/fs/cgroup/*/"$XVMD_CGROUP"; do
		[ -d "$f" ] && rmdir "$f" 2>/dev/null
	done
	true
}
at_exit _xvmd_cleanup

# dom_xml NAME CMDLINE [EXTRA_TOP_LEVEL_XML [DEVICES_XML]]: $TMP/NAME.xml
dom_xml() {
	cat >"$TMP/$1.xml" <<XML
<domain type='xvm'>
  <name>$1</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os>
    <type>xen</type>
    <kernel>$GUEST</kernel>
    <cmdline>$2</cmdline>
  </os>
  ${3:-}
  <devices>
    <console type='pty'/>
    ${4:-}
  </devices>
</domain>
XML
}

# events_start FILE [SECONDS]: stock `virsh event --all --loop` on $URI
# in the background (EV_PID; it stops by itself after SECONDS, default
# 120, and at exit) writing FILE, returned from once it receives events:
# a domain evsync<pid> is defined and undefined and both events waited
# for (virsh registers its callbacks some time after it starts; a fixed
# sleep lost a scenario's first events on a busy machine).
events_start() {
	local f=$1 sync=evsync$$
	timeout "${2:-120}" virsh -c "$URI" event --all --loop >"$f" 2>&1 &
	EV_PID=$!
	at_exit "kill $EV_PID"
	dom_xml "$sync" "workload=idle"
	local end
	end=$(deadline_in 30)
	while ! grep -q "event 'lifecycle' for domain '$sync': Defined" "$f"; do
		before "$end" && kill -0 "$EV_PID" 2>/dev/null ||
			{ cat "$f"; fail "virsh event: no event after 30 s"; }
		V define "$TMP/$sync.xml" >/dev/null || fail "define $sync"
		V undefine "$sync" >/dev/null || fail "undefine $sync"
		wait_for_line "$f" "event 'lifecycle' for domain '$sync': Defined" 1
	done
	wait_for_line "$f" "event 'lifecycle' for domain '$sync': Undefined" 10 ||
		{ cat "$f"; fail "virsh event: no Undefined event for $sync"; }
}

# The guest's console as xvmd logs it.
conlog() { echo "$XVM_RUNDIR/console/$1.log"; }

# expect_state NAME STATE SECONDS: virsh domstate reaches STATE.
# With --reason as a fourth argument, the state and its reason
# ("running (restored)").
expect_state() {
	local end s
	end=$(deadline_in "$3")
	while before "$end"; do
		s=$(V domstate ${4:+"$4"} "$1" 2>/dev/null)
		[ "$s" = "$2" ] && { pass "$1: domstate $2"; return 0; }
		sleep 0.1
	done
	tail -n 20 "$TMP/xvmd.log"
	fail "$1: domstate is '$s', expected '$2' within $3 s"
}

# spin_lines NAME: how many per-second reports a spin guest has printed.
spin_lines() {
	local n
	n=$(grep -c '^guest: spin t=' "$(conlog "$1")" 2>/dev/null)
	echo "${n:-0}"
}

# spin_wait NAME N SECONDS: until NAME's console log has N spin reports
# (1 if not in time). A running guest prints one a second of its own
# time, which a busy machine stretches; xvmd relays them in its own time.
spin_wait() {
	local end
	end=$(deadline_in "$3")
	while [ "$(spin_lines "$1")" -lt "$2" ]; do
		before "$end" || return 1
		sleep 0.2
	done
}

# spin_settled NAME: NAME's spin report count once it has not changed for
# 1 s (at most 10 s): lines printed before a pause may still be on their
# way through xvmd's console relay.
spin_settled() {
	local n m end
	end=$(deadline_in 10)
	n=$(spin_lines "$1")
	while sleep 1; m=$(spin_lines "$1"); [ "$m" != "$n" ] && before "$end"; do
		n=$m
	done
	echo "$m"
}

# expect_fail REGEX ARGS...: virsh ARGS fails (exit 1) printing REGEX.
expect_fail() {
	local re=$1 out rc; shift
	out=$(V "$@" 2>&1); rc=$?
	[ $rc = 1 ] || fail "virsh $*: exit $rc, expected 1 ($out)"
	echo "$out" | grep -Eq -- "$re" || fail "virsh $*: '$out' does not match '$re'"
	pass "virsh $* fails: $(echo "$out" | grep -E -- "$re" | head -n 1)"
}

# NO_KVM: why hv cannot run a guest on this machine, as hv says it when it
# exits ("/dev/kvm: No such file or directory"), from what failed in
# tests/tools/kvm-probe (the steps hv takes first); empty where KVM is
# usable. The native scenarios check what a start does with it.
[ -x "$TOP/build/tests/tools/kvm-probe" ] || fail "tests/tools/kvm-probe is not built"
NO_KVM=$("$TOP/build/tests/tools/kvm-probe" 2>&1) && NO_KVM= || {
	NO_KVM=${NO_KVM#kvm: }
	case $NO_KVM in
	KVM_CREATE_VM:*)   NO_KVM="/dev/kvm:${NO_KVM#KVM_CREATE_VM:}" ;;
	KVM_CREATE_VCPU:*) NO_KVM="vCPUs:${NO_KVM#KVM_CREATE_VCPU:}" ;;
	"API version"*)    NO_KVM="/dev/kvm: Operation not supported" ;;
	esac
}

# start_without_kvm NAME: (where NO_KVM is set) virsh start NAME exits 1
# with hv's own reason, and NAME is left shut off (failed) without an hv.
start_without_kvm() {
	expect_fail "^error: operation failed: hv for '$1' failed to start: hv: $NO_KVM\$" start "$1"
	[ "$(V domstate --reason "$1")" = "shut off (failed)" ] ||
		fail "$1 after the failed start: $(V domstate --reason "$1")"
	[ ! -e "$XVM_RUNDIR/hv/$1.pid" ] || fail "$1: hv pid file left after the failed start"
	pass "$1: shut off (failed), no hv left"
}

# A failure shows what xvmd, each hv and each guest's console said last.
fail() {
	local f
	echo "--- xvmd log (last lines):"
	tail -n 20 "$TMP/xvmd.log" 2>/dev/null
	for f in "$XVM_RUNDIR"/hv/*.log; do
		[ -s "$f" ] || continue
		echo "--- hv log $(basename "$f") (last lines):"
		tail -n 8 "$f"
	done
	for f in "$XVM_RUNDIR"/console/*.log; do
		[ -s "$f" ] || continue
		echo "--- console $(basename "$f") (last lines):"
		tail -n 4 "$f"
	done
	echo "FAIL: $*"
	exit 1
}
