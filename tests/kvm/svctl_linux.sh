#!/bin/bash
# Debian's own kernel as a Splitvisor PVH guest, from the files scripts/linux-guest.sh makes
# (build-linux/ in the repository: scripts/test.sh makes them before the KVM tests).
#   boot-1, boot-2: boots to the initramfs's report with 1 and 2 vCPUs and checks what it saw:
#                   every vCPU online, the tsc clocksource, a 1 s sleep that takes 1 s (timer
#                   interrupts), the Xen PVH platform, no xenbus errors in dmesg.
# Usage: svctl_linux.sh SVCTL CASE
svctl=$1
case=$2
linux_dir=$(cd "$(dirname "$0")/../.." && pwd -P)/build-linux
source "$(dirname "$0")/svctl_lib.sh"

[ -s "$linux_dir/vmlinuz" ] && [ -s "$linux_dir/initrd.img" ] ||
	fail "no $linux_dir/vmlinuz or initrd.img: run scripts/linux-guest.sh first"

# What a line of the guest's report says (the first one), or empty.
report() {
	sed -n "s/.*sv-linux: $1 \\(.*\\)/\\1/p" "$run_dir/console/lx.log" | head -n 1 | tr -d '\r'
}

# Until the report ends (or the guest ended or the time ran out: a failure either way).
wait_report() {
	local i=0
	until grep -q "sv-linux: done" "$run_dir/console/lx.log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "no 'sv-linux: done' from the guest in 300 s"
		timeout 60 "$svctl" list >"$out" 2>"$errf"
		grep -q "lx *running" "$out" || fail "the guest ended before its report"
		sleep 1
	done
}

case $case in
boot-1 | boot-2)
	n=${case#boot-}
	# acpi=off and pci=off: no firmware tables but the MP table, no PCI to probe;
	# nopvspin: no SCHEDOP_poll spinlocks (docs/abi.md, "Linux PVH guests").
	sv 0 create --name lx --kernel "$linux_dir/vmlinuz" --initrd "$linux_dir/initrd.img" \
		--memory 256 --vcpus "$n" \
		--cmdline "console=hvc0 acpi=off pci=off nopvspin tsc=reliable sv.run=report"
	wait_report
	[ "$(report cpus)" = "$n" ] || fail "the guest sees $(report cpus) vCPUs, not $n"
	want_online=0
	[ "$n" = 1 ] || want_online="0-$((n - 1))"
	[ "$(report online)" = "$want_online" ] ||
		fail "online vCPUs '$(report online)', not '$want_online'"
	[ "$(report clocksource)" = tsc ] || fail "clocksource '$(report clocksource)', not tsc"
	[ "$(report platform)" = xen-pvh ] || fail "dmesg does not say 'Booting kernel on Xen PVH'"
	[ -z "$(report dmesg-error)" ] || fail "dmesg: $(report dmesg-error)"
	# sleep 1 must take about 1 s of the guest's own clock: at least 1, at most 3.
	read -r t0 t1 <<<"$(report slept)"
	awk -v a="$t0" -v b="$t1" 'BEGIN { d = b - a; exit !(d >= 1.0 && d < 3.0) }' ||
		fail "sleep 1 took from $t0 to $t1 s of uptime"
	grep -q "Xen version: .*splitvisor" "$run_dir/console/lx.log" ||
		fail "the guest's dmesg lacks our Xen version"
	sv 0 destroy lx
	;;
*)
	echo "unknown case $case"
	exit 2
	;;
esac
exit 0
