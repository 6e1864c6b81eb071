#!/bin/bash
# hv runs confined once the domain is set up (docs/security.md): what
# /proc/PID/status shows of it (seccomp filter mode 2 on every thread,
# NoNewPrivs, no capability), and the test hook debug-forbidden-syscall
# (XVM_TEST_SECCOMP=1) making a forbidden call: execve, a packet socket,
# an ioctl that is not hv's (KVM_CREATE_VM) and mount each end hv with exit
# status 12 and "hv: seccomp: forbidden system call NAME (nr N, ...)" on
# stderr; with --seccomp=off the same calls come back as errors (or are
# undone) and the guest goes on; --seccomp=log lets them through too
# (the kernel logs them); without XVM_TEST_SECCOMP the hook is not there;
# bad --seccomp and --user values are refused (exit 2).
# --user: as root, hv switches to uid/gid 65534 and still runs its guest.
# timeout: 240
. "$(dirname "$0")/lib.sh"
require_kvm

# status_of PID FIELD: the value of FIELD in /proc/PID/status
status_of() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# the confinement of every thread of a running hv
check_confined() {
	local pid=$1 name=$2 t n=0
	[ "$(status_of "$pid" NoNewPrivs)" = 1 ] || fail "$name: NoNewPrivs is not 1"
	for f in CapEff CapPrm CapInh CapAmb CapBnd; do
		[ "$(status_of "$pid" $f)" = 0000000000000000 ] ||
			fail "$name: $f is $(status_of "$pid" $f)"
	done
	for t in /proc/"$pid"/task/*; do
		[ "$(awk '$1 == "Seccomp:" { print $2 }' "$t/status")" = 2 ] ||
			fail "$name: thread $(cat "$t/comm") has no seccomp filter"
		n=$((n + 1))
	done
	pass "$name: $n threads under the seccomp filter, NoNewPrivs 1, no capabilities"
}

# forbidden CALL NAME: hv with the test hook makes CALL and dies reporting NAME
forbidden() {
	local call=$1 name=$2 dom=sc-$1 nr
	XVM_TEST_SECCOMP=1 start_hv "$dom" --memory 32 --vcpus 2 --kernel "$GUEST" \
		--cmdline "workload=idle"
	expect_console "$dom" '^guest: ready mem=32 vcpus=2 workload=idle$' 60
	[ "$call" = execve ] && check_confined "$HV_PID" "$dom"
	"$RPC" -t 5000 "$XVM_RUNDIR/$dom.sock" debug-forbidden-syscall \
		"{\"call\":\"$call\"}" >"$TMP/out" 2>&1 &&
		fail "$dom: the forbidden $call returned: $(cat "$TMP/out")"
	expect_exit "$dom" 30 12
	case $name in	# x86_64 numbers
	execve) nr=59 ;; socket) nr=41 ;; ioctl) nr=16 ;; mount) nr=165 ;;
	esac
	grep -q "^hv: seccomp: forbidden system call $name (nr $nr, args " "$TMP/$dom.err" ||
		{ show "$dom"; fail "$dom: no report naming $name"; }
	pass "$dom: $(grep -m1 'forbidden system call' "$TMP/$dom.err")"
}

forbidden execve execve
forbidden socket-packet socket
forbidden kvm-create-vm ioctl
forbidden mount mount

# --seccomp=off and log: the calls return, the guest goes on
for mode in off log; do
	XVM_TEST_SECCOMP=1 start_hv sc-$mode --seccomp=$mode --memory 32 --vcpus 1 \
		--kernel "$GUEST" --cmdline "workload=idle"
	expect_console sc-$mode '^guest: ready mem=32 vcpus=1 workload=idle$' 60
	want=0; [ $mode = off ] || want=2
	[ "$(status_of "$HV_PID" Seccomp)" = $want ] ||
		fail "sc-$mode: Seccomp $(status_of "$HV_PID" Seccomp), expected $want"
	for call in execve mount; do
		"$RPC" -t 5000 "$XVM_RUNDIR/sc-$mode.sock" debug-forbidden-syscall \
			"{\"call\":\"$call\"}" >"$TMP/out" 2>&1 ||
			{ show sc-$mode; fail "sc-$mode: $call: $(cat "$TMP/out")"; }
		grep -q '"returned":-1' "$TMP/out" || fail "sc-$mode: $call did not fail: $(cat "$TMP/out")"
	done
	"$RPC" -t 5000 "$XVM_RUNDIR/sc-$mode.sock" status >"$TMP/out" ||
		fail "sc-$mode: hv gone after the calls"
	"$RPC" -t 5000 "$XVM_RUNDIR/sc-$mode.sock" destroy >/dev/null
	expect_exit sc-$mode 30 0
	pass "sc-$mode: execve and mount came back as errors: $(cat "$TMP/out" | head -c 80)"
done

# the hook is a test build's only: not served without XVM_TEST_SECCOMP=1
start_hv sc-nohook --memory 32 --vcpus 1 --kernel "$GUEST" --cmdline "workload=idle"
expect_console sc-nohook '^guest: ready mem=32 vcpus=1 workload=idle$' 60
"$RPC" -t 5000 "$XVM_RUNDIR/sc-nohook.sock" debug-forbidden-syscall \
	'{"call":"execve"}' >"$TMP/out" 2>&1 && fail "hook served without XVM_TEST_SECCOMP"
grep -qi 'method' "$TMP/out" || fail "unexpected answer: $(cat "$TMP/out")"
kill -0 "$HV_PID" || fail "sc-nohook: hv gone"
pass "without XVM_TEST_SECCOMP: $(cat "$TMP/out")"

# --user: a guest runs with hv as uid 65534
if [ "$(id -u)" = 0 ]; then
	chmod 755 "$TMP"	# the console and err files stay open; nothing else
	start_hv sc-user --user 65534:65534 --memory 32 --vcpus 1 --kernel "$GUEST" \
		--cmdline "workload=idle"
	expect_console sc-user '^guest: ready mem=32 vcpus=1 workload=idle$' 60
	[ "$(awk '$1 == "Uid:" { print $2 $3 $4 $5 }' /proc/$HV_PID/status)" = 65534655346553465534 ] ||
		fail "sc-user: uids $(grep Uid: /proc/$HV_PID/status)"
	check_confined "$HV_PID" sc-user
	"$RPC" -t 5000 "$XVM_RUNDIR/sc-user.sock" destroy >/dev/null ||
		fail "sc-user: control socket not usable"
	expect_exit sc-user 30 0
else
	echo "not root: --user not tried"
fi

# bad values: exit 2 before anything runs
for args in "--seccomp=maybe" "--user no-such-user-xvm" "--user 0"; do
	"$BIN/hv" --name bad --memory 32 --kernel "$GUEST" $args >"$TMP/out" 2>&1
	rc=$?
	[ $rc = 2 ] || fail "hv $args: exit $rc, expected 2"
	pass "hv $args: $(cat "$TMP/out")"
done
