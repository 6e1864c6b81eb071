#!/bin/bash
# Save and restore (issue 9): a guest counting and verifying a memory
# pattern (workload memcheck) is saved with `hvctl save`; hv exits 0 and
# the file holds the stream hvctl reported. A truncated copy, a copy with
# one flipped byte and a restore with another memory size are refused by
# hv with a clear message and exit 1, with no guest output. The stream
# behind a 4096-byte caller header (--restore-offset, as xvmd writes it)
# is restored by a new hv: the guest continues counting after the saved
# value, its memory pattern still verifies, and it does not boot again.
# timeout: 300
. "$(dirname "$0")/lib.sh"
require_kvm
HVCTL=$BIN/hvctl
sock=$XVM_RUNDIR/m1.sock
save=$TMP/m1.save
OPTS=(--memory 32 --vcpus 1)

start_hv m1 "${OPTS[@]}" --kernel "$GUEST" --cmdline "workload=memcheck"
expect_console m1 '^guest: memcheck n=3 ok \(0 bad words\)$' 120

"$HVCTL" -s "$sock" save "$save" >"$TMP/out" 2>"$TMP/err" ||
	{ cat "$TMP/out" "$TMP/err"; show m1; fail "hvctl save failed"; }
cat "$TMP/out"
bytes=$(sed -n 's/^saved \([0-9]*\) bytes to .*$/\1/p' "$TMP/out")
[ -n "$bytes" ] || fail "hvctl save did not report the byte count"
expect_exit m1 60 0
[ -f "$save" ] || fail "no save file"
[ "$(stat -c %s "$save")" = "$bytes" ] ||
	fail "save file has $(stat -c %s "$save") bytes, hvctl said $bytes"
[ "$(stat -c %a "$save")" = 600 ] || fail "save file mode $(stat -c %a "$save"), not 600"
saved_n=$(sed -n 's/^guest: memcheck n=\([0-9]*\).*$/\1/p' "$TMP/m1.console" | tail -n1)
[ -n "$saved_n" ] || fail "no memcheck line before the save"
pass "saved: $bytes bytes, hv exited 0, last count before the save n=$saved_n"

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
	"$save" --memory 64 --vcpus 1
refused "other vCPU count" 'configuration mismatch: saved domain has 1 vCPUs, this one 2' \
	"$save" --memory 32 --vcpus 2

# the stream after a caller's header, as xvmd's save files hold it
{ head -c 4096 /dev/zero; cat "$save"; } >"$TMP/hdr.save"
start_hv m1r "${OPTS[@]}" --restore "$TMP/hdr.save" --restore-offset 4096
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
