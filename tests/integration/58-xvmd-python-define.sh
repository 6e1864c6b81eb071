#!/bin/bash
# xvmd through python3-libvirt, no guest booted (runs natively, with or
# without KVM): the connection (type XVM, hostname, secure, nodeinfo),
# Domain-0 by id 0; defineXML -> shut off and persistent, found by name
# and UUID, listed by listAllDomains; a DEFINED event; errors as
# libvirtError with the code virsh would show (NO_DOMAIN, OPERATION_INVALID
# for resuming a shut off domain); undefine -> gone, an UNDEFINED event.
# timeout: 60
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
PY=/usr/bin/python3	# Debian's, where python3-libvirt lives
"$PY" -c 'import libvirt' 2>/dev/null || fail "python3-libvirt not installed"
xvmd_start
dom_xml py1 "workload=idle"
timeout 40 "$PY" - "$URI" "$TMP/py1.xml" <<'PY' || fail "python scenario failed"
import sys, threading, time, libvirt
uri, xmlpath = sys.argv[1:3]
libvirt.virEventRegisterDefaultImpl()
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)],
                 daemon=True).start()
libvirt.registerErrorHandler(lambda *a: None, None)
events = []
def ok(msg): print("ok: " + msg, flush=True)
def wait(pred, secs, what):
    end = time.time() + secs
    while time.time() < end:
        if pred(): return
        time.sleep(0.1)
    raise SystemExit("FAIL: " + what)

conn = libvirt.open(uri)
conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                            lambda c, d, ev, det, o: events.append((d.name(), ev, det)), None)
assert conn.getType() == "XVM", conn.getType()
assert conn.getHostname()
assert conn.isSecure() == 1
info = conn.getInfo()
assert info[0] == "x86_64" and info[2] >= 1, info
ok("connection: type XVM, nodeinfo %s" % (info[:3],))
d0 = conn.lookupByID(0)
assert d0.name() == "Domain-0" and d0.isActive()
ok("Domain-0 by id 0")

dom = conn.defineXML(open(xmlpath).read())
assert dom.name() == "py1" and not dom.isActive() and dom.isPersistent()
assert dom.isUpdated() == 0	# 202 DOMAIN_IS_UPDATED (it was served as 152)
assert dom.state()[0] == libvirt.VIR_DOMAIN_SHUTOFF
assert dom.ID() == -1, dom.ID()
ok("defineXML: py1 shut off, persistent, no id")
assert conn.lookupByName("py1").UUIDString() == dom.UUIDString()
assert conn.lookupByUUIDString(dom.UUIDString()).name() == "py1"
names = [d.name() for d in conn.listAllDomains(0)]
assert names == ["Domain-0", "py1"], names
names = [d.name() for d in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_INACTIVE)]
assert names == ["py1"], names
ok("lookupByName, lookupByUUIDString, listAllDomains (all, inactive)")
try:
    dom.resume()
    raise SystemExit("FAIL: resume of a shut off domain succeeded")
except libvirt.libvirtError as e:
    assert e.get_error_code() == libvirt.VIR_ERR_OPERATION_INVALID, e.get_error_code()
try:
    conn.lookupByName("nosuch")
    raise SystemExit("FAIL: lookup of nosuch succeeded")
except libvirt.libvirtError as e:
    assert e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN, e.get_error_code()
ok("errors: OPERATION_INVALID, NO_DOMAIN")
dom.undefine()
assert [d.name() for d in conn.listAllDomains(0)] == ["Domain-0"]
ok("undefine")
E = libvirt
want = [("py1", E.VIR_DOMAIN_EVENT_DEFINED, E.VIR_DOMAIN_EVENT_DEFINED_ADDED),
        ("py1", E.VIR_DOMAIN_EVENT_UNDEFINED, E.VIR_DOMAIN_EVENT_UNDEFINED_REMOVED)]
wait(lambda: len(events) >= len(want), 5, "lifecycle events: got %s" % events)
assert events == want, events
ok("lifecycle events: defined, undefined")
conn.close()
PY
xvmd_stop
