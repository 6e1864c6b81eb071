#!/bin/bash
# Domain events in libvirt's callback form (SUPPORTS_FEATURE 14 = 1),
# through python3-libvirt and stock virsh, no guest booted: a lifecycle
# callback for one domain gets only that domain's events while an
# all-domains one gets both; setMetadata (description, title, an
# element) raises METADATA_CHANGE with the type and namespace URI;
# a deregistered callback gets nothing more; `virsh event --all` prints
# the metadata change; a bad callback id is refused and the daemon
# keeps serving.
# timeout: 60
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
PY=/usr/bin/python3	# Debian's, where python3-libvirt lives
"$PY" -c 'import libvirt' 2>/dev/null || fail "python3-libvirt not installed"
xvmd_start
dom_xml ev1 "workload=idle"
dom_xml ev2 "workload=idle"
events_start "$TMP/virsh-events" 60
VPID=$EV_PID
timeout 40 "$PY" - "$URI" "$TMP/ev1.xml" "$TMP/ev2.xml" <<'PY' || fail "python scenario failed"
import sys, threading, time, libvirt
uri, x1, x2 = sys.argv[1:4]
libvirt.virEventRegisterDefaultImpl()
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)],
                 daemon=True).start()
libvirt.registerErrorHandler(lambda *a: None, None)
def ok(msg): print("ok: " + msg, flush=True)
def wait(pred, secs, what):
    end = time.time() + secs
    while time.time() < end:
        if pred(): return
        time.sleep(0.05)
    raise SystemExit("FAIL: " + what)
E = libvirt
conn = libvirt.open(uri)
d1 = conn.defineXML(open(x1).read())
all_ev, one_ev, meta = [], [], []
conn.domainEventRegisterAny(None, E.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                            lambda c, d, ev, det, o: all_ev.append((d.name(), ev)), None)
cb_one = conn.domainEventRegisterAny(d1, E.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                            lambda c, d, ev, det, o: one_ev.append((d.name(), ev)), None)
cb_meta = conn.domainEventRegisterAny(None, E.VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                            lambda c, d, t, ns, o: meta.append((d.name(), t, ns)), None)
d2 = conn.defineXML(open(x2).read())
d1.setMetadata(E.VIR_DOMAIN_METADATA_TITLE, "web server", None, None,
               E.VIR_DOMAIN_AFFECT_CONFIG)
d1.setMetadata(E.VIR_DOMAIN_METADATA_ELEMENT, "<app>1</app>", "ex",
               "http://example.org/xvm-test", E.VIR_DOMAIN_AFFECT_CONFIG)
d2.setMetadata(E.VIR_DOMAIN_METADATA_DESCRIPTION, "second", None, None,
               E.VIR_DOMAIN_AFFECT_CONFIG)
d1.undefine()
want_all = [("ev2", E.VIR_DOMAIN_EVENT_DEFINED), ("ev1", E.VIR_DOMAIN_EVENT_UNDEFINED)]
wait(lambda: len(all_ev) >= 2 and len(meta) >= 3, 5,
     "events: all %s one %s meta %s" % (all_ev, one_ev, meta))
assert all_ev == want_all, all_ev
ok("lifecycle callback for all domains: %s" % all_ev)
wait(lambda: len(one_ev) >= 1, 5, "filtered: %s" % one_ev)
time.sleep(0.3)
assert one_ev == [("ev1", E.VIR_DOMAIN_EVENT_UNDEFINED)], one_ev
ok("lifecycle callback for ev1 only: %s" % one_ev)
assert meta == [("ev1", E.VIR_DOMAIN_METADATA_TITLE, None),
                ("ev1", E.VIR_DOMAIN_METADATA_ELEMENT, "http://example.org/xvm-test"),
                ("ev2", E.VIR_DOMAIN_METADATA_DESCRIPTION, None)], meta
ok("metadata change: title, element with its URI, description")
conn.domainEventDeregisterAny(cb_meta)
d2.setMetadata(E.VIR_DOMAIN_METADATA_TITLE, "after", None, None,
               E.VIR_DOMAIN_AFFECT_CONFIG)
d2.undefine()
wait(lambda: len(all_ev) >= 3, 5, "undefine of ev2: %s" % all_ev)
time.sleep(0.3)
assert len(meta) == 3, meta
ok("deregistered callback gets nothing more")
try:
    conn.domainEventDeregisterAny(12345)
    raise SystemExit("FAIL: deregistering an unknown callback succeeded")
except libvirt.libvirtError as e:
    pass
assert conn.getHostname()
ok("unknown callback id refused, daemon serving")
conn.close()
PY
# virsh prints what it receives in its own time: each line waited for
wait_for_line "$TMP/virsh-events" "event 'metadata-change' for domain 'ev1': type title, uri <null>" 10 ||
	{ cat "$TMP/virsh-events"; fail "virsh event --all: no metadata-change for ev1"; }
wait_for_line "$TMP/virsh-events" "event 'metadata-change' for domain 'ev1': type element, uri http://example.org/xvm-test" 10 ||
	{ cat "$TMP/virsh-events"; fail "virsh event --all: no element metadata-change"; }
wait_for_line "$TMP/virsh-events" "event 'lifecycle' for domain 'ev2': Defined Added" 10 ||
	{ cat "$TMP/virsh-events"; fail "virsh event --all: no lifecycle"; }
kill "$VPID" 2>/dev/null; wait "$VPID" 2>/dev/null
pass "virsh event --all: lifecycle and metadata-change lines"
xvmd_stop
