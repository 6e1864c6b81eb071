#!/bin/bash
# Bad input through vnicadm: each command fails with exit status 1 and the
# REFERENCE.md message on stderr ("vnicadm: ..."), and changes nothing
# (show-link, show-vnic and show-linkprop print the same before and after).
# vswitchd refuses -m below its documented minimum and runs at it; there,
# guest VNICs are refused with ENOBUFS once their share of the packet
# buffers would fall below 64 frames (about 164, docs/vswitchd.8).
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
for m in 0 63 65537 12x; do
	"$VSWITCHD" -m "$m" </dev/null >"$TMP/m.out" 2>&1 && fail "vswitchd -m $m started"
	grep -q "^vswitchd: invalid memory size '$m': MB, 64 to 65536" "$TMP/m.out" ||
		{ cat "$TMP/m.out"; fail "vswitchd -m $m: no 'invalid memory size' message"; }
done
pass "vswitchd -m 0, 63, 65537 and 12x refused with the range"
VSWITCHD_ARGS="-m 64" vsw_start
stub=$(vname 9) v=$(vname 1) w=$(vname 2)
vna create-etherstub -t "$stub"
vna create-vnic -t -l "$stub" -m 2:0:0:36:0:1 -p maxbw=100M "$v"

snapshot() {
	{
		"$VNICADM" show-link -p -o link,class,mtu,state,over
		"$VNICADM" show-vnic -p -o link,over,speed,macaddress,macaddrtype,vid
		"$VNICADM" show-linkprop -c -o link,property,value
	} 2>&1
}
before=$(snapshot)
n=0

# bad EXPECTED_REGEX ARGS...: vnicadm ARGS exits 1 with a stderr line
# "vnicadm: ..." matching EXPECTED_REGEX, and the state is unchanged.
bad() {
	local re=$1 rc after
	shift
	"$VNICADM" "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?
	[ $rc = 1 ] || { cat "$TMP/err"; fail "vnicadm $*: exit $rc, expected 1"; }
	grep -Eq -- "^vnicadm: .*$re" "$TMP/err" ||
		{ cat "$TMP/err"; fail "vnicadm $*: message does not match '$re'"; }
	after=$(snapshot)
	[ "$after" = "$before" ] || { diff <(echo "$before") <(echo "$after"); fail "vnicadm $* changed the state"; }
	echo "ok: vnicadm $* -> $(head -n 1 "$TMP/err")"
	n=$((n + 1))
}

# Names (REFERENCE.md "Link names").
bad "invalid link name '0bad1'" create-vnic -t -l "$stub" 0bad1
bad "invalid link name 'vnic'" create-vnic -t -l "$stub" vnic
bad "invalid link name 'v01'" create-vnic -t -l "$stub" v01
bad "invalid link name 'a-b1'" create-etherstub -t a-b1
bad "invalid link name 'abcdefghijklmnopqrstuvwxyz012345'" create-etherstub -t abcdefghijklmnopqrstuvwxyz012345
# MACs: malformed, multicast, and one already on the switch.
bad "invalid MAC address" create-vnic -t -l "$stub" -m 0:1:2:3:4 "$w"
bad "invalid MAC address" create-vnic -t -l "$stub" -m 0:1:2:3:4:5g "$w"
bad "invalid MAC address" create-vnic -t -l "$stub" -m 1:0:5e:0:0:1 "$w"
bad "'fixed' is not a valid MAC address" create-vnic -t -l "$stub" -m fixed "$w"
bad "MAC address is already in use" create-vnic -t -l "$stub" -m 2:0:0:36:0:1 "$w"
# VLAN ids.
for vid in 0 4095 5000 -1 x; do
	bad "invalid VLAN identifier '$vid'" create-vnic -t -l "$stub" -v "$vid" "$w"
done
# maxbw.
bad "minimum value for maxbw is 1200K" create-vnic -t -l "$stub" -p maxbw=1000K "$w"
bad "minimum value for maxbw is 1200K" set-linkprop -t -p maxbw=1199K "$v"
bad "cannot set link property 'maxbw' on '$v'" set-linkprop -t -p maxbw=10% "$v"
bad "maxbw" create-vnic -t -l "$stub" -p maxbw=50% "$w"
# Properties.
bad "invalid link property 'speed'" set-linkprop -t -p speed=10 "$v"
bad "invalid link property 'colour'" create-vnic -t -l "$stub" -p colour=red "$w"
bad "link property 'priority' must be one of: low,medium,high" set-linkprop -t -p priority=urgent "$v"
bad "invalid link property 'bogus'" reset-linkprop -t -p bogus "$v"
# Objects.
bad "link busy" delete-etherstub "$stub"
bad "'$stub' is not a vnic" delete-vnic "$stub"
bad "object not found" delete-vnic "$w"
bad "object not found" create-vnic -t -l nosuch1 "$w"
bad "object already exists" create-vnic -t -l "$stub" "$v"
bad "object already exists" create-etherstub -t "$stub"
bad "unknown subcommand 'frobnicate'" frobnicate
pass "$n bad commands refused with their message, exit 1, nothing changed"

# At -m 64: guest VNICs until the packet buffers give no more shares.
total=$(vsw_rpc stats | python3 -c 'import json, sys; print(json.load(sys.stdin)["mbufs"]["total"])')
k=0
while [ $k -lt 400 ]; do
	r=$(vsw_rpc vnic.create "{\"name\":\"$(vname $((k + 100)))\",\"link\":\"$stub\",\"kind\":\"guest\",\"temporary\":true}" 2>&1) || break
	k=$((k + 1))
done
echo "-m 64: $total buffers, $k guest VNICs created, then: $r"
case $r in *ENOBUFS*"no packet buffers left for another port"*"larger -m"*) ;;
	*) fail "VNIC $((k + 1)) at -m 64: not refused with ENOBUFS: $r" ;; esac
# each VNIC takes 64 of three quarters of the pool
nv=$("$VNICADM" show-vnic -p -o link | wc -l)
[ "$nv" = $((total / 4 * 3 / 64)) ] ||
	fail "$nv VNICs at -m 64, expected $((total / 4 * 3 / 64)) of $total buffers"
pass "-m 64: $nv VNICs, the next refused with ENOBUFS"
