#!/bin/bash
# Bad input to xvmd that needs a running domain: starting a domain that
# runs -> virsh prints a libvirt error and exits 1, and the daemon itself
# refuses it through the API (OPERATION_INVALID). The bad input that needs
# no guest (XML, names, Domain-0, raw RPC packets) is 57-xvmd-bad-requests,
# run natively.
# timeout: 90
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xvmdlib.sh"
require_kvm
xvmd_start

dom_xml dup1 "workload=idle"
V define "$TMP/dup1.xml" >/dev/null || fail "define dup1"
V start dup1 >/dev/null || fail "start dup1"
expect_fail "already (active|running)" start dup1
# virsh checks "already active" itself; the daemon must refuse too.
/usr/bin/python3 - "$URI" <<'PY' || fail "starting a running domain through the API"
import sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
d = libvirt.open(sys.argv[1]).lookupByName("dup1")
try:
    d.create()
    raise SystemExit("FAIL: second create succeeded")
except libvirt.libvirtError as e:
    assert e.get_error_code() == libvirt.VIR_ERR_OPERATION_INVALID, e
    print("ok: create of a running domain: " + str(e))
PY
V list | grep -Eq "^ *[0-9]+ +dup1 +running$" || fail "dup1 no longer running: $(V list)"
pass "dup1 still running after the refused starts"
V destroy dup1 >/dev/null || fail "destroy dup1"
xvmd_stop
