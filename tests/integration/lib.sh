# Shared helpers for integration scenarios (sourced). Each scenario is a
# bash script tests/integration/NN-name.sh that exits 0 (pass), 77 (skip,
# last line says why) or anything else (fail), and may declare
# "# timeout: SECONDS" (default 120) for tests/run.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$TOP/build/bin
GUEST=$TOP/build/guest/minios.elf
TMP=$(mktemp -d /tmp/xvm-test.XXXXXX)
export XVM_RUNDIR=$TMP/run XVM_STATEDIR=$TMP/state
mkdir -p "$XVM_RUNDIR" "$XVM_STATEDIR"

_cleanups=()
# Run "$@" at exit (in reverse order of registration), pass or fail.
at_exit() { _cleanups+=("$*"); }
_run_cleanups() {
	local i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[$i]}" >/dev/null 2>&1 || true
	done
	rm -rf "$TMP"
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
pass() { echo "ok: $*"; }

# Scenarios that need KVM fail without it, unless XVM_ALLOW_NO_KVM=1 says
# to skip them.
require_kvm() {
	if [ ! -c /dev/kvm ] || ! [ -r /dev/kvm -a -w /dev/kvm ]; then
		[ "${XVM_ALLOW_NO_KVM:-0}" = 1 ] && skip "no usable /dev/kvm (XVM_ALLOW_NO_KVM=1)"
		fail "no usable /dev/kvm: this scenario needs KVM (set XVM_ALLOW_NO_KVM=1 to skip)"
	fi
}

# Waits are bounded by the clock, not by a count of polls: in the nested
# test VM every poll (a fork, a grep) costs much more than natively.
# before DEADLINE: the wall clock (bash's EPOCHREALTIME, no fork) has not
# reached DEADLINE; deadline_in SECONDS prints one. A wait is a bound on
# liveness, not a measure of speed (those are explicit comparisons in the
# scenarios), so in the test VM, where everything is emulated, it is
# stretched like the scenario's time limit (tests/run sets the factor).
WAIT_SCALE=1
[ "${XVM_IN_TEST_VM:-0}" = 1 ] && WAIT_SCALE=${XVM_VM_TIME_SCALE:-3}
deadline_in() { echo $(( ${EPOCHREALTIME/./} / 1000 + $1 * 1000 * WAIT_SCALE )); }
before() { (( ${EPOCHREALTIME/./} / 1000 < $1 )); }
# count_lines REGEX FILE: how many lines of FILE match REGEX; 0 when none
# do or FILE is not there yet (grep -c prints 0 and fails then: "|| echo
# 0" would print two lines).
count_lines() { local n; n=$(grep -c -- "$1" "$2" 2>/dev/null); echo "${n:-0}"; }

# wait_for_line FILE REGEX SECONDS: wait until FILE has a line matching REGEX.
wait_for_line() {
	local file=$1 re=$2 end
	end=$(deadline_in "$3")
	while before "$end"; do
		grep -Eq -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.1
	done
	grep -Eq -- "$re" "$file" 2>/dev/null
}

# wait_pid PID SECONDS: wait for a child to exit; its status in $WAIT_RC.
# Returns 1 (and leaves it running) if it did not exit in time.
wait_pid() {
	local pid=$1 end
	end=$(deadline_in "$2")
	while before "$end"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"; WAIT_RC=$?
			return 0
		fi
		sleep 0.1
	done
	return 1
}

RPC=$TOP/build/tests/tools/rpc-call

# start_hv NAME ARGS...: start hv in the background with its console on
# $TMP/NAME.console (stdio), stderr on $TMP/NAME.err and a control socket
# $XVM_RUNDIR/NAME.sock (or $HV_CONTROL). Sets HV_PID. The domain is
# destroyed at exit.
start_hv() {
	local name=$1; shift
	"$BIN/hv" --name "$name" --control "${HV_CONTROL:-$XVM_RUNDIR/$name.sock}" \
		--console stdio "$@" </dev/null >"$TMP/$name.console" 2>"$TMP/$name.err" &
	HV_PID=$!
	echo "$HV_PID" >"$TMP/$name.pid"
	at_exit "kill -9 $HV_PID"
}

# hv_ctl NAME METHOD: one control call; prints the result.
hv_ctl() { "$RPC" -t 5000 "$XVM_RUNDIR/$1.sock" "$2"; }

# wait_socket PATH SECONDS
wait_socket() {
	local end
	end=$(deadline_in "$2")
	while before "$end"; do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	[ -S "$1" ]
}

# show NAME: the console and stderr of a domain (for failure logs).
show() {
	echo "--- $1 console:"; cat "$TMP/$1.console" 2>/dev/null | tail -n 40
	echo "--- $1 stderr:"; cat "$TMP/$1.err" 2>/dev/null | tail -n 20
	[ -r "$TMP/$1.pid" ] && proc_threads "$(cat "$TMP/$1.pid")"
}

# proc_threads PID: if PID still runs, each of its threads: name, state,
# kernel wait channel and the CPU ticks it used in one second (a vCPU
# spinning in the guest, halted, or waiting in hv).
proc_threads() {
	local t b
	local -A a
	kill -0 "$1" 2>/dev/null || return 0
	for t in /proc/"$1"/task/*; do
		a[$t]=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$t/stat" 2>/dev/null)
	done
	sleep 1
	echo "--- threads of $1 ($(cat "/proc/$1/comm" 2>/dev/null)): name state wchan ticks-in-1s"
	for t in /proc/"$1"/task/*; do
		b=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$t/stat" 2>/dev/null)
		echo "  $(cat "$t/comm" 2>/dev/null)" \
			"$(awk '{ sub(/^.*\) /, ""); print $1 }' "$t/stat" 2>/dev/null)" \
			"$(cat "$t/wchan" 2>/dev/null) $((${b:-0} - ${a[$t]:-0}))"
	done
}

# expect_exit NAME SECONDS STATUS: the domain's hv exits in time with STATUS.
expect_exit() {
	wait_pid "$HV_PID" "$2" || { show "$1"; fail "$1: hv still running after $2 s"; }
	[ "$WAIT_RC" = "$3" ] || { show "$1"; fail "$1: hv exited $WAIT_RC, expected $3"; }
	pass "$1: hv exited with status $3"
}

# expect_console NAME REGEX SECONDS
expect_console() {
	wait_for_line "$TMP/$1.console" "$2" "$3" || { show "$1"; fail "$1: no console line matching '$2' within $3 s"; }
	pass "$1: console shows '$(grep -Em1 -- "$2" "$TMP/$1.console")'"
}
