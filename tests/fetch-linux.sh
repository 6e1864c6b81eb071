#!/bin/bash
# Fetch Debian's current cloud kernel (the package linux-image-cloud-amd64
# depends on) with apt-get download and extract its vmlinuz into
# build/linux/. Cached: does nothing when build/linux/vmlinuz exists.
# Prints the path of the kernel. The package is taken from the test VM's
# download directory build/vm/dl (tests/vm/build-image.sh fetches the same
# one) when it is there: inside the test VM there is no network, and what
# the VM writes to build/linux/ is not kept.
set -e
cd "$(dirname "$0")/.."
out=build/linux
if [ -s "$out/vmlinuz" ]; then echo "$PWD/$out/vmlinuz"; exit 0; fi
mkdir -p "$out"
pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n 1)
if [ -z "$pkg" ]; then
	apt-get update -q >&2
	pkg=$(apt-cache depends linux-image-cloud-amd64 |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n 1)
fi
[ -n "$pkg" ] || { echo "fetch-linux: cannot find the cloud kernel package" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
deb=$(ls build/vm/dl/"$pkg"_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
	(cd "$tmp" && apt-get download "$pkg" >&2)
	deb=$(ls "$tmp"/*.deb | head -n 1)
fi
dpkg-deb -x "$deb" "$tmp/root"
k=$(ls "$tmp"/root/boot/vmlinuz-* | head -n 1)
[ -f "$k" ] || { echo "fetch-linux: no vmlinuz in $pkg" >&2; exit 1; }
cp "$k" "$out/vmlinuz.tmp" && mv "$out/vmlinuz.tmp" "$out/vmlinuz"
echo "$pkg" >"$out/package"
echo "$PWD/$out/vmlinuz"
