#!/bin/bash
# xvmd's side of save/restore and managed save, run natively with or
# without KVM: hv is tests/tools/fake-hv, which speaks hv's control
# protocol and writes/reads a small state stream where xvmd tells it (its
# "guest" counts seconds, so a restored one goes on counting). What is
# checked is xvmd's: the image (0600, XVMSAVE header, the XML with the
# MAC), shut off (saved) with the VNIC gone, restore recreating the
# transient domain and its VNIC with the same MAC, events, --paused, bad
# images refused leaving no domain or VNIC, an hv that refuses to save,
# managedsave/start/--force-boot/managedsave-remove/undefine. The real hv
# is 71-xvmd-save-restore and 72-xvmd-managedsave.
# timeout: 180
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlib.sh"
. "$(dirname "$0")/xvmdlib.sh"
net_require
vsw_start
stub=$(vname 9)
vna create-etherstub -t "$stub"
xvmd_start --hv "$TOP/tests/tools/fake-hv"
events_start "$TMP/events" 170
EVPID=$EV_PID

ticks() { sed -n 's/^guest: spin t=\([0-9]*\).*/\1/p' "$(conlog "$1")" | tail -n 1; }
wait_tick() {	# NAME T: the guest counted to T
	local end; end=$(deadline_in 30)
	while before "$end"; do
		[ "$(ticks "$1")" -ge "$2" ] 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$1: no 'guest: spin t=$2' (last: $(ticks "$1"))"
}
vnic_of() { V domiflist "$1" | awk 'NR>0 && $1 ~ /^xvm/ {print $1}'; }
nic="<interface type='bridge'><source bridge='$stub'/></interface>"
mkdir -p "$TMP/save"

# live migration exists (76-xvmd-migrate-native): tcp only
V capabilities | tr -d ' \n' | grep -q '<migration_features><live/><uri_transports><uri_transport>tcp</uri_transport></uri_transports></migration_features>' ||
	fail "capabilities do not advertise live tcp migration: $(V capabilities)"
pass "capabilities advertise live migration over tcp"

# A transient domain: save makes it go, restore brings it back.
dom_xml t1 "workload=spin" "" "$nic"
V create "$TMP/t1.xml" >/dev/null || fail "create t1"
wait_tick t1 2
mac=$(V dumpxml t1 | sed -n "s/.*<mac address='\([^']*\)'.*/\1/p")
vnic=$(vnic_of t1)
[ -n "$vnic" ] && "$VNICADM" show-vnic | grep -q "^$vnic " || fail "t1 has no VNIC ($vnic)"
V save t1 "$TMP/save/t1.img" >/dev/null || fail "save t1"
t_saved=$(ticks t1)
[ "$(stat -c %a "$TMP/save/t1.img")" = 600 ] || fail "image mode $(stat -c %a "$TMP/save/t1.img")"
[ "$(head -c 8 "$TMP/save/t1.img")" = XVMSAVE ] || fail "no XVMSAVE magic"
V list --all | grep -q ' t1 ' && fail "transient t1 still listed after save"
"$VNICADM" show-vnic | grep -q "^$vnic " && fail "$vnic still there after save"
[ -z "$(ls "$XVM_RUNDIR"/hv/*.pid 2>/dev/null)" ] || fail "hv pid file left: $(ls "$XVM_RUNDIR"/hv)"
pass "save: $TMP/save/t1.img (0600, XVMSAVE), t1 gone, $vnic gone, hv gone"
V save-image-dumpxml "$TMP/save/t1.img" | grep -q "<mac address='$mac'/>" ||
	fail "save-image-dumpxml lacks the MAC: $(V save-image-dumpxml "$TMP/save/t1.img")"
pass "save-image-dumpxml shows the saved definition with MAC $mac"

# Bad images: refused before anything is made.
img=$TMP/save/t1.img
cp "$img" "$TMP/flip.img"
printf 'Z' | dd of="$TMP/flip.img" bs=1 seek=60 conv=notrunc status=none
head -c 6000 "$img" >"$TMP/short.img"
cp "$img" "$TMP/badstream.img"
dd if=/dev/zero of="$TMP/badstream.img" bs=4096 seek=1 count=1 conv=notrunc status=none
printf 'not an image' >"$TMP/text.img"
expect_fail "corrupt \(CRC mismatch\)" restore "$TMP/flip.img"
expect_fail "save image truncated: [0-9]+ bytes of guest state, the header says [0-9]+" restore "$TMP/short.img"
expect_fail "not an xvm save image" restore "$TMP/text.img"
expect_fail "hv for 't1' failed to start: hv: restore: .* is not an hv state stream" restore "$TMP/badstream.img"
V list --all | grep -q ' t1 ' && fail "t1 left behind by a failed restore"
"$VNICADM" show-vnic | grep -q '^xvm' && fail "VNIC left by a failed restore: $("$VNICADM" show-vnic)"
pass "bad images refused; no domain, no VNIC left"

V restore "$img" >/dev/null || fail "restore t1"
[ "$(V domstate --reason t1)" = "running (restored)" ] || fail "t1: $(V domstate --reason t1)"
vnic2=$(vnic_of t1)
"$VNICADM" show-vnic -p -o macaddress "$vnic2" >/dev/null || fail "no VNIC $vnic2"
V dumpxml t1 | grep -q "<mac address='$mac'/>" || fail "t1 restored with another MAC"
grep -q "^guest: restored at t=$t_saved" "$(conlog t1)" || fail "not restored at t=$t_saved: $(tail -n 3 "$(conlog t1)")"
wait_tick t1 $((t_saved + 1))
[ "$(grep -c '^guest: ready' "$(conlog t1)")" = 1 ] || fail "the guest booted again"
V dominfo t1 | grep -Eq '^Persistent: +no$' || fail "t1 not transient after restore"
pass "restore: t1 running (restored), VNIC $vnic2 with MAC $mac, the count goes on from $t_saved"
expect_fail "domain 't1' is already active" restore "$img"
[ "$(V domiflist t1 | grep -c '^ *xvm')" = 1 ] || fail "second restore touched t1's VNICs"

# --paused, and the state the image records.
V save --paused t1 "$img" >/dev/null || fail "save --paused"
V restore "$img" >/dev/null || fail "restore of a --paused image"
[ "$(V domstate --reason t1)" = "paused (user)" ] || fail "t1: $(V domstate --reason t1)"
V resume t1 >/dev/null && [ "$(V domstate t1)" = running ] || fail "resume after restore"
V save t1 "$img" >/dev/null && V restore --paused "$img" >/dev/null || fail "restore --paused"
[ "$(V domstate t1)" = paused ] || fail "restore --paused: $(V domstate t1)"
pass "save --paused and restore --paused leave the guest paused"
expect_fail "unsupported flags \(0x1\)" save --bypass-cache t1 "$TMP/x.img"
mkfifo "$TMP/fifo"
expect_fail "'$TMP/fifo' exists and is not a regular file" save t1 "$TMP/fifo"
V destroy t1 >/dev/null

# An hv that cannot save: the file goes, the guest runs on.
dom_xml savefail "workload=spin"
V create "$TMP/savefail.xml" >/dev/null || fail "create savefail"
expect_fail "hv save of 'savefail': save: injected failure" save savefail "$TMP/sf.img"
[ -e "$TMP/sf.img" ] && fail "image left after a failed save"
[ "$(V domstate savefail)" = running ] || fail "savefail: $(V domstate savefail)"
pass "a save hv refuses: error passed on, no file, still running"
V destroy savefail >/dev/null

# A save in progress: other requests are served, lifecycle changes of
# that domain wait (fake-hv holds the save until $TMP/slow.img.go exists).
dom_xml slowsave "workload=spin"
V create "$TMP/slowsave.xml" >/dev/null || fail "create slowsave"
V save slowsave "$TMP/slow.img" >"$TMP/slow.out" 2>&1 &
savepid=$!
end=$(deadline_in 30)
while before "$end" && [ "$(V domstate slowsave)" != paused ]; do sleep 0.1; done
[ "$(V domstate slowsave)" = paused ] || fail "slowsave not paused by its save: $(V domstate slowsave)"
V list --all | grep -q ' slowsave ' || fail "list during the save: $(V list --all)"
kill -0 $savepid 2>/dev/null || fail "the save ended before it was let go: $(cat "$TMP/slow.out")"
V domjobinfo slowsave | grep -Eq '^Job type: +Unbounded' || fail "domjobinfo: $(V domjobinfo slowsave)"
expect_fail "domain 'slowsave' is being saved" resume slowsave
expect_fail "domain 'slowsave' is being saved" save slowsave "$TMP/slow2.img"
pass "while hv saves: list, domstate, domjobinfo (Unbounded) served; resume and a second save refused"
touch "$TMP/slow.img.go"
wait $savepid || fail "save slowsave: $(cat "$TMP/slow.out")"
V list --all | grep -q ' slowsave ' && fail "slowsave still listed after its save"
V restore "$TMP/slow.img" >/dev/null && V destroy slowsave >/dev/null || fail "restore slowsave"
pass "the held save completed once let go, and restores"
# The client goes away during the save: the save completes all the same.
wait_paused() {
	local end; end=$(deadline_in 30)
	while before "$end" && [ "$(V domstate slowsave)" != paused ]; do sleep 0.1; done
	[ "$(V domstate slowsave)" = paused ] || fail "slowsave not paused by its save"
}
rm -f "$TMP/slow.img.go"
V create "$TMP/slowsave.xml" >/dev/null || fail "create slowsave"
virsh -q -c "$URI" save slowsave "$TMP/slow.img" >/dev/null 2>&1 &
savepid=$!
wait_paused
kill -9 $savepid; wait $savepid 2>/dev/null
touch "$TMP/slow.img.go"
end=$(deadline_in 30)
while before "$end" && V list --all | grep -q ' slowsave '; do sleep 0.1; done
[ "$(V save-image-dumpxml "$TMP/slow.img" | grep -c '<name>slowsave</name>')" = 1 ] ||
	fail "image of the abandoned save incomplete"
pass "a client killed during its save: xvmd goes on, the image completes"
# destroy during the save: the save fails, its file goes, shut off.
rm -f "$TMP/slow.img.go" "$TMP/slow.img"
V create "$TMP/slowsave.xml" >/dev/null || fail "create slowsave"
V save slowsave "$TMP/slow.img" >"$TMP/slow.out" 2>&1 &
savepid=$!
wait_paused
V destroy slowsave >/dev/null || fail "destroy during the save"
wait $savepid && fail "save survived a destroy: $(cat "$TMP/slow.out")"
grep -q "domain 'slowsave' stopped during its save" "$TMP/slow.out" || fail "save after destroy: $(cat "$TMP/slow.out")"
[ -e "$TMP/slow.img" ] && fail "image left by a save that was destroyed"
V list --all | grep -q ' slowsave ' && fail "slowsave listed after destroy"
pass "destroy during a save: the save fails saying why, no image left"

# A restore while hv reads the image (fake-hv waits for
# $TMP/sr.img.go): others are served, the domain is paused (starting up)
# and refuses lifecycle changes; then it runs. The same for the start of
# a managed-saved domain.
dom_xml slowrestore "workload=spin"
V create "$TMP/slowrestore.xml" >/dev/null && V save slowrestore "$TMP/sr.img" >/dev/null ||
	fail "create and save slowrestore"
V restore "$TMP/sr.img" >"$TMP/sr.out" 2>&1 &
rpid=$!
end=$(deadline_in 30)
while before "$end" && [ "$(V domstate --reason slowrestore 2>/dev/null)" != "paused (starting up)" ]; do sleep 0.1; done
[ "$(V domstate --reason slowrestore)" = "paused (starting up)" ] || fail "slowrestore: $(V domstate --reason slowrestore)"
V list --all | grep -q ' slowrestore ' || fail "list during the restore"
kill -0 $rpid 2>/dev/null || fail "the restore ended before hv read the image: $(cat "$TMP/sr.out")"
expect_fail "domain 'slowrestore' is being restored" destroy slowrestore
expect_fail "domain 'slowrestore' is being restored" suspend slowrestore
touch "$TMP/sr.img.go"
wait $rpid || fail "restore slowrestore: $(cat "$TMP/sr.out")"
[ "$(V domstate --reason slowrestore)" = "running (restored)" ] || fail "slowrestore: $(V domstate --reason slowrestore)"
pass "while hv reads an image: served, paused (starting up), destroy/suspend refused; then running (restored)"
V destroy slowrestore >/dev/null
sed 's/<name>slowrestore</<name>slowrestore2</' "$TMP/slowrestore.xml" >"$TMP/slowrestore2.xml"
V define "$TMP/slowrestore2.xml" >/dev/null && V start slowrestore2 >/dev/null &&
	V managedsave slowrestore2 >/dev/null || fail "managedsave slowrestore2"
V start slowrestore2 >"$TMP/sr.out" 2>&1 &
rpid=$!
end=$(deadline_in 30)
while before "$end" && [ "$(V domstate slowrestore2)" != paused ]; do sleep 0.1; done
kill -0 $rpid 2>/dev/null || fail "start ended before hv read the image: $(cat "$TMP/sr.out")"
V dominfo slowrestore2 >/dev/null || fail "dominfo during the start"
touch "$XVM_STATEDIR/save/slowrestore2.save.go"
wait $rpid || fail "start slowrestore2: $(cat "$TMP/sr.out")"
[ "$(V domstate --reason slowrestore2)" = "running (restored)" ] || fail "slowrestore2: $(V domstate --reason slowrestore2)"
[ -e "$XVM_STATEDIR/save/slowrestore2.save" ] && fail "managed image kept"
V destroy slowrestore2 >/dev/null && V undefine slowrestore2 >/dev/null
pass "start of a managed-saved domain answered once hv runs it, others served meanwhile"

# Managed save of a persistent domain.
dom_xml p1 "workload=spin" "" "$nic"
V define "$TMP/p1.xml" >/dev/null && V start p1 >/dev/null || fail "start p1"
wait_tick p1 1
V create "$TMP/t1.xml" >/dev/null || fail "create t1"
expect_fail "cannot do managed save for transient domain" managedsave t1
V destroy t1 >/dev/null
V managedsave p1 >/dev/null || fail "managedsave"
t_saved=$(ticks p1)
[ -f "$XVM_STATEDIR/save/p1.save" ] || fail "no $XVM_STATEDIR/save/p1.save"
V list --all --managed-save | grep -Eq ' p1 +saved$' || fail "list: $(V list --all --managed-save)"
V list --all --with-managed-save | grep -q ' p1 ' || fail "--with-managed-save"
V dominfo p1 | grep -Eq '^Managed save: +yes$' || fail "dominfo: $(V dominfo p1)"
[ "$(V domstate --reason p1)" = "shut off (saved)" ] || fail "p1: $(V domstate --reason p1)"
"$VNICADM" show-vnic | grep -q '^xvm' && fail "VNIC left after managedsave"
expect_fail "Refusing to undefine while domain managed save image exists" undefine p1
pass "managedsave: image in \$XVM_STATEDIR/save, listed as saved, undefine refused"
V start p1 >/dev/null || fail "start from the managed save image"
[ "$(V domstate --reason p1)" = "running (restored)" ] || fail "p1: $(V domstate --reason p1)"
[ -e "$XVM_STATEDIR/save/p1.save" ] && fail "image kept after the restore"
wait_tick p1 $((t_saved + 1))
[ "$(grep -c '^guest: ready' "$(conlog p1)")" = 1 ] || fail "p1 booted again"
pass "start restored p1 (count from $t_saved on) and removed the image"
V managedsave p1 >/dev/null && V start --force-boot p1 >/dev/null || fail "start --force-boot"
[ "$(V domstate --reason p1)" = "running (booted)" ] || fail "p1: $(V domstate --reason p1)"
[ -e "$XVM_STATEDIR/save/p1.save" ] && fail "--force-boot kept the image"
pass "start --force-boot boots afresh and discards the image"
V managedsave p1 >/dev/null && V managedsave-remove p1 >/dev/null || fail "managedsave-remove"
[ -e "$XVM_STATEDIR/save/p1.save" ] && fail "managedsave-remove kept the image"
V managedsave-remove p1 >/dev/null || fail "second managedsave-remove"
V start p1 >/dev/null && V managedsave p1 >/dev/null || fail "managedsave again"
dom_xml p2 "workload=spin"
V define "$TMP/p2.xml" >/dev/null && V autostart p2 >/dev/null && V start p2 >/dev/null || fail "start p2"
wait_tick p2 1
V managedsave p2 >/dev/null || fail "managedsave p2"
t_p2=$(ticks p2)
xvmd_stop
xvmd_start --hv "$TOP/tests/tools/fake-hv"
V list --all --managed-save | grep -Eq ' p1 +saved$' || fail "after xvmd restart: $(V list --all --managed-save)"
# autostart runs on the loop, as a start does: xvmd serves while p2 is
# restored
expect_state p2 "running (restored)" 30 --reason
[ -e "$XVM_STATEDIR/save/p2.save" ] && fail "p2's image kept after autostart"
grep -q "^guest: restored at t=$t_p2" "$(conlog p2)" || fail "p2 not restored at t=$t_p2"
V destroy p2 >/dev/null
pass "autostart restores a managed-saved domain"
V undefine --managed-save p1 >/dev/null || fail "undefine --managed-save"
[ -e "$XVM_STATEDIR/save/p1.save" ] && fail "undefine --managed-save kept the image"
pass "managedsave-remove, a restart of xvmd, undefine --managed-save"

kill $EVPID 2>/dev/null; EVPID=
for e in "'t1': Stopped Saved" "'t1': Started Restored" "'t1': Suspended Restored" \
	 "'p1': Stopped Saved" "'p1': Started Restored"; do
	grep -q "$e" "$TMP/events" || { cat "$TMP/events"; fail "no event $e"; }
done
pass "events: Stopped Saved, Started Restored, Suspended Restored"
xvmd_stop
