#!/bin/bash
# The ACPI tables hv builds disassemble cleanly with iasl -d, for 1 and 4
# vCPUs, and the MADT lists one local APIC per vCPU.
# timeout: 60
. "$(dirname "$0")/lib.sh"
command -v iasl >/dev/null || fail "iasl not installed (acpica-tools; make deps)"
for n in 1 4; do
	d=$TMP/acpi$n; mkdir -p "$d"
	"$TOP/build/tests/tools/hv-acpi-dump" -n $n "$d" || fail "hv-acpi-dump -n $n failed"
	for t in "$d"/*.dat; do
		(cd "$d" && iasl -d "$(basename "$t")") >"$t.log" 2>&1 || { cat "$t.log"; fail "iasl -d $(basename "$t") failed"; }
		grep -Eqi '(^|[^0-9])[1-9][0-9]* errors?' "$t.log" && { cat "$t.log"; fail "iasl reported errors on $(basename "$t")"; }
	done
	for s in DSDT FACP APIC; do
		[ -f "$d/${s,,}.dsl" ] || [ -f "$d/$s.dsl" ] || ls "$d"/*.dsl | grep -qi "$s" || fail "no $s table for $n vCPUs"
	done
	apic=$(ls "$d"/*.dsl | grep -i apic | head -n 1)
	cnt=$(grep -c 'Subtable Type : 00 \[Processor Local APIC\]' "$apic")
	[ "$cnt" = $n ] || { cat "$apic"; fail "MADT has $cnt local APICs for $n vCPUs"; }
	pass "$n vCPUs: $(ls "$d"/*.dat | wc -l) tables disassemble cleanly, MADT has $cnt local APICs"
done
