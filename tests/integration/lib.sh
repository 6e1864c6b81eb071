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

# wait_for_line FILE REGEX SECONDS: wait until FILE has a line matching REGEX.
wait_for_line() {
	local file=$1 re=$2 secs=$3 i
	for ((i = 0; i < secs * 10; i++)); do
		grep -Eq -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_pid PID SECONDS: wait for a child to exit; its status in $WAIT_RC.
# Returns 1 (and leaves it running) if it did not exit in time.
wait_pid() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"; WAIT_RC=$?
			return 0
		fi
		sleep 0.1
	done
	return 1
}
