#!/bin/bash
# Save and restore (issue 9): a guest counting and verifying a memory
# pattern (workload memcheck). `hvctl save` to a file that cannot be
# written fails with a clear message and the guest goes on (running, or
# paused). The control method save {path, offset 4096} (as xvmd calls it)
# writes the stream after the caller's header, keeps the header, cuts the
# file after the stream, replies {bytes}, reports state shutdown/shutoff
# with reason saved, and hv exits 0. A truncated copy, a copy with
# one flipped byte and a restore with another memory size are refused by
# hv with a clear message and exit 1, with no guest output. The stream
# behind a 4096-byte caller header (--restore-offset, as xvmd writes it)
# is restored by a new hv (--paused, then resumed): the guest continues
# counting after the saved value, its memory pattern still verifies, and
# it does not boot again.
# timeout: 300
. "$(dirname "$0")/lib.sh"
require_kvm
HVCTL=$BIN/hvctl
sock=$XVM_RUNDIR/m1.sock
save=$TMP/m1.save
OPTS=(--memory 32 --vcpus 2)	# the APs' state (MP state, LAPIC) too

start_hv m1 "${OPTS[@]}" --kernel "$GUEST" --cmdline "workload=memcheck"
expect_console m1 '^guest: memcheck n=3 ok \(0 bad words\)$' 120

# a save that cannot write its file: an error, and the guest goes on as
# it was (running, or paused)
check_run() { # WANT_STATUS hvctl-args...
	local want=$1 rc; shift
	"$HVCTL" "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?
	[ "$rc" = "$want" ] || { cat "$TMP/out" "$TMP/err"; fail "hvctl $*: exit $rc, expected $want"; }
}
check_run 1 -s "$sock" save "$TMP/nodir/m1.save"
grep -q "save: .*nodir/m1.save: No such file or directory" "$TMP/err" ||
	{ cat "$TMP/err"; fail "failed save: no clear message"; }
msg=$(cat "$TMP/err")
n=$(sed -n 's/^guest: memcheck n=\([0-9]*\).*$/\1/p' "$TMP/m1.console" | tail -n1)
expect_console m1 "^guest: memcheck n=$((n + 2)) ok" 60
check_run 0 -s "$sock" status
grep -qx 'State:    running' "$TMP/out" || fail "not running after a failed save"
pass "failed save refused ($msg), guest still running"
check_run 0 -s "$sock" pause
check_run 1 -s "$sock" save "$TMP/nodir/m1.save"
check_run 0 -s "$sock" status
grep -qx 'State:    paused' "$TMP/out" || fail "not paused after a failed save of a paused guest"
check_run 0 -s "$sock" resume
pass "failed save of a paused guest: still paused"

# save as xvmd does it: method save with an offset into a file that holds
# the caller's header (kept) and stale bytes after it (cut off)
{ head -c 4096 /dev/zero | tr '\0' H; head -c 100000 /dev/urandom; } >"$TMP/hdr.save"
head -c 4096 "$TMP/hdr.save" >"$TMP/hdr.only"
"$RPC" -t 120000 -e 30 "$sock" save "{\"path\":\"$TMP/hdr.save\",\"offset\":4096}" \
	>"$TMP/rpc.out" 2>"$TMP/rpc.err" || { cat "$TMP/rpc.out" "$TMP/rpc.err"; fail "save call failed"; }
cat "$TMP/rpc.out"
bytes=$(head -n1 "$TMP/rpc.out" | sed -n 's/^{"bytes":\([0-9]*\)}$/\1/p')
[ -n "$bytes" ] || fail "save reply is not {\"bytes\":N}"
grep -q '"state":"shutdown","reason":"saved"' "$TMP/rpc.out" || fail "no shutdown/saved state event"
grep -q '"state":"shutoff","reason":"saved"' "$TMP/rpc.out" || fail "no shutoff/saved state event"
expect_exit m1 60 0
[ "$(stat -c %s "$TMP/hdr.save")" = $((4096 + bytes)) ] ||
	fail "file has $(stat -c %s "$TMP/hdr.save") bytes, expected 4096 + $bytes"
cmp -s -n 4096 "$TMP/hdr.save" "$TMP/hdr.only" || fail "the caller's header was changed"
tail -c +4097 "$TMP/hdr.save" >"$save"
saved_n=$(sed -n 's/^guest: memcheck n=\([0-9]*\).*$/\1/p' "$TMP/m1.console" | tail -n1)
[ -n "$saved_n" ] || fail "no memcheck line before the save"
pass "saved at offset 4096: $bytes bytes, header kept, file cut after the stream, events shutdown/shutoff reason saved, hv exited 0, last count n=$saved_n"

# refused: hv exits 1 naming the problem, and no guest ran
refused() { # WHAT REGEX FILE [options...]
	local what=$1 re=$2 file=$3 rc; shift 3
	timeout 120 "$BIN/hv" --name bad --console stdio "$@" --restore "$file" \
		</dev/null >"$TMP/bad.console" 2>"$TMP/bad.err"
	rc=$?
	[ "$rc" = 1 ] || { cat "$TMP/bad.err"; fail "$what: hv exited $rc, expected 1"; }
	grep -Eq -- "$re" "$TMP/bad.err" ||
		{ cat "$TMP/bad.err"; fail "$what: message does not match '$re'"; }
	grep -Eq '^(guest|minios):' "$TMP/bad.console" &&
		{ cat "$TMP/bad.console"; fail "$what: a guest ran"; }
	pass "$what refused: $(grep -m1 'cannot restore' "$TMP/bad.err")"
}
head -c $((bytes - 1000)) "$save" >"$TMP/trunc.save"
refused "truncated file" 'cannot restore .*truncated' "$TMP/trunc.save" "${OPTS[@]}"
cp "$save" "$TMP/flip.save"
pos=$((bytes / 2))
b=$(od -An -tu1 -j "$pos" -N1 "$save" | tr -d ' ')
printf "\\$(printf %03o $((b ^ 0x10)))" |
	dd of="$TMP/flip.save" bs=1 seek="$pos" conv=notrunc status=none
cmp -s "$save" "$TMP/flip.save" && fail "byte not flipped"
refused "one flipped byte" 'cannot restore .*checksum mismatch' "$TMP/flip.save" "${OPTS[@]}"
refused "other memory size" 'configuration mismatch: saved domain has 32 MiB of memory, this one 64 MiB' \
	"$save" --memory 64 --vcpus 2
refused "wrong offset" 'cannot restore .*not an xvm state stream' "$TMP/hdr.save" "${OPTS[@]}"
refused "other vCPU count" 'configuration mismatch: saved domain has 2 vCPUs, this one 1' \
	"$save" --memory 32 --vcpus 1

# the stream after the caller's header, as xvmd's save files hold it
# the original --kernel/--cmdline may be repeated (xvmd does): not used
start_hv m1r "${OPTS[@]}" --kernel "$GUEST" --cmdline "workload=memcheck" \
	--restore "$TMP/hdr.save" --restore-offset 4096 --paused
wait_socket "$XVM_RUNDIR/m1r.sock" 60 || { show m1r; fail "no control socket"; }
check_run 0 -s "$XVM_RUNDIR/m1r.sock" status
grep -qx 'State:    paused' "$TMP/out" || { cat "$TMP/out"; show m1r; fail "restored with --paused, but not paused"; }
check_run 0 -s "$XVM_RUNDIR/m1r.sock" resume
pass "restored with --paused: paused until resume"
expect_console m1r "^guest: memcheck n=$((saved_n + 2)) ok \\(0 bad words\\)\$" 120
first_n=$(sed -n 's/^guest: memcheck n=\([0-9]*\) .*$/\1/p' "$TMP/m1r.console" | head -n1)
[ "$first_n" = $((saved_n + 1)) ] ||
	{ show m1r; fail "restored guest's first count is n=$first_n, expected $((saved_n + 1))"; }
grep -q 'BAD' "$TMP/m1r.console" && { show m1r; fail "memory pattern broken after restore"; }
grep -Eq '^minios: xvm PV guest|^guest: ready' "$TMP/m1r.console" &&
	{ show m1r; fail "the restored guest booted again"; }
pass "restored guest continues: n=$first_n after the saved n=$saved_n, pattern verified, no boot banner"

"$HVCTL" -s "$XVM_RUNDIR/m1r.sock" destroy || fail "destroy of the restored domain"
expect_exit m1r 60 0
