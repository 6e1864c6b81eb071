#!/bin/sh
# Install the Debian packages given as arguments, if any is missing.
# Idempotent and quiet when everything is there; apt-get update runs first
# whenever something has to be installed. Needs root for installing.
set -e
missing=""
for p in "$@"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && { echo "deps: all packages present"; exit 0; }
echo "deps: installing$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: need root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
