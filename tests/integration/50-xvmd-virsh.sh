#!/bin/bash
# xvmd with stock virsh, running guests: start -> list shows it running
# with an id -> dominfo fields -> console log -> suspend/resume stop and
# restart the guest's progress -> the live dumpxml round-trips (defined
# under a new name it starts) -> shutdown -> shut off; destroy; a new boot
# gets a new id. What needs no guest (host queries, define, the inactive
# XML, autostart, undefine) is 56-xvmd-define, run natively.
# timeout: 180
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
require_kvm
command -v virsh >/dev/null || fail "virsh not installed (libvirt-clients)"
xvmd_start

dom_xml web1 "workload=spin"
V define "$TMP/web1.xml" >/dev/null || fail "define"
V start web1 >/dev/null || { tail "$TMP/xvmd.log"; fail "start"; }
id=$(V domid web1)
V list | grep -Eq "^ *$id +web1 +running$" || fail "list: $(V list)"
[ "$id" -ge 1 ] || fail "domid '$id'"
pass "started: running with id $id"
info=$(V dominfo web1)
echo "$info" | grep -Eq "^Id: +$id$" || fail "dominfo Id: $info"
echo "$info" | grep -Eq '^State: +running$' || fail "dominfo State: $info"
echo "$info" | grep -Eq '^Max memory: +32768 KiB$' || fail "dominfo memory: $info"
echo "$info" | grep -Eq '^CPU\(s\): +1$' || fail "dominfo CPUs: $info"
echo "$info" | grep -Eq '^OS Type: +xen$' || fail "dominfo OS: $info"
echo "$info" | grep -Eq '^Persistent: +yes$' || fail "dominfo persistent: $info"
pass "dominfo: id, state, memory, CPUs, OS type, persistent"
[ "$(V domname "$id")" = web1 ] || fail "domname $id"
[ "$(V domuuid web1)" = "$(V dumpxml web1 | sed -n 's:.*<uuid>\(.*\)</uuid>.*:\1:p')" ] || fail "domuuid"
V ttyconsole web1 | grep -q '^/dev/pts/' || fail "ttyconsole: $(V ttyconsole web1)"
pass "domname, domuuid, ttyconsole"

wait_for_line "$(conlog web1)" '^guest: spin t=2 ' 60 || { cat "$(conlog web1)"; fail "no spin output in the console log"; }
pass "guest output in the console log"
V suspend web1 >/dev/null || fail "suspend"
[ "$(V domstate web1)" = paused ] || fail "domstate after suspend: $(V domstate web1)"
n1=$(spin_settled web1); sleep 3; n2=$(spin_lines web1)
[ "$n1" = "$n2" ] || fail "guest progressed while paused ($n1 -> $n2)"
pass "suspended: paused, no progress ($n2 reports)"
V resume web1 >/dev/null || fail "resume"
[ "$(V domstate web1)" = running ] || fail "domstate after resume"
spin_wait web1 $((n2 + 2)) 30 || fail "no progress after resume ($n2 -> $(spin_lines web1) in 30 s)"
n3=$(spin_lines web1)
pass "resumed: running, progress ($n2 -> $n3)"

V dumpxml web1 >"$TMP/dump.xml" || fail "dumpxml"
grep -q "<domain type='xen' id='$id'" "$TMP/dump.xml" || fail "dumpxml lacks the id"
sed -e 's:<name>web1</name>:<name>web2</name>:' -e '/<uuid>/d' \
	-e 's/workload=spin/workload=idle/' "$TMP/dump.xml" >"$TMP/web2.xml"
V define "$TMP/web2.xml" >/dev/null || fail "define of the dumped XML"
V start web2 >/dev/null || fail "start of the redefined domain"
id2=$(V domid web2)
[ "$id2" -gt "$id" ] || fail "web2 id $id2 not after $id"
wait_for_line "$(conlog web2)" '^guest: ready .*workload=idle' 60 || fail "web2 did not boot"
pass "dumpxml round-trips: web2 defined from it runs with id $id2"
diff <(V dumpxml --inactive web2 | grep -v -e '<name>' -e '<uuid>' -e '<cmdline>') \
     <(V dumpxml --inactive web1 | grep -v -e '<name>' -e '<uuid>' -e '<cmdline>') ||
	fail "inactive XML of web1 and web2 differ beyond name/uuid/cmdline"
pass "inactive XML identical but for name, uuid and cmdline"

V shutdown web2 >/dev/null || fail "shutdown"
expect_state web2 "shut off" 30
V domstate --reason web2 | grep -qx 'shut off (shutdown)' || fail "web2: $(V domstate --reason web2)"
V list --all | grep -Eq '^ *- +web2 +shut off$' || fail "list after shutdown: $(V list --all)"
pass "shutdown: the guest powered off"
V destroy web1 >/dev/null || fail "destroy"
[ "$(V domstate web1)" = "shut off" ] || fail "domstate after destroy"
[ -z "$(ls "$XVM_RUNDIR"/hv/*.pid 2>/dev/null)" ] || fail "hv pid files left: $(ls "$XVM_RUNDIR"/hv)"
pass "destroy: shut off, no hv left"
V start web1 >/dev/null || fail "restart"
[ "$(V domid web1)" -gt "$id2" ] || fail "a new boot did not get a new id"
pass "a new boot gets a new id ($(V domid web1))"
V destroy web1 >/dev/null
xvmd_stop
