#!/bin/bash
# xvmd's TLS listener (--listen-tls, --pki-dir, --tls-allowed-dn) with
# stock virsh over xvm+tls://127.0.0.1:PORT/system?pkipath=DIR, natively
# (hv is tests/tools/fake-hv). A CA, a server and client certificates are
# made with openssl in $TMP. Checked: list, define, dominfo, start and a
# 300 KB define request over TLS, virConnectIsSecure true, 100 pipelined
# calls in one TLS record all answered; refused with
# virsh's error, a log line and the daemon serving on: a client whose
# certificate another CA signed, one without a certificate, one whose DN
# --tls-allowed-dn does not list, a plain TCP client and one sending
# garbage, one that never starts its handshake (dropped after 10 s while
# others are served), 40 silent ones at once (32 may wait, the rest are
# refused at accept); refused at start: a server key others may read, a
# missing CA certificate. Then virsh migrate --live --p2p to
# xvm+tls://: the source xvmd (host A of miglib.sh) is the TLS client with
# the certificate in its --pki-dir; refused by the destination's
# --tls-allowed-dn, the guest runs on at the source.
# timeout: 180
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
. "$(dirname "$0")/miglib.sh"
command -v virsh >/dev/null || fail "virsh not installed (libvirt-clients)"
command -v openssl >/dev/null || fail "openssl not installed"
PY=/usr/bin/python3
"$PY" -c 'import libvirt' 2>/dev/null || fail "python3-libvirt not installed"
FAKE=$TOP/tests/tools/fake-hv
PORT=$((40000 + $$ % 20000))
PKI=$TMP/pki

# --- certificates: CA "xvm test CA", another CA, server (IP 127.0.0.1),
# clients alice and bob (our CA) and mallory (the other CA)
mkca() {	# DIR CN
	mkdir -p "$1"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/O=xvm test/CN=$2" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-keyout "$1/cakey.pem" -out "$1/cacert.pem" 2>"$TMP/openssl.err" ||
		fail "openssl: CA $2: $(cat "$TMP/openssl.err")"
}
mkcert() {	# CADIR CERT KEY SUBJECT EXTENSIONS
	openssl req -new -newkey rsa:2048 -nodes -subj "$4" -keyout "$3" \
		-out "$2.csr" 2>"$TMP/openssl.err" &&
	printf '%b\n' "$5" >"$2.ext" &&
	openssl x509 -req -in "$2.csr" -CA "$1/cacert.pem" -CAkey "$1/cakey.pem" \
		-CAcreateserial -days 2 -extfile "$2.ext" -out "$2" 2>"$TMP/openssl.err" ||
		fail "openssl: $4: $(cat "$TMP/openssl.err")"
	chmod 600 "$3"
	rm -f "$2.csr" "$2.ext"
}
LEAF="basicConstraints=critical,CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment"
client() {	# CADIR NAME CN: $PKI/NAME with clientcert.pem, clientkey.pem
	mkdir -p "$PKI/$2"
	cp "$PKI/ca/cacert.pem" "$PKI/$2/"
	mkcert "$1" "$PKI/$2/clientcert.pem" "$PKI/$2/clientkey.pem" \
		"/O=xvm test/CN=$3" "$LEAF\nextendedKeyUsage=clientAuth"
}
mkca "$PKI/ca" "xvm test CA"
mkca "$PKI/ca2" "other CA"
mkdir -p "$PKI/srv"
cp "$PKI/ca/cacert.pem" "$PKI/srv/"
mkcert "$PKI/ca" "$PKI/srv/servercert.pem" "$PKI/srv/serverkey.pem" \
	"/O=xvm test/CN=127.0.0.1" \
	"$LEAF\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost"
client "$PKI/ca" alice alice
client "$PKI/ca" bob bob
client "$PKI/ca2" mallory mallory
# libvirt's client checks its own certificate against its cacert.pem
# before it connects: mallory trusts both CAs, so only the server refuses
mkdir -p "$PKI/nocert"
cp "$PKI/ca/cacert.pem" "$PKI/nocert/"
cat "$PKI/ca2/cacert.pem" >>"$PKI/mallory/cacert.pem"
pass "CA, server and client certificates made with openssl"

turi() { echo "xvm+tls://127.0.0.1:$PORT/system?pkipath=$PKI/$1"; }
T() { timeout 30 virsh -q -c "$(turi alice)" "$@"; }
# refused WHO REGEX: virsh as WHO fails; the log gains a line matching REGEX
refused() {
	local out rc
	out=$(timeout 30 virsh -q -c "$(turi "$1")" list 2>&1); rc=$?
	[ $rc = 1 ] || fail "$1: virsh list exit $rc, expected 1: $out"
	echo "$out" | grep -q "error: failed to connect to the hypervisor" ||
		fail "$1: virsh said: $out"
	wait_for_line "$TMP/xvmd.log" "$2" 5 || fail "$1: no log line '$2': $(tail -n 5 "$TMP/xvmd.log")"
	T list >/dev/null || fail "xvmd stopped serving TLS after refusing $1"
	pass "$1 refused ($(echo "$out" | tail -n 1)); xvmd logged: $(grep -E -- "$2" "$TMP/xvmd.log" | tail -n 1 | sed 's/^xvmd: //')"
}

# --- refused at start
chmod 644 "$PKI/srv/serverkey.pem"
out=$(timeout 10 "$XVMD" --listen-tls "127.0.0.1:$PORT" --pki-dir "$PKI/srv" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "cannot listen for TLS: server key $PKI/srv/serverkey.pem is accessible by group or others (mode 0644)" ||
	fail "group/world-readable server key: exit $rc: $out"
chmod 600 "$PKI/srv/serverkey.pem"
pass "server key with mode 0644 refused: $(echo "$out" | grep 'cannot listen for TLS' | sed 's/^xvmd: //')"
mkdir -p "$PKI/empty" && cp "$PKI/srv/server"* "$PKI/empty/"
out=$(timeout 10 "$XVMD" --listen-tls "127.0.0.1:$PORT" --pki-dir "$PKI/empty" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "cannot listen for TLS: CA certificate $PKI/empty/cacert.pem: No such file or directory" ||
	fail "missing cacert.pem: exit $rc: $out"
pass "missing CA certificate refused: $(echo "$out" | grep 'cannot listen for TLS' | sed 's/^xvmd: //')"
[ ! -e "$XVM_RUNDIR/libvirt-sock" ] || fail "refused start left its socket"

# --- served over TLS
xvmd_start --hv "$FAKE" --listen-tls "127.0.0.1:$PORT" --pki-dir "$PKI/srv"
grep -q "listening on TLS 127.0.0.1:$PORT" "$TMP/xvmd.log" || fail "no TLS listener: $(cat "$TMP/xvmd.log")"
out=$(T list --all) || fail "virsh list over TLS: $out"
echo "$out" | grep -q 'Domain-0 *running' || fail "list over TLS: $out"
grep -q "TLS client 127.0.0.1, DN 'O=xvm test,CN=alice'" "$TMP/xvmd.log" ||
	fail "served client not logged with its DN"
[ "$(T uri)" = "$(turi alice)" ] || fail "virsh uri: $(T uri)"
# a 300 KB request (a comment pads it): many TLS records, read as they come
dom_xml t1 "workload=spin" "<!-- $(head -c 300000 /dev/zero | tr '\0' x) -->"
T define "$TMP/t1.xml" >/dev/null || fail "define over TLS"
T dominfo t1 | grep -q '^State: *shut off' || fail "dominfo over TLS: $(T dominfo t1)"
T start t1 >/dev/null || fail "start over TLS"
[ "$(T domstate t1)" = running ] || fail "t1: $(T domstate t1)"
V list | grep -q ' t1 .*running' || fail "unix socket does not see t1: $(V list)"
sec=$("$PY" -c 'import sys, libvirt
c = libvirt.open(sys.argv[1]); print(c.isSecure(), c.isEncrypted())' "$(turi alice)" 2>&1) ||
	fail "python over TLS: $sec"
[ "$sec" = "1 1" ] || fail "isSecure, isEncrypted over TLS: $sec"
pass "virsh over xvm+tls: list, define (300 KB request), dominfo, start; isSecure/isEncrypted $sec"
# replies of many TLS records: 300 domains' stats in one reply
out=$("$PY" - "$(turi alice)" "$GUEST" <<'PYEOF' 2>&1
import sys, libvirt
c = libvirt.open(sys.argv[1])
x = ("<domain type='xvm'><name>b%d</name><memory unit='MiB'>32</memory>"
     "<os><type>xen</type><kernel>" + sys.argv[2] + "</kernel></os></domain>")
for i in range(300):
    c.defineXML(x % i)
st = c.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE)
names = sorted(d.name() for d, s in st if d.name().startswith("b"))
ok = names == sorted("b%d" % i for i in range(300))
print(len(st), ok)
for i in range(300):
    c.lookupByName("b%d" % i).undefine()
PYEOF
) || fail "python over TLS, 300 domains: $out"
set -- $out
[ "$1" = 302 ] && [ "$2" = True ] || fail "getAllDomainStats over TLS: $out"
[ "$(T list --all --name | grep -c '^b')" = 0 ] || fail "b* domains left"
pass "300 domains defined, their stats in one reply ($1 domains: several TLS records), undefined, over TLS"

# 100 keepalive PINGs in one TLS record (openssl s_client as the client):
# xvmd handles 32 packets per wake, the rest waits decrypted inside GnuTLS
# where no EPOLLIN announces it; all 100 PONGs must come (plus the byte 1)
"$PY" -c 'import struct, sys
sys.stdout.buffer.write(b"".join(struct.pack(">7I", 28, 0x6b656570, 1, 1, 2, 0, 0)
                                 for i in range(100)))' >"$TMP/pings"
n=$(timeout 5 openssl s_client -connect "127.0.0.1:$PORT" -quiet -CAfile "$PKI/alice/cacert.pem" \
	-cert "$PKI/alice/clientcert.pem" -key "$PKI/alice/clientkey.pem" <"$TMP/pings" 2>/dev/null | wc -c)
[ "$n" = $((1 + 100 * 28)) ] || fail "100 PINGs in one record: $n bytes back, expected $((1 + 100 * 28))"
pass "100 PINGs in one TLS record: the byte 1 and 100 PONGs back ($n bytes)"

# a client xvmd drops (a bad packet length) sees a TLS close_notify, not
# a cut connection (python's ssl raises SSLEOFError on a cut)
out=$("$PY" - "$PORT" "$PKI/alice" <<'PY' 2>&1
import socket, ssl, struct, sys
port, pki = int(sys.argv[1]), sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(pki + "/cacert.pem")
ctx.load_cert_chain(pki + "/clientcert.pem", pki + "/clientkey.pem")
ctx.check_hostname = False
ctx.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF	# tell a cut from a close
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10))
assert s.recv(1) == b"\x01", "no confirmation byte"
s.sendall(struct.pack(">I", 3))		# shorter than any header
try:
    rest = s.recv(100)
except ssl.SSLEOFError as e:
    sys.exit("cut without close_notify: %s" % e)
print("closed cleanly" if rest == b"" else "got %r" % rest)
PY
) || fail "TLS close: $out"
[ "$out" = "closed cleanly" ] || fail "TLS close: $out"
pass "a dropped TLS client gets a close_notify"

# --- refused clients; xvmd serves on
refused mallory "TLS client 127.0.0.1 refused: client certificate refused: .*issuer is unknown.* \(DN 'O=xvm test,CN=mallory'\)"
refused nocert "TLS client 127.0.0.1 refused: sent no client certificate$"
out=$(timeout 30 virsh -q -c "xvm+tcp://127.0.0.1:$PORT/system" list 2>&1) &&
	fail "plain TCP client served on the TLS port: $out"
wait_for_line "$TMP/xvmd.log" "TLS client 127.0.0.1 refused: TLS handshake failed" 5 ||
	fail "plain TCP client not logged"
T list >/dev/null || fail "xvmd stopped serving after a plain TCP client"
pass "plain TCP virsh on the TLS port refused ($(echo "$out" | tail -n 1)), logged"
n=$(grep -c 'refused: TLS handshake failed' "$TMP/xvmd.log")
exec 3<>"/dev/tcp/127.0.0.1/$PORT" || fail "connect"
head -c 4096 /dev/urandom >"$TMP/garbage"
cat "$TMP/garbage" >&3 2>/dev/null
timeout 5 cat <&3 >/dev/null 2>&1
exec 3>&-
end=$(deadline_in 10)
while before "$end" && [ "$(grep -c 'refused: TLS handshake failed' "$TMP/xvmd.log")" -le "$n" ]; do
	sleep 0.1
done
[ "$(grep -c 'refused: TLS handshake failed' "$TMP/xvmd.log")" -gt "$n" ] ||
	fail "garbage client not logged: $(od -An -tx1 "$TMP/garbage" | head -n 2)"
T list >/dev/null || fail "xvmd stopped serving after a garbage client"
pass "a client sending 4 KB of garbage closed and logged"
# a client that connects and says nothing holds no slot for long, and
# others are served meanwhile (the handshake never blocks the loop)
exec 4<>"/dev/tcp/127.0.0.1/$PORT" || fail "connect"
t0=$SECONDS
for i in 1 2 3; do T dominfo t1 >/dev/null || fail "not served while a handshake is pending"; done
wait_for_line "$TMP/xvmd.log" "TLS client 127.0.0.1 refused: no handshake within 10 s" 15 ||
	fail "silent client not dropped"
timeout 5 cat <&4 >/dev/null 2>&1; rc=$?
exec 4>&-
[ $rc = 0 ] || fail "silent client's connection not closed by xvmd (cat: $rc)"
pass "a silent client dropped after $((SECONDS - t0)) s, others served meanwhile"
# 40 silent clients at once: 32 handshakes may wait, the others are
# refused at once; a certified client and the unix socket are served
exec 4>&-
for i in $(seq 1 40); do exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || fail "connect $i"; fds+=" $fd"; done
wait_for_line "$TMP/xvmd.log" "refused: 32 handshakes in progress already" 5 ||
	fail "41st pending handshake not refused"
n=$(grep -c "refused: 32 handshakes in progress already" "$TMP/xvmd.log")
[ "$n" -ge 8 ] || fail "only $n of 8 clients past the 32 pending handshakes refused"
V list >/dev/null || fail "unix socket not served with 32 pending handshakes"
for fd in $fds; do exec {fd}>&-; done
T list >/dev/null || fail "TLS not served after 32 pending handshakes"
pass "40 silent TLS clients: 32 wait for their handshake, $n refused at once; unix and TLS clients served"
xvmd_stop

# --- --tls-allowed-dn
out=$(timeout 10 "$XVMD" --tls-allowed-dn "" 2>&1) && fail "empty --tls-allowed-dn accepted"
echo "$out" | grep -q "tls-allowed-dn '': empty" || fail "empty --tls-allowed-dn: $out"
xvmd_start --hv "$FAKE" --listen-tls "127.0.0.1:$PORT" --pki-dir "$PKI/srv" \
	--tls-allowed-dn "O=xvm test,CN=b*" --tls-allowed-dn "O=other,*"
timeout 30 virsh -q -c "$(turi bob)" list --all | grep -q ' t1 ' || fail "bob (allowed DN) not served"
out=$(timeout 30 virsh -q -c "$(turi alice)" list 2>&1) && fail "alice served though her DN is not allowed: $out"
wait_for_line "$TMP/xvmd.log" "TLS client 127.0.0.1 refused: client DN not in --tls-allowed-dn \(DN 'O=xvm test,CN=alice'\)" 5 ||
	fail "DN refusal not logged: $(tail -n 3 "$TMP/xvmd.log")"
timeout 30 virsh -q -c "$(turi bob)" dominfo t1 >/dev/null || fail "bob not served after alice's refusal"
pass "--tls-allowed-dn: CN=bob served, CN=alice refused ($(echo "$out" | tail -n 1)), logged"
xvmd_stop

# --- virsh migrate --live --p2p to xvm+tls://: host A's xvmd connects to
# B with its own client certificate ($PKI/srv/clientcert.pem, CN=xvmd-a)
mkcert "$PKI/ca" "$PKI/srv/clientcert.pem" "$PKI/srv/clientkey.pem" \
	"/O=xvm test/CN=xvmd-a" "$LEAF\nextendedKeyUsage=clientAuth"
TURI_B="xvm+tls://127.0.0.1:$PORT/system"
xvmd_a_start --hv "$FAKE" --pki-dir "$PKI/srv"
xvmd_b_start --hv "$FAKE" --listen-tls "127.0.0.1:$PORT" --pki-dir "$PKI/srv" \
	--tls-allowed-dn "O=xvm test,CN=alice" --tls-allowed-dn "O=xvm test,CN=xvmd-a"
dom_xml m1 "workload=spin"
V create "$TMP/m1.xml" >/dev/null || fail "create m1 on A"
wait_for_line "$(conlog m1)" '^guest: spin t=2' 30 || fail "m1 did not run"
V migrate --live --p2p m1 "$TURI_B" || fail "virsh migrate --live --p2p m1 $TURI_B"
V domstate m1 >/dev/null 2>&1 && fail "m1 still on A after --p2p over TLS"
[ "$(T domstate --reason m1)" = "running (migrated)" ] ||
	fail "m1 on B: $(T domstate --reason m1 2>&1)"
grep -q "TLS client 127.0.0.1, DN 'O=xvm test,CN=xvmd-a'" "$TMP/xvmdB.log" ||
	fail "B did not log A's certificate"
wait_for_line "$(conlog_b m1)" '^guest: migrated in at t=' 10 || fail "B's guest did not go on"
pass "migrate --live --p2p over $TURI_B: m1 runs on B (migrated), B served A as 'O=xvm test,CN=xvmd-a'"
# back to A over B's TLS-less unix socket; then B refuses A's DN
T migrate --live --p2p m1 "xvm+unix:///system?socket=$XVM_RUNDIR/libvirt-sock" ||
	fail "--p2p back to A"
[ "$(V domstate m1)" = running ] || fail "m1 not back on A: $(V domstate m1 2>&1)"
xvmd_b_stop
xvmd_b_start --hv "$FAKE" --listen-tls "127.0.0.1:$PORT" --pki-dir "$PKI/srv" \
	--tls-allowed-dn "O=xvm test,CN=alice"
out=$(V migrate --live --p2p m1 "$TURI_B" 2>&1) && fail "--p2p with a refused DN succeeded"
echo "$out" | grep -q "the destination $TURI_B refused our client certificate" ||
	fail "--p2p with a refused DN: $out"
grep -q "TLS client 127.0.0.1 refused: client DN not in --tls-allowed-dn (DN 'O=xvm test,CN=xvmd-a')" "$TMP/xvmdB.log" ||
	fail "B did not log the refusal"
[ "$(V domstate m1)" = running ] || fail "m1 not running on A after the refusal: $(V domstate m1 2>&1)"
no_trace_b m1
pass "--p2p refused by B's --tls-allowed-dn: '$(echo "$out" | tail -n 1)', m1 runs on at A, nothing on B"
V destroy m1 >/dev/null
xvmd_b_stop
xvmd_stop
