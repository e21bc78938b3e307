#!/bin/bash
# Debian's own kernel as a Splitvisor PVH guest, from the files scripts/linux-guest.sh makes
# (build-linux/ in the repository: scripts/test.sh makes them before the KVM tests).
#   boot-1, boot-2: boots to the initramfs's report with 1 and 2 vCPUs and checks what it saw:
#                   every vCPU online, the tsc clocksource, a 1 s sleep that takes 1 s (timer
#                   interrupts), the Xen PVH platform, no xenbus errors in dmesg, and no
#                   "missing return thunk" warning (the rewritten hypercall functions keep
#                   the return-thunk jumps that the kernel's .return_sites list).
#   blk:            a libvirt xenpvh document with two disks through xen-blkfront and our
#                   blkback: the guest reads what the host wrote (O_DIRECT), the host finds
#                   what the guest wrote (O_DIRECT, fsync) in the image, a discard punches a
#                   hole in it, flush and discard show in block-list's counters, and the
#                   read-only disk refuses the guest's write. The guest has 4352 MiB, 1.25 GiB
#                   of it above 4 GiB, and uses it; our own kernel is refused above 3 GiB.
#   net:            (in a network namespace of its own) a Linux guest with a vif on a switch
#                   and one on a TAP device pings a Mini-OS guest through the switch and the
#                   host through the TAP device, and the host pings it back.
#   bench:          svctl bench blk --guest linux, small: every figure beside its host
#                   baseline and its QEMU/KVM virtio-blk peer, with VM exits per request,
#                   and no hypercall exit to svcored per request (the send stub).
#   example:        examples/linux.xml as the build made it (2 vCPUs, a disk, a vif), on an
#                   image of its own: commands typed into the busybox shell on hvc0 through
#                   svctl console see both vCPUs, the disk's first bytes and eth0.
#   poweroff:       without acpi=off: the guest's `poweroff -f` goes through our ACPI tables'
#                   S5 and ends the domain as poweroff 0; no err-level messages in dmesg.
#   reboot:         `reboot -f` under on_reboot=restart (an XML domain): the FADT reset
#                   register ends it as reboot and svdom0 boots it again (which reboots again:
#                   the test destroys it once the second boot has begun).
#   panic:          `echo c >/proc/sysrq-trigger` ends the domain as crash.
#   run:            `svctl run` of the kernel (no svdom0): its console on stdout, served by
#                   svctl from the ring, and its poweroff as exit code 0.
# Usage: svctl_linux.sh SVCTL CASE
svctl=$1
case=$2
if [ "$case" = net ] && [ -z "${SV_NET_NS:-}" ]; then
	# TAP devices and addresses live and die in a namespace of their own.
	SV_NET_NS=1 exec unshare --net bash "$0" "$@"
fi
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

# The command line of the lifecycle cases: ACPI on (no acpi=off), still no PCI.
life_cmdline="console=hvc0 pci=off nopvspin tsc=reliable"

# count PATTERN: how many console lines match.
count() {
	grep -c -- "$1" "$run_dir/console/lx.log" 2>/dev/null
}

# wait_count PATTERN N SECONDS: until N console lines match, else fails.
wait_count() {
	local i=0
	until [ "$(count "$1")" -ge "$2" ]; do
		i=$((i + 1))
		[ $i -lt "$3" ] || fail "fewer than $2 console lines '$1' in $3 s"
		sleep 1
	done
}

# wait_end HOW SECONDS: until `svctl list` shows lx ended with HOW ("poweroff 0"), else fails.
wait_end() {
	local i=0
	until grep -Eq "lx +(shutdown|crashed) .*$1" "$out"; do
		i=$((i + 1))
		[ $i -lt "$2" ] || fail "lx did not end with '$1' in $2 s"
		sleep 1
		timeout 60 "$svctl" list >"$out" 2>"$errf"
	done
}

# The guest's dmesg at err level and worse, which /init printed before it ended itself: none.
check_dmesg_err() {
	[ "$(count "sv-linux: dmesg-err")" = 0 ] ||
		fail "dmesg has err-level lines: $(grep "sv-linux: dmesg-err" "$run_dir/console/lx.log")"
}

# lx_xml CMDLINE DEVICES...: a xenpvh document for the kernel and initramfs.
lx_xml() {
	local cmdline=$1
	shift
	{
		echo "<domain type='xen'><name>lx</name><memory unit='MiB'>${lx_mib:-256}</memory><vcpu>1</vcpu>"
		echo "<os><type arch='x86_64' machine='xenpvh'>xenpvh</type>"
		echo "<kernel>$linux_dir/vmlinuz</kernel><initrd>$linux_dir/initrd.img</initrd>"
		echo "<cmdline>console=hvc0 acpi=off pci=off nopvspin tsc=reliable $cmdline</cmdline>"
		echo "</os><on_poweroff>destroy</on_poweroff><on_crash>preserve</on_crash><devices>"
		for d in "$@"; do echo "$d"; done
		echo "</devices></domain>"
	} >"$run_dir/lx.xml"
}

disk() {
	local ro=""
	[ "${3:-}" = readonly ] && ro="<readonly/>"
	echo "<disk type='file' device='disk'><driver name='file' type='raw'/>"
	echo "<source file='$1'/><target dev='$2' bus='xen'/>$ro</disk>"
}

case $case in
bench)
	# The bench runs its own daemons in a directory of its own (the test's stay idle); its
	# guests' consoles and daemons' logs stay there, and a failure shows them.
	bench_fail() {
		for f in "$run_dir"/svbench-*/virtio-peer.log "$run_dir"/svbench-*/console/*.log \
			"$run_dir"/svbench-*/svdom0.log; do
			[ -f "$f" ] && { echo "--- $f"; tail -c 6000 "$f"; }
		done
		fail "$@"
	}
	TMPDIR=$run_dir timeout 540 "$svctl" bench blk --guest linux --linux-dir "$linux_dir" \
		--size 8 --iterations 512 --runs 1 --json >"$out" 2>"$errf" ||
		bench_fail "svctl bench blk --guest linux failed"
	python3 - "$out" <<-'EOF' || bench_fail "the bench's figures: $(cat "$out")"
		import json, math, sys
		r = {x["name"]: x for x in json.load(open(sys.argv[1]))}
		for w in ("seq_read_64k", "seq_read_4k", "seq_write_64k"):
		    ours, vs = r["blk.linux." + w], r["blk.linux_vs_virtio." + w]
		    for x in (ours, vs):
		        assert x["unit"] == "MB/s" and x["value"] > 0 and x["baseline"] > 0, x
		        assert math.isclose(x["ratio"], x["value"] / x["baseline"], rel_tol=1e-3), x
		    assert vs["value"] == ours["value"], (ours, vs)
		    # Every request exits at least once (the guest's kick), and the counts are there.
		    assert ours["exits_per_request"] >= 1, ours
		    assert ours["backend_syscalls_per_request"] > 0, ours
		    # The kick (EVTCHNOP_send) takes the notify port's ioeventfd through the
		    # rewritten hypercall stub: no exit to svcored per request (it was one).
		    assert ours["hypercalls_per_request"] < 0.5, ours
		print("ok")
	EOF
	;;
net)
	ip link set lo up || fail "cannot bring lo up in the test's namespace"
	kernel=$(dirname "$svctl")/../guest/splitvisor-guest
	cat >"$run_dir/peer.xml" <<-EOF
		<domain type='xen'><name>peer</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
		<os><type arch='x86_64' machine='xenpv'>xen</type><kernel>$kernel</kernel>
		<cmdline>udp-echo 7 ip=10.0.0.2/24</cmdline></os><devices>
		<interface type='bridge'><mac address='00:16:3e:00:0a:09'/><source bridge='svnet0'/>
		</interface></devices></domain>
	EOF
	sv 0 create "$run_dir/peer.xml"
	lx_xml "sv.run=net sv.net=00:16:3e:00:0a:01/10.0.0.3/24/10.0.0.2,00:16:3e:00:0a:02/10.9.0.2/24/10.9.0.1" \
		"<interface type='bridge'><mac address='00:16:3e:00:0a:01'/><source bridge='svnet0'/></interface>" \
		"<interface type='ethernet'><mac address='00:16:3e:00:0a:02'/><target dev='svtapl'/></interface>"
	sv 0 create "$run_dir/lx.xml"
	ip addr add 10.9.0.1/24 dev svtapl && ip link set svtapl up || fail "cannot set up svtapl"
	wait_report
	grep -q "sv-linux: ping eth[0-9] 10.0.0.2 3" "$run_dir/console/lx.log" ||
		fail "the Linux guest's pings of the Mini-OS guest: $(grep 'ping.*10.0.0.2' "$run_dir/console/lx.log")"
	grep -q "sv-linux: ping eth[0-9] 10.9.0.1 3" "$run_dir/console/lx.log" ||
		fail "the Linux guest's pings of the host: $(grep 'ping.*10.9.0.1' "$run_dir/console/lx.log")"
	ping -c 3 -W 5 10.9.0.2 >"$out" 2>"$errf" || fail "the host's ping of the Linux guest got no answer"
	expect_out "3 received"
	sv 0 destroy lx
	sv 0 destroy peer
	;;
example)
	xml=$(dirname "$svctl")/../examples/linux.xml
	[ -s "$xml" ] || fail "no $xml"
	truncate -s 64M "$run_dir/ex.img" && printf 'splitvisor-example' |
		dd of="$run_dir/ex.img" conv=notrunc status=none || fail "cannot make the image"
	sed "s|<source file='[^']*'/>|<source file='$run_dir/ex.img'/>|" "$xml" >"$run_dir/linux.xml"
	grep -q "$run_dir/ex.img" "$run_dir/linux.xml" || fail "no disk source in $xml"
	sv 0 create "$run_dir/linux.xml"
	i=0
	until grep -q "sv-linux: shell" "$run_dir/console/linux.log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "no shell on hvc0 in 300 s"
		sleep 1
	done
	sleep 1
	printf '%s\n' 'echo "sv-shell $((6*7)) $(grep -c ^processor /proc/cpuinfo)"' \
		'echo "sv-disk $(head -c 18 /dev/xvda)"' 'echo "sv-eth $(ip -o link | grep -c eth0)"' |
		timeout 60 "$svctl" console linux >"$out" 2>"$errf"
	i=0
	until grep -q "^sv-eth" "$run_dir/console/linux.log"; do
		i=$((i + 1))
		[ $i -lt 60 ] || fail "the shell did not answer what was typed"
		sleep 1
	done
	grep -q "^sv-shell 42 2" "$run_dir/console/linux.log" || fail "no 'sv-shell 42 2' from the shell"
	grep -q "^sv-disk splitvisor-example" "$run_dir/console/linux.log" ||
		fail "the shell did not read the disk's first bytes"
	grep -q "^sv-eth 1" "$run_dir/console/linux.log" || fail "no eth0 in the guest"
	sv 0 destroy linux
	;;
blk)
	img=$run_dir/lx-a.img
	truncate -s 16M "$img" && truncate -s 4M "$run_dir/lx-b.img" || fail "cannot make images"
	# The host's pattern in the first MiB, and data in the third that the discard must drop.
	head -c 1048576 /dev/urandom >"$run_dir/host.bin"
	dd if="$run_dir/host.bin" of="$img" conv=notrunc status=none
	head -c 1048576 /dev/urandom | dd of="$img" bs=1M seek=2 conv=notrunc status=none
	seed=$((RANDOM * 32768 + RANDOM))
	# 4352 MiB: 3 GiB below the hole and 1.25 GiB from 4 GiB, where Linux allocates first (its
	# Normal zone), so blkfront's granted pages lie there too. The memfd is sparse: the VM
	# pays only for what the guest touches.
	lx_mib=4352 lx_xml "sv.run=blk sv.seed=$seed" "$(disk "$img" xvda)" \
		"$(disk "$run_dir/lx-b.img" xvdb readonly)"
	sv 0 create "$run_dir/lx.xml"
	wait_report
	[ "$(report disks)" = "xvda xvdb" ] || fail "the guest's disks: '$(report disks)'"
	[ "$(report ram-above-4g)" = 100000000-14fffffff ] ||
		fail "the guest's RAM above 4 GiB: '$(report ram-above-4g)', not 100000000-14fffffff"
	# More than the 3 GiB below the hole could give, and pages above 4 GiB in use.
	[ "$(report mem-total-kib)" -gt 3670016 ] ||
		fail "the guest's MemTotal is $(report mem-total-kib) KiB"
	[ "$(report normal-used-pages)" -gt 0 ] ||
		fail "the guest uses no page above 4 GiB: '$(report normal-used-pages)'"
	[ "$(report xvda-bytes)" = 16777216 ] || fail "xvda has $(report xvda-bytes) bytes"
	want=$(sha256sum <"$run_dir/host.bin")
	[ "$(report xvda-read)" = "${want%% *}" ] || fail "the guest read other bytes than the host wrote"
	[ "$(report xvda-write)" = ok ] || fail "the guest's write: $(report xvda-write)"
	seq "$seed" $((seed + 200000)) | head -c 1048576 >"$run_dir/guest.bin"
	cmp <(dd if="$img" bs=1M skip=1 count=1 status=none) "$run_dir/guest.bin" ||
		fail "the image does not hold the guest's pattern at 1 MiB"
	[ "$(report xvda-discard)" = ok ] || fail "blkdiscard failed in the guest"
	cmp <(dd if="$img" bs=1M skip=2 count=1 status=none) <(head -c 1048576 /dev/zero) ||
		fail "the discarded MiB still holds data"
	[ "$(report xvdb-ro)" = 1 ] || fail "xvdb is not read-only in the guest"
	[ "$(report xvdb-write)" = refused ] || fail "the guest wrote to the read-only xvdb"
	cmp "$run_dir/lx-b.img" <(head -c 4194304 /dev/zero) || fail "the read-only image changed"
	[ -z "$(report dmesg-error)" ] || fail "dmesg: $(report dmesg-error)"
	sv 0 block-list lx
	read -r flush discard <<<"$(awk '$2 == "xvda" { print $7, $8 }' "$out")"
	[ "${flush:-0}" -ge 1 ] || fail "no flush reached blkback: $(cat "$out")"
	[ "${discard:-0}" -ge 1 ] || fail "no discard reached blkback: $(cat "$out")"
	sv 0 destroy lx
	# A xenpvh document whose kernel has no PVH entry (our own) is refused by the core.
	sed -i "s|<kernel>[^<]*</kernel>|<kernel>$(dirname "$svctl")/../guest/splitvisor-guest</kernel>|" \
		"$run_dir/lx.xml"
	sv 1 create "$run_dir/lx.xml"
	expect_err "not a PVH kernel"
	# Our own kernels stop at 3 GiB: the core refuses more with a reason; svctl refuses a
	# size above every limit before asking.
	sv 1 create --name big --kernel "$(dirname "$svctl")/../guest/splitvisor-guest" --memory 3073
	expect_err "only a PVH kernel takes more than 3072 MiB"
	sv 64 create --name big --kernel "$linux_dir/vmlinuz" --memory 65537
	expect_err "expected 8..65536 MiB"
	;;
poweroff)
	sv 0 create --name lx --kernel "$linux_dir/vmlinuz" --initrd "$linux_dir/initrd.img" \
		--memory 256 --vcpus 1 --cmdline "$life_cmdline sv.run=poweroff"
	wait_end "poweroff 0" 300
	grep -q "sv-linux: done" "$run_dir/console/lx.log" || fail "no report before the poweroff"
	grep -q "sv-linux: dmesg-acpi .*FACP" "$run_dir/console/lx.log" ||
		fail "the guest's dmesg does not show our FADT"
	check_dmesg_err
	grep -q "reboot: Power down" "$run_dir/console/lx.log" ||
		fail "the kernel did not say 'reboot: Power down'"
	sv 0 destroy lx
	;;
reboot)
	cat >"$run_dir/lx.xml" <<XML
<domain type='xen'>
  <name>lx</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='xenpvh'>xenpvh</type>
    <kernel>$linux_dir/vmlinuz</kernel>
    <initrd>$linux_dir/initrd.img</initrd>
    <cmdline>$life_cmdline sv.run=reboot</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices><console type='pty'><target type='xen' port='0'/></console></devices>
</domain>
XML
	sv 0 create "$run_dir/lx.xml"
	# The second boot's /init: the first reboot went through and the domain came back.
	wait_count "sv-linux: run reboot" 2 600
	grep -q "restarting" "$run_dir/console/lx.log" || fail "no restart in the console log"
	grep -q "reboot: Restarting system" "$run_dir/console/lx.log" ||
		fail "the kernel did not say 'reboot: Restarting system'"
	check_dmesg_err
	# It reboots again and again; destroy may meet it between two boots.
	i=0
	until timeout 60 "$svctl" destroy lx >"$out" 2>"$errf"; do
		i=$((i + 1))
		[ $i -lt 10 ] || fail "cannot destroy lx"
		sleep 1
	done
	;;
run)
	# svctl run: the core in svctl's own process, no svdom0, no xenstore; svctl serves
	# the console ring itself, and the guest's poweroff is svctl's exit code 0.
	timeout 300 "$svctl" run --kernel "$linux_dir/vmlinuz" --initrd "$linux_dir/initrd.img" \
		--memory 256 --cmdline "$life_cmdline sv.run=poweroff" >"$out" 2>"$errf"
	rc=$?
	[ "$rc" = 0 ] || fail "svctl run ended with $rc, not 0 (the guest's poweroff)"
	expect_out "sv-linux: run poweroff"
	expect_out "sv-linux: done"
	expect_out "reboot: Power down"
	# Without xenstore Linux's xenbus stays away; blkfront probes nothing.
	grep -q "sv-linux: insmod .* failed" "$out" && fail "a module failed to load: $(grep insmod "$out")"
	;;
panic)
	sv 0 create --name lx --kernel "$linux_dir/vmlinuz" --initrd "$linux_dir/initrd.img" \
		--memory 256 --vcpus 1 --cmdline "$life_cmdline sv.run=panic"
	wait_end "crash" 300
	grep -q "sysrq: Trigger a crash" "$run_dir/console/lx.log" ||
		fail "the kernel did not log the sysrq crash"
	sv 0 destroy lx
	;;
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
	# Not taint 0: under the emulated harness the kernel also warns that its XSAVE size
	# disagrees with CPUID leaf 0xd as nested KVM reports it, which is not the stub's doing.
	[ -n "$(report tainted)" ] || fail "no taint line in the guest's report (an old initrd.img?)"
	[ -z "$(report dmesg-warn)" ] ||
		fail "the kernel warned (taint $(report tainted)): $(report dmesg-warn)"
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
