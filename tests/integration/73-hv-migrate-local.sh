#!/bin/bash
# Live migration between two hv processes on this host (issue 9): the
# destination waits with --incoming unix:PATH; the control method migrate
# on the source sends guest RAM in dirty-log rounds while the memcheck
# guest keeps running, then pauses it and sends the rest. The source exits
# 0 with events shutdown/shutoff reason migrated; the destination's guest
# goes on counting (from above the source's last count) with its memory
# pattern intact and without booting again. A migrate to an address nobody listens on fails with a clear
# message and the source's guest keeps running.
# timeout: 300
. "$(dirname "$0")/lib.sh"
require_kvm
OPTS=(--memory 32 --vcpus 2)
sock=$XVM_RUNDIR/src.sock
mig=$TMP/mig.sock

start_hv src "${OPTS[@]}" --kernel "$GUEST" --cmdline "workload=memcheck"
expect_console src '^guest: memcheck n=3 ok \(0 bad words\)$' 120

"$RPC" -t 60000 "$sock" migrate "{\"uri\":\"unix:$TMP/nobody.sock\"}" >"$TMP/out" 2>"$TMP/err" &&
	fail "migrate to nobody succeeded"
grep -q "nobody.sock: No such file or directory" "$TMP/err" || { cat "$TMP/err"; fail "no clear message"; }
n=$(sed -n 's/^guest: memcheck n=\([0-9]*\).*$/\1/p' "$TMP/src.console" | tail -n1)
expect_console src "^guest: memcheck n=$((n + 2)) ok" 60
pass "migrate to an address nobody listens on refused ($(cat "$TMP/err")), guest still running"

src_pid=$HV_PID
start_hv dst "${OPTS[@]}" --incoming "unix:$mig"
dst_pid=$HV_PID
wait_socket "$mig" 60 || { show dst; fail "destination not listening"; }
"$RPC" -t 240000 -e 30 "$sock" migrate "{\"uri\":\"unix:$mig\"}" >"$TMP/out" 2>"$TMP/err" ||
	{ cat "$TMP/out" "$TMP/err"; show src; show dst; fail "migrate failed"; }
cat "$TMP/out"
pages=$(head -n1 "$TMP/out" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["pages"])')
# 32 MiB: every one of its 8192 pages in the first round, then the dirty ones
[ "$pages" -ge 8192 ] || fail "only $pages page records sent"
grep -q '"state":"shutoff","reason":"migrated"' "$TMP/out" || fail "no shutoff/migrated event"
HV_PID=$src_pid expect_exit src 60 0
# the destination's first count must be above the source's last one,
# and the count must go on from it
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
pass "migrated guest continues: n=$first_n after n=$saved_n on the source, pattern verified"
"$BIN/hvctl" -s "$XVM_RUNDIR/dst.sock" destroy || fail "destroy of the destination"
expect_exit dst 60 0
