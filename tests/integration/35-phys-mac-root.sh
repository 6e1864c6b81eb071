#!/bin/bash
# vnicadm show-phys -m / -H on a veth uplink (its primary address, in use
# while attached; the DPDK port's RX and TX queue shared by the VNICs
# over it, gone when the last one goes), -m factory refused with dladm's
# message and nothing made, the cpus property (set, shown, saved, put in
# the host VNIC's tap's RPS mask, a CPU the host does not have refused),
# and -R root: changes written to the
# saved configuration under ROOT only (the running vswitchd sees none of
# them; create-vnic, rename-link, set-linkprop), which a vswitchd started
# on that root brings up.
# timeout: 120
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
vsw_start
p0=$(vname p0) p9=$(vname p9) a1=$(vname a1) a2=$(vname a2)
stub=$(vname 9) r1=$(vname r1) r2=$(vname r2) r3=$(vname r3)
ip link add "$p0" type veth peer name "$p9" || fail "veth"
at_exit "ip link del $p0 2>/dev/null"
ip link set "$p0" up; ip link set "$p9" up
# as dladm prints it: no leading zeros
addr=
IFS=: read -ra oct <"/sys/class/net/$p0/address"
for o in "${oct[@]}"; do addr+=$(printf '%x:' "0x$o"); done
addr=${addr%:}

# Not attached: primary slot, not in use; no ring groups.
[ "$("$VNICADM" show-phys -m -p -o link,slot,address,inuse,client "$p0")" = \
	"$p0:primary:${addr//:/\\:}:no:" ] ||
	fail "show-phys -m before attaching: $("$VNICADM" show-phys -m "$p0" 2>&1)"
[ -z "$("$VNICADM" show-phys -H "$p0")" ] || fail "ring groups on an unattached link"
vna create-vnic -t -l "$p0" "$a1"
vna create-vnic -t -l "$p0" "$a2"
"$VNICADM" show-phys -m "$p0" >"$TMP/m" || fail "show-phys -m"
cat "$TMP/m"
head -n 1 "$TMP/m" | grep -q '^LINK  *SLOT  *ADDRESS  *INUSE  *CLIENT$' || fail "show-phys -m header"
grep -Eq "^$p0 +primary +$addr +yes +$p0$" "$TMP/m" || fail "show-phys -m row while attached"
"$VNICADM" show-phys -H "$p0" >"$TMP/h" || fail "show-phys -H"
cat "$TMP/h"
grep -Eq "^$p0 +RX +0 +$a1,$a2$" "$TMP/h" && grep -Eq "^$p0 +TX +0 +$a1,$a2$" "$TMP/h" ||
	fail "show-phys -H: the af_packet port's one RX and TX queue, both VNICs"
pass "show-phys -m: $p0 primary $addr in use; -H: RX/TX queue 0 shared by $a1,$a2"

# -m factory: no factory slots on Linux; nothing made.
"$VNICADM" create-vnic -t -l "$p0" -m factory "$(vname f1)" 2>"$TMP/err" && fail "-m factory succeeded"
grep -qx "vnicadm: vnic creation over $p0 failed: factory MAC address slots not supported" "$TMP/err" ||
	{ cat "$TMP/err"; fail "-m factory message"; }
"$VNICADM" show-vnic "$(vname f1)" >/dev/null 2>&1 && fail "-m factory left a VNIC"
pass "-m factory refused: $(cat "$TMP/err")"

vna delete-vnic -t "$a1"
vna delete-vnic -t "$a2"
[ -z "$("$VNICADM" show-phys -H "$p0")" ] || fail "ring groups after the last VNIC went"
[ "$("$VNICADM" show-phys -m -p -o inuse "$p0")" = no ] || fail "still in use after the last VNIC"
pass "after the last VNIC: not in use, no ring groups"

# cpus: set, shown, saved; a CPU not online refused, the value kept.
vna create-etherstub "$stub"
vna create-vnic -l "$stub" "$r1"
# rps: the host VNIC's receive packet steering mask, as a number
rps() { local m; m=$(tr -d ',\n' <"/sys/class/net/${1:-$r1}/queues/rx-0/rps_cpus"); echo $((16#$m)); }
[ "$(rps)" = 0 ] || fail "$r1 starts with RPS mask $(rps)"
vna set-linkprop -p cpus=0 "$r1"
[ "$("$VNICADM" show-linkprop -c -o value -p cpus "$r1")" = 0 ] || fail "cpus not shown"
[ "$(rps)" = 1 ] || fail "cpus=0: $r1's rps_cpus mask is $(rps), expected 1"
if [ "$(nproc)" -ge 2 ]; then
	vna set-linkprop -t -p cpus=0-1 "$r1"
	[ "$(rps)" = 3 ] || fail "cpus=0-1: rps_cpus mask $(rps), expected 3"
	vna reset-linkprop -t -p cpus "$r1"
	[ "$(rps)" = 0 ] || fail "reset cpus: rps_cpus mask $(rps), expected 0"
	vna set-linkprop -t -p cpus=0 "$r1"
fi
pass "cpus on host VNIC $r1: its tap's rx-0 rps_cpus follows (0 -> 1, 0-1 -> 3, reset -> 0)"
grep -q '"cpus": *"0"' "$XVM_STATEDIR/vswitchd/config.json" || fail "cpus not saved"
"$VNICADM" set-linkprop -p cpus=1000 "$r1" 2>"$TMP/err" && fail "cpus=1000 accepted"
grep -q "CPU 1000 is not online" "$TMP/err" || { cat "$TMP/err"; fail "cpus=1000 message"; }
[ "$("$VNICADM" show-linkprop -c -o value -p cpus "$r1")" = 0 ] || fail "cpus changed by a refused set"
pass "cpus=0 set, shown and saved; $(cat "$TMP/err")"

# -R ROOT: the saved configuration under ROOT only.
root=$TMP/root
mkdir -p "$root"
cp "$XVM_STATEDIR/vswitchd/config.json" "$TMP/cfg.before"
vna create-etherstub -R "$root" "$stub"
vna create-vnic -R "$root" -l "$stub" -m 2:0:0:35:9:1 -v 12 -p maxbw=50M,cpus=0 "$r3"
vna rename-link -R "$root" "$r3" "$r2"
vna set-linkprop -R "$root" -p priority=low "$r2"
rcfg=$root$XVM_STATEDIR/vswitchd/config.json
[ -s "$rcfg" ] || fail "no $rcfg"
cmp -s "$XVM_STATEDIR/vswitchd/config.json" "$TMP/cfg.before" || fail "-R changed the running switch's file"
"$VNICADM" show-vnic "$r2" >/dev/null 2>&1 && fail "-R made $r2 in the running switch"
pass "-R $root: $rcfg written; the running vswitchd and its file untouched"
vsw_stop || fail "vswitchd did not stop"
XVM_STATEDIR=$root$XVM_STATEDIR vsw_start
[ "$("$VNICADM" show-vnic -p -o link,over,macaddress,vid "$r2")" = "$r2:$stub:2\\:0\\:0\\:35\\:9\\:1:12" ] ||
	fail "vswitchd on the root: $("$VNICADM" show-vnic -p "$r2" 2>&1)"
"$VNICADM" show-linkprop -c -o property,value -p maxbw,priority,cpus "$r2" >"$TMP/props"
[ "$(tr '\n' ' ' <"$TMP/props")" = "maxbw:50 priority:low cpus:0 " ] || { cat "$TMP/props"; fail "properties from the root"; }
ip link show "$r2" >/dev/null 2>&1 || fail "no tap $r2"
[ "$(rps "$r2")" = 1 ] || fail "$r2's saved cpus=0 not applied at start: rps_cpus $(rps "$r2")"
pass "vswitchd started on the root brings up $r2 over $stub (vid 12, maxbw 50, priority low, cpus 0)"
vsw_stop || fail "vswitchd did not stop"
