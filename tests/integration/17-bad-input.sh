#!/bin/bash
# Bad arguments and unusable kernels: exit 2 with one clear line.
# timeout: 60
. "$(dirname "$0")/lib.sh"
echo "this is not a kernel" >"$TMP/text"
# An ELF without the PVH note: a host binary.
NOPVH=/bin/true
check() { # expected-regex args...
	local re=$1; shift
	"$BIN/hv" "$@" </dev/null >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	[ $rc = 2 ] || { cat "$TMP/err"; fail "hv $*: exit $rc, expected 2"; }
	[ "$(wc -l <"$TMP/err")" = 1 ] || { cat "$TMP/err"; fail "hv $*: expected one line on stderr"; }
	grep -Eq -- "$re" "$TMP/err" || { cat "$TMP/err"; fail "hv $*: message does not match '$re'"; }
	pass "hv $*: $(cat "$TMP/err")"
}
check 'No such file' --name b --memory 32 --kernel "$TMP/missing"
check 'not a PVH ELF or bzImage' --name b --memory 32 --kernel "$TMP/text"
check 'no Xen PVH entry note' --name b --memory 32 --kernel "$NOPVH"
check '--memory' --name b --memory 0 --kernel "$GUEST"
check '--memory' --name b --memory lots --kernel "$GUEST"
check '--vcpus' --name b --memory 32 --vcpus 0 --kernel "$GUEST"
check 'unrecognized option|unknown option' --name b --memory 32 --kernel "$GUEST" --frobnicate
check '--name' --memory 32 --kernel "$GUEST"
check '--kernel' --name b --memory 32
check 'console' --name b --memory 32 --kernel "$GUEST" --console telnet
