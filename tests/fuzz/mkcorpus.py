#!/usr/bin/env python3
"""Write the hand-made seed files of tests/fuzz/corpus/ (docs/testing.md
"Fuzzing"): libvirt RPC packets as virsh sends them (xdr), JSON control
requests (rpc), vnicadm command lines (vnicadm), a vhost-user backend's
replies (vhost_user), virtqueue layouts (virtqueue), save image headers
(savefile) and domain XML taken from tests/unit/test_domxml.c (domxml).
The migstream and vdxml seeds are hv's mig_save() and vdiskadm's
vdxml_format() output (see docs/testing.md). Run from the top directory;
the files are committed, this only regenerates them."""
import os
import re
import struct
import zlib

TOP = os.path.dirname(os.path.abspath(__file__)) + "/corpus"


def write(name, fname, data):
    d = os.path.join(TOP, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, fname), "wb") as f:
        f.write(data)


# ---- xdr: libvirt remote protocol (LIBVIRT-RPC.md) ----
PROG, KEEPALIVE = 0x20008086, 0x6b656570


def u32(v):
    return struct.pack(">I", v & 0xffffffff)


def u64(v):
    return struct.pack(">Q", v)


def xstr(s):
    b = s.encode()
    return u32(len(b)) + b + b"\0" * ((4 - len(b) % 4) % 4)


def opt_str(s):
    return u32(0) if s is None else u32(1) + xstr(s)


def pkt(proc, body=b"", serial=1, prog=PROG, ptype=0, status=0):
    hdr = u32(prog) + u32(1) + u32(proc) + u32(ptype) + u32(serial) + u32(status)
    return u32(4 + len(hdr) + len(body)) + hdr + body


OPEN = pkt(66, serial=1) + pkt(1, opt_str("xvm:///system") + u32(0), serial=2)
DOM = ("<domain type='xvm'><name>fz</name><memory unit='MiB'>64</memory>"
       "<vcpu>1</vcpu><os><type>xen</type><kernel>/k</kernel></os>"
       "<devices><console type='pty'/></devices></domain>")
UUID = bytes(16)
DOMREF = xstr("fz") + UUID + struct.pack(">i", -1)  # remote_nonnull_domain


def xdr_seeds():
    write("xdr", "open", OPEN)
    write("xdr", "keepalive", pkt(1, prog=KEEPALIVE, ptype=2, serial=0))
    write("xdr", "unopened-call", pkt(3))
    write("xdr", "info", OPEN + pkt(3, serial=3) + pkt(4, serial=4) +
          pkt(6, serial=5) + pkt(110, serial=6) + pkt(59, serial=7) +
          pkt(7, serial=8) + pkt(273, u32(1) + u32(0), serial=9))
    write("xdr", "define-dumpxml", OPEN + pkt(11, xstr(DOM), serial=3) +
          pkt(23, xstr("fz"), serial=4) + pkt(14, DOMREF + u32(0), serial=5) +
          pkt(35, DOMREF, serial=6))
    write("xdr", "define-meta", OPEN + pkt(350, xstr(DOM) + u32(0), serial=3) +
          pkt(264, DOMREF + u32(0) + opt_str("desc") + opt_str(None) +
              opt_str(None) + u32(0), serial=4) +
          pkt(29, DOMREF + u32(1), serial=5) +
          pkt(57, DOMREF + u32(8), serial=6))
    write("xdr", "stream", OPEN + pkt(201, DOMREF + opt_str(None) + u32(0),
                                      serial=3) +
          pkt(201, b"hello", serial=3, ptype=3, status=2))
    write("xdr", "bad-length", u32(8) + b"\0" * 4)


# ---- rpc: the control socket's JSON lines ----
def rpc_seeds():
    write("rpc", "check", b'{"id":1,"method":"check","params":{"name":"vnic0",'
          b'"mac":"2:8:20:1:2:3","vid":"5","maxbw":"100M","size":"1G",'
          b'"props":"maxbw=10M,priority=low,protection=mac-nospoof,ip-nospoof,'
          b'allowed-ips=10.0.0.1/24,mtu=9000"}}\n')
    write("rpc", "many", b'{"id":1,"method":"echo","params":{"a":[1,2,{"b":null}]}}\n'
          b'\n{"id":"x","method":"fail"}\n{"method":"nope","id":3}\n'
          b'[1,2]\n{"id":4,"method":"echo","params":[]}\n{"id":5')
    write("rpc", "bad-json", b'{"id":1,"method":"check",\n\xff\xfe\n{"id":1,"id":2}\n')


# ---- vnicadm: argv, NUL-separated ----
def vnicadm_seeds():
    lines = {
        "create-vnic": ["create-vnic", "-t", "-l", "phys0", "-m", "random",
                        "-r", "2:8:20", "-v", "5", "-p",
                        "maxbw=100M,priority=high", "vnic1"],
        "set-linkprop": ["set-linkprop", "-p",
                         "protection=mac-nospoof,ip-nospoof,allowed-ips=10.0.0.1",
                         "vnic1"],
        "show-vnic": ["show-vnic", "-p", "-o", "link,over,macaddress", "-s",
                      "-i", "1"],
        "show-usage": ["show-usage", "-s", "01/01/2024,00:00:00", "-e",
                       "01/02/2024,00:00:00", "-f", "/nonexistent", "vnic1"],
        "snoop": ["snoop", "-c", "10", "-s", "128", "-d", "vnic1",
                  "udp port 53"],
        "help": ["help", "create-vnic"],
    }
    for name, argv in lines.items():
        write("vnicadm", name, b"\0".join(a.encode() for a in argv))


# ---- vhost_user: the backend's replies, in order ----
def vu(req, payload, flags=0x5):
    return struct.pack("<III", req, flags, len(payload)) + payload


def vhost_user_seeds():
    feats = (1 << 30) | (1 << 32) | (1 << 26)
    proto = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 9)
    ack = struct.pack("<Q", 0)
    session = (vu(1, struct.pack("<Q", feats)) +
               vu(15, struct.pack("<Q", proto)) +
               vu(3, ack) +  # SET_OWNER ack (REPLY_ACK)
               vu(2, ack) + vu(5, ack) + vu(8, ack) + vu(10, ack) +
               vu(9, ack) + vu(12, ack) + vu(13, ack) + vu(18, ack) +
               vu(24, struct.pack("<III", 0, 64, 0) + bytes(range(64))) +
               vu(19, ack) + vu(6, b"") +
               vu(11, struct.pack("<II", 0, 42)))
    write("vhost_user", "full-session", session)
    write("vhost_user", "no-protocol", vu(1, struct.pack("<Q", 1 << 32)) +
          vu(11, struct.pack("<II", 0, 7)))
    write("vhost_user", "wrong-reply", vu(2, struct.pack("<Q", feats)))


# ---- virtqueue: [size code][flags] then memory from 0x1000 ----
def virtqueue_seeds():
    def layout(descs, heads, size_code=3, flags=2, tables=None):
        mem = bytearray(0x4000 - 0x1000 + 0x400)
        for i, (addr, ln, fl, nxt) in enumerate(descs):
            struct.pack_into("<QIHH", mem, 16 * i, addr, ln, fl, nxt)
        struct.pack_into("<HH", mem, 0x1000, 0, len(heads))
        for i, h in enumerate(heads):
            struct.pack_into("<H", mem, 0x1004 + 2 * i, h)
        for off, entries in (tables or {}).items():
            for i, (addr, ln, fl, nxt) in enumerate(entries):
                struct.pack_into("<QIHH", mem, off - 0x1000 + 16 * i,
                                 addr, ln, fl, nxt)
        return bytes([size_code, flags]) + bytes(mem)
    # descriptor flags: NEXT 1, WRITE 2, INDIRECT 4
    write("virtqueue", "chains", layout(
        [(0x3800, 16, 1, 1), (0x3900, 64, 2, 0), (0x3a00, 32, 0, 0)], [0, 2]))
    write("virtqueue", "indirect", layout(
        [(0x4000, 32, 4, 0)], [0],
        tables={0x4000: [(0x3800, 8, 1, 1), (0x3900, 100, 2, 0)]}))
    write("virtqueue", "evidx", layout(
        [(0x3800, 1, 2, 0)], [0, 0, 0], size_code=1, flags=1))


# ---- savefile: XVMSAVE header ----
def savefile_hdr(xml, flags=0, stream_len=4096):
    x = xml.encode()
    n = 40 + len(x)
    off = (n + 4095) // 4096 * 4096
    buf = bytearray(off)
    buf[0:8] = b"XVMSAVE\n"
    struct.pack_into(">IIIIII", buf, 8, 1, off, len(x), flags,
                     stream_len >> 32, stream_len & 0xffffffff)
    buf[40:40 + len(x)] = x
    crc = zlib.crc32(bytes(buf[:32]) + b"\0" * 4 + bytes(buf[36:]))
    struct.pack_into(">I", buf, 32, crc)
    return bytes(buf)


def savefile_seeds():
    write("savefile", "paused", savefile_hdr(DOM, flags=1))
    write("savefile", "running", savefile_hdr(DOM.replace("fz", "a" * 60),
                                              stream_len=1 << 33))
    write("savefile", "unfinished", savefile_hdr(DOM, stream_len=0))


# ---- domxml: the unit test's documents ----
def c_strings(src, name):
    start = src.index("%s[] =" % name)
    end = src.index("\";\n", start) + 1
    text = src[start:end].replace(
        "DOMXML_NS", '"http://xvm.example.org/xmlns/domain/1.0"')
    parts = re.findall(r"\"((?:[^\"\\]|\\.)*)\"", text)
    return "".join(parts).encode().decode("unicode_escape").encode()


def domxml_seeds():
    with open("tests/unit/test_domxml.c") as f:
        src = f.read()
    write("domxml", "full", c_strings(src, "full_xml"))
    write("domxml", "virt-install", c_strings(src, "virtinst_xml"))
    write("domxml", "minimal", DOM.encode())


if __name__ == "__main__":
    xdr_seeds()
    rpc_seeds()
    vnicadm_seeds()
    vhost_user_seeds()
    virtqueue_seeds()
    savefile_seeds()
    domxml_seeds()
