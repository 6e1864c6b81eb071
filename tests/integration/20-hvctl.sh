#!/bin/bash
# hvctl drives one guest through its hv's control socket, found by the
# domain's name ($XVM_RUNDIR/hv/NAME.sock, as xvmd starts hv) and by -s:
# status (text and -j), pause, a refused shutdown (exit 1 with hv's
# reason), resume, bad arguments (exit 2), destroy (hv exits 0), and
# afterwards a domain that is not running (exit 3).
# timeout: 120
. "$(dirname "$0")/lib.sh"
require_kvm
HVCTL=$BIN/hvctl
mkdir -p "$XVM_RUNDIR/hv"
sock=$XVM_RUNDIR/hv/web1.sock
HV_CONTROL=$sock start_hv web1 --memory 32 --vcpus 1 --kernel "$GUEST" \
	--cmdline "workload=idle"
expect_console web1 '^guest: ready mem=32 vcpus=1 workload=idle$' 60

# check_run WANT_STATUS CMD...: run hvctl, output in $TMP/out and $TMP/err.
check_run() {
	local want=$1 rc; shift
	"$HVCTL" "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?
	[ "$rc" = "$want" ] || { cat "$TMP/out" "$TMP/err"; fail "hvctl $*: exit $rc, expected $want"; }
}

check_run 0 web1 status
cat "$TMP/out"
grep -qx 'Name:     web1' "$TMP/out" || fail "status does not name the domain"
grep -qx 'State:    running' "$TMP/out" || fail "status does not say running"
grep -qx "PID:      $HV_PID" "$TMP/out" || fail "status does not give hv's pid $HV_PID"
pass "status by name"
check_run 0 -j -s "$sock" status
grep -q '"state":"running"' "$TMP/out" || { cat "$TMP/out"; fail "-j status not JSON with the state"; }
pass "-j status by socket: $(cat "$TMP/out")"

check_run 0 web1 pause
[ -s "$TMP/out" ] && fail "pause printed something: $(cat "$TMP/out")"
check_run 0 web1 status
grep -qx 'State:    paused' "$TMP/out" || { cat "$TMP/out"; fail "status not paused after pause"; }
pass "pause"
check_run 1 web1 shutdown
grep -qx 'hvctl: web1: shutdown: domain is paused; resume it first' "$TMP/err" ||
	{ cat "$TMP/err"; fail "refused shutdown not worded as expected"; }
pass "shutdown of a paused domain refused: $(cat "$TMP/err")"
check_run 0 web1 resume
check_run 0 web1 status
grep -qx 'State:    running' "$TMP/out" || { cat "$TMP/out"; fail "status not running after resume"; }
pass "resume"

check_run 2 web1 frobnicate
grep -q "unknown command 'frobnicate'" "$TMP/err" || fail "no message for a bad command"
check_run 3 nosuch status
grep -q "cannot connect to $XVM_RUNDIR/hv/nosuch.sock" "$TMP/err" || fail "no message for a missing domain"
pass "bad command exit 2, missing domain exit 3"

check_run 0 web1 destroy
expect_exit web1 30 0
check_run 3 web1 status
pass "status of the destroyed domain: $(cat "$TMP/err")"
