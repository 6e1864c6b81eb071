#!/bin/bash
# xvmd restarts: kill -9 while guests run -> a new xvmd lists them with the
# same ids and states (paused stays paused) and they keep running; an
# autostart domain starts when xvmd starts; SIGTERM shuts domains down
# except those marked <xvm:lifecycle on_xend_stop='ignore'/>, which the
# next xvmd adopts; an hv that died while no xvmd ran is cleaned up.
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
require_kvm
xvmd_start
dom_xml auto1 "workload=idle"
dom_xml keep1 "workload=spin" "<xvm:lifecycle xmlns:xvm='http://xvm.example.org/xmlns/domain/1.0' on_xend_stop='ignore'/>"
dom_xml idle1 "workload=idle"
for d in auto1 keep1 idle1; do V define "$TMP/$d.xml" >/dev/null || fail "define $d"; done
V autostart auto1 >/dev/null || fail "autostart"
V dominfo auto1 | grep -Eq '^Autostart: +enable$' || fail "dominfo autostart"
pass "auto1 marked autostart"
V start keep1 >/dev/null && V start idle1 >/dev/null || fail "start"
V dumpxml keep1 | grep -q "on_xend_stop='ignore'" || fail "keep1 lost its on_xend_stop"
wait_for_line "$(conlog idle1)" '^guest: ready' 60 || fail "idle1 did not boot"
wait_for_line "$(conlog keep1)" '^guest: spin t=1 ' 60 || fail "keep1 did not spin"
V suspend idle1 >/dev/null || fail "suspend"
k_id=$(V domid keep1); i_id=$(V domid idle1)
k_pid=$(cat "$XVM_RUNDIR/hv/keep1.pid"); i_pid=$(cat "$XVM_RUNDIR/hv/idle1.pid")

xvmd_kill9
kill -0 "$k_pid" && kill -0 "$i_pid" || fail "hv processes died with xvmd"
pass "kill -9 of xvmd: hv processes $k_pid, $i_pid still run"
n1=$(spin_lines keep1)
xvmd_start
[ "$(V domid keep1)" = "$k_id" ] && [ "$(V domid idle1)" = "$i_id" ] ||
	fail "ids changed: keep1 $(V domid keep1) (was $k_id), idle1 $(V domid idle1) (was $i_id)"
[ "$(V domstate keep1)" = running ] || fail "keep1: $(V domstate keep1)"
[ "$(V domstate idle1)" = paused ] || fail "idle1: $(V domstate idle1)"
[ "$(cat "$XVM_RUNDIR/hv/keep1.pid")" = "$k_pid" ] || fail "keep1 was restarted"
pass "new xvmd adopted keep1 (id $k_id, running) and idle1 (id $i_id, paused), nothing restarted"
expect_state auto1 running 20
a_id=$(V domid auto1)
[ "$a_id" -gt "$i_id" ] && [ "$a_id" -gt "$k_id" ] || fail "auto1 id $a_id collides"
pass "auto1 autostarted with id $a_id"
spin_wait keep1 $((n1 + 2)) 30 || fail "keep1 not progressing ($n1 -> $(spin_lines keep1) in 30 s)"
n2=$(spin_lines keep1)
pass "keep1 still runs ($n1 -> $n2 reports); console relayed by the new xvmd"
V resume idle1 >/dev/null || fail "resume of an adopted domain"
[ "$(V domstate idle1)" = running ] || fail "idle1 not running after resume"
pass "adopted domains obey commands"

wait_for_line "$(conlog auto1)" '^guest: ready' 60 || fail "auto1 did not boot"
xvmd_stop
kill -0 "$k_pid" || fail "keep1 (on_xend_stop=ignore) was stopped"
kill -0 "$i_pid" 2>/dev/null && fail "idle1 still runs after xvmd stopped"
grep -q 'dom idle1: hv ended (poweroff)' "$TMP/xvmd.log" || fail "idle1 did not power off"
grep -q 'dom auto1: hv ended (poweroff)' "$TMP/xvmd.log" || fail "auto1 did not power off"
pass "SIGTERM: idle1 and auto1 shut down, keep1 left running"
xvmd_start
[ "$(V domid keep1)" = "$k_id" ] || fail "keep1 not adopted after a clean restart"
[ "$(V domstate idle1)" = "shut off" ] || fail "idle1: $(V domstate idle1)"
expect_state auto1 running 20
pass "restart: keep1 adopted (id $k_id), auto1 autostarted again"

# An hv that died while no xvmd ran is not adopted: shut off, its runtime
# state and pid file gone, and it starts again.
xvmd_kill9
kill -9 "$k_pid"
for ((i = 0; i < 50; i++)); do kill -0 "$k_pid" 2>/dev/null || break; sleep 0.1; done
xvmd_start
[ "$(V domstate keep1)" = "shut off" ] || fail "keep1 with a dead hv: $(V domstate keep1)"
[ -e "$XVM_RUNDIR/xvmd/keep1.json" ] && fail "runtime state of a dead hv kept"
[ -e "$XVM_RUNDIR/hv/keep1.pid" ] && fail "pid file of a dead hv kept"
[ "$(V domid auto1)" = "$(grep -o '"id":[0-9]*' "$XVM_RUNDIR/xvmd/auto1.json" | cut -d: -f2)" ] ||
	fail "auto1 not adopted next to the dead keep1"
V start keep1 >/dev/null || fail "keep1 does not start after its hv died"
pass "an hv killed while xvmd was down: shut off and cleaned up, starts again"
V destroy keep1 >/dev/null; V destroy auto1 >/dev/null
xvmd_stop
