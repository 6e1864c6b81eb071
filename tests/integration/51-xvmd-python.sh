#!/bin/bash
# xvmd through python3-libvirt: the same life cycle as scenario 50 seen
# from libvirt's Python API (create, info, state, XMLDesc, suspend/resume,
# shutdown, destroy, listAllDomains of running domains, lifecycle events,
# a transient domain by createXML). What needs no guest (the connection,
# defineXML, errors, undefine) is 58-xvmd-python-define, run natively.
# timeout: 150
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
require_kvm
PY=/usr/bin/python3	# Debian's, where python3-libvirt lives
"$PY" -c 'import libvirt' 2>/dev/null || fail "python3-libvirt not installed"
xvmd_start
dom_xml py1 "workload=idle"
timeout 120 "$PY" - "$URI" "$TMP/py1.xml" "$(conlog py1)" <<'PY' || fail "python scenario failed"
import sys, threading, time, libvirt
uri, xmlpath, conlog = sys.argv[1:4]
libvirt.virEventRegisterDefaultImpl()
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)],
                 daemon=True).start()
events = []
def ok(msg): print("ok: " + msg, flush=True)
def wait(pred, secs, what):
    end = time.time() + secs
    while time.time() < end:
        if pred(): return
        time.time(); time.sleep(0.1)
    raise SystemExit("FAIL: " + what)

conn = libvirt.open(uri)
conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                            lambda c, d, ev, det, o: events.append((d.name(), ev, det)), None)
dom = conn.defineXML(open(xmlpath).read())
dom.create()
assert dom.isActive() and dom.ID() > 0, dom.ID()
st, maxmem, mem, ncpu, cputime = dom.info()
assert st == libvirt.VIR_DOMAIN_RUNNING and maxmem == 32768 and ncpu == 1, dom.info()
ok("create: running with id %d, info %s" % (dom.ID(), dom.info()))
names = [d.name() for d in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)]
assert names == ["Domain-0", "py1"], names
assert dom.ID() in conn.listDomainsID()
assert conn.lookupByUUIDString(dom.UUIDString()).name() == "py1"
ok("listAllDomains, listDomainsID, lookupByUUIDString")
x = dom.XMLDesc(0)
assert "<name>py1</name>" in x and "id='%d'" % dom.ID() in x, x
ok("XMLDesc")
wait(lambda: "guest: ready" in open(conlog).read(), 60, "guest never ready")
dom.suspend()
assert dom.state() == [libvirt.VIR_DOMAIN_PAUSED, libvirt.VIR_DOMAIN_PAUSED_USER], dom.state()
dom.resume()
assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
ok("suspend/resume: paused (user), running")
dom.shutdown()
wait(lambda: dom.state()[0] == libvirt.VIR_DOMAIN_SHUTOFF, 30, "shutdown did not end in shut off")
assert dom.state() == [libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_SHUTOFF_SHUTDOWN], dom.state()
assert conn.lookupByName("py1").ID() == -1
ok("shutdown: shut off (shutdown)")
dom.create()
dom.destroy()
assert dom.state() == [libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_SHUTOFF_DESTROYED], dom.state()
ok("destroy: shut off (destroyed)")
E = libvirt
want = [("py1", E.VIR_DOMAIN_EVENT_DEFINED, E.VIR_DOMAIN_EVENT_DEFINED_ADDED),
        ("py1", E.VIR_DOMAIN_EVENT_STARTED, E.VIR_DOMAIN_EVENT_STARTED_BOOTED),
        ("py1", E.VIR_DOMAIN_EVENT_SUSPENDED, E.VIR_DOMAIN_EVENT_SUSPENDED_PAUSED),
        ("py1", E.VIR_DOMAIN_EVENT_RESUMED, E.VIR_DOMAIN_EVENT_RESUMED_UNPAUSED),
        ("py1", E.VIR_DOMAIN_EVENT_STOPPED, E.VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN),
        ("py1", E.VIR_DOMAIN_EVENT_STARTED, E.VIR_DOMAIN_EVENT_STARTED_BOOTED),
        ("py1", E.VIR_DOMAIN_EVENT_STOPPED, E.VIR_DOMAIN_EVENT_STOPPED_DESTROYED)]
wait(lambda: len(events) >= len(want), 5, "lifecycle events: got %s" % events)
assert events == want, events
ok("lifecycle events: defined, started, suspended, resumed, stopped (shutdown), started, stopped (destroyed)")
dom.undefine()
t = conn.createXML(open(xmlpath).read().replace("py1", "tr1"), 0)
assert t.isActive() and not t.isPersistent()
t.destroy()
assert [d.name() for d in conn.listAllDomains(0)] == ["Domain-0"]
ok("createXML: transient domain runs, gone after destroy")
conn.close()
PY
xvmd_stop
