#!/bin/bash
# NIC hot-plug through xvmd with stock virsh: a running PV guest with one
# interface (untagged, over the uplink) gets a second one by
# `virsh attach-device` (<vlan> 7, <bandwidth> 1250 KB/s): its VNIC
# xvm<id>_1 shows in vnicadm with VID 7 and a 10 Mb/s cap, the guest
# sees the NIC, takes the address ip= names for nic1 and answers ping
# from a LAN host on VLAN 7; dumpxml shows it (the definition does not);
# save is refused while it is plugged; after kill -9 of xvmd the adopted
# domain still has it; `virsh detach-interface` removes it (the guest
# releases it, the VNIC goes), the guest runs on and nic0 still answers.
# Then the seeds' --capped-bandwidth style: `attach-interface --inbound
# --outbound --persistent` plugs an untagged capped NIC (20 Mb/s) that
# also enters the definition, answers ping, and detach --persistent
# takes it out of both. python3-libvirt's attachDeviceFlags and
# detachDeviceFlags (AFFECT_LIVE) do the same; `virsh event` sees
# device-added and device-removed for the NIC's alias net1. After a reboot a plugged
# NIC is on hv's command line: managedsave and restore work with it. A
# guest that ignores
# hot-plug keeps the NIC: the
# detach fails with hv's reason after 5 s, while xvmd serves other
# clients; an attach while hv is stopped fails after 10 s, leaving no
# VNIC, while xvmd serves others.
# timeout: 200
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
. "$(dirname "$0")/xvmdlib.sh"
require_kvm
command -v virsh >/dev/null || fail "virsh not installed (libvirt-clients)"
net_require
lan_create
lan_host h1 10.59.0.10/24
lan_host h7
lan_host_vlan "$(nsn h7)" 7 10.59.7.10/24
lan_host h8 10.59.8.10/24
vsw_start
xvmd_start
nic0="<interface type='bridge'><source bridge='$UPLINK'/><mac address='00:16:3e:59:00:01'/></interface>"
dom_xml hp "workload=ping,idle ip=10.59.0.1/24,10.59.7.1/24@nic1,10.59.8.1/24@nic1" "" "$nic0"
V define "$TMP/hp.xml" >/dev/null || fail "define"
V start hp >/dev/null || fail "start"
wait_for_line "$(conlog hp)" '^guest: ready' 60 || fail "hp did not boot"
grep -q '^minios: pci: hot-plug controller found' "$(conlog hp)" || fail "the guest found no hot-plug controller"
id=$(V domid hp)
ns_ping "$(nsn h1)" 10.59.0.1 || fail "nic0 does not answer before the plug"

cat >"$TMP/nic1.xml" <<XML
<interface type='bridge'>
  <source bridge='$UPLINK'/>
  <mac address='00:16:3e:59:00:07'/>
  <model type='virtio'/>
  <vlan><tag id='7'/></vlan>
  <bandwidth><inbound average='1250'/><outbound average='1250'/></bandwidth>
</interface>
XML
V attach-device hp "$TMP/nic1.xml" >"$TMP/out" 2>&1 || { cat "$TMP/out"; fail "attach-device (live)"; }
"$VNICADM" show-vnic | tee "$TMP/vnics"
grep -Eq "^xvm${id}_1 +$UPLINK +10 +0:16:3e:59:0:7 +fixed +7$" "$TMP/vnics" ||
	fail "xvm${id}_1 over $UPLINK, 10 Mb/s, MAC 0:16:3e:59:0:7, VID 7 not shown"
pass "attach-device: VNIC xvm${id}_1 on VLAN 7, capped at 10 Mb/s"
wait_for_line "$(conlog hp)" '^guest: hotplug: nic1 added at 00:03.0' 10 || fail "the guest did not see the new NIC"
wait_for_line "$(conlog hp)" '^guest: nic1 mac=0:16:3e:59:0:7 link=up ip=10.59.7.1/24,10.59.8.1/24' 5 ||
	fail "nic1 did not come up with its addresses"
in_ns "$(nsn h7)" ping -n -c 5 -i 0.2 -W 2 10.59.7.1 >"$TMP/ping7" 2>&1 ||
	{ cat "$TMP/ping7"; fail "the VLAN-7 LAN host gets no answer through the plugged NIC"; }
pass "the guest's nic1 answers the VLAN-7 host: $(grep -o '[0-9]* received' "$TMP/ping7")"
V dumpxml hp | grep -q "<target dev='xvm${id}_1'/>" || fail "dumpxml lacks the plugged interface"
V dumpxml hp | grep -q "<tag id='7'/>" || fail "dumpxml lacks its VLAN"
V dumpxml --inactive hp | grep -q "00:16:3e:59:00:07" && fail "the definition got the live-only interface"
pass "dumpxml shows it with its VNIC and VLAN; the definition does not"
expect_fail "interfaces were attached or detached while it runs" save hp "$TMP/hp.save"
expect_fail "interfaces were attached or detached while it runs" managedsave hp
expect_fail "cannot migrate domain 'hp': interfaces were attached or detached" \
	migrate --live --p2p hp "xvm+tcp://127.0.0.1:1/system"
V domifstat hp "xvm${id}_1" >"$TMP/ifstat" || fail "domifstat of the plugged interface"
rx=$(awk '$2 == "rx_packets" { print $3 }' "$TMP/ifstat")
[ "${rx:-0}" -ge 5 ] || { cat "$TMP/ifstat"; fail "domifstat xvm${id}_1: rx_packets '$rx', expected >= 5 (the pings)"; }
pass "domifstat of the plugged interface: rx_packets $rx"
expect_fail "already has an interface with MAC address 00:16:3e:59:00:07" attach-device hp "$TMP/nic1.xml"

xvmd_kill9
xvmd_start
[ "$(V domid hp)" = "$id" ] || fail "hp not adopted"
V dumpxml hp | grep -q "<target dev='xvm${id}_1'/>" || fail "the adopted domain lost its plugged interface"
expect_fail "interfaces were attached or detached while it runs" save hp "$TMP/hp.save"
pass "after kill -9 of xvmd the adopted hp still has the plugged interface"

V detach-interface hp bridge --mac 00:16:3e:59:00:07 >"$TMP/out" 2>&1 || { cat "$TMP/out"; fail "detach-interface (live)"; }
# (the console log is written as xvmd reads the pty: wait for the line)
wait_for_line "$(conlog hp)" '^guest: hotplug: nic1 removed from 00:03.0' 5 || fail "the guest did not release nic1"
"$VNICADM" show-vnic | grep -q "^xvm${id}_1 " && fail "xvm${id}_1 still there after the detach"
V dumpxml hp | grep -q "00:16:3e:59:00:07" && fail "dumpxml still shows the detached interface"
ns_ping "$(nsn h7)" 10.59.7.1 2 && fail "10.59.7.1 still answers after the detach"
ns_ping "$(nsn h1)" 10.59.0.1 || fail "nic0 no longer answers after the detach"
[ "$(V domstate hp)" = running ] || fail "hp is $(V domstate hp) after the detach"
pass "detach-interface: the guest released nic1, its VNIC is gone; hp runs, nic0 answers"

# device events (callback form) for what follows
events_start "$TMP/events" 60
EVP=$EV_PID
V attach-interface hp bridge "$UPLINK" --mac 00:16:3e:59:00:08 --model virtio \
	--inbound 2500 --outbound 2500 --persistent >"$TMP/out" 2>&1 || { cat "$TMP/out"; fail "attach-interface --persistent"; }
"$VNICADM" show-vnic | grep -Eq "^xvm${id}_1 +$UPLINK +20 +0:16:3e:59:0:8 +fixed +0$" ||
	{ "$VNICADM" show-vnic; fail "xvm${id}_1 untagged at 20 Mb/s not shown"; }
V dumpxml --inactive hp | grep -q "00:16:3e:59:00:08" || fail "--persistent: the definition lacks the interface"
n=$(grep -c '^guest: hotplug: nic1 added' "$(conlog hp)")
end=$(deadline_in 10)
while before "$end" && [ "$(grep -c '^guest: hotplug: nic1 added' "$(conlog hp)")" -lt 2 ]; do sleep 0.1; done
ns_ping "$(nsn h8)" 10.59.8.1 5 || fail "the capped NIC does not answer"
pass "attach-interface --inbound/--outbound --persistent: 20 Mb/s, in the definition too, answers"
V detach-interface hp bridge --mac 00:16:3e:59:00:08 --persistent >"$TMP/out" 2>&1 || { cat "$TMP/out"; fail "detach --persistent"; }
V dumpxml --inactive hp | grep -q "00:16:3e:59:00:08" && fail "--persistent detach left it in the definition"
"$VNICADM" show-vnic | grep -q "^xvm${id}_1 " && fail "xvm${id}_1 left"
ns_ping "$(nsn h1)" 10.59.0.1 || fail "nic0 no longer answers"
pass "detach-interface --persistent: gone from both; nic0 answers"
wait_for_line "$TMP/events" "event 'device-added' for domain 'hp': net1" 10 &&
	wait_for_line "$TMP/events" "event 'device-removed' for domain 'hp': net1" 10 ||
	{ cat "$TMP/events"; fail "no device-added/device-removed events for net1"; }
kill $EVP 2>/dev/null; wait $EVP 2>/dev/null
pass "virsh event: device-added and device-removed for net1"

# The same through python3-libvirt: attachDeviceFlags/detachDeviceFlags
# with VIR_DOMAIN_AFFECT_LIVE; the guest's nic1 answers in between.
/usr/bin/python3 -c 'import libvirt' 2>/dev/null || fail "python3-libvirt not installed"
cat >"$TMP/nic3.xml" <<XML
<interface type='bridge'><source bridge='$UPLINK'/><mac address='00:16:3e:59:00:03'/></interface>
XML
timeout 60 /usr/bin/python3 - "$URI" "$TMP/nic3.xml" "$(nsn h8)" "$NETTOPO" <<'PY' || fail "python3-libvirt hot-plug failed"
import subprocess, sys, time, libvirt
uri, xmlf, ns, nettopo = sys.argv[1:5]
xml = open(xmlf).read()
conn = libvirt.open(uri)
dom = conn.lookupByName("hp")
dom.attachDeviceFlags(xml, libvirt.VIR_DOMAIN_AFFECT_LIVE)
assert "00:16:3e:59:00:03" in dom.XMLDesc(0), "live XML lacks the NIC"
assert "00:16:3e:59:00:03" not in dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE), "definition changed"
ok = False
for _ in range(50):
    if subprocess.run([nettopo, "-n", ns, "exec", "ping", "-n", "-c", "1", "-W", "1", "10.59.8.1"],
                      stdout=subprocess.DEVNULL).returncode == 0:
        ok = True
        break
    time.sleep(0.2)
assert ok, "the NIC attached through python3-libvirt does not answer"
dom.detachDeviceFlags(xml, libvirt.VIR_DOMAIN_AFFECT_LIVE)
assert "00:16:3e:59:00:03" not in dom.XMLDesc(0), "detached NIC still in the live XML"
try:
    dom.detachDeviceFlags(xml, libvirt.VIR_DOMAIN_AFFECT_LIVE)
    raise SystemExit("a second detach succeeded")
except libvirt.libvirtError as e:
    assert "no interface with MAC address 00:16:3e:59:00:03" in str(e), str(e)
print("python3-libvirt: attached, pinged, detached; second detach: no such interface")
PY
pass "python3-libvirt attachDeviceFlags/detachDeviceFlags (live) on hp"
"$VNICADM" show-vnic | grep -q "^xvm${id}_1 " && fail "python's detach left xvm${id}_1"

# A reboot starts hv with the live interfaces on its command line: the
# plugged NIC is there at boot, and save works again (managedsave, then
# start restores the guest with both NICs).
V attach-interface hp bridge "$UPLINK" --mac 00:16:3e:59:00:05 >/dev/null 2>&1 || fail "attach before the reboot"
n=$(grep -c '^guest: ready' "$(conlog hp)")
V reboot hp >/dev/null || fail "reboot hp"
end=$(deadline_in 60)
while before "$end" && [ "$(grep -c '^guest: ready' "$(conlog hp)")" -le "$n" ]; do sleep 0.2; done
grep -q '^guest: nic1 mac=0:16:3e:59:0:5 link=up ip=10.59.7.1/24,10.59.8.1/24' "$(conlog hp)" ||
	fail "after the reboot the plugged NIC is not there at boot"
ns_ping "$(nsn h8)" 10.59.8.1 5 || fail "the plugged NIC does not answer after the reboot"
V managedsave hp >/dev/null 2>"$TMP/ms.err" || { cat "$TMP/ms.err"; fail "managedsave after the reboot"; }
V start hp >/dev/null || fail "restore hp from its managed save"
ns_ping "$(nsn h8)" 10.59.8.1 5 || fail "the NIC does not answer after the restore"
ns_ping "$(nsn h1)" 10.59.0.1 || fail "nic0 does not answer after the restore"
id=$(V domid hp)
pass "after a reboot the plugged NIC is on hv's command line: managedsave and restore work, both NICs answer"
V detach-interface hp bridge --mac 00:16:3e:59:00:05 >/dev/null 2>&1 || fail "detach after the restore"
"$VNICADM" show-vnic | grep -q "^xvm${id}_1 " && fail "xvm${id}_1 left after the detach"

# A guest that ignores hot-plug: the detach fails after hv's 5 s with the
# reason, the interface and its VNIC stay; xvmd serves others meanwhile.
dom_xml deaf "workload=idle hotplug=off"
V create "$TMP/deaf.xml" >/dev/null || fail "create deaf"
wait_for_line "$(conlog deaf)" '^guest: ready' 60 || fail "deaf did not boot"
did=$(V domid deaf)
V attach-interface deaf bridge "$UPLINK" --mac 00:16:3e:59:00:09 >/dev/null 2>&1 || fail "attach to deaf"
V detach-interface deaf bridge --mac 00:16:3e:59:00:09 >"$TMP/deaf.out" 2>&1 &
dpid=$!
sleep 1
t0=$(date +%s%N)
V list --all >"$TMP/list" || fail "virsh list during the pending detach"
t1=$(date +%s%N)
grep -q deaf "$TMP/list" || fail "virsh list during the detach lacks deaf"
expect_fail "is being attached or detached" save deaf "$TMP/deaf.save"
wait "$dpid" && fail "detach from a guest that ignores hot-plug went on"
grep -q "the guest did not release NIC 00:16:3e:59:00:09 (slot 00:02.0) in time" "$TMP/deaf.out" ||
	{ cat "$TMP/deaf.out"; fail "unclear detach failure"; }
V dumpxml deaf | grep -q "00:16:3e:59:00:09" || fail "the interface left the live XML although the guest kept it"
"$VNICADM" show-vnic | grep -q "^xvm${did}_0 " || fail "the VNIC went although the guest kept the NIC"
pass "deaf guest: '$(tail -n 1 "$TMP/deaf.out")'; virsh list answered in $(( (t1 - t0) / 1000000 )) ms meanwhile"

# hv stopped (SIGSTOP) during an attach: xvmd serves others, the attach
# fails after xvmd's 10 s, its VNIC goes; hv continues unharmed
hvpid=$(cat "$XVM_RUNDIR/hv/deaf.pid")
kill -STOP "$hvpid"
at_exit "kill -CONT $hvpid 2>/dev/null"
V attach-interface deaf bridge "$UPLINK" --mac 00:16:3e:59:00:0a >"$TMP/stall.out" 2>&1 &
apid=$!
sleep 1
t0=$(date +%s%N)
V list --all >/dev/null || fail "virsh list during the stalled attach"
t1=$(date +%s%N)
wait "$apid" && fail "an attach to a stopped hv succeeded"
kill -CONT "$hvpid"
grep -q "hv nic.add of 'deaf': .*no reply within 10000 ms" "$TMP/stall.out" || { cat "$TMP/stall.out"; fail "unclear stalled attach failure"; }
"$VNICADM" show-vnic | grep -q "^xvm${did}_1 " && fail "the stalled attach left its VNIC"
V dumpxml deaf | grep -q "00:16:3e:59:00:0a" && fail "the stalled attach is in the live XML"
pass "attach while hv is stopped: '$(tail -n 1 "$TMP/stall.out")', virsh list answered in $(( (t1 - t0) / 1000000 )) ms meanwhile, no VNIC left"
V destroy deaf >/dev/null

V destroy hp >/dev/null
[ "$(V dumpxml --inactive hp | grep -c '<interface')" = 1 ] || { V dumpxml --inactive hp; fail "the definition after the run is not the original one"; }
"$VNICADM" show-vnic | grep -q '^xvm' && fail "guest VNICs left: $("$VNICADM" show-vnic)"
xvmd_stop
