#!/bin/bash
# Jumbo frames (MTU 9000) through vswitchd, on guest VNICs (vhost-user)
# and an af_packet uplink:
# - two PV guests on an etherstub, their VNICs and hv's NICs at MTU 9000
#   (the guests take it from the device: VIRTIO_NET_F_MTU): guest B pings
#   guest A with 8972 bytes of echo data (9014-byte frames both ways);
#   every reply comes back and its data is checked byte for byte by the
#   guest (a wrong byte would print "bad payload" and count as lost);
#   a capture of B's ICMP shows 9014-byte frames (2048 bytes kept);
# - a host VNIC (tap) at MTU 9000 in a namespace pings guest A the same
#   way with ping(8) (which checks the returned data);
# - a guest on the uplink (veth at MTU 9000) and a LAN host: ping -s 8972
#   with a pattern (ping(8) checks the returned data) and an 8972-byte UDP
#   datagram of random bytes echoed back identical (port 7);
# - a guest told mtu=9001 sends 9015-byte frames (9001 bytes of IP) on a
#   VNIC of MTU 9000: none arrives, each is counted as "oversize" on its
#   VNIC;
# - afterwards every jumbo buffer is back in vswitchd's pool (stats).
# timeout: 180
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
require_kvm
net_require

lan_create
host=$(nsn h)
lan_host h 10.49.1.9/24
# the whole LAN at 9000, the uplink before vswitchd attaches it
topo mtu "$UPLINK" 9000
topo -n "$LAN_NS" mtu "$LAN_PORT" 9000
topo -n "$LAN_NS" mtu lh_h 9000
topo -n "$host" mtu lan0 9000
vsw_start
stub=$(vname 9) a=$(vname 1) b=$(vname 2) c=$(vname 3) d=$(vname 4)
vna create-etherstub -t "$stub"
jumbo=',"props":{"mtu":"9000"}'
guest_vnic "$a" "$stub" "$jumbo"; sock_a=$SOCK mac_a=$MAC
guest_vnic "$b" "$stub" "$jumbo"; sock_b=$SOCK mac_b=$MAC
guest_vnic "$c" "$UPLINK" "$jumbo"; sock_c=$SOCK mac_c=$MAC
guest_vnic "$d" "$stub" "$jumbo"; sock_d=$SOCK mac_d=$MAC
grep -q "uplink $UPLINK: attached .*(mtu 9000, jumbo frames, " "$TMP/vswitchd.log" ||
	{ tail -n 20 "$TMP/vswitchd.log"; fail "uplink not attached with jumbo frames"; }
pass "uplink $UPLINK attached at MTU 9000 with jumbo ring frames"

# jguest NAME SOCK MAC CMDLINE: a guest whose NIC offers MTU 9000
jguest() {
	start_hv "$1" --memory 64 --vcpus 1 --kernel "$GUEST" \
		--net "vnic=$2,mac=$3,mtu=9000" --cmdline "$4"
}

# --- guest to guest over the etherstub ---
N=10
snoop_bg jb -c 4 -o "$TMP/b.pcap" "$b" icmp
snoop_pid=$SNOOP_PID
jguest ga "$sock_a" "$mac_a" "workload=ping,idle ip=10.49.0.1/24"
pid_a=$HV_PID
jguest gb "$sock_b" "$mac_b" \
	"workload=pinger ip=10.49.0.2/24 peer=10.49.0.1 count=$N interval_ms=100 ping_size=8972"
pid_b=$HV_PID
expect_console ga "^guest: nic0 mtu=9000$" 30
expect_console gb "^guest: nic0 mtu=9000$" 30
expect_console gb '^guest: pinger sent=' 60
line=$(grep -m1 '^guest: pinger sent=' "$TMP/gb.console")
grep '^guest: ping seq=' "$TMP/gb.console" | head -n 3 | sed 's/^/  /'
[ "$line" = "guest: pinger sent=$N received=$N lost=0" ] ||
	{ show gb; show ga; fail "pinger: '$line', expected sent=$N received=$N lost=0"; }
! grep -q 'bad payload' "$TMP/gb.console" || { show gb; fail "a reply's data differed"; }
pass "guest to guest: $N echoes of 8972 bytes, every reply's data identical"
HV_PID=$pid_b expect_exit gb 20 0
wait_pid "$snoop_pid" 10 || fail "snoop -c 4 still running"
lens=$(tcpdump -nner "$TMP/b.pcap" 2>/dev/null | grep -c 'ethertype IPv4 (0x0800), length 9014:')
caplen=$(tcpdump -r "$TMP/b.pcap" -w - 2>/dev/null | python3 -c '
import struct, sys
d = sys.stdin.buffer.read()
off, caps = 24, []
while off + 16 <= len(d):
    incl, orig = struct.unpack("<II", d[off + 8:off + 16])
    caps.append("%d/%d" % (incl, orig))
    off += 16 + incl
print(" ".join(caps))')
[ "$lens" = 4 ] && [ "$caplen" = "2048/9014 2048/9014 2048/9014 2048/9014" ] ||
	fail "capture of $b: $lens frames of 9014 bytes, kept/length: $caplen"
pass "capture of $b: 4 ICMP frames of 9014 bytes, 2048 of each kept"
obytes=$(vnic_stat "$b" obytes) rbytes=$(vnic_stat "$b" rbytes)
[ "$obytes" -ge $((N * 9014)) ] && [ "$rbytes" -ge $((N * 9014)) ] ||
	fail "$b counted obytes=$obytes rbytes=$rbytes, expected >= $((N * 9014)) each"
pass "the switch carried 9014-byte frames: $b obytes=$obytes rbytes=$rbytes"

# --- a host VNIC (tap) to a guest ---
e=$(vname 5)
host_vnic "$e" "$stub" t 10.49.0.5/24 -p mtu=9000
out=$(in_ns "$(nsn t)" ping -n -c 5 -i 0.2 -W 2 -M do -s 8972 -p 5aa5f00f 10.49.0.1 2>&1)
echo "$out" | grep -E 'bytes from|packet loss' | head -n 2 | sed 's/^/  /'
[ "$(echo "$out" | grep -c '^8980 bytes from 10.49.0.1')" = 5 ] &&
	! echo "$out" | grep -qi 'wrong data\|DUP' ||
	{ show ga; fail "ping from host VNIC $e: $out"; }
pass "host VNIC (tap) to guest: 5 echoes of 8972 bytes, data as sent"

# --- guest to a LAN host across the uplink ---
jguest gc "$sock_c" "$mac_c" "workload=ping,idle ip=10.49.1.1/24"
expect_console gc "^guest: nic0 mac=$mac_c link=up ip=10.49.1.1/24" 30
out=$(in_ns "$host" ping -n -c 5 -i 0.2 -W 2 -M do -s 8972 -p a55a0ff0 10.49.1.1 2>&1)
echo "$out" | grep -E 'bytes from|packet loss' | head -n 3 | sed 's/^/  /'
echo "$out" | grep -q ' 0% packet loss' || { show gc; fail "ping over the uplink: $out"; }
[ "$(echo "$out" | grep -c '^8980 bytes from 10.49.1.1')" = 5 ] ||
	fail "expected 5 replies of 8980 bytes: $out"
! echo "$out" | grep -qi 'wrong data\|DUP' || fail "ping saw bad replies: $out"
pass "LAN host to guest across the uplink: 5 echoes of 8972 bytes, data as sent"
udp=$(in_ns "$host" python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 2)	# IP_MTU_DISCOVER = IP_PMTUDISC_DO
s.settimeout(2)
ok = 0
for i in range(5):
    data = os.urandom(8972)
    s.sendto(data, ("10.49.1.1", 7))
    try:
        got, _ = s.recvfrom(65536)
    except socket.timeout:
        continue
    ok += got == data
print(ok)') || fail "UDP echo script failed: $udp"
[ "$udp" = 5 ] || { show gc; fail "$udp of 5 UDP echoes of 8972 random bytes came back identical"; }
pass "UDP: 5 datagrams of 8972 random bytes echoed back identical over the uplink"
up_rbytes=$(vnic_stat "$c" rbytes)
[ "$up_rbytes" -ge $((10 * 9014)) ] || fail "$c rbytes=$up_rbytes, expected >= $((10 * 9014))"

# --- one byte over the MTU: dropped and counted ---
jguest gd "$sock_d" "$mac_d" \
	"workload=pinger ip=10.49.0.4/24 peer=10.49.0.1 count=3 interval_ms=100 ping_size=8973 mtu=9001"
pid_d=$HV_PID
expect_console gd "^guest: nic0 mtu=9001$" 30
expect_console gd '^guest: pinger sent=' 60
line=$(grep -m1 '^guest: pinger sent=' "$TMP/gd.console")
[ "$line" = "guest: pinger sent=3 received=0 lost=3" ] ||
	{ show gd; fail "9001-byte pings: '$line', expected sent=3 received=0 lost=3"; }
HV_PID=$pid_d expect_exit gd 20 0
over=$(vnic_stat "$d" drops.oversize)
[ "$over" -ge 3 ] || fail "$d counted $over oversize drops, expected >= 3"
pass "9015-byte frames over MTU 9000: none answered, $over counted as oversize on $d"
kill -0 "$pid_a" || { show ga; fail "hv of guest A exited"; }
end=$(deadline_in 10)
while before "$end"; do
	used=$(vsw_rpc stats | python3 -c 'import json, sys; print(json.load(sys.stdin)["jumbo_mbufs"]["in_use"])')
	[ "$used" = 0 ] && break
	sleep 0.2
done
[ "$used" = 0 ] || fail "$used jumbo buffers still in use after the traffic stopped"
pass "every jumbo buffer back in vswitchd's pool"
