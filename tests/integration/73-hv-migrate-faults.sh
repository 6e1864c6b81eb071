#!/bin/bash
# Live migration's failure cases between two hv processes on this host
# (issue 9, "Failure handling"), each leaving one running copy of the
# guest or, where the guest's only complete state is gone, none half-run:
# 1. the destination killed (kill -9) mid-stream: the source's migrate
#    fails with a clear message and its guest counts on;
# 2. the stream cut after 32 KiB by a relay between them: the destination
#    exits 1 saying why, the source fails and runs on;
# 3. garbage instead of a stream, and a stream of another format version
#    (a real one with its version field changed): the destination exits 1
#    naming the problem and never runs a guest;
# 4. a destination with more memory than the source's guest: refused at
#    the stream's config (configuration mismatch), the source runs on;
# 5. the source killed after the switch-over began (pause switches over;
#    a relay passing 2 MiB/s makes the last pass take seconds; the kill
#    comes once migrate.info says stop-copy): the destination, without
#    the end of the stream, exits 1 and runs no half-loaded guest.
# timeout: 300
. "$(dirname "$0")/lib.sh"
require_kvm
OPTS=(--memory 32 --vcpus 1)
sock=$XVM_RUNDIR/src.sock

count() { sed -n 's/^guest: memcheck n=\([0-9]*\).*$/\1/p' "$TMP/$1.console" | tail -n1; }
runs_on() {	# NAME: its guest still counts
	local n; n=$(count "$1")
	expect_console "$1" "^guest: memcheck n=$((n + 2)) ok" 60
}
# dst NAME [OPTS...]: a destination waiting on $TMP/NAME.mig
dst() {
	local name=$1; shift
	start_hv "$name" "${OPTS[@]}" "$@" --incoming "unix:$TMP/$name.mig"
	wait_socket "$TMP/$name.mig" 60 || { show "$name"; fail "$name: not listening"; }
}
never_ran() {	# NAME: its guest printed nothing (it never resumed)
	grep -q '^guest: ' "$TMP/$1.console" && { show "$1"; fail "$1 ran the guest"; }
	return 0
}
# feed SOCK FILE: send FILE as a stream, then wait for hv's answer or close
feed() {
	timeout 10 /usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(open(sys.argv[2], "rb").read()); s.shutdown(socket.SHUT_WR); s.recv(100)' "$1" "$2" 2>/dev/null
}

# relay LISTEN TARGET cut BYTES | slow 0: in the background, pass one
# stream from a unix socket LISTEN to TARGET, one way (the answer never
# reaches the source): "cut" closes both after BYTES; "slow" passes 64
# KiB every 31 ms (about 2 MiB/s, small socket buffers) until the source
# ends, then ends the stream
relay() {
	timeout 120 /usr/bin/python3 - "$@" <<'PY' >"$TMP/relay-${1##*/}.out" 2>&1 &
import socket, sys, time
listen, target, mode, left = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ls = socket.socket(socket.AF_UNIX); ls.bind(listen); ls.listen(1)
a, _ = ls.accept()
b = socket.socket(socket.AF_UNIX); b.connect(target)
if mode == "slow":
    for s in (a, b):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
while mode == "slow" or left > 0:
    d = a.recv(65536 if mode == "slow" else min(65536, left))
    if not d: break
    b.sendall(d); left -= len(d)
    if mode == "slow": time.sleep(0.031)
if mode == "cut":
    a.close(); b.close()
else:
    b.shutdown(socket.SHUT_WR); b.recv(100)
PY
	at_exit "kill $! 2>/dev/null"
	wait_socket "$1" 10 || fail "relay $1 not listening"
}

start_hv src "${OPTS[@]}" --kernel "$GUEST" --cmdline "workload=memcheck,spin"
src_pid=$HV_PID
expect_console src '^guest: memcheck n=2 ok \(0 bad words\)$' 120

# 1. the destination dies mid-stream (1 MiB/s and a 1 ms target: it
# cannot converge, so it is still sending when the destination dies)
dst d1
d1_pid=$HV_PID
"$RPC" -t 120000 "$sock" migrate "{\"uri\":\"unix:$TMP/d1.mig\",\"bandwidth_mib\":1,\"downtime_ms\":1}" \
	>"$TMP/out1" 2>"$TMP/err1" & rpc=$!
sleep 2
kill -9 "$d1_pid"
wait "$rpc" && fail "migrate to a killed destination succeeded"
grep -Eq "Broken pipe|Connection reset|destination" "$TMP/err1" || fail "no clear message: $(cat "$TMP/err1")"
HV_PID=$src_pid runs_on src
pass "destination killed mid-stream: '$(cat "$TMP/err1")'; the source's guest runs on"

# 2. the stream cut after 32 KiB by a relay
dst d2
d2_pid=$HV_PID
relay "$TMP/relay.sock" "$TMP/d2.mig" cut $((32 << 10))
"$RPC" -t 120000 "$sock" migrate "{\"uri\":\"unix:$TMP/relay.sock\",\"downtime_ms\":1}" \
	>"$TMP/out2" 2>"$TMP/err2" && fail "migrate through a cut stream succeeded"
HV_PID=$d2_pid expect_exit d2 60 1
grep -Eq "hv: incoming migration: .*(ended|truncated|closed|short|reset)" "$TMP/d2.err" || { show d2; fail "d2 does not say the stream ended early"; }
never_ran d2
HV_PID=$src_pid runs_on src
pass "stream cut after 32 KiB: source '$(cat "$TMP/err2")', destination '$(grep -m1 'incoming migration' "$TMP/d2.err")'; the guest runs on at the source"

# 3. garbage, and another format version
dst d3
d3_pid=$HV_PID
head -c 65536 /dev/urandom >"$TMP/garbage"
feed "$TMP/d3.mig" "$TMP/garbage"
HV_PID=$d3_pid expect_exit d3 30 1
grep -q "hv: incoming migration: .*: not an xvm state stream (bad magic)" "$TMP/d3.err" || { show d3; fail "d3: garbage not named"; }
never_ran d3
# a real stream (a second guest saved to a file) with its version changed
start_hv sv "${OPTS[@]}" --kernel "$GUEST" --cmdline "workload=idle"
sv_pid=$HV_PID
expect_console sv '^guest: ' 60
"$RPC" -t 60000 "$XVM_RUNDIR/sv.sock" save "{\"path\":\"$TMP/sv.state\"}" >"$TMP/save.out" 2>&1 ||
	{ cat "$TMP/save.out"; fail "save of sv"; }
HV_PID=$sv_pid expect_exit sv 60 0
/usr/bin/python3 - "$TMP/sv.state" "$TMP/v9.state" <<'PY' || fail "cannot patch the stream"
import sys
b = bytearray(open(sys.argv[1], "rb").read())
off = b.find(b"XVMSTRM\0")
assert off >= 0, "no stream magic"
b[off + 8:off + 12] = bytes([0, 0, 0, 9]) if b[off + 8] == 0 else bytes([9, 0, 0, 0])
open(sys.argv[2], "wb").write(b[off:])
PY
dst d4
d4_pid=$HV_PID
feed "$TMP/d4.mig" "$TMP/v9.state"
HV_PID=$d4_pid expect_exit d4 30 1
grep -q "hv: incoming migration: .*unsupported stream format version 9 (this hv reads version 1)" "$TMP/d4.err" || { show d4; fail "d4: version not named"; }
never_ran d4
pass "garbage ('$(grep -m1 'incoming migration' "$TMP/d3.err")') and version 9 ('$(grep -m1 'incoming migration' "$TMP/d4.err")') refused; no guest ran"

# 4. a destination with other memory: refused at the config
dst d5 --memory 64
d5_pid=$HV_PID
"$RPC" -t 60000 "$sock" migrate "{\"uri\":\"unix:$TMP/d5.mig\"}" >"$TMP/out5" 2>"$TMP/err5" &&
	fail "migrate to a destination with other memory succeeded"
grep -q "configuration mismatch" "$TMP/err5" || fail "source: no clear message: $(cat "$TMP/err5")"
HV_PID=$d5_pid expect_exit d5 30 1
never_ran d5
HV_PID=$src_pid runs_on src
pass "destination with 64 MiB for a 32 MiB guest: '$(cat "$TMP/err5")'; the source runs on"
"$BIN/hvctl" -s "$sock" destroy >/dev/null
HV_PID=$src_pid expect_exit src 30 0

# 5. the source killed after the switch-over began: a relay passing
# 2 MiB/s makes the last pass of a guest with 16 MiB written take
# seconds; pause switches over; once migrate.info says stop-copy, kill -9
start_hv s2 "${OPTS[@]}" --kernel "$GUEST" --cmdline "workload=memcheck,dirty dirty_mbps=16 dirty_mib=16"
s2_pid=$HV_PID
expect_console s2 '^guest: memcheck n=1 ok' 120
dst d6
d6_pid=$HV_PID
relay "$TMP/slow.sock" "$TMP/d6.mig" slow 0
"$RPC" -t 120000 "$XVM_RUNDIR/s2.sock" migrate \
	"{\"uri\":\"unix:$TMP/slow.sock\",\"downtime_ms\":1}" \
	>"$TMP/out6" 2>"$TMP/err6" & rpc=$!
sleep 2
"$BIN/hvctl" -s "$XVM_RUNDIR/s2.sock" pause >/dev/null || fail "pause (switch-over) of s2"
end=$(deadline_in 20)
until "$RPC" -t 5000 "$XVM_RUNDIR/s2.sock" migrate.info 2>/dev/null | grep -Eq '"phase": *"stop-copy"'; do
	before "$end" || { show s2; show d6; cat "$TMP/slow.out" "$TMP/err6"; fail "s2 never reached stop-copy"; }
	sleep 0.05
done
kill -9 "$s2_pid" || fail "s2 was gone before the kill: the last pass was not slow enough"
wait "$rpc"
HV_PID=$d6_pid expect_exit d6 60 1
grep "incoming migration" "$TMP/d6.err"
grep -q "hv: incoming migration: " "$TMP/d6.err" || { show d6; fail "d6 does not say why"; }
never_ran d6
pass "source killed in stop-copy: the destination '$(grep -m1 'incoming migration' "$TMP/d6.err")', ran no half-loaded guest"
