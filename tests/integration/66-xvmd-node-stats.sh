#!/bin/bash
# xvmd's statistics with stock virsh and python3-libvirt, no guest booted
# (runs natively, with or without KVM): nodecpustats (all CPUs and CPU 0),
# nodememstats and freecell agree with /proc; domstats of a shut-off
# domain gives its state and definition (balloon, vcpu, block groups);
# dommemstat and domifstat of it are refused as not running; python's
# getCPUStats, getMemoryStats, getFreeMemory, getCPUMap and
# getAllDomainStats/domainListGetStats; virsh desc (description, title)
# and metadata (an element by namespace URI) set with --config, kept across
# an xvmd restart, removed. The running guest's counters are
# 64-xvmd-stats (KVM).
# timeout: 60
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
command -v virsh >/dev/null || fail "virsh not installed (libvirt-clients)"
PY=/usr/bin/python3
"$PY" -c 'import libvirt' 2>/dev/null || fail "python3-libvirt not installed"
xvmd_start

out=$(V nodecpustats) || fail "nodecpustats: $out"
for f in user system idle iowait; do
	echo "$out" | grep -Eq "^$f: +[0-9]+$" || fail "nodecpustats lacks $f: $out"
done
idle=$(echo "$out" | sed -n 's/^idle: *//p')
[ "$idle" -gt 0 ] || fail "nodecpustats idle $idle"
pass "nodecpustats: user, system, idle ($idle ns), iowait"
V nodecpustats --cpu 0 | grep -Eq '^user: +[0-9]+$' || fail "nodecpustats --cpu 0: $(V nodecpustats --cpu 0 2>&1)"
expect_fail "cpu 9999 out of range" nodecpustats --cpu 9999
pass "nodecpustats --cpu 0"

out=$(V nodememstats) || fail "nodememstats: $out"
total=$(echo "$out" | sed -n 's/^total *: *\([0-9]*\) KiB$/\1/p')
want=$(sed -n 's/^MemTotal: *\([0-9]*\) kB$/\1/p' /proc/meminfo)
[ "$total" = "$want" ] || fail "nodememstats total '$total', /proc/meminfo $want: $out"
for f in free buffers cached; do
	echo "$out" | grep -Eq "^$f *: +[0-9]+ KiB$" || fail "nodememstats lacks $f: $out"
done
pass "nodememstats: total $total KiB as /proc/meminfo, free, buffers, cached"
V freecell | grep -Eq '^Total: +[1-9][0-9]* KiB$' || fail "freecell: $(V freecell 2>&1)"
V freecell --cellno 0 | grep -Eq '^0: +[1-9][0-9]* KiB$' || fail "freecell --cellno 0: $(V freecell --cellno 0 2>&1)"
pass "freecell: $(V freecell)"

dom_xml st1 "workload=idle" "<currentMemory unit='MiB'>24</currentMemory>"
V define "$TMP/st1.xml" >/dev/null || fail "define"
out=$(V domstats st1) || fail "domstats: $out"
for kv in state.state=5 balloon.current=24576 balloon.maximum=32768 \
	  vcpu.current=1 vcpu.maximum=1 block.count=0; do
	echo "$out" | grep -Eq "^ +$kv$" || fail "domstats lacks $kv: $out"
done
echo "$out" | grep -q 'cpu.time' && fail "domstats of a shut-off domain has cpu.time: $out"
pass "domstats st1: state shut off, balloon 24576/32768 KiB, vcpu 1/1"
V domstats --state --list-inactive | grep -Eq "^Domain: '?st1'?$" || fail "domstats --list-inactive: $(V domstats --state --list-inactive 2>&1)"
V domstats --state --list-active | grep -q st1 && fail "domstats --list-active lists the shut-off st1"
V domstats >"$TMP/all" || fail "domstats of all domains: $(cat "$TMP/all")"
grep -A2 "^Domain: '\?Domain-0'\?$" "$TMP/all" | grep -Eq '^ +state.state=1$' || fail "domstats lacks Domain-0 running: $(cat "$TMP/all")"
pass "domstats --list-inactive/--list-active filter"
expect_fail "domain is not running" dommemstat st1
expect_fail "domain is not running" domifstat st1 xvm1_0

timeout 40 "$PY" - "$URI" <<'PY' || fail "python scenario failed"
import sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
c = libvirt.open(sys.argv[1])
def ok(msg): print("ok: " + msg, flush=True)
s = c.getCPUStats(libvirt.VIR_NODE_CPU_STATS_ALL_CPUS)
assert set(s) == {"kernel", "user", "idle", "iowait"}, s
assert s["idle"] > 0, s
ok("getCPUStats: %s" % sorted(s))
m = c.getMemoryStats(libvirt.VIR_NODE_MEMORY_STATS_ALL_CELLS)
assert set(m) == {"total", "free", "buffers", "cached"} and m["free"] <= m["total"], m
ok("getMemoryStats total=%d KiB" % m["total"])
free = c.getFreeMemory()
assert 0 < free <= m["total"] * 1024, free
ok("getFreeMemory %d bytes" % free)
n, cpumap, online = c.getCPUMap()
assert n >= 1 and len(cpumap) == n and online == sum(cpumap), (n, cpumap, online)
ok("getCPUMap: %d CPUs, %d online" % (n, online))
recs = c.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_BALLOON)
names = {d.name(): st for d, st in recs}
assert "st1" in names, names
st = names["st1"]
assert st["state.state"] == libvirt.VIR_DOMAIN_SHUTOFF, st
assert st["balloon.current"] == 24576 and st["balloon.maximum"] == 32768, st
ok("getAllDomainStats: st1 %s" % st)
d = c.lookupByName("st1")
(dd, st2), = c.domainListGetStats([d], libvirt.VIR_DOMAIN_STATS_VCPU)
assert dd.name() == "st1" and st2 == {"vcpu.current": 1, "vcpu.maximum": 1}, st2
ok("domainListGetStats: %s" % st2)
try:
    d.memoryStats()
    raise SystemExit("FAIL: memoryStats of a shut-off domain")
except libvirt.libvirtError as e:
    assert e.get_error_code() == libvirt.VIR_ERR_OPERATION_INVALID, e
ok("memoryStats of a shut-off domain: OPERATION_INVALID")
PY
pass "python3-libvirt: node stats, CPU map, getAllDomainStats, domainListGetStats"

# metadata: description, title and an element by namespace, kept in the
# stored definition (a new xvmd has them), removed again
# (virsh -q hides "No description"; virsh says it when the error is
# NO_DOMAIN_METADATA, and fails on any other)
nodesc() { [ "$(timeout 30 virsh -c "$URI" desc st1)" = "No description for domain: st1" ]; }
nodesc || fail "desc before: $(timeout 30 virsh -c "$URI" desc st1 2>&1)"
V desc st1 --config --new-desc "web tier" >/dev/null || fail "desc --new-desc"
V desc st1 --title --config --new-desc "Web 1" >/dev/null || fail "desc --title --new-desc"
APP=http://example.org/xvmtest/app
V metadata st1 "$APP" --key app --set "<app><tier>web</tier></app>" --config >/dev/null ||
	fail "metadata --set: $(V metadata st1 "$APP" --key app --set "<app><tier>web</tier></app>" --config 2>&1)"
expect_fail "XML error" metadata st1 urn:x --key x --set "<open>" --config
expect_fail "domain is not running" desc st1 --live --new-desc x
xvmd_stop
xvmd_start
[ "$(V desc st1)" = "web tier" ] || fail "desc after an xvmd restart: $(V desc st1 2>&1)"
[ "$(V desc st1 --title)" = "Web 1" ] || fail "title after an xvmd restart: $(V desc st1 --title 2>&1)"
V metadata st1 "$APP" | grep -q "<tier>web</tier>" || fail "metadata after an xvmd restart: $(V metadata st1 "$APP" 2>&1)"
V dumpxml --inactive st1 | grep -q "<description>web tier</description>" || fail "dumpxml lacks the description"
V dumpxml --inactive st1 | grep -q "xmlns:app=\"$APP\"" || fail "dumpxml lacks the metadata element"
pass "desc, title and metadata element set --config, kept across an xvmd restart: $(V metadata st1 "$APP")"
V metadata st1 "$APP" --remove --config >/dev/null || fail "metadata --remove"
expect_fail "metadata not found" metadata st1 "$APP"
V desc st1 --config --new-desc "" >/dev/null || fail "desc emptied"
nodesc || fail "desc after emptying: $(V desc st1 2>&1)"
pass "metadata removed, description emptied"
V undefine st1 >/dev/null || fail "undefine"
xvmd_stop
pass "xvmd stopped"
