#!/bin/bash
# 256 hostile unprivileged clients against xvmd's read-only socket (issue
# 12 findings 2 and 3), no guest booted (runs natively): xvmd --system in
# a mount namespace of the scenario's own (a tmpfs on /run, so its
# /var/run/libvirt sockets are not the host's). 16 users (uids 60000-
# 60015, no account needed) open connections to the read-only socket
# (0666), the first alone 20, then the others 16 each; they open them and
# send 2000 capabilities calls each without
# reading a reply. At most 128 read-only connections are taken, at most
# 16 of one user; meanwhile root's virsh on the read-write socket lists
# and defines, and xvmd's memory stays bounded (each client has at most
# 1 MiB of replies queued before its calls are no longer read). The
# figures printed (connections, xvmd's RSS, root's virsh time) are those
# docs/security.md "xvmd" quotes; no timing is asserted.
# timeout: 120
if [ "${XVM_HOSTILE_NS:-}" != 1 ]; then
	command -v unshare >/dev/null || { echo "SKIP: unshare (util-linux) not installed"; exit 77; }
	XVM_HOSTILE_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
command -v virsh >/dev/null || fail "virsh not installed (libvirt-clients)"
[ "$(id -u)" = 0 ] || skip "needs root (other users' clients, a mount namespace)"
mount -t tmpfs -o size=16m xvmtest-run /run || fail "cannot mount a tmpfs on /run"
at_exit umount -l /run
xvmd_start --system
RO=/var/run/libvirt/virtxvmd-sock-ro
RW=/var/run/libvirt/virtxvmd-sock
wait_socket "$RO" 10 || fail "no read-only socket"
SYS="xvm+unix:///system?socket=$RW"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$XVMD_PID/status"; }
rss0=$(rss)
dom_xml root1 "workload=idle"; mv "$TMP/root1.xml" "$TMP/root.xml"
chmod 755 "$TMP"

timeout 100 /usr/bin/python3 - "$RO" "$SYS" "$XVMD_PID" "$TMP" <<'PY' || fail "hostile clients"
import os, socket, struct, subprocess, sys, time
ro, sysuri, xvmd, tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
PROG = 0x20008086
USERS, PER_USER, CALLS = 16, 16, 2000

def pkt(proc, payload=b"", serial=1):
    body = struct.pack(">IIiiIi", PROG, 1, proc, 0, serial, 0) + payload
    return struct.pack(">I", len(body) + 4) + body

def xstr(b):
    return struct.pack(">I", len(b)) + b + b"\0" * (-len(b) % 4)

def reply(s):
    try:
        h = s.recv(4)
        if len(h) < 4:
            return None
        n = struct.unpack(">I", h)[0] - 4
        d = b""
        while len(d) < n:
            c = s.recv(n - len(d))
            if not c:
                return None
            d += c
        return d
    except (socket.timeout, ConnectionResetError):
        return None

def user(uid, n, w):
    os.setgid(uid)
    os.setuid(uid)
    held = []
    for i in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(ro)
            s.sendall(pkt(66))                       # AUTH_LIST
            if reply(s) is None:
                s.close()
                continue
            # CONNECT_OPEN of xvm:///system
            s.sendall(pkt(1, struct.pack(">I", 1) + xstr(b"xvm:///system") + struct.pack(">I", 1), 2))
            if reply(s) is None:
                s.close()
                continue
        except OSError:
            s.close()
            continue
        held.append(s)
        s.setblocking(False)
        burst = b"".join(pkt(7, serial=10 + k) for k in range(CALLS))
        try:
            s.send(burst)                            # and never read
        except OSError:
            pass
    os.write(w, b"%d\n" % len(held))
    time.sleep(60)                                   # held until killed
    os._exit(0)

pids, counts = [], []
def spawn(uid, n):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        user(uid, n, w)
    os.close(w)
    pids.append((pid, r))
    return r
# the first user alone tries 20: 16 are its share
counts.append(int(os.read(spawn(60000, 20), 16) or b"0"))
for u in range(1, USERS):
    spawn(60000 + u, PER_USER)
for pid, r in pids[1:]:
    counts.append(int(os.read(r, 16) or b"0"))
time.sleep(2)                                        # let xvmd queue replies
rss = int([l.split()[1] for l in open("/proc/%d/status" % xvmd) if l.startswith("VmRSS")][0])
t0 = time.monotonic()
out = subprocess.run(["virsh", "-q", "-c", sysuri, "list", "--all"], capture_output=True, text=True, timeout=30)
t1 = time.monotonic()
d = subprocess.run(["virsh", "-q", "-c", sysuri, "define", tmp + "/root.xml"], capture_output=True, text=True, timeout=30)
t2 = time.monotonic()
for pid, r in pids:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print("figures: read-only connections held %d of %d tried (per user: %s); xvmd RSS %d KiB; root's virsh list %.3f s, define %.3f s"
      % (sum(counts), 20 + (USERS - 1) * PER_USER, ",".join(map(str, counts)), rss, t1 - t0, t2 - t1))
if counts[0] != 16:
    raise SystemExit("FAIL: a user alone held %d connections, expected 16" % counts[0])
if sum(counts) != 128:
    raise SystemExit("FAIL: %d read-only connections held, expected 128" % sum(counts))
if max(counts) > 16:
    raise SystemExit("FAIL: one user held %d connections" % max(counts))
if out.returncode != 0 or "Domain-0" not in out.stdout:
    raise SystemExit("FAIL: root's virsh list: %d %s %s" % (out.returncode, out.stdout, out.stderr))
if d.returncode != 0:
    raise SystemExit("FAIL: root's define: %s" % d.stderr)
open(tmp + "/rss", "w").write("%d\n" % rss)
print("ok: 128 read-only connections at most, 16 per user; root listed and defined meanwhile")
PY
rss1=$(cat "$TMP/rss")
# 128 clients x (1 MiB of queued replies + a reply + a 64 KiB packet)
[ "$rss1" -lt $((rss0 + 200 * 1024)) ] || fail "xvmd grew from $rss0 to $rss1 KiB with hostile clients"
pass "xvmd RSS $rss0 -> $rss1 KiB with 128 hostile read-only clients"
V list --all --name | grep -qx root1 || fail "root's definition not listed"
expect_fail "operation forbidden: read only access prevents" -c "xvm+unix:///system?socket=$RO" define "$TMP/root.xml"
pass "the read-only socket serves again once the hostile clients are gone"
xvmd_stop
