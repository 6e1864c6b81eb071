#!/bin/bash
# Bad input to xvmd, no guest booted (runs natively, with or without KVM):
# unknown domain, malformed/incomplete/unsupported XML, duplicate name,
# operations on Domain-0, a kernel that does not exist -> virsh prints a
# libvirt error and exits 1, and nothing is stored for a refused
# definition; garbage, truncated, oversized and undecodable RPC packets
# from a raw socket close that connection (a well-formed call of an
# unknown procedure gets NO_SUPPORT and the connection lives on); a packet
# left unfinished closes its connection after 30 s; packets over 64 KiB
# share 64 MiB of buffers; a second xvmd on the same run directory refuses
# to start; xvmd keeps serving other clients throughout.
# timeout: 120
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
xvmd_start

expect_fail "failed to get domain 'nosuch'" start nosuch
expect_fail "failed to get domain 'nosuch'" dominfo nosuch
printf "<domain type='xvm'><name>x</name" >"$TMP/bad1.xml"
expect_fail "XML error: line [0-9]+: " define "$TMP/bad1.xml"
dom_xml nomem "workload=idle"; sed -i '/<memory/d' "$TMP/nomem.xml"
expect_fail "missing element 'memory'" define "$TMP/nomem.xml"
dom_xml gfx "workload=idle" "" "<graphics type='vnc'/>"
expect_fail "unsupported device 'graphics': xvm has no display device" define "$TMP/gfx.xml"
dom_xml qcow "workload=idle" "" "<disk type='file' device='disk'><driver name='qemu' type='qed'/><source file='/tmp/x.qed'/><target dev='xvda' bus='xen'/></disk>"
expect_fail "unsupported disk driver type 'qed' \\(raw, qcow2, vmdk, vdi, vpc\\)" define "$TMP/qcow.xml"
dom_xml defnet "workload=idle" "" "<interface type='network'><source network='default'/></interface>"
expect_fail "invalid link name 'default' in source network: xvm has no libvirt networks" define "$TMP/defnet.xml"
dom_xml badname "workload=idle"; sed -i 's:<name>badname</name>:<name>bad/name</name>:' "$TMP/badname.xml"
expect_fail "invalid domain name 'bad/name'" define "$TMP/badname.xml"
dom_xml vlan "workload=idle" "" "<interface type='bridge'><source bridge='phys0'/><vlan><tag id='5000'/></vlan></interface>"
expect_fail "invalid VLAN identifier" define "$TMP/vlan.xml"
dom_xml kvm "workload=idle"; sed -i "s/type='xvm'/type='kvm'/" "$TMP/kvm.xml"
expect_fail "unsupported domain type 'kvm'" define "$TMP/kvm.xml"
# Issue 12 #1: entities are never expanded. The reproducer: one 200 KB
# entity referenced 5000 times (215 KB of XML, 1 GB expanded) is refused
# at its DOCTYPE, xvmd's memory stays where it was.
python3 - "$TMP/ent.xml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write('<!DOCTYPE domain [<!ENTITY e "%s">]>\n' % ("x" * 200000))
    f.write("<domain type='xvm'><name>ent</name><memory>65536</memory>"
            "<os><type>xen</type><kernel>/k</kernel></os><description>")
    f.write("&e;" * 5000)
    f.write("</description></domain>\n")
PY
rss() { awk '/^VmRSS/ {print $2}' "/proc/$XVMD_PID/status"; }
rss0=$(rss)
expect_fail "XML error: DTDs and entity declarations are not accepted" define "$TMP/ent.xml"
rss1=$(rss)
[ "$rss1" -lt $((rss0 + 20000)) ] || fail "xvmd grew from $rss0 to $rss1 KiB reading the entity document"
pass "entity document: xvmd RSS $rss0 -> $rss1 KiB"
printf "<!DOCTYPE domain SYSTEM 'file:///etc/passwd'><domain type='xvm'/>" >"$TMP/ext.xml"
expect_fail "XML error: DTDs and entity declarations are not accepted" define "$TMP/ext.xml"
# Issue 12 #8: an empty document's error is its own, never the text of
# the document refused before it.
printf "<domain type='xvm'><name>SECRET-text</nam></domain>" >"$TMP/secret.xml"
expect_fail "XML error: line 1: " define "$TMP/secret.xml"
: >"$TMP/empty.xml"
out=$(/usr/bin/python3 - "$URI" <<'PY'
import sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
try:
    libvirt.open(sys.argv[1]).defineXML("")
except libvirt.libvirtError as e:
    print(e)
PY
)
[ "$out" = "XML error: empty document" ] || fail "empty document: '$out'"
pass "empty document: '$out'"
[ -z "$(ls "$XVM_STATEDIR/domains")" ] || fail "a refused definition left a file"
pass "nothing stored for refused definitions"

dom_xml dup1 "workload=idle"
V define "$TMP/dup1.xml" >/dev/null || fail "define dup1"
expect_fail "domain 'dup1' already exists with uuid" define "$TMP/dup1.xml"
expect_fail "Domain-0" destroy Domain-0
dom_xml nokernel "workload=idle"; sed -i "s:<kernel>.*</kernel>:<kernel>/nonexistent/vmlinuz</kernel>:" "$TMP/nokernel.xml"
V define "$TMP/nokernel.xml" >/dev/null || fail "define nokernel"
expect_fail "kernel '/nonexistent/vmlinuz'" start nokernel
[ "$(V domstate nokernel)" = "shut off" ] || fail "nokernel not shut off"

timeout 90 /usr/bin/python3 - "$XVM_RUNDIR/libvirt-sock" <<'PY' || fail "raw socket checks"
import socket, struct, sys, time
path = sys.argv[1]
PROG, KA = 0x20008086, 0x6b656570

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s

def pkt(prog, proc, payload=b"", typ=0, serial=1, vers=1, status=0):
    body = struct.pack(">IIiiIi", prog, vers, proc, typ, serial, status) + payload
    return struct.pack(">I", len(body) + 4) + body

def closed(s):
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True

def xstr(b):
    return struct.pack(">I", len(b)) + b + b"\0" * (-len(b) % 4)

cases = {
    "short length": struct.pack(">I", 8) + b"\0" * 4,
    "oversized length": struct.pack(">I", 0x7fffffff) + b"\0" * 64,
    "unknown program": pkt(0x12345678, 1),
    "bad version": pkt(PROG, 1, vers=9),
    "reply type from a client": pkt(PROG, 1, typ=1),
    "truncated args": pkt(PROG, 1, b"\0\0\0\1"),
    "string longer than the packet": pkt(PROG, 1, struct.pack(">II", 1, 1000) + b"abc\0"),
    "garbage": b"\xde\xad\xbe\xef" * 64,
    "trailing bytes": pkt(PROG, 66, b"\0" * 8),
}
# A huge (allowed) length word and never the rest: dropped after 30 s.
stall = conn()
stall.sendall(struct.pack(">I", 16 << 20) + b"\0" * 100)
stall_t = time.monotonic()
for name, data in cases.items():
    s = conn()
    s.sendall(data)
    if not closed(s):
        raise SystemExit("FAIL: %s: connection left open" % name)
    print("ok: %s: connection closed" % name)

# Big packets share 64 MiB: with the 16 MiB stall and three more
# announced, a fifth is refused while small calls are still served; once
# the three go, a big packet is read again.
bigs = [conn() for _ in range(3)]
for b in bigs:
    b.sendall(struct.pack(">I", 16 << 20) + b"\0" * 100)
time.sleep(0.3)
over = conn()
over.sendall(struct.pack(">I", 16 << 20) + b"\0" * 100)
if not closed(over):
    raise SystemExit("FAIL: a fifth 16 MiB packet was accepted")
small = conn()
small.sendall(pkt(PROG, 66, serial=3))
r = small.recv(4096)
assert struct.unpack(">IIIiiIi", r[:28])[5:] == (3, 0), r
for b in bigs:
    b.close()
time.sleep(0.3)
again = conn()
again.sendall(struct.pack(">I", 16 << 20) + b"\0" * 100)
again.settimeout(1)
if closed(again):
    raise SystemExit("FAIL: big packets refused after the others went")
again.close()
print("ok: big packets beyond 64 MiB in all refused, small calls served, budget released")

# Truncated packet then half-close: closed, and meanwhile others are served.
hold = conn()
hold.sendall(pkt(PROG, 66)[:20])
s = conn()
s.sendall(pkt(PROG, 66, serial=7))
r = s.recv(4096)
ln, prog, vers, proc, typ, serial, status = struct.unpack(">IIIiiIi", r[:28])
assert (proc, typ, serial, status) == (66, 1, 7, 0), (proc, typ, serial, status)
print("ok: served while another client holds half a packet")
hold.shutdown(socket.SHUT_WR)
if not closed(hold):
    raise SystemExit("FAIL: truncated packet: connection left open")
print("ok: truncated packet: connection closed")

# An unknown procedure: an error reply (NO_SUPPORT), the connection lives.
s.sendall(pkt(PROG, 9999, serial=8))
r = s.recv(4096)
ln, prog, vers, proc, typ, serial, status = struct.unpack(">IIIiiIi", r[:28])
code, = struct.unpack(">i", r[28:32])
assert (proc, typ, serial, status, code) == (9999, 1, 8, 1, 3), (proc, typ, serial, status, code)
s.sendall(pkt(KA, 1, typ=2, serial=0))
r = s.recv(4096)
assert struct.unpack(">IIIiiIi", r[:28])[1:] == (KA, 1, 2, 2, 0, 0), r
# A call before CONNECT_OPEN is refused, not served.
s.sendall(pkt(PROG, 23, xstr(b"Domain-0"), serial=9))
r = s.recv(4096)
assert struct.unpack(">i", r[24:28])[0] == 1, r
print("ok: unknown procedure -> NO_SUPPORT, PING -> PONG, call before open refused; connection kept")
time.sleep(max(0, stall_t + 28 - time.monotonic()))
stall.sendall(b"\0" * 4)	# trickling bytes does not extend the time
stall.settimeout(0.5)
if closed(stall):
    raise SystemExit("FAIL: unfinished packet: closed before 30 s")
time.sleep(max(0, stall_t + 33 - time.monotonic()))
stall.settimeout(10)
if not closed(stall):
    raise SystemExit("FAIL: unfinished 16 MiB packet: connection kept after 30 s")
print("ok: a packet left unfinished closes its connection after 30 s, not before")
PY
out=$("$XVMD" --cgroup "$XVMD_CGROUP" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 'Address already in use' || fail "second xvmd: exit $rc: $out"
pass "a second xvmd on the same run directory refuses to start"
V list --all | grep -Eq "^ *- +dup1 +shut off$" || fail "xvmd no longer serving: $(V list --all)"
pass "xvmd still serves virsh after the bad input"
xvmd_stop
