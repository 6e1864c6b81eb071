#!/bin/bash
# What a hostile local client meets at vswitchd's control socket, and
# vswitchd out of file descriptors (issue 12: findings 2, 6 and 11; the
# numbers are the ones docs/security.md "vswitchd" gives):
#  - a request line longer than 64 KiB: E2BIG and closed at once;
#    malformed requests are answered and not logged;
#  - 128 clients each holding an unfinished 64 KiB line: root's vnicadm
#    still works (the longest idle is evicted with EUSERS), vswitchd's
#    memory grows by about 8 MiB, and every hostile client is closed
#    (ETIMEDOUT) once it has sent no complete request for 60 s;
#  - the 257th VNIC on a switch: "switch X has its maximum of 256 ports";
#  - under `ulimit -n 64`: guest VNIC creation fails with "Too many open
#    files" (not EIO), clients beyond the fd limit are told EMFILE instead
#    of hanging, vswitchd logs it once instead of spinning, and serves
#    again once fds are back.
# timeout: 300
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
command -v python3 >/dev/null || fail "python3 is not installed"
SOCK=$XVM_RUNDIR/vswitchd.sock
stub=$(vname 9)

# hostile.py MODE ...: raw clients (see each mode); prints one result line.
cat >"$TMP/hostile.py" <<'EOF'
import json, os, socket, sys, time
path, mode = sys.argv[1], sys.argv[2]

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s

def first_line(s, timeout):
    s.settimeout(timeout)
    buf = b""
    try:
        while b"\n" not in buf:
            d = s.recv(4096)
            if not d:
                break
            buf += d
    except (socket.timeout, ConnectionResetError):
        pass
    if b"\n" not in buf:
        return None
    return json.loads(buf.split(b"\n")[0])

def code(msg):
    return (msg or {}).get("error", {}).get("code", "none")

if mode == "bigline":
    # N clients each send SIZE bytes with no newline: each must be told.
    n, size = int(sys.argv[3]), int(sys.argv[4])
    codes = []
    for i in range(n):
        s = conn()
        try:
            s.sendall(b"x" * size)
        except (BrokenPipeError, ConnectionResetError):
            pass
        codes.append(code(first_line(s, 10)))
        s.close()
    print(" ".join(codes))
elif mode == "malformed":
    # N malformed requests of several kinds on one connection: one error
    # reply each, the connection kept. Prints how many replies came.
    n = int(sys.argv[3])
    bad = [b"{bad\n", b"[1]\n", b'{"id":"x"}\n', b'{"id":1}\n',
           b'{"id":1,"method":"nope"}\n', b'{"id":1,"method":"vnic.create","params":{"name":7}}\n']
    s = conn()
    got = 0
    for i in range(n):
        s.sendall(bad[i % len(bad)])
        if code(first_line(s, 10)) != "none":
            got += 1
    print(got)
elif mode == "hold":
    # N clients each send SIZE bytes of an unfinished line, then wait to be
    # closed; prints the codes and the seconds each lived.
    n, size, ready = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    socks = []
    for i in range(n):
        s = conn()
        s.sendall(b'{"id":1,"method":"link.list","params":{"x":"' + b"y" * size)
        socks.append((s, time.monotonic()))
        time.sleep(0.01)  # distinct ages: eviction takes the oldest
    open(ready, "w").close()
    res = {}
    lives = []
    for s, t0 in socks:
        m = first_line(s, max(1, 120 - (time.monotonic() - t0)))
        res[code(m)] = res.get(code(m), 0) + 1
        if code(m) == "ETIMEDOUT":
            lives.append(time.monotonic() - t0)
    print(json.dumps({"codes": res, "min_life": min(lives or [0]),
                      "max_life": max(lives or [0])}))
elif mode == "flood":
    # N clients connect and wait; those past the fd limit get an error
    # line. One accepted client then makes a request. Prints the counts.
    n = int(sys.argv[3])
    pid = int(sys.argv[4])
    def cpu_ms():   # vswitchd's utime + stime
        f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) * 1000 // os.sysconf("SC_CLK_TCK")
    c0 = cpu_ms()
    socks = [conn() for i in range(n)]
    time.sleep(2)
    cpu = cpu_ms() - c0
    counts = {}
    live = []
    for s in socks:
        s.setblocking(False)
        try:
            d = s.recv(4096)
            c = code(json.loads(d.split(b"\n")[0])) if d else "eof"
        except BlockingIOError:
            c = "open"
            live.append(s)
        counts[c] = counts.get(c, 0) + 1
    served = "none"
    if live:
        live[0].setblocking(True)
        live[0].sendall(b'{"id":5,"method":"etherstub.list"}\n')
        r = first_line(live[0], 10)
        served = "yes" if r and "result" in r else "no"
    print(json.dumps({"counts": counts, "served": served, "cpu_ms": cpu}))
EOF
hostile() { python3 "$TMP/hostile.py" "$SOCK" "$@"; }
rss_kb() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$VSW_PID/status"; }

vsw_start
vna create-etherstub -t "$stub"

# 1. A line over 64 KiB: E2BIG and closed, not kept.
codes=$(hostile bigline 4 $((64 * 1024 + 100)))
[ "$codes" = "E2BIG E2BIG E2BIG E2BIG" ] || fail "a 64 KiB + 100 byte unfinished line got '$codes', expected E2BIG each"
pass "an unfinished line longer than 64 KiB: E2BIG and closed"

# 1b. Malformed requests are answered, not logged (one log line each
# was 27 MB in 5 minutes in xvmd; vswitchd must not do the same).
nlog=$(wc -l <"$TMP/vswitchd.log")
got=$(hostile malformed 600)
[ "$got" = 600 ] || fail "600 malformed requests: $got error replies"
[ "$(wc -l <"$TMP/vswitchd.log")" = "$nlog" ] || { tail -n 5 "$TMP/vswitchd.log"; fail "malformed requests were logged"; }
pass "600 malformed requests: 600 error replies, no log line"

# 2. 128 clients hold 64 KiB unfinished lines; root still gets in; all are
# closed after 60 s without a complete request.
rss0=$(rss_kb)
hostile hold 128 65400 "$TMP/ready" >"$TMP/hold.out" &
hold_pid=$!
for i in $(seq 1 300); do [ -e "$TMP/ready" ] && break; sleep 0.1; done
[ -e "$TMP/ready" ] || fail "the 128 hostile clients did not connect"
sleep 1
rss1=$(rss_kb)
echo "vswitchd RSS: $rss0 KiB before, $rss1 KiB with 128 clients holding 64 KiB each (+$(( (rss1 - rss0) / 1024 )) MiB)"
[ $((rss1 - rss0)) -lt $((32 * 1024)) ] || fail "128 hostile clients cost vswitchd $(( (rss1 - rss0) / 1024 )) MiB"
timeout 10 "$VNICADM" show-etherstub >"$TMP/out" 2>"$TMP/err" || { cat "$TMP/err"; fail "root's vnicadm locked out by 128 idle clients"; }
grep -qx "$stub" "$TMP/out" || fail "show-etherstub with 128 hostile clients: $(cat "$TMP/out")"
pass "with 128 hostile clients connected root's vnicadm still works"
grep -q "closing the longest idle" "$TMP/vswitchd.log" || fail "eviction not logged"
wait "$hold_pid"
cat "$TMP/hold.out"
python3 - "$TMP/hold.out" <<'EOF' || fail "hostile clients not closed as documented"
import json, sys
r = json.load(open(sys.argv[1]))
c = r["codes"]
assert c.get("EUSERS", 0) >= 1, c            # evicted for root's client
assert c.get("EUSERS", 0) + c.get("ETIMEDOUT", 0) == 128, c
assert r["min_life"] >= 59, r                # idle limit is 60 s
EOF
pass "every hostile client was closed: evicted (EUSERS) or after 60 s idle (ETIMEDOUT)"
[ "$(grep -c "idle, closed" "$TMP/vswitchd.log")" -le 3 ] || fail "idle closes not rate-limited in the log"
pass "idle closes logged rate-limited: $(grep -c "idle, closed" "$TMP/vswitchd.log") line(s) for 127 clients"

# 3. The 257th VNIC on a switch.
for i in $(seq 1 256); do
	"$VNICADM" create-vnic -t -l "$stub" -k guest "g$i" 2>"$TMP/err" ||
		{ cat "$TMP/err"; fail "VNIC $i of 256 on $stub refused"; }
done
"$VNICADM" create-vnic -t -l "$stub" -k guest g257 2>"$TMP/err" && fail "a 257th VNIC on $stub was created"
grep -q "switch $stub has its maximum of 256 ports" "$TMP/err" || { cat "$TMP/err"; fail "257th VNIC: no clear message"; }
pass "257th VNIC: $(cat "$TMP/err")"
for i in $(seq 1 256); do "$VNICADM" delete-vnic "g$i" || fail "delete g$i"; done

# 4. Out of file descriptors.
vsw_stop
lines0=$(grep -c "rpc .*\(file descriptors\|accept\)" "$TMP/vswitchd.log")
# soft and hard: DPDK raises a soft limit to the hard one
printf '#!/bin/sh\nulimit -n 64 || exit 1\nexec "%s" "$@"\n' "$VSWITCHD" >"$TMP/vswitchd-64"
chmod +x "$TMP/vswitchd-64"
VSWITCHD=$TMP/vswitchd-64 vsw_start
[ "$(sed -n 's/^Max open files *\([0-9]*\).*/\1/p' "/proc/$VSW_PID/limits")" = 64 ] ||
	fail "vswitchd's fd limit is not 64: $(grep 'open files' "/proc/$VSW_PID/limits")"
vna create-etherstub -t "$stub"
made=0
for i in $(seq 1 80); do
	if "$VNICADM" create-vnic -t -l "$stub" -k guest "f$i" 2>"$TMP/err"; then
		made=$((made + 1))
	else
		break
	fi
done
[ -s "$TMP/err" ] || fail "80 guest VNICs under ulimit -n 64: none refused"
grep -q "Too many open files" "$TMP/err" || { cat "$TMP/err"; fail "VNIC creation out of fds: not 'Too many open files'"; }
pass "out of fds after $made guest VNICs: $(cat "$TMP/err")"
for i in $(seq 1 10); do vna delete-vnic "f$i"; done
timeout 60 python3 "$TMP/hostile.py" "$SOCK" flood 40 "$VSW_PID" >"$TMP/flood.out" || fail "flood clients hung"
cat "$TMP/flood.out"
python3 - "$TMP/flood.out" <<'EOF' || fail "clients past the fd limit not told, or vswitchd not serving"
import json, sys
r = json.load(open(sys.argv[1]))
c = r["counts"]
assert c.get("EMFILE", 0) >= 1, c
assert c.get("EMFILE", 0) + c.get("open", 0) == 40, c
assert r["served"] == "yes", r
# a spin is ~2000 ms of CPU in those 2 s; vswitchd's idle datapath naps
assert r["cpu_ms"] < 1000, r
EOF
pass "clients past the fd limit get EMFILE at once; accepted ones are served; vswitchd's CPU meanwhile $(sed 's/.*"cpu_ms": \([0-9]*\).*/\1/' "$TMP/flood.out") ms in 2 s"
sleep 2
lines=$(( $(grep -c "rpc .*\(file descriptors\|accept\)" "$TMP/vswitchd.log") - lines0 ))
[ "$lines" -le 3 ] || fail "out of fds: $lines log lines (spinning?)"
[ "$lines" -ge 1 ] || fail "running out of fds was not logged"
pass "out of fds: $lines log line(s), no spin"
timeout 10 "$VNICADM" show-etherstub >/dev/null || fail "vswitchd does not serve after the fds came back"
pass "serving again once the clients left"
echo "vswitchd's control-socket log lines:"
grep "rpc " "$TMP/vswitchd.log"
