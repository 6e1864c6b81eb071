#!/bin/bash
# Issue 12 "Faults": kill -9 at a random point of a burst of changes, then
# a restart: nothing acknowledged is lost, nothing half applied, no
# temporary file left. Two daemons:
#  - xvmd: one client defines (each time with a new <memory>, the
#    generation) and undefines domains d0..d4, one call after another;
#  - vswitchd: one client creates and deletes persistent guest VNICs
#    v0..v4 over an etherstub.
# Each round kills the daemon -9 after a random delay, restarts it and
# compares what it serves with the client's journal: every name must be
# as its last acknowledged change left it, except the one change in
# flight at the kill (the client's first failure: every change it asks
# is valid, it stops there), which may be there or not, whole. Temporary files of writes
# cut short (.NAME.XXXXXX) are counted before the restart and must be
# gone after it. The random choices come from one seed, printed; run
# with XVM_SEED=N to repeat them (the kill's timing still varies).
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
. "$(dirname "$0")/xvmdlib.sh"
net_require
SEED=${XVM_SEED:-$(( (RANDOM << 15) | RANDOM ))}
RANDOM=$SEED
echo "seed $SEED (XVM_SEED=$SEED repeats these choices)"
ROUNDS=${XVM_KILL9_ROUNDS:-6}
NAMES=5
OPS=40
WORKER=
at_exit '[ -n "$WORKER" ] && kill $WORKER 2>/dev/null'

# temps DIR...: temporary files of interrupted atomic writes under DIR.
temps() { find "$@" -name '.*.[A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9]' 2>/dev/null; }

# plan FILE: OPS lines "NAME_INDEX COIN" from the seeded RANDOM (the
# worker is a subshell: its own RANDOM would not follow the seed).
plan() {
	local i
	: >"$1"
	for ((i = 0; i < OPS; i++)); do
		echo "$((RANDOM % NAMES)) $((RANDOM % 3))" >>"$1"
	done
}

# check MODEL JOURNAL ACTUAL WHAT: every name in ACTUAL ("name value"
# lines, value "-" for absent) is MODEL's, or the in-flight change's.
check() {
	python3 - "$@" <<'PY'
import sys
model_f, journal_f, actual_f, what = sys.argv[1:5]
model = dict(l.split() for l in open(model_f) if l.strip())
inflight = None
for l in open(journal_f):
    w = l.split()
    if w[0] == "begin":
        inflight = (w[1], w[2])
    elif w[0] == "ack":
        model[w[1]] = w[2]
        inflight = None
    # "fail" ends the journal (the worker stops at its first failure:
    # every change it asks is valid, so a failure is the kill's) and
    # leaves that change in flight: there whole, or not at all
actual = dict(l.split() for l in open(actual_f) if l.strip())
bad = []
for n in sorted(set(model) | set(actual)):
    want, got = model.get(n, "-"), actual.get(n, "-")
    if got == want:
        continue
    if inflight and inflight[0] == n and got == inflight[1]:
        print("%s: %s is the change in flight at the kill (%s), applied whole" % (what, n, got))
        continue
    bad.append("%s is %s, acknowledged %s%s" % (n, got, want,
               ", in flight %s" % inflight[1] if inflight and inflight[0] == n else ""))
if bad:
    print("%s: LOST OR HALF-APPLIED: %s" % (what, "; ".join(bad)))
    sys.exit(1)
with open(model_f, "w") as f:	# the state the next round starts from
    for n in sorted(actual):
        f.write("%s %s\n" % (n, actual[n]))
PY
}

# ---- xvmd: define / undefine ----
xvmd_start
: >"$TMP/xmodel"
for ((i = 0; i < NAMES; i++)); do echo "d$i -" >>"$TMP/xmodel"; done
gen=0
xvmd_actual() {	# "name memKiB" for d0..d4, "-" if not defined
	local n m
	for ((i = 0; i < NAMES; i++)); do
		n=d$i
		if V dominfo "$n" >/dev/null 2>&1; then
			m=$(V dumpxml "$n" | sed -n "s/.*<memory unit='KiB'>\([0-9]*\)<.*/\1/p")
			echo "$n ${m:-unreadable}"
		else
			echo "$n -"
		fi
	done
}
xworker() {	# PLAN GEN0: the burst, journal on stdout
	local idx coin n g=$2 cur
	declare -A def
	while read -r n cur; do def[$n]=$cur; done <"$TMP/xmodel"
	while read -r idx coin; do
		n=d$idx
		if [ "$coin" = 0 ] && [ "${def[$n]}" != - ]; then
			echo "begin $n -"
			if V undefine "$n" >/dev/null 2>&1; then
				echo "ack $n -"; def[$n]=-
			else
				echo "fail $n"; break
			fi
		else
			g=$((g + 1))
			sed -e "s|<name>.*</name>|<name>$n</name>|" \
			    -e "s|<memory unit='MiB'>32</memory>|<memory unit='KiB'>$((32768 + g))</memory>|" \
			    "$TMP/base.xml" >"$TMP/w.xml"
			echo "begin $n $((32768 + g))"
			if V define "$TMP/w.xml" >/dev/null 2>&1; then
				echo "ack $n $((32768 + g))"; def[$n]=$((32768 + g))
			else
				echo "fail $n"; break
			fi
		fi
	done <"$1"
}
dom_xml base "workload=idle"
for ((r = 1; r <= ROUNDS; r++)); do
	plan "$TMP/xplan"
	delay=$((100 + RANDOM % 1500))
	xworker "$TMP/xplan" $((r * 1000)) >"$TMP/xjournal" 2>&1 &
	WORKER=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	xvmd_kill9
	wait "$WORKER"; WORKER=
	left=$(temps "$XVM_STATEDIR" "$XVM_RUNDIR/xvmd" | wc -l)
	if [ $r = 1 ]; then	# as a kill between mkostemp and rename leaves them
		echo '<domain type=' >"$XVM_STATEDIR/domains/.d0.xml.AbC123"
		echo 1 >"$XVM_STATEDIR/domains/.d1.autostart.x9Y8z7"
		echo '{"id":' >"$XVM_RUNDIR/xvmd/.d2.json.Q1w2E3"
		echo 'keep me' >"$XVM_STATEDIR/domains/notes.txt"
	fi
	xvmd_start
	if [ $r = 1 ]; then
		[ -e "$XVM_STATEDIR/domains/notes.txt" ] || fail "xvmd removed a file that is not its temporary"
		[ "$(grep -c 'store: removed .*left by an interrupted write' "$TMP/xvmd.log")" -ge 3 ] ||
			fail "xvmd did not log the temporaries it removed: $(grep 'store:' "$TMP/xvmd.log")"
		pass "xvmd removed the three planted temporaries at start (logged), kept notes.txt"
	fi
	[ -z "$(temps "$XVM_STATEDIR" "$XVM_RUNDIR/xvmd")" ] ||
		fail "round $r: temporary files after the restart: $(temps "$XVM_STATEDIR" "$XVM_RUNDIR/xvmd")"
	xvmd_actual >"$TMP/xactual"
	grep -q unreadable "$TMP/xactual" && fail "round $r: a definition without its memory: $(cat "$TMP/xactual")"
	out=$(check "$TMP/xmodel" "$TMP/xjournal" "$TMP/xactual" "xvmd round $r") ||
		{ cat "$TMP/xjournal"; fail "$out"; }
	[ -n "$out" ] && echo "$out"
	pass "xvmd round $r: killed after ${delay} ms, $(grep -c '^ack' "$TMP/xjournal") changes acknowledged, all there after the restart; $left temporary file(s) left by the kill, none after the restart"
done
grep -q "store: removed" "$TMP/xvmd.log" &&
	echo "xvmd removed at start: $(grep -c 'store: removed' "$TMP/xvmd.log") temporary file(s)"
xvmd_stop

# ---- vswitchd: create-vnic / delete-vnic (persistent) ----
vsw_start
stub=$(vname 9)
vna create-etherstub "$stub"
: >"$TMP/vmodel"
for ((i = 0; i < NAMES; i++)); do echo "$(vname "v$i") -" >>"$TMP/vmodel"; done
vsw_actual() {
	local n
	for ((i = 0; i < NAMES; i++)); do
		n=$(vname "v$i")
		if "$VNICADM" show-vnic -p -o link,over "$n" 2>/dev/null | grep -qx "$n:$stub"; then
			echo "$n up"
		else
			echo "$n -"
		fi
	done
}
vworker() {
	local idx coin n cur
	declare -A up
	while read -r n cur; do up[$n]=$cur; done <"$TMP/vmodel"
	while read -r idx coin; do
		n=$(vname "v$idx")
		if [ "${up[$n]}" = up ]; then
			echo "begin $n -"
			if timeout 10 "$VNICADM" delete-vnic "$n" >/dev/null 2>&1; then
				echo "ack $n -"; up[$n]=-
			else
				echo "fail $n"; break
			fi
		else
			echo "begin $n up"
			if timeout 10 "$VNICADM" create-vnic -l "$stub" -k guest "$n" >/dev/null 2>&1; then
				echo "ack $n up"; up[$n]=up
			else
				echo "fail $n"; break
			fi
		fi
	done <"$1"
}
for ((r = 1; r <= ROUNDS; r++)); do
	plan "$TMP/vplan"
	delay=$((50 + RANDOM % 800))
	vworker "$TMP/vplan" >"$TMP/vjournal" 2>&1 &
	WORKER=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -9 "$VSW_PID"; wait "$VSW_PID" 2>/dev/null; VSW_PID=
	wait "$WORKER"; WORKER=
	left=$(temps "$XVM_STATEDIR/vswitchd" | wc -l)
	rm -f "$XVM_RUNDIR/vswitchd.sock"
	vsw_start
	[ -z "$(temps "$XVM_STATEDIR/vswitchd")" ] ||
		fail "round $r: temporary files after the restart: $(temps "$XVM_STATEDIR/vswitchd")"
	"$VNICADM" show-etherstub -p -o link | grep -qx "$stub" || fail "round $r: etherstub $stub lost"
	vsw_actual >"$TMP/vactual"
	out=$(check "$TMP/vmodel" "$TMP/vjournal" "$TMP/vactual" "vswitchd round $r") ||
		{ cat "$TMP/vjournal"; fail "$out"; }
	[ -n "$out" ] && echo "$out"
	pass "vswitchd round $r: killed after ${delay} ms, $(grep -c '^ack' "$TMP/vjournal") changes acknowledged, all there after the restart; $left temporary file(s) left by the kill, none after the restart"
done
vsw_stop || fail "vswitchd did not stop on SIGTERM"
