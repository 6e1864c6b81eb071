#!/bin/bash
# Usage accounting (vnicadm/flowadm show-usage): vswitchd writes its usage
# log every second; two host VNICs over an etherstub, each in its own
# namespace, exchange a known amount of traffic (20 pings of 1000 bytes
# of payload, 0.2 s apart), then
#  - show-usage's summary for the pinging VNIC has the bytes sent: each
#    echo request and reply is a 1042-byte frame (1000 + ICMP 8 + IP 20
#    + Ethernet 14; taps carry no FCS), 20 of each, plus a few small
#    frames (ARP, the namespace's own chatter);
#  - the per-interval rows add up to the same, -s/-e windows of one and
#    three intervals select one and three rows;
#  - -F gnuplot prints "# Time <link>" and one "hh:mm:ss kb/s" line per
#    interval; flowadm show-usage shows an ICMP flow on the VNIC;
#  - a corrupt line is reported with its line number and skipped; a file
#    with no record, a missing file, bad times, an unknown -F and a bad
#    --usage-interval give clear errors and exit status 1.
# timeout: 120
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
net_require
FLOWADM=$BIN/flowadm
[ -x "$FLOWADM" ] || fail "$FLOWADM is not built"
LOG=$TMP/usage.log
export TZ=UTC

# vswitchd refuses a bad interval before doing anything.
out=$("$VSWITCHD" --usage-interval 0 2>&1) && fail "vswitchd --usage-interval 0 started"
grep -q "invalid usage interval '0'" <<<"$out" || fail "vswitchd said: $out"
pass "vswitchd --usage-interval 0: refused ($out)"

VSWITCHD_ARGS="--usage-log $LOG --usage-interval 1" vsw_start
stub=$(vname 9) v1=$(vname 1) v2=$(vname 2)
vna create-etherstub -t "$stub"
host_vnic "$v1" "$stub" a 10.49.0.1/24
host_vnic "$v2" "$stub" b 10.49.0.2/24
"$FLOWADM" add-flow -t -l "$v1" -a transport=icmp icmpf ||
	fail "flowadm add-flow icmpf"
sleep 1.5
in_ns "$(nsn a)" ping -n -q -c 20 -s 1000 -i 0.2 -W 1 10.49.0.2 >/dev/null ||
	fail "$v1 cannot ping $v2"
# until the intervals holding the 20 echoes each way are written (one a
# second; a fixed 2.5 s can fall short when vswitchd waits for a CPU):
# their bytes, as ARP and the like are small
frames=$((20 * 1042))
end=$(deadline_in 15)
while :; do
	row=$("$VNICADM" show-usage -f "$LOG" -p -o link,rbytes,obytes,ipackets,opackets 2>/dev/null |
	      grep "^$v1:")
	IFS=: read -r _ rb ob ip op <<<"$row"
	[ "${rb:-0}" -ge "$frames" ] && [ "${ob:-0}" -ge "$frames" ] && break
	before "$end" || break
	sleep 0.2
done
[ -s "$LOG" ] || fail "no usage log at $LOG"
pass "vswitchd wrote $(wc -l <"$LOG") records to $LOG"

[ -n "$row" ] || fail "no summary row for $v1"
# the echo frames exactly, and each other frame (ARP, the namespace's
# own chatter) small: at most 6 of at most 128 bytes
check_dir() {	# check_dir BYTES PACKETS WHAT
	local extra=$(($1 - frames)) xp=$(($2 - 20))
	(( extra >= 0 && xp >= 0 && xp <= 6 && extra <= xp * 128 )) ||
		fail "$v1 $3 $1 bytes in $2 packets: not 20 x 1042 and a few small frames ($row)"
}
check_dir "$rb" "$ip" received
check_dir "$ob" "$op" sent
pass "summary for $v1: obytes $ob in $op packets, rbytes $rb in $ip, for 20 echo frames ($frames bytes) each way"
"$VNICADM" show-usage -f "$LOG" | head -1 |
	grep -q '^LINK *DURATION *IPACKETS *RBYTES *OPACKETS *OBYTES *BANDWIDTH$' ||
	fail "summary header"

sum=$("$VNICADM" show-usage -f "$LOG" -p -o obytes "$v1" | awk '{s += $1} END {print s}')
[ "$sum" = "$ob" ] || fail "per-interval obytes add up to $sum, summary says $ob"
"$VNICADM" show-usage -f "$LOG" "$v1" | head -1 |
	grep -q '^LINK *START *END *RBYTES *OBYTES *BANDWIDTH$' || fail "interval header"
pass "per-interval rows of $v1 add up to the summary ($sum)"

# a window: the interval where the pings started, then three from there
t0=$(grep "\"name\":\"$v1\"" "$LOG" | grep -v '"obytes":0}' | head -1 |
     sed 's/.*"start":\([0-9]*\),.*/\1/')
[ -n "$t0" ] || fail "no busy interval of $v1 in the log"
when() { date -u -d "@$1" +%m/%d/%Y,%H:%M:%S; }
n1=$("$VNICADM" show-usage -f "$LOG" -p -o start -s "$(when "$t0")" -e "$(when $((t0 + 1)))" "$v1" | wc -l)
n3=$("$VNICADM" show-usage -f "$LOG" -p -o start -s "$(when "$t0")" -e "$(when $((t0 + 3)))" "$v1" | wc -l)
# what the log has in those windows (a late tick makes a 2 s interval)
inwin() {
	grep "\"name\":\"$v1\"" "$LOG" |
		sed 's/.*"start":\([0-9]*\),"end":\([0-9]*\),.*/\1 \2/' |
		awk -v s="$1" -v e="$2" '$1 >= s && $2 <= e' | wc -l
}
w1=$(inwin "$t0" $((t0 + 1))) w3=$(inwin "$t0" $((t0 + 3)))
[ "$n1" = "$w1" ] && [ "$n3" = "$w3" ] && [ "$n3" -ge 2 ] ||
	fail "windows of 1 and 3 s gave $n1 and $n3 rows, the log has $w1 and $w3"
first=$("$VNICADM" show-usage -f "$LOG" -p -o start -s "$(when "$t0")" -e "$(when $((t0 + 1)))" "$v1")
[ "$n1" = 0 ] || [ "$first" = "$(date -u -d "@$t0" +%H:%M:%S)" ] ||
	fail "window starts at $first"
pass "-s $(when "$t0") -e +1 s / +3 s select $n1 and $n3 intervals"

# vswitchd is still writing the log: both readings from one copy of it
cp "$LOG" "$TMP/snap.log"
"$VNICADM" show-usage -f "$TMP/snap.log" -F gnuplot "$v1" >"$TMP/plot.dat" || fail "-F gnuplot"
head -1 "$TMP/plot.dat" | grep -qx "# Time $v1" || fail "gnuplot header: $(head -1 "$TMP/plot.dat")"
lines=$(tail -n +2 "$TMP/plot.dat" | grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]+\.[0-9]{2}$')
rows=$("$VNICADM" show-usage -f "$TMP/snap.log" -p -o end "$v1" | wc -l)
[ "$lines" = "$rows" ] && [ "$lines" = $(($(wc -l <"$TMP/plot.dat") - 1)) ] ||
	fail "gnuplot: $lines good lines for $rows intervals"
# XVM_USAGE_PLOT=FILE keeps the data (docs/usage-plot.dat is one such run)
[ -z "${XVM_USAGE_PLOT:-}" ] || cp "$TMP/plot.dat" "$XVM_USAGE_PLOT"
peak=$(tail -n +2 "$TMP/plot.dat" | awk '$2 > m {m = $2} END {print m}')
pass "-F gnuplot: $lines lines, peak $peak kb/s"

frow=$("$FLOWADM" show-usage -f "$LOG" -p -o flow,rbytes,obytes | grep '^icmpf:') ||
	fail "flowadm show-usage: no icmpf"
IFS=: read -r _ frb fob <<<"$frow"
(( frb + fob >= frames && frb + fob <= 2 * frames )) ||
	fail "flow icmpf counted $frb + $fob bytes, expected $frames..$((2 * frames))"
pass "flowadm show-usage: icmpf rbytes $frb obytes $fob"

# bad input
cp "$LOG" "$TMP/bad.log"
echo '{"type":"link","name":"'"$v1"'","start":1,"end":0,"ipackets":0,"rbytes":0,"opackets":0,"obytes":0}' >>"$TMP/bad.log"
printf '{"type":"link","name":"%s","sta' "$v1" >>"$TMP/bad.log"
nl=$(wc -l <"$TMP/bad.log")
err=$("$VNICADM" show-usage -f "$TMP/bad.log" -p -o obytes,link 2>&1 >/dev/null) ||
	fail "a log with bad lines refused: $err"
grep -q "warning: $TMP/bad.log:$nl: " <<<"$err" &&
	grep -q "warning: $TMP/bad.log:$((nl + 1)): truncated record" <<<"$err" ||
	fail "bad lines not reported by number: $err"
pass "bad lines reported and skipped: $(tr '\n' '|' <<<"$err")"

expect_fail() {	# expect_fail REGEX ARGS...: exit 1 and REGEX on stderr
	local re=$1 e
	shift
	e=$("$VNICADM" show-usage "$@" 2>&1 >/dev/null)
	[ $? = 1 ] || fail "show-usage $* did not exit 1"
	grep -qE "$re" <<<"$e" || fail "show-usage $*: '$e'"
	pass "show-usage $*: $e"
}
printf 'not a log\n\n' >"$TMP/junk"
expect_fail "is not a usage log" -f "$TMP/junk"
expect_fail "cannot open usage log .*No such file" -f "$TMP/none"
expect_fail "invalid time '13/01/2025,00:00:00'" -f "$LOG" -s 13/01/2025,00:00:00
expect_fail "invalid time '02/30/2025,00:00:00'" -f "$LOG" -e 02/30/2025,00:00:00
expect_fail "start time .* is after end time" -f "$LOG" -s 01/02/2025,00:00:00 -e 01/01/2025,00:00:00
expect_fail "Format specifier svg not supported" -f "$LOG" -F svg
expect_fail "invalid link: 'nolink0'" -f "$LOG" nolink0
