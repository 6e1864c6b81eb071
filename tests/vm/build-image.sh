#!/bin/bash
# Build the nested test VM's boot files under build/vm/ from Debian packages
# only (apt-get download into build/debs/ by tests/debs.sh, dpkg-deb -x:
# nothing is installed on the host):
#
#   build/vm/vmlinuz       Debian's cloud kernel (linux-image-cloud-amd64)
#   build/vm/initrd.img    busybox-static, the modules the VM loads (their
#                          order from a modules.dep made by busybox's
#                          depmod), and /init (tests/vm/init)
#
# The VM has no root filesystem of its own: tests/vm/init mounts the host's
# "/" through virtiofs under a RAM overlay (only the run's output directory
# is written through to the host), so the VM runs exactly the programs and
# libraries that `make deps` installed on the host and the tree that was
# built there (see docs/testing.md).
#
# Cached: does nothing when the files exist and tests/vm/init and this
# script are older than the initrd. Prints what it did on stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
out=$top/build/vm
initrd=$out/initrd.img

# The modules the VM loads, in dependency order after resolution:
# virtio transport and virtiofs to reach the host's files, overlay for the
# writable root, KVM for hv, what the network scenarios use, and loop
# devices for the disk scenarios (80).
MODULES="virtio_pci virtiofs overlay kvm_amd tun veth bridge loop"

uptodate() {
	[ -s "$out/vmlinuz" ] && [ -s "$initrd" ] &&
		[ "$initrd" -nt tests/vm/init ] && [ "$initrd" -nt tests/vm/build-image.sh ]
}
uptodate && exit 0
echo "vm-image: building the test VM's kernel and initramfs in $out" >&2
mkdir -p "$out"
. tests/debs.sh
pkg=$(deb_cloud_kernel)
kdeb=$(deb_fetch "$pkg")
bdeb=$(deb_fetch busybox-static)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$kdeb" "$tmp/k"
dpkg-deb -x "$bdeb" "$tmp/bb"
bb=$tmp/bb/bin/busybox
kver=$(ls "$tmp/k/lib/modules" | head -n 1)
"$bb" depmod -b "$tmp/k" "$kver"

# Modules in load order: each module after everything it depends on.
declare -A seen=()
order=()
add_module() {
	local name=$1 path deps d
	path=$(find "$tmp/k/lib/modules/$kver/kernel" -name "$name.ko" -o -name "${name//_/-}.ko" | head -n 1)
	[ -n "$path" ] || { echo "vm-image: no module $name in $pkg" >&2; exit 1; }
	path=${path#"$tmp/k/lib/modules/$kver/"}
	[ -n "${seen[$path]:-}" ] && return 0
	seen[$path]=1
	deps=$(sed -n "s|^$path: *||p" "$tmp/k/lib/modules/$kver/modules.dep")
	for d in $deps; do
		d=$(basename "$d" .ko)
		add_module "$d"
	done
	order+=("$path")
}
for m in $MODULES; do add_module "$m"; done

root=$tmp/initrd
mkdir -p "$root"/{bin,dev,proc,sys,host,rw,newroot,mod}
cp "$bb" "$root/bin/busybox"
for a in sh mount umount insmod mkdir cat chroot sleep poweroff sync ip ln mknod echo; do
	ln -s busybox "$root/bin/$a"
done
for p in "${order[@]}"; do
	cp "$tmp/k/lib/modules/$kver/$p" "$root/mod/"
	basename "$p" >>"$root/mod/order"
done
cp tests/vm/init "$root/init"
chmod 755 "$root/init"
(cd "$root" && find . | "$bb" cpio -o -H newc 2>/dev/null | gzip -1) >"$tmp/initrd.img"

cp "$tmp/k/boot/vmlinuz-$kver" "$out/vmlinuz"
echo "$pkg" >"$out/package"
mv "$tmp/initrd.img" "$initrd"
echo "vm-image: $pkg, $(du -k "$initrd" | cut -f1) KiB initramfs (${#order[@]} modules)" >&2
