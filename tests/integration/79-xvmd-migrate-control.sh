#!/bin/bash
# The user's controls over a live migration through xvmd, with stock
# virsh, natively (hv is tests/tools/fake-hv, which runs its migration
# beside its control loop as hv does and honours migrate.set, migrate.info
# and migrate.cancel; a guest named "dirty*" dirties 4 MiB per round, so
# it converges only if 4 MiB at the speed fits the downtime). Checked:
# migrate-setmaxdowntime / getmaxdowntime and migrate-setspeed / getspeed
# before a migration (kept for the domain, libvirt's defaults and range
# errors); a migration too slow for a 1 ms downtime fails with hv's
# message telling to raise it, the guest runs on at A, nothing at B;
# the same migration with the downtime raised from a second virsh while
# it runs completes; migrate --bandwidth 1 and domjobinfo during it
# (processed bytes within the 1 MiB/s limit, a generous bound, not a
# timing test; memory bandwidth, dirty rate, iteration); domjobabort
# during it: virsh migrate fails "operation aborted", the guest counts on
# at A, B has no domain and no hv; domjobabort without a job refused;
# suspend during a migration that cannot converge makes it switch over
# (virsh migrate --timeout's action).
# The real hv's side is 78-hv-migrate-control.
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
. "$(dirname "$0")/miglib.sh"
FAKE=$TOP/tests/tools/fake-hv

ticks() { sed -n 's/^guest: spin t=\([0-9]*\).*/\1/p' "$1" | tail -n 1; }
wait_tick() {	# LOG T: the guest counted to T
	local end; end=$(deadline_in 30)
	while before "$end"; do
		[ "$(ticks "$1")" -ge "$2" ] 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$1: no 'guest: spin t=$2' (last: $(ticks "$1"))"
}
running_on_a() {	# NAME: still running on A and counting
	local t
	[ "$(VA domstate "$1")" = running ] || fail "$1 on A: $(VA domstate --reason "$1" 2>&1)"
	t=$(ticks "$(conlog "$1")")
	wait_tick "$(conlog "$1")" $((t + 1))
}
job_field() {	# NAME FIELD: domjobinfo's value
	VA domjobinfo "$1" 2>/dev/null | sed -n "s/^$2: *//p"
}
wait_job() {	# NAME: until domjobinfo shows the migration's figures
	local end; end=$(deadline_in 20)
	until [ -n "$(job_field "$1" 'Iteration')" ]; do
		before "$end" || fail "domjobinfo shows no migration: $(VA domjobinfo "$1" 2>&1)"
		sleep 0.1
	done
}

xvmd_a_start --hv "$FAKE"
xvmd_b_start --hv "$FAKE"
dom_xml dirty1 "workload=spin"
# persistent, so that A keeps it (shut off) after it has gone, with the
# figures of its last migration (domjobinfo --completed)
VA define "$TMP/dirty1.xml" >/dev/null && VA start dirty1 >/dev/null || fail "define/start dirty1"
wait_tick "$(conlog dirty1)" 1

# --- the settings before a migration
[ "$(VA migrate-getmaxdowntime dirty1)" = 300 ] || fail "default downtime: $(VA migrate-getmaxdowntime dirty1)"
[ "$(VA migrate-getspeed dirty1)" = 8796093022207 ] || fail "default speed: $(VA migrate-getspeed dirty1)"
VA migrate-setmaxdowntime dirty1 1 || fail "setmaxdowntime 1"
VA migrate-setspeed dirty1 8 || fail "setspeed 8"
[ "$(VA migrate-getmaxdowntime dirty1)" = 1 ] || fail "downtime not kept: $(VA migrate-getmaxdowntime dirty1)"
[ "$(VA migrate-getspeed dirty1)" = 8 ] || fail "speed not kept: $(VA migrate-getspeed dirty1)"
expect_fail "downtime must be from 1 to 3600000 ms" migrate-setmaxdowntime dirty1 3600001
expect_fail "bandwidth must be at most 1048576 MiB/s" migrate-setspeed dirty1 2000000
expect_fail "no job is active on the domain" domjobabort dirty1
pass "downtime and speed kept for the domain (defaults 300 ms, unlimited), bad values and an abort without a job refused"
# a restarted xvmd (kill -9, then adoption) keeps them for the running domain
xvmd_kill9
xvmd_a_start --hv "$FAKE"
[ "$(VA migrate-getmaxdowntime dirty1)" = 1 ] && [ "$(VA migrate-getspeed dirty1)" = 8 ] ||
	fail "settings lost across an xvmd restart: $(VA migrate-getmaxdowntime dirty1) ms, $(VA migrate-getspeed dirty1) MiB/s"
pass "downtime and speed kept across an xvmd restart (adopted dirty1)"

# --- 4 MiB at 8 MiB/s is 500 ms: over 1 ms, it never converges
out=$(VA migrate --live dirty1 "$URI_B" 2>&1) && fail "a migration that cannot converge succeeded"
echo "$out" | grep -q "did not converge in 31 rounds: 4096 KiB stay dirty, 500 ms at 8192 KiB/s, over the max downtime of 1 ms; raise it (virsh migrate-setmaxdowntime)" ||
	fail "no clear message: $out"
running_on_a dirty1
no_trace_b dirty1
VA domjobinfo --completed dirty1 >"$TMP/done1" 2>&1 || fail "domjobinfo --completed: $(cat "$TMP/done1")"
grep -q "^Job type: *Failed" "$TMP/done1" && grep -q "^Operation: *Outgoing migration" "$TMP/done1" ||
	fail "domjobinfo --completed after the failure: $(cat "$TMP/done1")"
pass "no convergence: '$out'; dirty1 runs on at A, nothing at B; domjobinfo --completed: Failed"

# --- raised from a second virsh while it runs: it completes
VA migrate --live dirty1 "$URI_B" >"$TMP/mig2.out" 2>&1 &
mpid=$!
wait_job dirty1
VA migrate-setmaxdowntime dirty1 1000 || fail "setmaxdowntime during the migration"
wait $mpid || fail "the migration did not complete after raising the downtime: $(cat "$TMP/mig2.out")"
[ "$(VB domstate --reason dirty1)" = "running (migrated)" ] || fail "dirty1 on B: $(VB domstate --reason dirty1 2>&1)"
[ "$(VA domstate --reason dirty1)" = "shut off (migrated)" ] || fail "dirty1 on A: $(VA domstate --reason dirty1 2>&1)"
VA domjobinfo --completed dirty1 >"$TMP/done2" 2>&1 || fail "domjobinfo --completed: $(cat "$TMP/done2")"
cat "$TMP/done2"
grep -q "^Job type: *Completed" "$TMP/done2" && grep -q "^Operation: *Outgoing migration" "$TMP/done2" &&
	grep -q "^Iteration: *[1-9]" "$TMP/done2" && grep -q "^Data processed: *[1-9]" "$TMP/done2" ||
	fail "domjobinfo --completed: $(cat "$TMP/done2")"
VA domjobinfo --completed dirty1 | grep -q "^Job type: *None" || fail "completed job not forgotten once read"
pass "downtime raised to 1000 ms during the migration from a second virsh: migrated; domjobinfo --completed on A: Completed, then forgotten"
VB destroy dirty1 >/dev/null
VA undefine dirty1 >/dev/null

# --- migrate --bandwidth 1 and domjobinfo; then domjobabort
dom_xml dirty2 "workload=spin"
VA create "$TMP/dirty2.xml" >/dev/null || fail "create dirty2"
wait_tick "$(conlog dirty2)" 1
VA migrate --live --bandwidth 1 dirty2 "$URI_B" >"$TMP/mig3.out" 2>&1 &
mpid=$!
wait_job dirty2
sleep 2
VA domjobinfo dirty2 >"$TMP/job" || fail "domjobinfo"
cat "$TMP/job"
grep -q "^Operation: *Outgoing migration" "$TMP/job" || fail "domjobinfo: no outgoing migration"
grep -Eq "^Memory bandwidth: *1[.]000 MiB/s" "$TMP/job" || fail "domjobinfo: bandwidth not the 1 MiB/s limit"
grep -Eq "^Data total: *32[.]000 MiB" "$TMP/job" || fail "domjobinfo: data total"
elapsed=$(sed -n 's/^Time elapsed: *\([0-9]*\) *ms.*/\1/p' "$TMP/job")
processed=$(sed -n 's/^Memory processed: *\([0-9.]*\) MiB/\1/p' "$TMP/job")
# at 1 MiB/s: no more than the time elapsed allows, doubled for slack
python3 -c "import sys; p, e = float(sys.argv[1]), int(sys.argv[2]); sys.exit(0 if 0 < p <= 2 * (e / 1000 + 0.5) else 1)" \
	"$processed" "$elapsed" || fail "$processed MiB processed in $elapsed ms at a 1 MiB/s limit"
pass "--bandwidth 1: $processed MiB processed in $elapsed ms, domjobinfo shows the limit"
VB domjobinfo dirty2 >"$TMP/jobB" 2>&1 || fail "domjobinfo on B: $(cat "$TMP/jobB")"
cat "$TMP/jobB"
grep -q "^Job type: *Unbounded" "$TMP/jobB" && grep -q "^Operation: *Incoming migration" "$TMP/jobB" &&
	grep -Eq "^Memory total: *32[.]000 MiB" "$TMP/jobB" || fail "domjobinfo on B: $(cat "$TMP/jobB")"
# (the fake hv counts its RAM without sending it: 75 checks the bytes)
pass "domjobinfo on the destination: incoming migration of 32 MiB"
VA domjobabort dirty2 || fail "domjobabort"
wait $mpid && fail "an aborted migration succeeded: $(cat "$TMP/mig3.out")"
grep -q "operation aborted: migration of 'dirty2' cancelled by the client" "$TMP/mig3.out" ||
	fail "virsh migrate: $(cat "$TMP/mig3.out")"
running_on_a dirty2
no_trace_b dirty2
grep -q "dom dirty2: incoming migration cancelled" "$TMP/xvmdB.log" ||
	fail "B does not say the migration was cancelled"
pass "domjobabort: '$(tail -n1 "$TMP/mig3.out")'; dirty2 counts on at A, nothing left at B"
VA destroy dirty2 >/dev/null

# --- suspend during a migration (what virsh migrate --timeout does): hv
# switches over at once whatever the downtime
dom_xml dirty3 "workload=spin"
VA create "$TMP/dirty3.xml" >/dev/null || fail "create dirty3"
VA migrate-setmaxdowntime dirty3 1 || fail "setmaxdowntime dirty3"
VA migrate --live dirty3 "$URI_B" >"$TMP/mig4.out" 2>&1 &
mpid=$!
wait_job dirty3
VA suspend dirty3 || fail "suspend during the migration"
wait $mpid || fail "the suspended migration did not complete: $(cat "$TMP/mig4.out")"
VB domstate dirty3 >/dev/null || fail "dirty3 not on B"
VA domstate dirty3 >/dev/null 2>&1 && fail "dirty3 still on A"
pass "suspend during a migration that could not converge: it switched over, dirty3 is on B"
VB destroy dirty3 >/dev/null
xvmd_b_stop
xvmd_stop
