# Helpers of the xvmd image-disk scenarios (84, 88): sourced after lib.sh
# and xvmdlib.sh.

# qdisk FILE TARGET FORMAT [EXTRA_XML]: a file disk of that format.
qdisk() {
	echo "<disk type='file' device='disk'><driver name='qemu' type='$3'/><source file='$1'/><target dev='$2' bus='virtio'/>${4:-}</disk>"
}
hvpid() { cat "$XVM_RUNDIR/hv/$1.pid" 2>/dev/null; }

# qsd_gone NAME [PID]: NAME is shut off, its daemon (PID, and any
# qemu-storage-daemon naming its directory) gone, the directory too.
qsd_gone() {
	local dir=$XVM_RUNDIR/xvmd/qsd/$1 end
	case $(V domstate "$1") in "shut off"*) ;; *) fail "$1: $(V domstate "$1")";; esac
	[ -z "$(hvpid "$1")" ] || fail "$1: hv pid file left"
	end=$(deadline_in 10)
	while before "$end"; do
		{ [ -z "${2:-}" ] || ! kill -0 "$2" 2>/dev/null; } &&
			! pgrep -f -- "$dir/qsd.pid" >/dev/null && break
		sleep 0.1
	done
	[ -n "${2:-}" ] && kill -0 "$2" 2>/dev/null && fail "$1: qemu-storage-daemon $2 still runs"
	pgrep -f -- "$dir/qsd.pid" >/dev/null && fail "$1: a qemu-storage-daemon of $dir still runs: $(pgrep -af -- "$dir/qsd.pid")"
	[ ! -e "$dir" ] || fail "$1: $dir left: $(ls -la "$dir")"
	pass "$1: shut off, no hv, no qemu-storage-daemon${2:+ ($2 gone)}, no $dir"
}

# qsd_failures QCOW2 RAW: images whose start is refused, nothing left.
qsd_failures() {
	dom_xml bf1 "workload=idle" "" "$(qdisk "$1" vda raw)"
	V define "$TMP/bf1.xml" >/dev/null || fail "define bf1"
	expect_fail "disk vda: '$1' holds a qcow2 image, but the domain gives it as raw: name its format with <driver type='qcow2'/>" start bf1
	qsd_gone bf1
	dom_xml bf2 "workload=idle" "" "$(qdisk "$2" vda vmdk)"
	V define "$TMP/bf2.xml" >/dev/null || fail "define bf2"
	expect_fail "disk vda: '$2' is not a vmdk image \\(no header of that format\\)" start bf2
	qsd_gone bf2
	# a qcow2 header of version 99: the daemon's own words
	cp "$1" "$TMP/bad.qcow2"
	printf '\0\0\0\143' | dd of="$TMP/bad.qcow2" bs=1 seek=4 conv=notrunc status=none
	dom_xml bf3 "workload=idle" "" "$(qdisk "$TMP/bad.qcow2" vda qcow2)"
	V define "$TMP/bf3.xml" >/dev/null || fail "define bf3"
	expect_fail "qemu-storage-daemon for 'bf3' failed to start: .*Unsupported qcow2 version 99" start bf3
	qsd_gone bf3
	V undefine bf1 >/dev/null && V undefine bf2 >/dev/null && V undefine bf3 >/dev/null || fail "undefine bf1-3"
}
