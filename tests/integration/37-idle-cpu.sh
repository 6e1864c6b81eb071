#!/bin/bash
# Idle CPU: with 16 idle VNICs (8 host VNICs over the uplink, 8 guest
# VNICs over an etherstub, nothing connected or sending) vswitchd uses
# under 2% of a CPU over 5 s, from utime+stime in /proc/PID/stat. A
# resource check (polling threads must back off to sleep), not a timing test.
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
lan_create
vsw_start
stub=$(vname 99)
vna create-etherstub -t "$stub"
for i in 1 2 3 4 5 6 7 8; do
	vna create-vnic -t -l "$UPLINK" "$(vname $i)"
	# Keep the kernel from sending IPv6 chatter through the host VNICs.
	echo 1 >"/proc/sys/net/ipv6/conf/$(vname $i)/disable_ipv6" 2>/dev/null
	vsw_rpc vnic.create "{\"name\":\"$(vname $((i + 10)))\",\"link\":\"$stub\",\"kind\":\"guest\",\"temporary\":true}" >/dev/null ||
		fail "guest vnic.create failed"
done
count=$("$VNICADM" show-vnic -p -o link | grep -c "^v${NETID}_")
[ "$count" = 16 ] || fail "show-vnic lists $count of our VNICs, expected 16"
sleep 3		# let creation settle
hz=$(getconf CLK_TCK)
t0=$(proc_cpu_ticks "$VSW_PID") s0=$(date +%s.%N)
sleep 5
t1=$(proc_cpu_ticks "$VSW_PID") s1=$(date +%s.%N)
pct=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v a="$s0" -v b="$s1" \
	'BEGIN { printf "%.2f", d / hz / (b - a) * 100 }')
echo "vswitchd: $((t1 - t0)) ticks (CLK_TCK $hz) in 5 s = $pct% of a CPU"
awk -v p="$pct" 'BEGIN { exit !(p < 2) }' || fail "idle vswitchd uses $pct% of a CPU (limit 2%)"
pass "idle vswitchd with 16 VNICs uses $pct% of a CPU"
