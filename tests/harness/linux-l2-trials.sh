#!/bin/bash
# linux-l2-trials.sh: boot Debian's kernel as a nested (L2) guest under
# QEMU/KVM inside scripts/kvm-vm.sh, several times per configuration, and count
# how often it gets through.  See docs/testing-on-kvm.md, "Linux guests in the
# harness".
#
# Usage (on the host, holding nothing; it takes /work/vm.lock itself if
# KVM_VM_LOCK names a lock file):
#   tests/harness/linux-l2-trials.sh [--trials N] [--trial-timeout SEC]
#       [--vm-timeout SEC] [--log FILE] [--after CMD] CONFIG...
# CONFIG is NAME|L2_APPEND|L2_QEMU_ARGS|KVM_PARAMS|KVM_AMD_PARAMS, fields may
# be empty, e.g. 'base||||' or 'split||-machine q35,kernel_irqchip=split||'
# or 'nopoll|||halt_poll_ns=0|avic=0'.  Module parameters reload kvm/kvm_amd.
# Configurations of the harness VM itself (L1) come from kvm-vm.sh's knobs:
# KVM_VM_TCG_THREAD, KVM_VM_CPU, KVM_VM_APPEND, KVM_VM_QEMU_ARGS.
# --after CMD runs CMD (bash) in the same VM after the trials, e.g. a batch of
# our own KVM tests under the same L1 configuration.
#
# The L2 guest's /init prints L2-INIT, sleeps 1 s (needs timer interrupts),
# prints L2-SLEPT, reads 1 MiB of a virtio-blk disk with O_DIRECT in 4 KiB
# requests (needs completion interrupts), prints L2-IO and powers off.  A
# trial passes if all three markers appear and QEMU exits in time.  At the
# timeout the L2 vCPU's registers and local APIC are dumped from the QEMU
# monitor (the RIP named through L1's kallsyms: the same kernel, L2 nokaslr),
# with the stacks of L1's QEMU threads and 2 s of L1's KVM trace events.
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd -P)
work=$repo/build-harness
trials=5
trial_timeout=60
vm_timeout=570
log=
after=

if [ "${1:-}" = --in-vm ]; then
	shift
	trials=$1 trial_timeout=$2 after=$3
	shift 3
	cd /tmp
	dd if=/dev/zero of=/tmp/disk.img bs=1M count=8 status=none
	echo "L1: $(uname -r) cmdline: $(cat /proc/cmdline)"
	echo "L1: nproc=$(nproc) clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)" \
		"clockevent=$(sed -n 's/^Clock Event Device: //p' /proc/timer_list | head -n 2 | tr '\n' ' ')"
	for cfg in "$@"; do
		IFS='|' read -r name l2append l2qemu kvmp amdp <<<"$cfg"
		if [ -n "$kvmp$amdp" ]; then
			rmmod kvm_amd kvm
			# shellcheck disable=SC2086
			insmod /harness/modules/kvm.ko $kvmp
			# shellcheck disable=SC2086
			insmod /harness/modules/kvm-amd.ko $amdp
		fi
		echo "CFG $name: l2append='$l2append' l2qemu='$l2qemu' kvm='$kvmp' kvm_amd='$amdp'" \
			"halt_poll_ns=$(cat /sys/module/kvm/parameters/halt_poll_ns)" \
			"avic=$(cat /sys/module/kvm_amd/parameters/avic 2>/dev/null)"
		ok=0
		for i in $(seq 1 "$trials"); do
			rm -f /tmp/mon.in /tmp/mon.out /tmp/con.log
			mkfifo /tmp/mon.in /tmp/mon.out
			cat /tmp/mon.out >/tmp/mon.log &
			catpid=$!
			start=$(date +%s.%N)
			# shellcheck disable=SC2086
			qemu-system-x86_64 -enable-kvm -machine q35 -cpu host -smp 1 -m 256 \
				-bios qboot.rom -nodefaults -nographic -no-reboot \
				-serial file:/tmp/con.log -monitor pipe:/tmp/mon \
				-kernel "$HARNESS_L2_DIR/vmlinuz" -initrd "$HARNESS_L2_DIR/l2-initrd.cpio.gz" \
				-append "console=ttyS0 panic=-1 nokaslr $l2append" \
				-drive file=/tmp/disk.img,if=virtio,format=raw \
				$l2qemu </dev/null >/tmp/qemu.out 2>&1 &
			qpid=$!
			deadline=$(($(date +%s) + trial_timeout))
			while kill -0 $qpid 2>/dev/null && [ "$(date +%s)" -lt $deadline ]; do
				sleep 1
			done
			result=ok
			if kill -0 $qpid 2>/dev/null; then
				result=timeout
				# What L1 sees: where each QEMU thread sleeps, and 2 s of KVM events.
				for t in "/proc/$qpid/task/"*; do
					echo "  task $(cat "$t/comm"): $(tr '\n' ' ' <"$t/stack" | cut -c1-160)"
				done
				tr=/sys/kernel/tracing
				[ -d $tr/events ] || mount -t tracefs nodev $tr
				echo >$tr/trace
				echo 1 >$tr/events/kvm/enable
				sleep 2
				echo 0 >$tr/events/kvm/enable
				grep -v '^#' $tr/trace | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^kvm_[a-z_]*:$/) { n[$i]++; break } }
					END { for (e in n) printf "%s%d ", e, n[e]; print "" }' | sed 's/^/  trace2s: /'
				grep -v '^#' $tr/trace | tail -n 8 | cut -c1-200 | sed 's/^/  trace: /'
				# shellcheck disable=SC2016 # $rsp is the QEMU monitor's
				printf 'info registers\ninfo lapic\nx/96gx $rsp\n' >/tmp/mon.in
				sleep 3
				kill $qpid
			fi
			wait $qpid || true
			wall=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
			kill $catpid 2>/dev/null || true
			wait $catpid 2>/dev/null || true
			con=$(tr -d '\r' </tmp/con.log)
			marks=$(echo "$con" | sed -n 's/^\(L2-[A-Z]*\) up=\([0-9.]*\).*/\1=\2/p' | tr '\n' ' ')
			case $marks in *L2-IO=*) ;; *) [ $result = timeout ] || result="exit" ;; esac
			[ $result = ok ] && ok=$((ok + 1))
			printf 'TRIAL %s %d %s wall=%.1f %s\n' "$name" "$i" $result "$wall" "$marks"
			if [ $result != ok ]; then
				echo "$con" >"$HARNESS_L2_DIR/fail-$name-$i.log"
				echo "$con" | grep -v '^L2-' | tail -n 4 | sed 's/^/  con: /'
				tail -n 3 /tmp/qemu.out | sed 's/^/  qemu: /'
				tr -d '\r' </tmp/mon.log | grep -E '^(RIP|RAX|RSP|EFL|CR0)=|^(IRR|ISR|LVT|Timer|ICR|PPR)' |
					head -n 12 | sed 's/^/  mon: /'
				# Debian's System.map is a stub, but L1 runs the same kernel:
				# its kallsyms less the KASLR slide name the (nokaslr) L2 RIP.
				# The RIP, then every kernel-text address among the 96 stack words
				# (return addresses: the call chain that took the lock).
				addrs=$( (tr -d '\r' </tmp/mon.log | sed -n 's/^RIP=\([0-9a-f]*\).*/\1/p' | head -n 1
					tr -d '\r' </tmp/mon.log | grep -o '0xffffffff8[0-9a-f]*' | sed 's/^0x//') |
					awk '!seen[$0]++' | head -n 24 | tr '\n' ' ')
				[ -z "$addrs" ] || awk -v addrs="$addrs" '
					function hex(s,  i, v) { v = 0; s = tolower(substr(s, length(s) - 7))
						for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
						return v }
					BEGIN { n = split(addrs, rip, " ") }
					$3 == "_text" { slide = hex($1) - hex("ffffffff81000000")
						for (k = 1; k <= n; k++) want[k] = hex(rip[k]) + slide }
					$2 ~ /^[tT]$/ && NF == 3 && slide != "" { a = hex($1)
						for (k = 1; k <= n; k++) if (a <= want[k] && a > best[k]) { best[k] = a; name[k] = $3 } }
					END { printf "  rip:"; for (k = 1; k <= n; k++) printf " %s+0x%x", name[k], want[k] - best[k]; print "" }' /proc/kallsyms
			fi
		done
		echo "RESULT $name: $ok/$trials"
	done
	[ -z "$after" ] || (cd "$HARNESS_REPO_DIR" && bash -c "$after")
	exit 0
fi

while [ $# -gt 0 ]; do
	case $1 in
	--trials) trials=$2; shift 2 ;;
	--trial-timeout) trial_timeout=$2; shift 2 ;;
	--vm-timeout) vm_timeout=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--after) after=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "usage: see $0" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- 'base||||'

cache=${KVM_VM_CACHE:-$repo/build-vm}
kdir=$cache/$(cat "$cache/kernel-package")
kver=${kdir##*/linux-image-}
moddir=$kdir/lib/modules/$kver
busybox=$cache/busybox/bin/busybox
mkdir -p "$work"
cp "$kdir/boot/vmlinuz-$kver" "$work/vmlinuz"

# The L2 initramfs: busybox and the virtio-blk modules, dependencies first.
root=$(mktemp -d "$work/l2root.XXXXXX")
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/mod"
cp "$busybox" "$root/bin/busybox"
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk; do
	f=$(find "$moddir/kernel/drivers" -name "$m.ko*" | head -n 1)
	case $f in
	*.xz) xz -dc "$f" ;;
	*.zst) zstd -qdc "$f" ;;
	*) cat "$f" ;;
	esac >"$root/mod/$m.ko"
	echo "$m" >>"$root/mod/list"
done
cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
echo "L2-INIT up=$(cut -d' ' -f1 /proc/uptime)"
sleep 1
echo "L2-SLEPT up=$(cut -d' ' -f1 /proc/uptime)"
for m in $(cat /mod/list); do insmod /mod/$m.ko; done
n=0
while [ ! -b /dev/vda ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
dd if=/dev/vda of=/dev/null bs=4096 count=256 iflag=direct 2>/dev/null &&
	echo "L2-IO up=$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
EOF
chmod 755 "$root/init"
(cd "$root" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc 2>/dev/null) |
	gzip -1 >"$work/l2-initrd.cpio.gz"
rm -rf "$root"

out=$(mktemp "$work/trials.XXXXXX")
set +e
"$repo/scripts/kvm-vm.sh" --timeout "$vm_timeout" -- \
	env HARNESS_L2_DIR="$work" HARNESS_REPO_DIR="$repo" bash "$repo/tests/harness/linux-l2-trials.sh" --in-vm \
	"$trials" "$trial_timeout" "$after" "$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
set -e
echo "L1: thread=${KVM_VM_TCG_THREAD:-single} cpu=${KVM_VM_CPU:-max} append='${KVM_VM_APPEND:-}' qemu='${KVM_VM_QEMU_ARGS:-}'" | tee -a "$out"
grep -E '^(RESULT|L1:)' "$out"
[ -z "$log" ] || cp "$out" "$log"
rm -f "$out"
exit "$rc"
