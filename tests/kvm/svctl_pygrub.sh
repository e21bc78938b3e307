#!/bin/sh
# <bootloader>pygrub</bootloader> through the daemons: the kernel and its command line come
# from the GRUB menu on the guest's raw disk (scripts/make-pygrub-image.sh), the extracted
# files live in <run dir>/boot/<name>/ while the domain runs, and a disk that cannot boot is
# refused with the reader's sentence while svdom0 keeps serving.
# Usage: svctl_pygrub.sh SVCTL CASE. Exits 77 (ctest SKIP) where /dev/kvm is missing.
set -u
svctl=$1
case=$2

SV_TIMEOUT=600
. "$(dirname "$0")/svctl_lib.sh"
PATH=$PATH:/usr/sbin:/sbin
command -v mkfs.ext4 >/dev/null && command -v sfdisk >/dev/null ||
	{ echo "SKIP: mkfs.ext4 or sfdisk missing (scripts/install-deps.sh)"; exit 77; }
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$(dirname "$svctl")/.." && pwd)
kernel=$build/guest/splitvisor-guest
img=$run_dir/pygrub.img

"$repo/scripts/make-pygrub-image.sh" "$img" "$kernel" >"$errf" 2>&1 || fail "cannot make $img"

# mkxml NAME ARGS DISKXML: a pygrub document in $run_dir/NAME.xml.
mkxml() {
	{
		echo "<domain type='xen'><name>$1</name><bootloader>pygrub</bootloader>"
		[ -n "$2" ] && echo "<bootloader_args>$2</bootloader_args>"
		echo "<memory unit='MiB'>32</memory><vcpu>1</vcpu>"
		echo "<os><type arch='x86_64' machine='xenpv'>xen</type></os>"
		echo "<on_poweroff>preserve</on_poweroff><on_crash>preserve</on_crash><devices>$3"
		echo "<console type='pty'><target type='xen' port='0'/></console></devices></domain>"
	} >"$run_dir/$1.xml"
}

# disk FILE [FORMAT] [EXTRA]: the first disk, raw unless FORMAT says.
disk() {
	echo "<disk type='file' device='disk'><driver name='qemu' type='${2:-raw}'/>"
	echo "<source file='$1'/><target dev='xvda' bus='xen'/>${3:-}</disk>"
}

# wait_console NAME TEXT: polls the console log until TEXT shows up.
wait_console() {
	i=0
	while [ $i -lt 600 ]; do
		timeout 60 "$svctl" console "$1" --no-follow >"$out" 2>"$errf"
		grep -q -- "$2" "$out" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	fail "console of $1 never showed '$2'"
}

case $case in
boot)
	# The example as shipped, pointed at this run's image: hello from grub.cfg's default.
	sed "s|<source file='[^']*'/>|<source file='$img'/>|" "$build/examples/pygrub.xml" \
		>"$run_dir/pygrub.xml"
	sv 0 create "$run_dir/pygrub.xml"
	timeout 900 "$svctl" console pygrub >"$out" 2>&1
	grep -q "Hello from Splitvisor: domid 1, 32 MiB, 1 vCPUs" "$out" ||
		fail "the guest did not run hello"
	grep -q "bootloader chose 'Splitvisor guest (hello)'" "$run_dir"/svdom0*.log 2>/dev/null ||
		fail "svdom0's log does not say what the bootloader chose"
	[ -e "$run_dir/boot/pygrub" ] && fail "the extracted files outlived the domain"
	sv 0 destroy pygrub
	# A defined domain, the submenu's entry through pygrub's --entry, files while it runs.
	mkxml spin "--entry=1" "$(disk "$img")"
	sv 0 define "$run_dir/spin.xml"
	sv 0 start spin
	wait_console spin "spin: looping"
	cmp -s "$run_dir/boot/spin/kernel" "$kernel" || fail "the extracted kernel differs"
	sv 0 dumpxml spin
	expect_out "<bootloader>pygrub</bootloader>"
	expect_out "<bootloader_args>--entry=1</bootloader_args>"
	grep -q "<kernel>" "$out" && fail "dumpxml shows a kernel the document did not have"
	sv 0 destroy spin
	[ -e "$run_dir/boot/spin" ] && fail "the extracted files outlived the domain"
	sv 0 start spin
	wait_console spin "spin: looping"
	sv 0 destroy spin
	;;
qcow2)
	# The same image as qcow2: pygrub reads it through QEMU's storage daemon, then blkback
	# serves it the same way; no daemon of the bootloader's outlives the reading.
	command -v qemu-img >/dev/null && command -v qemu-storage-daemon >/dev/null ||
		{ echo "SKIP: qemu-img or qemu-storage-daemon missing"; exit 77; }
	qemu-img convert -f raw -O qcow2 "$img" "$run_dir/pygrub.qcow2" >"$errf" 2>&1 ||
		fail "qemu-img convert failed"
	mkxml q "" "$(disk "$run_dir/pygrub.qcow2" qcow2)"
	sv 0 create "$run_dir/q.xml"
	timeout 900 "$svctl" console q >"$out" 2>&1
	grep -q "Hello from Splitvisor" "$out" || fail "the guest on qcow2 did not run hello"
	grep -q "bootloader chose 'Splitvisor guest (hello)' from partition 1 (ext4)" \
		"$run_dir"/svdom0*.log 2>/dev/null || fail "svdom0's log does not say what it chose"
	[ -e "$run_dir/boot/q" ] && fail "the extracted files outlived the domain"
	sv 0 destroy q
	qemu-img check -q "$run_dir/pygrub.qcow2" >"$out" 2>&1 || fail "qemu-img check failed"
	# A raw file said to be qcow2: QEMU's reason, through the bootloader, at create.
	mkxml notq "" "$(disk "$img" qcow2)"
	sv 1 create "$run_dir/notq.xml"
	expect_err "domain notq: bootloader: $img: qemu-img check cannot read it as qcow2: .*not in qcow2 format"
	# A driver domain cannot serve qcow2: refused at start, naming the disk and the reason.
	cat >"$run_dir/ddq.xml" <<XML
<domain type='xen'><name>ddq</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='xenpv'>xen</type><kernel>$kernel</kernel></os><devices>
$(disk "$run_dir/pygrub.qcow2" qcow2 "<backenddomain name='dd0'/>")
</devices></domain>
XML
	sv 0 define "$run_dir/ddq.xml"
	sv 1 start ddq
	expect_err "disk xvda: a driver domain serves raw images only, not qcow2"
	sv 0 list
	;;
refused)
	# A menu entry naming a missing kernel, a truncated image, no disk: each refused.
	mkxml bad "--kernel=/boot/vmlinuz-missing" "$(disk "$img")"
	sv 1 create "$run_dir/bad.xml"
	expect_err "domain bad: bootloader: $img: /boot/vmlinuz-missing: 'vmlinuz-missing' does not exist in the image"
	head -c 8M "$img" >"$run_dir/trunc.img"
	mkxml trunc "" "$(disk "$run_dir/trunc.img")"
	sv 1 create "$run_dir/trunc.xml"
	expect_err "lies outside the 8388608-byte disk (truncated image?)"
	mkxml nodisk "" ""
	sv 1 create "$run_dir/nodisk.xml"
	expect_err "reads the kernel from the first <disk device='disk'>, and the domain has none"
	[ -e "$run_dir/boot/bad" ] || [ -e "$run_dir/boot/trunc" ] && fail "a refused boot left files"
	# svdom0 still serves: a good one boots after them.
	mkxml good "" "$(disk "$img")"
	sv 0 create "$run_dir/good.xml"
	timeout 900 "$svctl" console good >"$out" 2>&1
	grep -q "Hello from Splitvisor" "$out" || fail "the guest after the refusals did not run"
	sv 0 list
	;;
*)
	echo "unknown case $case"
	exit 2
	;;
esac
echo "PASS: $case"
