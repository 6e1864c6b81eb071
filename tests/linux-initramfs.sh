#!/bin/bash
# Build the initramfs scenario 19 gives Debian's kernel under hv:
# busybox-static (from Debian's package: apt-get download + dpkg-deb -x,
# nothing installed) and an /init that prints
#
#   xvm-linux-init: userspace reached
#
# and the kernel's /proc/version ("xvm-linux-init: Linux version ...") on
# the console, and powers the machine off at once (busybox poweroff -f:
# reboot(2) with RB_POWER_OFF, which Linux does through ACPI S5, hv's
# PM1a_CNT). Packed with busybox's own cpio applet, gzip-compressed.
#
# Cached in build/linux/: does nothing when build/linux/initramfs.img is
# newer than this script. Prints the path of the initramfs. The busybox
# package comes from tests/debs.sh's cache (shared with the test VM's
# image). The test VM has no network: scenario 19's "# prepare:" line runs
# this on the host before the VM boots.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
out=$top/build/linux
img=$out/initramfs.img
if [ -s "$img" ] && [ "$img" -nt tests/linux-initramfs.sh ]; then
	echo "$img"; exit 0
fi
mkdir -p "$out"
. tests/debs.sh
deb=$(deb_fetch busybox-static)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/bb"
bb=$tmp/bb/bin/busybox
[ -x "$bb" ] || { echo "linux-initramfs: no busybox in $deb" >&2; exit 1; }

root=$tmp/root
mkdir -p "$root"/{bin,dev,proc,sys}
cp "$bb" "$root/bin/busybox"
for a in sh mount echo poweroff sync sleep cat; do ln -s busybox "$root/bin/$a"; done
# The kernel opens /dev/console for init before anything is mounted.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
cat >"$root/init" <<'EOF'
#!/bin/sh
# PID 1 of scenario 19's initramfs (tests/linux-initramfs.sh).
PATH=/bin
export PATH
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev 2>/dev/null
read -r up idle </proc/uptime
echo "xvm-linux-init: userspace reached (kernel uptime $up s)" >/dev/console
echo "xvm-linux-init: $(cat /proc/version)" >/dev/console
poweroff -f
# poweroff returns only if the kernel could not power off.
echo "xvm-linux-init: poweroff -f failed" >/dev/console
sleep 3600
EOF
chmod 755 "$root/init"
(cd "$root" && find . | "$bb" cpio -o -H newc 2>/dev/null | gzip -9) >"$tmp/initramfs.img"
mv "$tmp/initramfs.img" "$img"
echo "linux-initramfs: $(du -k "$img" | cut -f1) KiB, busybox from $(basename "$deb")" >&2
echo "$img"
