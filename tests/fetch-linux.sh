#!/bin/bash
# Fetch Debian's current cloud kernel (the package linux-image-cloud-amd64
# depends on) with apt-get download and extract its vmlinuz into
# build/linux/. Cached: does nothing when build/linux/vmlinuz exists.
# Prints the path of the kernel. The package comes from tests/debs.sh's
# cache, shared with the test VM's image (the same kernel): inside the
# test VM there is no network, and what it writes to build/linux/ is not
# kept, so scenario 19 runs this on the host first.
set -e
cd "$(dirname "$0")/.."
out=build/linux
if [ -s "$out/vmlinuz" ]; then echo "$PWD/$out/vmlinuz"; exit 0; fi
mkdir -p "$out"
. tests/debs.sh
pkg=$(deb_cloud_kernel)
deb=$(deb_fetch "$pkg")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/root"
k=$(ls "$tmp"/root/boot/vmlinuz-* | head -n 1)
[ -f "$k" ] || { echo "fetch-linux: no vmlinuz in $pkg" >&2; exit 1; }
cp "$k" "$out/vmlinuz.tmp" && mv "$out/vmlinuz.tmp" "$out/vmlinuz"
echo "$pkg" >"$out/package"
echo "$PWD/$out/vmlinuz"
