#!/bin/bash
# vdiskadm against the real qemu-img (qemu-utils), no guest booted (runs
# natively, KVM or not). Every subcommand, with its exact output and its
# errors and exit statuses (0, 1 with one "ERROR: ..." line, 2 with the
# usage); every image vdiskadm writes passes qemu-img check (raw and vhd:
# qemu-img has no check for them, and says so) and reads back, through
# qemu-img convert -O raw, byte for byte as what was written into its
# source. For each type: snapshot, write, rollback gives back the old
# bytes; a clone is independent of its source both ways. A second writer
# (ref-inc) is refused with the in-use error, also when ten race for it;
# a corrupted vdisk.xml is refused with what is wrong; a qemu-img that
# fails, is missing or hangs leaves nothing behind.
# timeout: 240
. "$(dirname "$0")/lib.sh"
VD=$BIN/vdiskadm
[ -x "$VD" ] || fail "$VD is not built"
command -v qemu-img >/dev/null || fail "qemu-img is not installed (Debian package qemu-utils)"
command -v qemu-io >/dev/null || fail "qemu-io is not installed (Debian package qemu-utils)"
cd "$TMP" || fail "cd $TMP"
export TZ=UTC

# vd ARGS...: vdiskadm ARGS must succeed with nothing on stderr; its
# stdout is in $OUT.
vd() {
	local rc
	OUT=$("$VD" "$@" 2>"$TMP/err"); rc=$?
	[ $rc = 0 ] || { cat "$TMP/err"; fail "vdiskadm $*: exit $rc"; }
	[ -s "$TMP/err" ] && { cat "$TMP/err"; fail "vdiskadm $*: printed on stderr"; }
	return 0
}
n_bad=0
# bad MESSAGE ARGS...: exit 1, stderr exactly "ERROR: MESSAGE", no stdout.
bad() {
	local msg=$1 rc out
	shift
	out=$("$VD" "$@" 2>"$TMP/err"); rc=$?
	[ $rc = 1 ] || { cat "$TMP/err"; fail "vdiskadm $*: exit $rc, expected 1"; }
	[ "$(cat "$TMP/err")" = "ERROR: $msg" ] ||
		{ echo "got:  $(cat "$TMP/err")"; echo "want: ERROR: $msg"; fail "vdiskadm $*: wrong message"; }
	[ -z "$out" ] || fail "vdiskadm $*: printed '$out' on stdout"
	n_bad=$((n_bad + 1))
}
# usage MESSAGE ARGS...: exit 2, "vdiskadm: MESSAGE" then the usage.
usage() {
	local msg=$1 rc
	shift
	"$VD" "$@" >/dev/null 2>"$TMP/err"; rc=$?
	[ $rc = 2 ] || { cat "$TMP/err"; fail "vdiskadm $*: exit $rc, expected 2"; }
	[ "$(head -n 1 "$TMP/err")" = "vdiskadm: $msg" ] ||
		{ cat "$TMP/err"; fail "vdiskadm $*: first line is not 'vdiskadm: $msg'"; }
	sed -n 2p "$TMP/err" | grep -q '^usage' || { cat "$TMP/err"; fail "vdiskadm $*: no usage"; }
	n_bad=$((n_bad + 1))
}
# same WANT GOT WHAT: golden text comparison.
same() {
	[ "$1" = "$2" ] || { diff <(echo "$1") <(echo "$2"); fail "$3: output differs from the expected text"; }
}

n_check=0
# qcheck FILE FMT: qemu-img check passes (or, for raw and vpc, says it
# has no checks for the format), and qemu-img info reads FMT.
qcheck() {
	local out rc
	out=$(qemu-img check -f "$2" "$1" 2>&1); rc=$?
	case $2:$rc in
	*:0) ;;
	raw:63|vpc:63) grep -q "does not support checks" <<<"$out" || { echo "$out"; fail "check $1: exit 63 without saying why"; } ;;
	*) echo "$out"; fail "qemu-img check $1 ($2): exit $rc" ;;
	esac
	[ "$(qemu-img info -f "$2" --output=json "$1" | sed -n 's/.*"format": "\(.*\)".*/\1/p' | head -n 1)" = "$2" ] ||
		fail "qemu-img info $1: not $2"
	n_check=$((n_check + 1))
}
# raw_of IMAGE FMT OUT: the guest-visible bytes.
raw_of() { qemu-img convert -f "$2" -O raw "$1" "$3" || fail "qemu-img convert $1"; }
# put IMAGE FMT BYTE OFFSET: write 64 KiB of BYTE at OFFSET, as a guest would.
put() {
	qemu-io -f "$2" -c "write -P $3 $4 64k" "$1" >"$TMP/io" 2>&1 ||
		{ cat "$TMP/io"; fail "qemu-io write into $1"; }
}
# bytes_same IMAGE FMT RAW WHAT: the image reads back as RAW.
bytes_same() {
	raw_of "$1" "$2" "$TMP/cmp.raw"
	cmp -s "$TMP/cmp.raw" "$3" || fail "$4: $1 does not read back as the bytes expected"
}
qfmt() { case $1 in vhd*) echo vpc ;; *) echo "${1%%:*}" ;; esac; }
ext() { echo "${1%%:*}"; }

# ---- every type: create, snapshot, write, rollback, clone, export ----
for t in vmdk:sparse vmdk:fixed vdi:sparse vdi:fixed vhd:sparse vhd:fixed raw; do
	d=d_${t/:/_} f=$(qfmt "$t") e=$(ext "$t")
	vd create -s 1m -t "$t" -c "a $t disk" "$d"
	[ -z "$OUT" ] || fail "create printed '$OUT'"
	want="vdisk.$e vdisk.xml"
	[ "$t" = vmdk:fixed ] && want="vdisk-flat.vmdk vdisk.vmdk vdisk.xml"
	[ "$(ls "$d" | tr '\n' ' ')" = "$want " ] || fail "$t: files $(ls "$d"), expected $want"
	img=$d/vdisk.$e
	qcheck "$img" "$f"
	[ "$(qemu-img info -f "$f" --output=json "$img" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p' | head -n 1)" = 1048576 ] ||
		fail "$t: qemu-img does not see 1 MiB"
	vd prop-get -p vtype "$d"; same "vtype: ${t%%:*}" "$OUT" "$t prop-get vtype"
	sp=true; [ "$t" = raw ] || [ "${t#*:}" = fixed ] && sp=false
	vd prop-get -p sparse "$d"; same "sparse: $sp" "$OUT" "$t prop-get sparse"
	vd prop-get -p description "$d"; same "description: a $t disk" "$OUT" "$t prop-get description"

	put "$img" "$f" 0xa1 0
	raw_of "$img" "$f" "$TMP/a.raw"
	vd snapshot "$d@s1"
	qcheck "$d/vdisk@s1.$e" "$f"
	bytes_same "$d/vdisk@s1.$e" "$f" "$TMP/a.raw" "$t snapshot s1"
	put "$img" "$f" 0xb2 65536
	vd snapshot "$d@s2"
	put "$img" "$f" 0xc3 0
	raw_of "$img" "$f" "$TMP/c.raw"
	cmp -s "$TMP/a.raw" "$TMP/c.raw" && fail "$t: the writes after the snapshot changed nothing"
	vd list "$d"; same "$d@s1
$d@s2
$d" "$OUT" "$t list"
	bad "Cannot rollback to '$d@s1': more recent snapshots exist (use -r to destroy them)" rollback "$d@s1"
	bytes_same "$img" "$f" "$TMP/c.raw" "$t refused rollback"
	vd rollback -r "$d@s1"
	qcheck "$img" "$f"
	bytes_same "$img" "$f" "$TMP/a.raw" "$t rollback -r to s1"
	vd list "$d"; same "$d@s1
$d" "$OUT" "$t list after rollback -r"
	[ -e "$d/vdisk@s2.$e" ] && fail "$t: rollback -r left snapshot s2's file"
	vd verify "$d"

	# a clone is independent of its source, both ways
	vd clone "$d" "c_$d"
	qcheck "c_$d/vdisk.$e" "$f"
	bytes_same "c_$d/vdisk.$e" "$f" "$TMP/a.raw" "$t clone"
	vd list "c_$d"; same "c_$d" "$OUT" "$t clone has no snapshots"
	put "c_$d/vdisk.$e" "$f" 0xd4 131072
	bytes_same "$img" "$f" "$TMP/a.raw" "$t source after writing the clone"
	put "$img" "$f" 0xe5 0
	raw_of "$img" "$f" "$TMP/e.raw"
	raw_of "c_$d/vdisk.$e" "$f" "$TMP/cl.raw"
	cmp -s <(head -c 65536 "$TMP/cl.raw") <(head -c 65536 "$TMP/a.raw") ||
		fail "$t: writing the source changed the clone"
	# a clone of a snapshot has the snapshot's bytes
	vd clone -c "from s1" "$d@s1" "cs_$d"
	bytes_same "cs_$d/vdisk.$e" "$f" "$TMP/a.raw" "$t clone of a snapshot"
	vd prop-get -p description "cs_$d"; same "description: from s1" "$OUT" "$t clone -c"

	# export as every type reads back as the source
	for x in vmdk:sparse vmdk:fixed vdi:fixed vhd:sparse vhd:fixed raw; do
		xf=$(qfmt "$x")
		vd export -x "$x" -d "$TMP/x_${d}_${x/:/_}.$(ext "$x")" "$d"
		qcheck "$TMP/x_${d}_${x/:/_}.$(ext "$x")" "$xf"
		bytes_same "$TMP/x_${d}_${x/:/_}.$(ext "$x")" "$xf" "$TMP/e.raw" "$t export as $x"
	done
	pass "$t: create, snapshot, rollback -r, clone (independent), export: bytes and qemu-img check"
done

# ---- golden output ----
vd list -f d_vmdk_fixed
same "d_vmdk_fixed/vdisk@s1.vmdk
d_vmdk_fixed/vdisk@s1-flat.vmdk
d_vmdk_fixed/vdisk.vmdk
d_vmdk_fixed/vdisk-flat.vmdk
d_vmdk_fixed/vdisk.xml" "$OUT" "list -f"
vd list -p d_vdi_sparse/
same "$TMP/d_vdi_sparse@s1
$TMP/d_vdi_sparse" "$OUT" "list -p"
vd list -pf "$TMP/d_raw"
same "$TMP/d_raw/vdisk@s1.raw
$TMP/d_raw/vdisk.raw
$TMP/d_raw/vdisk.xml" "$OUT" "list -pf"
vd prop-get -p all d_vmdk_fixed
owner=$(stat -c %U d_vmdk_fixed)
eff=$(( $(stat -c %s d_vmdk_fixed/vdisk.vmdk) + 1048576 + $(stat -c %s d_vmdk_fixed/vdisk@s1.vmdk) + 1048576 ))
ct=$(sed -n 's/.*<vdisk .*creation-time-epoch="\([0-9]*\)".*/\1/p' d_vmdk_fixed/vdisk.xml)
mt=$(stat -c %Y d_vmdk_fixed/vdisk.vmdk d_vmdk_fixed/vdisk-flat.vmdk | sort -n | tail -n 1)
same "readonly: false
removable: false
cdrom: false
creation-time-epoch: $ct
vtype: vmdk
sparse: false
rwcnt: 0
rocnt: 0
name: d_vmdk_fixed
version: 1.0
parent: none
filename: d_vmdk_fixed
vdfile: vdisk.vmdk
owner: $owner
max-size: 1048576
sectors: 2048
description: a vmdk:fixed disk
effective-size: $eff
creation-time: $(date -u -d "@$ct" '+%a %b %e %H:%M:%S %Y')
modification-time: $(date -u -d "@$mt" '+%a %b %e %H:%M:%S %Y')
modification-time-epoch: $mt" "$OUT" "prop-get -p all"
grep -q '<snapshot creation-time-epoch="[0-9]*">' d_vmdk_fixed/vdisk.xml &&
	grep -qF '<name>@s1</name>' d_vmdk_fixed/vdisk.xml || { cat d_vmdk_fixed/vdisk.xml; fail "vdisk.xml: no snapshot element"; }
xmllint --noout d_vmdk_fixed/vdisk.xml 2>/dev/null || [ $? = 127 ] || fail "vdisk.xml is not well-formed"
vd help snapshot
same "usage:
    snapshot         <vdname>@<snapname>" "$OUT" "help snapshot"
pass "golden output: list, list -f, list -p, list -pf, prop-get -p all, help"

# ---- prop-set ----
vd prop-set -p description="web server's root <disk> & more" d_vdi_fixed
vd prop-get -p description d_vdi_fixed
same "description: web server's root <disk> & more" "$OUT" "prop-set description"
vd prop-set -p removable=true d_vdi_fixed
vd prop-set -p cdrom=true d_vdi_fixed
vd prop-get -p removable d_vdi_fixed; same "removable: true" "$OUT" "prop-set removable"
vd prop-get -p cdrom d_vdi_fixed; same "cdrom: true" "$OUT" "prop-set cdrom"
vd verify d_vdi_fixed
bad "Property 'vtype' cannot be set" prop-set -p vtype=vdi d_vdi_fixed
bad "Property 'max-size' cannot be set" prop-set -p max-size=2m d_vdi_fixed
bad "Invalid property 'colour'" prop-set -p colour=red d_vdi_fixed
bad "Invalid value 'yes' for property 'readonly': true or false" prop-set -p readonly=yes d_vdi_fixed
bad "Invalid property setting 'readonly': <property>=<value>" prop-set -p readonly d_vdi_fixed
bad "Invalid property 'colour'" prop-get -p colour d_vdi_fixed
pass "prop-set description (escaped in vdisk.xml), removable, cdrom; read-only and unknown properties refused"

# ---- ref-inc / ref-dec: one writer or many readers ----
r=d_vdi_sparse
vd ref-inc "$r"
vd prop-get -p rwcnt "$r"; same "rwcnt: 1" "$OUT" "ref-inc writer"
bad "Cannot modify in-use virtual disk" ref-inc "$r"
bad "Cannot read virtual disk in use by a writer" ref-inc -r "$r"
bad "Cannot modify in-use virtual disk" snapshot "$r@busy"
bad "Cannot modify in-use virtual disk" rollback "$r@s1"
bad "Cannot modify in-use virtual disk" destroy -r "$r"
bad "Cannot modify in-use virtual disk" convert -t raw "$r"
bad "Cannot modify in-use virtual disk" prop-set -p readonly=true "$r"
bad "Cannot read virtual disk in use by a writer" clone "$r" busyclone
bad "Cannot read virtual disk in use by a writer" export -x raw -d "$TMP/busy.raw" "$r"
[ -e busyclone ] || [ -e "$TMP/busy.raw" ] && fail "a refused clone or export wrote something"
vd list "$r"; vd verify "$r"; vd prop-get -p all "$r"
vd ref-dec "$r"
vd ref-inc -r "$r"; vd ref-inc -r "$r"
vd prop-get -p rocnt "$r"; same "rocnt: 2" "$OUT" "two readers"
bad "Cannot modify in-use virtual disk" ref-inc "$r"
vd clone "$r" rclone
vd ref-dec "$r"; vd ref-dec "$r"
bad "Virtual disk '$r' is not in use" ref-dec "$r"
vd prop-set -p readonly=true "$r"
bad "Cannot write to read-only virtual disk '$r'" ref-inc "$r"
vd ref-inc -r "$r"; vd ref-dec "$r"
vd prop-set -p readonly=false "$r"
# ten writers race: exactly one gets it, the others the in-use error
for i in $(seq 10); do ("$VD" ref-inc "$r" >/dev/null 2>"$TMP/race.$i"; echo $? >"$TMP/race.$i.rc") & done
wait
[ "$(cat "$TMP"/race.*.rc | grep -c '^0$')" = 1 ] || fail "$(cat "$TMP"/race.*.rc | grep -c '^0$') of 10 racing writers got the vdisk"
[ "$(cat "$TMP"/race.[0-9]* | grep -c '^ERROR: Cannot modify in-use virtual disk$')" = 9 ] ||
	{ cat "$TMP"/race.[0-9]*; fail "the refused racing writers did not all get the in-use error"; }
vd ref-dec "$r"
# twenty readers at once: the count is exact (the lock serialises them)
for i in $(seq 20); do "$VD" ref-inc -r "$r" & done; wait
vd prop-get -p rocnt "$r"; same "rocnt: 20" "$OUT" "twenty concurrent readers"
for i in $(seq 20); do "$VD" ref-dec "$r" & done; wait
vd prop-get -p rocnt "$r"; same "rocnt: 0" "$OUT" "twenty concurrent ref-dec"
vd verify "$r"
# another holder of the lock (flock(1) on the directory, as vdiskadm
# takes it): a run waits for it, and gives up after XVM_VDISK_LOCK_WAIT
flock -x "$r" sleep 8 & holder=$!
at_exit "kill $holder"
end=$(deadline_in 10)
while flock -n -s "$r" true && before "$end"; do sleep 0.1; done
flock -n -s "$r" true && fail "flock(1) did not take the lock"
XVM_VDISK_LOCK_WAIT=1 bad "Virtual disk '$r' is locked by another vdiskadm" ref-inc "$r"
XVM_VDISK_LOCK_WAIT=1 bad "Virtual disk '$r' is locked by another vdiskadm" list "$r"
vd ref-inc "$r"		# waits for the holder, then gets it
vd prop-get -p rwcnt "$r"; same "rwcnt: 1" "$OUT" "ref-inc after waiting for the lock"
vd ref-dec "$r"
pass "a run waits for the directory's lock, and gives up after XVM_VDISK_LOCK_WAIT seconds saying so"
pass "ref-inc/ref-dec: second writer refused (in-use), readers counted, 1 of 10 racing writers wins, 20 concurrent readers counted exactly"

# ---- import ----
head -c 1048576 /dev/urandom >"$TMP/src.raw"
vd import -d "$TMP/src.raw" -t vdi:fixed -c imported i_vdi
qcheck i_vdi/vdisk.vdi vdi
bytes_same i_vdi/vdisk.vdi vdi "$TMP/src.raw" "import raw as vdi:fixed"
vd prop-get -p max-size i_vdi; same "max-size: 1048576" "$OUT" "import size"
qemu-img convert -f raw -O vpc -o subformat=fixed,force_size=on "$TMP/src.raw" "$TMP/src-fixed.vhd"
vd import -d "$TMP/src-fixed.vhd" i_fixedvhd	# headerless: found by its footer
qcheck i_fixedvhd/vdisk.vmdk vmdk
bytes_same i_fixedvhd/vdisk.vmdk vmdk "$TMP/src.raw" "import of a fixed vhd"
qemu-img convert -f raw -O qcow2 "$TMP/src.raw" "$TMP/src.qcow2"
vd import -d "$TMP/src.qcow2" -t vhd i_qcow
bytes_same i_qcow/vdisk.vhd vpc "$TMP/src.raw" "import of a qcow2"
qemu-img create -q -f qcow2 -b "$TMP/src.raw" -F raw "$TMP/backed.qcow2"
bad "Cannot import '$TMP/backed.qcow2': it has a backing file (import the image it is based on)" import -d "$TMP/backed.qcow2" i_backed
head -c 1000 /dev/zero >"$TMP/odd.raw"
bad "Cannot import '$TMP/odd.raw': its size 1000 is not a whole number of 512-byte sectors up to 64T" import -d "$TMP/odd.raw" i_odd
bad "Cannot open '$TMP/nosuch.raw': No such file or directory" import -d "$TMP/nosuch.raw" i_none
bad "'$TMP' is not a file or a block device" import -d "$TMP" i_dir
[ -e i_backed ] || [ -e i_odd ] || [ -e i_none ] || [ -e i_dir ] && fail "a refused import left a vdisk"
pass "import: raw, fixed vhd (footer), qcow2 read back byte for byte; backing files, odd sizes refused"

# ---- convert ----
vd create -s 2m cv
put cv/vdisk.vmdk vmdk 0x5a 65536
raw_of cv/vdisk.vmdk vmdk "$TMP/cv.raw"
for t in vhd:fixed vmdk:fixed vmdk:sparse vdi:sparse raw vhd:sparse; do
	vd convert -t "$t" cv
	f=$(qfmt "$t") e=$(ext "$t")
	want="vdisk.$e vdisk.xml"
	[ "$t" = vmdk:fixed ] && want="vdisk-flat.vmdk vdisk.vmdk vdisk.xml"
	[ "$(ls cv | tr '\n' ' ')" = "$want " ] || fail "convert to $t: files $(ls cv | tr '\n' ' ')"
	qcheck "cv/vdisk.$e" "$f"
	bytes_same "cv/vdisk.$e" "$f" "$TMP/cv.raw" "convert to $t"
	vd verify cv
done
bad "'cv' is already of type vhd:sparse" convert -t vhd:sparse cv
bad "Cannot convert 'd_raw': it has snapshots" convert -t vdi d_raw
pass "convert through six types: files, qemu-img check, bytes, verify"

# ---- rename, move, destroy ----
mkdir -p "$TMP/other"
vd rename cv cv2
[ -d cv ] && fail "rename left cv"
vd prop-get -p name cv2; same "name: cv2" "$OUT" "rename: name"
vd move cv2 "$TMP/other"
vd list "$TMP/other/cv2"; same "$TMP/other/cv2" "$OUT" "move"
bytes_same "$TMP/other/cv2/vdisk.vhd" vpc "$TMP/cv.raw" "after rename and move"
bad "Invalid virtual disk name 'a/b' (a name, not a path: use move to change directory)" rename "$TMP/other/cv2" a/b
bad "'$TMP/nodir' is not a directory" move "$TMP/other/cv2" "$TMP/nodir"
vd create -s 1m "$TMP/other/taken"
bad "'$TMP/other/taken' already exists" rename "$TMP/other/cv2" taken
vd create -s 512 "$TMP/cv2"
bad "'$TMP/other/cv2' already exists" move "$TMP/cv2" "$TMP/other"
bad "Cannot destroy 'd_raw': it has snapshots (use -r to destroy them too)" destroy d_raw
vd destroy d_raw@s1
[ -e d_raw/vdisk@s1.raw ] && fail "destroy @s1 left its file"
vd list d_raw; same "d_raw" "$OUT" "destroy of a snapshot"
vd destroy d_raw
vd destroy -r d_vmdk_fixed
[ -e d_raw ] || [ -e d_vmdk_fixed ] && fail "destroy left the directory"
bad "Virtual disk 'd_raw' does not exist" list d_raw
usage "-r destroys a vdisk's snapshots with it; it takes no snapshot name" destroy -r d_vdi_sparse@s1
bad "Snapshot 'd_vdi_sparse@nosuch' does not exist" destroy d_vdi_sparse@nosuch
bad "Snapshot 'd_vdi_sparse@s1' already exists" snapshot d_vdi_sparse@s1
ls -A | grep -q vdiskadm && fail "a temporary directory was left: $(ls -A | grep vdiskadm)"
pass "rename, move, destroy of snapshots and vdisks; refusals"

# names qemu-img would misread: a leading '-' (an option), a ':' before
# any '/' (a protocol such as nbd:)
vd create -s 1m -t vdi -- -dash/nbd:x
vd snapshot -- -dash/nbd:x@s
vd verify -- -dash/nbd:x
vd list -- -dash/nbd:x; same "-dash/nbd:x@s
-dash/nbd:x" "$OUT" "list of -dash/nbd:x"
qcheck "./-dash/nbd:x/vdisk@s.vdi" vdi
vd destroy -r -- -dash/nbd:x
vd create -s 1m nbd:y
vd snapshot nbd:y@s
vd rollback nbd:y@s
vd verify nbd:y
vd destroy -r nbd:y
[ -e "./-dash/nbd:x" ] && fail "destroy -r -dash/nbd:x left it"
pass "vdisks at -dash/nbd:x and nbd:y: created, snapshotted, verified, destroyed (qemu-img sees ./-dash/nbd:x, ./nbd:y)"

# ---- bad arguments: message and exit status, nothing created ----
bad "Invalid size '12x': a number with an optional K, M, G or T" create -s 12x bs
bad "Invalid size '0': 512 bytes to 64T" create -s 0 bs
bad "Invalid size '65t': 512 bytes to 64T" create -s 65t bs
bad "Invalid size '1000': not a whole number of 512-byte sectors" create -s 1000 bs
bad "Invalid size '-1g': a number with an optional K, M, G or T" create -s -1g bs
bad "Invalid type 'qcow2': vmdk, vdi or vhd (:sparse or :fixed), or raw" create -s 1m -t qcow2 bs
bad "Invalid type 'raw:sparse': vmdk, vdi or vhd (:sparse or :fixed), or raw" create -s 1m -t raw:sparse bs
bad "Invalid type 'vmdk:thin': vmdk, vdi or vhd (:sparse or :fixed), or raw" create -s 1m -t vmdk:thin bs
bad "Invalid virtual disk name 'b@d'" create -s 1m b@d
bad "Invalid virtual disk name '.hidden'" create -s 1m .hidden
bad "Invalid comment: at most 256 characters, no control characters" create -s 1m -c "$(printf 'a\tb')" bs
bad "'d_vdi_sparse' already exists" create -s 1m d_vdi_sparse
bad "Cannot create 'd_vdi_sparse/inner' inside another virtual disk" create -s 1m d_vdi_sparse/inner
bad "Cannot create 'd_vdi_sparse/inner' inside another virtual disk" clone d_vhd_fixed d_vdi_sparse/inner
bad "Invalid snapshot name 'b*d'" snapshot "d_vdi_sparse@b*d"
bad "Invalid snapshot name ''" snapshot "d_vdi_sparse@"
bad "Virtual disk 'nosuch' does not exist" prop-get -p all nosuch
mkdir plain
bad "'plain' is not a virtual disk (no vdisk.xml)" verify plain
usage "the size (-s) is required" create bs
usage "missing virtual disk name" create -s 1m
usage "too many arguments" create -s 1m bs extra
usage "unrecognized option '-z'" create -z -s 1m bs
usage "option '-s' requires a value" create -s
usage "a snapshot name (<vdname>@<snapname>) is required" snapshot d_vdi_sparse
usage "a property (-p) is required" prop-get d_vdi_sparse
usage "the type (-x) and the file (-d) are required" export -x raw d_vdi_sparse
usage "unknown subcommand 'frob'" frob
"$VD" >/dev/null 2>&1; [ $? = 2 ] || fail "vdiskadm without a subcommand: not exit 2"
[ -e bs ] || [ -e b@d ] && fail "a refused create left something"
pass "$n_bad refusals so far: exact messages, exit 1 (errors) and 2 (usage)"

# ---- a damaged vdisk.xml is refused with what is wrong ----
vd create -s 1m broken
cp broken/vdisk.xml "$TMP/good.xml"
corrupt() {
	local msg=$1
	shift
	"$@" broken/vdisk.xml
	cp broken/vdisk.xml "$TMP/bad.xml"
	bad "broken/vdisk.xml: $msg" prop-get -p all broken
	bad "broken/vdisk.xml: $msg" ref-inc broken
	bad "broken/vdisk.xml: $msg" snapshot broken@s
	cmp -s broken/vdisk.xml "$TMP/bad.xml" || fail "a refused command rewrote a damaged vdisk.xml"
	[ "$(ls broken | tr '\n' ' ')" = "vdisk.vmdk vdisk.xml " ] || fail "a refused command left files: $(ls broken)"
	cp "$TMP/good.xml" broken/vdisk.xml
}
corrupt "line 3: Premature end of data in tag vdisk line 2" truncate -s 180
corrupt "attribute 'rwcnt': invalid value '2'" sed -i 's/rwcnt="0"/rwcnt="2"/'
corrupt "attribute 'vtype': unknown type 'qcow2'" sed -i 's/vtype="vmdk"/vtype="qcow2"/'
corrupt "<sectors> does not match <max-size>" sed -i 's/<sectors>2048/<sectors>7/'
corrupt "the root element is not <vdisk>" sed -i 's/vdisk /vdisc /; s/<\/vdisk>/<\/vdisc>/'
corrupt "<vdfile>: 'vdisk.vhd', expected 'vdisk.vmdk'" sed -i 's/vdisk.vmdk/vdisk.vhd/'
corrupt "invalid name '../x'" sed -i 's|<name>broken|<name>../x|'
corrupt "empty file" truncate -s 0
vd verify broken
# verify compares vdisk.xml with the image
sed -i 's/<max-size>1048576/<max-size>2097152/; s/<sectors>2048/<sectors>4096/' broken/vdisk.xml
bad "broken/vdisk.vmdk: its size is 1048576 bytes, vdisk.xml says 2097152" verify broken
cp "$TMP/good.xml" broken/vdisk.xml
sed -i 's/sparse="true"/sparse="false"/' broken/vdisk.xml
bad "broken/vdisk-flat.vmdk: No such file or directory" verify broken
cp "$TMP/good.xml" broken/vdisk.xml
vd create -s 1m -t vmdk:fixed flat
sed -i 's/sparse="false"/sparse="true"/' flat/vdisk.xml
bad "flat/vdisk.vmdk: a monolithicFlat image, vdisk.xml says sparse" verify flat
vd verify broken
pass "a damaged vdisk.xml: refused with the line or field at fault, nothing changed; verify compares it with the image"

# ---- qemu-img failing, missing, hanging ----
printf '#!/bin/sh\necho "qemu-img: something broke" >&2\nexit 1\n' >"$TMP/fail-qemu-img"
printf '#!/bin/sh\nexec sleep 30\n' >"$TMP/hang-qemu-img"
chmod +x "$TMP/fail-qemu-img" "$TMP/hang-qemu-img"
XVM_QEMU_IMG=$TMP/fail-qemu-img bad "qemu-img: something broke" create -s 1m q1
XVM_QEMU_IMG=$TMP/fail-qemu-img bad "qemu-img: something broke" snapshot d_vdi_sparse@q
XVM_QEMU_IMG=$TMP/nosuch bad "cannot run $TMP/nosuch: not installed (Debian package qemu-utils)" create -s 1m q2
XVM_QEMU_IMG=$TMP/hang-qemu-img XVM_VDISK_TIMEOUT=1 bad "$TMP/hang-qemu-img create did not finish in time and was stopped" create -s 1m q3
[ -e q1 ] || [ -e q2 ] || [ -e q3 ] && fail "a failed create left its vdisk"
ls -A | grep -q vdiskadm && fail "a failed create left a temporary directory"
vd list d_vdi_sparse; same "d_vdi_sparse@s1
d_vdi_sparse" "$OUT" "a failed snapshot is not listed"
ls -A d_vdi_sparse | grep -q 'work\|@q' && fail "a failed snapshot left files: $(ls -A d_vdi_sparse)"
vd verify d_vdi_sparse
pass "qemu-img failing, missing or hanging: its message, nothing left behind"
pass "$n_bad refusals checked; $n_check images passed qemu-img check"
