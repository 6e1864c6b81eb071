# Debian packages the tests unpack without installing them (sourced by
# tests/vm/build-image.sh, tests/fetch-linux.sh, tests/linux-initramfs.sh):
# fetched once with apt-get download into one cache, build/debs/, which
# the test VM (no network) finds on the host's disk. Callers cd to the top.

DEBS_DIR=$PWD/build/debs

# deb_cloud_kernel: the package linux-image-cloud-amd64 points at today.
deb_cloud_kernel() {
	local pkg
	_deb_kpkg() {
		apt-cache depends linux-image-cloud-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n 1
	}
	pkg=$(_deb_kpkg)
	if [ -z "$pkg" ]; then
		apt-get update -q >&2
		pkg=$(_deb_kpkg)
	fi
	[ -n "$pkg" ] || { echo "debs: cannot find Debian's cloud kernel package" >&2; return 1; }
	echo "$pkg"
}

# deb_fetch PACKAGE: the path of PACKAGE's .deb in the cache, downloaded
# the first time (after an apt-get update if the lists do not know it).
deb_fetch() {
	local deb
	mkdir -p "$DEBS_DIR" || return 1
	deb=$(ls "$DEBS_DIR/$1"_*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ]; then
		(cd "$DEBS_DIR" && apt-get download "$1" >&2 2>/dev/null) || {
			apt-get update -q >&2
			(cd "$DEBS_DIR" && apt-get download "$1" >&2)
		} || { echo "debs: cannot download $1" >&2; return 1; }
		deb=$(ls "$DEBS_DIR/$1"_*.deb | head -n 1)
	fi
	echo "$deb"
}
