#!/bin/bash
# linux-guest.sh: a stock Debian kernel and a small initramfs to boot it as a Splitvisor
# PVH guest (examples/linux.xml, the kvm.linux.* tests).
#
# Usage: scripts/linux-guest.sh [--kernel VMLINUZ --modules DIR] [--busybox FILE] [--out DIR]
#
# Without --kernel it takes the Debian kernel, its modules and busybox-static of the VM
# harness's cache (scripts/kvm-vm.sh --print-kernel fetches them with apt-get download on
# first use). With --kernel, give the kernel's module directory too, for example
#   scripts/linux-guest.sh --kernel /boot/vmlinuz-$(uname -r) --modules /lib/modules/$(uname -r)
# Nothing is installed on the host. OUT (default <repo>/build-linux) gets:
#   vmlinuz      the kernel, unchanged
#   initrd.img   busybox-static, xen-blkfront, xen-netfront, virtio-blk (uncompressed, for busybox
#                insmod) and /init, below
#   version      the kernel's release
#
# /init mounts /proc, /sys and /dev, loads the modules and then does what the kernel
# command line's sv.run= names:
#   (none)   a shell on the console (hvc0); the guest powers off when it exits
#   report   prints "sv-linux: KEY VALUE" lines (vCPUs, clocksource, a timed sleep, the
#            Xen platform, the kernel's taint flags, a "missing return thunk" warning,
#            xenbus and blkfront errors) and "sv-linux: done", then idles
#   blk      through xen-blkfront: reads xvda's first MiB (O_DIRECT) and prints its sha256,
#            writes the pattern of sv.seed=N (seq N N+200000, 1 MiB) at 1 MiB with O_DIRECT
#            and fsync, discards the third MiB, tries to write the read-only xvdb; prints
#            MemTotal, the RAM ranges above 4 GiB and the pages in use there; then
#            "sv-linux: done" and idles
#   net      through xen-netfront: for each MAC/ADDR/PREFIX/PEER of sv.net= (comma-separated)
#            gives the interface with that MAC the address, brings it up and pings PEER
#            (up to 30 s for the first answer, then 3 more); then "sv-linux: done" and idles
#   bench    for svctl bench blk --guest linux: prints "sv-linux: ready", then for each line
#            "r|w BS COUNT" read from the console runs dd with O_DIRECT on the disk sv.disk=
#            names (default xvda; writes end with fsync) between "sv-linux: start" and
#            "sv-linux: end", prints "sv-linux: result rc=N" and is ready again
#   poweroff, reboot, panic
#            prints "sv-linux: run MODE", the kernel's err-and-worse messages
#            ("sv-linux: dmesg-err ...") and its ACPI lines ("sv-linux: dmesg-acpi ..."),
#            "sv-linux: done", then runs poweroff -f, reboot -f or echo c >/proc/sysrq-trigger
# Every line /init prints starts with "sv-linux:", so tests can find them in the console.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd -P)
out=$repo/build-linux
kernel=""
modules=""
busybox=""

die() {
	echo "linux-guest: $*" >&2
	exit 1
}

usage() {
	echo "usage: $0 [--kernel VMLINUZ --modules DIR] [--busybox FILE] [--out DIR]" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--kernel) [ $# -ge 2 ] || usage; kernel=$2; shift 2 ;;
	--modules) [ $# -ge 2 ] || usage; modules=$2; shift 2 ;;
	--busybox) [ $# -ge 2 ] || usage; busybox=$2; shift 2 ;;
	--out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	*) usage ;;
	esac
done
if [ -n "$kernel" ] && [ -z "$modules" ]; then
	die "--kernel needs --modules DIR (the kernel's /lib/modules/<release>)"
fi
if [ -z "$kernel" ] || [ -z "$busybox" ]; then
	mapfile -t harness < <("$repo/scripts/kvm-vm.sh" --print-kernel) ||
		die "cannot fetch the harness's Debian kernel (scripts/kvm-vm.sh --print-kernel)"
	[ ${#harness[@]} -eq 3 ] || die "scripts/kvm-vm.sh --print-kernel printed no kernel"
	[ -n "$kernel" ] || { kernel=${harness[0]}; modules=${harness[1]}; }
	[ -n "$busybox" ] || busybox=${harness[2]}
fi
[ -f "$kernel" ] || die "kernel $kernel: no such file"
[ -f "$modules/modules.order" ] || die "$modules has no modules.order: not a module directory"
[ -x "$busybox" ] || die "busybox $busybox: not an executable"
! readelf -l "$busybox" 2>/dev/null | grep -q "Requesting program interpreter" ||
	die "$busybox is not statically linked (Debian's busybox-static is)"

# The release is the module directory's name: vmlinuz has no simple field for it.
release=$(basename "$modules")

module_file() {
	local re=${1//[-_]/[-_]} p
	p=$(grep -E "(^|/)$re\.ko(\.xz|\.zst|\.gz)?\$" "$modules/modules.order" | head -n 1)
	[ -n "$p" ] || die "module $1 is not in $modules (the kernel has it built in, or lacks it)"
	echo "$modules/$p"
}

unpack_module() {
	case $1 in
	*.ko.xz) xz -dc "$1" ;;
	*.ko.zst) zstd -qdc "$1" ;;
	*.ko.gz) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac
}

read -r -d '' init_script <<'EOF' || true
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
for m in $(cat /etc/modules.list); do
	insmod "/lib/modules/$m.ko" || echo "sv-linux: insmod $m failed"
done
run=$(sed -n 's/.*sv\.run=\([^ ]*\).*/\1/p' /proc/cmdline)

report() {
	echo "sv-linux: init"
	echo "sv-linux: cpus $(grep -c '^processor' /proc/cpuinfo)"
	echo "sv-linux: online $(cat /sys/devices/system/cpu/online)"
	echo "sv-linux: clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
	t0=$(cut -d' ' -f1 /proc/uptime)
	sleep 1
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "sv-linux: slept $t0 $t1"
	dmesg | grep -q "Booting kernel on Xen PVH" && echo "sv-linux: platform xen-pvh"
	echo "sv-linux: tainted $(cat /proc/sys/kernel/tainted)"
	dmesg | grep "missing return thunk" | sed 's/^/sv-linux: dmesg-warn /'
	dmesg | grep -iE "xenbus.*(error|fail|timeout)|blkfront.*(error|fail)" |
		sed 's/^/sv-linux: dmesg-error /'
	echo "sv-linux: done"
}

# The 1 MiB pattern of a seed: the host makes the same one with GNU seq and head.
pattern() {
	seq "$1" $(($1 + 200000)) | head -c 1048576
}

blk() {
	seed=$(sed -n 's/.*sv\.seed=\([0-9]*\).*/\1/p' /proc/cmdline)
	echo "sv-linux: disks" $(ls /sys/block | grep '^xvd')
	echo "sv-linux: xvda-bytes $(blockdev --getsize64 /dev/xvda)"
	sum=$(dd if=/dev/xvda bs=64k count=16 iflag=direct 2>/dev/null | sha256sum)
	echo "sv-linux: xvda-read ${sum%% *}"
	pattern "${seed:-1}" >/tmp/pattern
	dd if=/tmp/pattern of=/dev/xvda bs=64k seek=16 oflag=direct conv=fsync 2>/tmp/dd.err &&
		echo "sv-linux: xvda-write ok" || echo "sv-linux: xvda-write failed $(cat /tmp/dd.err)"
	blkdiscard -o 2097152 -l 1048576 /dev/xvda && echo "sv-linux: xvda-discard ok"
	echo "sv-linux: xvdb-ro $(blockdev --getro /dev/xvdb)"
	if dd if=/tmp/pattern of=/dev/xvdb bs=64k count=1 oflag=direct conv=fsync 2>/dev/null; then
		echo "sv-linux: xvdb-write accepted"
	else
		echo "sv-linux: xvdb-write refused"
	fi
	dmesg | grep -iE "xenbus.*(error|fail)|blkfront.*(error|fail)" |
		sed 's/^/sv-linux: dmesg-error /'
	# RAM above 4 GiB (a guest over 3 GiB): its ranges, and how many pages of it are in use
	# (on x86-64 the Normal zone is the RAM above 4 GiB).
	echo "sv-linux: mem-total-kib $(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)"
	echo "sv-linux: ram-above-4g" $(sed -n 's/^\([1-9a-f][0-9a-f]\{8,\}-[0-9a-f]*\) : System RAM$/\1/p' /proc/iomem)
	awk '/^Node/ { z = $4 } z == "Normal" && $1 == "pages" && $2 == "free" { f = $3 }
		z == "Normal" && $1 == "managed" { m = $2 }
		END { print "sv-linux: normal-used-pages", m - f }' /proc/zoneinfo
	echo "sv-linux: done"
}

net() {
	for spec in $(sed -n 's/.*sv\.net=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' '); do
		IFS=/
		set -- $spec
		unset IFS
		mac=$1 addr=$2 prefix=$3 peer=$4
		dev=""
		for d in /sys/class/net/*; do
			[ "$(cat "$d/address")" = "$mac" ] && dev=${d##*/}
		done
		[ -n "$dev" ] || { echo "sv-linux: net-missing $mac"; continue; }
		ip addr add "$addr/$prefix" dev "$dev" && ip link set "$dev" up
		i=0
		until ping -c 1 -W 1 "$peer" >/dev/null 2>&1; do
			i=$((i + 1))
			[ $i -lt 30 ] || break
		done
		got=$(ping -c 3 -W 2 "$peer" 2>/dev/null | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
		echo "sv-linux: ping $dev $peer ${got:-0}"
	done
	echo "sv-linux: done"
}

bench() {
	disk=$(sed -n 's/.*sv\.disk=\([a-z0-9]*\).*/\1/p' /proc/cmdline)
	disk=/dev/${disk:-xvda}
	# What the console types is not echoed back: only the markers and results come out.
	stty -echo 2>/dev/null
	echo "sv-linux: ready"
	while read -r rw bs count; do
		case $rw in
		r) set -- if="$disk" of=/dev/null iflag=direct ;;
		w) set -- if=/dev/zero of="$disk" oflag=direct conv=fsync ;;
		*) continue ;;
		esac
		echo "sv-linux: start"
		dd "$@" bs="$bs" count="$count" 2>/dev/null
		rc=$?
		echo "sv-linux: end"
		echo "sv-linux: result rc=$rc"
		echo "sv-linux: ready"
	done
}

case $run in
bench)
	bench
	while :; do sleep 3600; done
	;;
net)
	net
	while :; do sleep 3600; done
	;;
blk)
	blk
	while :; do sleep 3600; done
	;;
report)
	report
	# Idle, so the host decides when the domain ends.
	while :; do sleep 3600; done
	;;
poweroff | reboot | panic)
	# The guest ends itself: ACPI S5, the ACPI reset register, a kernel panic. Before that,
	# what the kernel logged at err and above, and its ACPI lines, for the test to check.
	echo "sv-linux: run $run"
	dmesg -l err,crit,alert,emerg | sed 's/^/sv-linux: dmesg-err /'
	dmesg | grep -E "ACPI" | sed 's/^/sv-linux: dmesg-acpi /'
	echo "sv-linux: done"
	case $run in
	poweroff) poweroff -f ;;
	reboot) reboot -f ;;
	panic) echo c >/proc/sysrq-trigger ;;
	esac
	echo "sv-linux: still running after $run"
	while :; do sleep 3600; done
	;;
"")
	echo "sv-linux: shell (exit powers off)"
	setsid cttyhack sh
	poweroff -f
	;;
*)
	echo "sv-linux: unknown sv.run=$run"
	poweroff -f
	;;
esac
EOF

mkdir -p "$out"
root=$(mktemp -d "$out/initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/bin "$root"/etc "$root"/lib/modules "$root"/proc "$root"/sys "$root"/dev \
	"$root"/tmp
cp "$busybox" "$root/bin/busybox"
for a in $("$busybox" --list); do
	[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
done
: >"$root/etc/modules.list"
# In load order: each module's dependencies (modinfo depends=) come before it in this list,
# so a kernel that grows another dependency is caught here rather than by a failing insmod.
# The virtio ones are for the peer that svctl bench blk --guest linux runs under QEMU.
loaded=" "
for m in xen-blkfront xen-netfront virtio_ring virtio virtio_pci_legacy_dev \
	virtio_pci_modern_dev virtio_pci virtio_blk; do
	f=$(module_file "$m")
	for d in $(unpack_module "$f" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
		[[ $loaded == *" $d "* ]] || die "$m depends on $d, which this script does not load first"
	done
	unpack_module "$f" >"$root/lib/modules/$m.ko"
	echo "$m" >>"$root/etc/modules.list"
	loaded+="$m "
done
printf '%s\n' "$init_script" >"$root/init"
chmod 755 "$root/init"
(cd "$root" && find . | LC_ALL=C sort | "$root/bin/busybox" cpio -o -H newc 2>/dev/null) |
	gzip -6 >"$out/initrd.img.tmp"
mv "$out/initrd.img.tmp" "$out/initrd.img"
cp "$kernel" "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
echo "$release" >"$out/version"
echo "linux-guest: $out/vmlinuz ($release) and $out/initrd.img" \
	"($(du -k "$out/initrd.img" | cut -f1) KiB)"
