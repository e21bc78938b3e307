#!/bin/bash
# kvm-vm.sh: run a command from this build tree inside a throw-away Linux VM
# that has a working /dev/kvm.
#
# Usage: scripts/kvm-vm.sh [--mem MiB] [--timeout SEC] [--verbose] -- COMMAND [ARGS...]
#        scripts/kvm-vm.sh --print-kernel
#
# --print-kernel fetches the cache's Debian kernel and busybox if needed and prints three
# lines: the vmlinuz, its module directory and the static busybox (scripts/linux-guest.sh
# builds Splitvisor's Linux test guest from them).
#
# Why: the development and CI machines are themselves guests without nested
# virtualisation (no /dev/kvm), so nothing that talks to KVM can be tested on
# them directly.  QEMU's software CPU emulator (TCG) implements AMD SVM, so a
# Debian kernel booted under TCG can load kvm_amd and offer /dev/kvm.  It is
# slow (every guest instruction is emulated, the nested guest twice over), but
# it runs the real KVM code paths.
#
# The VM sees the host's /usr and /etc read-only and the repository read-write,
# all over virtio-9p and at their host paths, so binaries built on the host run
# unchanged (same dynamic libraries, same absolute build paths).  The repository
# may lie anywhere, also below /tmp or /root, which are empty tmpfs in the VM:
# it is mounted after them.  Where the caller reached it through a symbolic
# link, that path is a link to it in the VM too.  Nothing else of the host is
# exported; a build tree outside the repository is not visible.  The command
# runs as root in the caller's working directory if that lies inside the
# repository, else in the repository root.
#
# Exit status: COMMAND's own status; 124 if --timeout expired; 125 if the
# harness itself failed (no QEMU, VM did not boot, kvm_amd did not load, ...).
#
# First use downloads Debian's kernel and busybox-static packages (apt-get
# download, no installation on the host) into the cache directory and builds
# an initramfs; later runs reuse it.  Cache: $KVM_VM_CACHE, default
# <repo>/build-vm (git-ignored).  Delete it to pick up a newer kernel.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd -P)
# The same directory as the caller reached it (through symbolic links, maybe).
repo_link=$(cd -L "$(dirname "$0")/.." && pwd -L)
cache=${KVM_VM_CACHE:-$repo/build-vm}
mem=2048
timeout_s=1800
verbose=0
print_kernel=0

die() {
	echo "kvm-vm: $*" >&2
	exit 125
}

usage() {
	echo "usage: $0 [--mem MiB] [--timeout SEC] [--verbose] -- COMMAND [ARGS...]" >&2
	exit 125
}

while [ $# -gt 0 ]; do
	case $1 in
	--mem) [ $# -ge 2 ] || usage; mem=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
	--verbose) verbose=1; shift ;;
	--print-kernel) print_kernel=1; shift ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[ $# -gt 0 ] || [ $print_kernel = 1 ] || usage
case $mem$timeout_s in *[!0-9]*) usage ;; esac

# ---------------------------------------------------------------------------
# The /init of the initramfs.  It is embedded here (not a separate file) so the
# cache stamp below, a hash of this script, notices when it changes.
# Per-run settings come from the "run" 9p share: config (sourced) and cmd.
# ---------------------------------------------------------------------------
read -r -d '' init_script <<'EOF' || true
#!/harness/bin/sh
export PATH=/harness/bin

fail() {
	echo "kvm-vm(guest): $*"
	dmesg | tail -n 25
	echo "HARNESS-ERROR=$*"
	poweroff -f
	reboot -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# The serial console would otherwise turn every \n into \r\n in the output.
stty -F /dev/console -onlcr 2>/dev/null

# Modules are listed dependencies-first, so plain insmod suffices and the
# initramfs needs no modules.dep.
while read -r m; do
	insmod "/harness/modules/$m.ko" || fail "insmod $m failed"
done </harness/modules.list
[ -c /dev/kvm ] || fail "/dev/kvm missing after loading kvm_amd"

p9="trans=virtio,version=9p2000.L,msize=512000"
mount -t 9p -o "$p9,ro" run /harness/run || fail "cannot mount run share"
. /harness/run/config
mount -t 9p -o "$p9,ro" usr /usr || fail "cannot mount /usr"
mount -t 9p -o "$p9,ro" etc /etc || fail "cannot mount /etc"
# The scratch directories before the repository, so that a repository below
# one of them (a clone in /tmp or /root) is mounted on the tmpfs, not hidden
# under it.
for d in /tmp /run /var/tmp /root; do
	mount -t tmpfs -o mode=1777 tmpfs "$d" || fail "cannot mount a tmpfs on $d"
done
chmod 700 /root
mkdir -p "$HARNESS_REPO" || fail "cannot create $HARNESS_REPO"
mount -t 9p -o "$p9,rw" repo "$HARNESS_REPO" || fail "cannot mount the repository on $HARNESS_REPO"
# The path the caller named the repository by, where symbolic links make it
# differ: a build tree configured through it has that path compiled in.
if [ "$HARNESS_REPO_LINK" != "$HARNESS_REPO" ] && [ ! -e "$HARNESS_REPO_LINK" ]; then
	{ mkdir -p "$(dirname "$HARNESS_REPO_LINK")" && ln -s "$HARNESS_REPO" "$HARNESS_REPO_LINK"; } ||
		echo "kvm-vm(guest): warning: cannot link $HARNESS_REPO_LINK to $HARNESS_REPO"
fi
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
ln -sf /proc/self/fd /dev/fd
# Loopback lets tests bind 127.0.0.1; there is no other network.
ip link set lo up 2>/dev/null

cd "$HARNESS_CWD" || fail "cannot cd to $HARNESS_CWD"
# The host's bash, not busybox: busybox sh would run its own applets in place
# of the host's tools, and bash reads the %q quoting that cmd is written in.
env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	/bin/bash /harness/run/cmd
rc=$?
sync
echo
echo "HARNESS-EXIT=$rc"
poweroff -f
reboot -f
EOF

# Modules to put in the initramfs; their dependencies are added automatically. tun, veth
# and bridge let the network tests make TAP devices and veth pairs in their namespaces.
want_modules=(kvm-amd 9pnet_virtio 9p virtio_pci tun veth bridge)

# ---------------------------------------------------------------------------
# Cache preparation.  Everything is keyed so that a second run does no apt
# work at all: the kernel package name is resolved once and remembered.
# ---------------------------------------------------------------------------
bb_ver_dir=$cache/busybox
prepare_kernel() {
	local pkg dl
	if [ -s "$cache/kernel-package" ]; then
		pkg=$(cat "$cache/kernel-package")
	else
		pkg=${KVM_VM_KERNEL_PKG:-}
		if [ -z "$pkg" ]; then
			pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
				sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1)
		fi
		if [ -z "$pkg" ]; then
			# apt lists missing or stale: refresh once and retry.
			apt-get update -qq >&2 || die "apt-get update failed"
			pkg=$(apt-cache depends linux-image-amd64 |
				sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1)
		fi
		[ -n "$pkg" ] || die "cannot resolve the Debian kernel package"
	fi
	kdir=$cache/$pkg
	if [ ! -e "$kdir/.done" ]; then
		echo "kvm-vm: fetching $pkg and busybox-static (first use)" >&2
		rm -rf "$kdir" "$bb_ver_dir"
		dl=$cache/download
		mkdir -p "$dl" "$kdir" "$bb_ver_dir"
		# apt-get download writes into the current directory, which apt's
		# _apt sandbox user usually cannot write to; apt then falls back to
		# root with a warning, so ask for root directly.
		(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg" busybox-static >&2) ||
			die "apt-get download failed"
		dpkg -x "$dl"/linux-image-*.deb "$kdir"
		dpkg -x "$dl"/busybox-static_*.deb "$bb_ver_dir"
		rm -rf "$dl"
		touch "$kdir/.done"
	fi
	echo "$pkg" >"$cache/kernel-package"
	kver=${pkg#linux-image-}
	vmlinuz=$kdir/boot/vmlinuz-$kver
	moddir=$kdir/lib/modules/$kver
	busybox=$bb_ver_dir/bin/busybox
	if [ ! -f "$vmlinuz" ] || [ ! -d "$moddir" ] || [ ! -x "$busybox" ]; then
		die "cache $kdir is incomplete; delete $cache and retry"
	fi
}

# Path of a module (relative to $moddir) by name; - and _ are interchangeable.
module_path() {
	local re=${1//[-_]/[-_]}
	grep -E "(^|/)$re\.ko(\.xz|\.zst|\.gz)?\$" "$moddir/modules.order" | head -n 1
}

# Print a module's dependencies, then the module itself, depth-first, each
# once.  The depends= field of .modinfo is read directly: Debian's package
# ships no modules.dep (depmod runs at install time) and kmod may be absent.
resolve_modules() {
	local m p d
	for m in "$@"; do
		p=$(module_path "$m")
		[ -n "$p" ] || die "module $m not found in $moddir"
		case " $seen " in *" $p "*) continue ;; esac
		seen="$seen $p"
		d=$(decompress_module "$moddir/$p" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' ')
		# shellcheck disable=SC2086
		[ -z "$d" ] || resolve_modules $d
		echo "$p"
	done
}

decompress_module() {
	case $1 in
	*.ko.xz) xz -dc "$1" ;;
	*.ko.zst) zstd -qdc "$1" ;;
	*.ko.gz) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac
}

prepare_initramfs() {
	local stamp root m name mods
	stamp=$( (sha256sum "$0" | cut -d' ' -f1; echo "$kver") | sha256sum | cut -c1-16)
	initrd=$cache/initramfs-$stamp.cpio.gz
	[ -s "$initrd" ] && return 0

	echo "kvm-vm: building initramfs" >&2
	root=$(mktemp -d "$cache/initramfs.XXXXXX")
	mkdir -p "$root"/harness/bin "$root"/harness/modules "$root"/harness/run \
		"$root"/proc "$root"/sys "$root"/dev "$root"/usr "$root"/etc \
		"$root"/tmp "$root"/run "$root"/var/tmp "$root"/root
	# The host is merged-/usr (Debian 12), so these links make the host's
	# /usr, mounted over 9p, a complete userland.
	for m in bin sbin lib lib32 lib64; do
		ln -s "usr/$m" "$root/$m"
	done
	cp "$busybox" "$root/harness/bin/busybox"
	for m in $("$busybox" --list); do
		[ "$m" = busybox ] || ln -s busybox "$root/harness/bin/$m"
	done
	seen=""
	: >"$root/harness/modules.list"
	# busybox insmod cannot read compressed modules: store them plain.
	# An assignment, so that a die() inside the substitution stops us.
	mods=$(resolve_modules "${want_modules[@]}")
	for m in $mods; do
		name=$(basename "$m")
		name=${name%%.ko*}
		decompress_module "$moddir/$m" >"$root/harness/modules/$name.ko"
		echo "$name" >>"$root/harness/modules.list"
	done
	printf '%s\n' "$init_script" >"$root/init"
	chmod 755 "$root/init"
	(cd "$root" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc 2>/dev/null) |
		gzip -1 >"$initrd.tmp"
	mv "$initrd.tmp" "$initrd"
	rm -rf "$root"
	# Old initramfs images are of no further use.
	find "$cache" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "$(basename "$initrd")" -delete
}

command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 missing (apt-get install --no-install-recommends qemu-system-x86)"
mkdir -p "$cache"
# Parallel runs (e.g. ctest -j) must not build the cache at the same time.
exec 9>"$cache/.lock"
flock 9
prepare_kernel
if [ $print_kernel = 1 ]; then
	printf '%s\n' "$vmlinuz" "$moddir" "$busybox"
	exit 0
fi
prepare_initramfs
flock -u 9
exec 9>&-

# ---------------------------------------------------------------------------
# Per-run share: the command (quoted with printf %q so any argument survives)
# and where to run it.
# ---------------------------------------------------------------------------
cwd=$(pwd -P)
case $cwd/ in "$repo"/*) ;; *) cwd=$repo ;; esac
rundir=$(mktemp -d "${TMPDIR:-/tmp}/kvm-vm.XXXXXX")
trap 'rm -rf "$rundir"' EXIT
printf 'HARNESS_REPO=%q\nHARNESS_REPO_LINK=%q\nHARNESS_CWD=%q\n' "$repo" "$repo_link" "$cwd" >"$rundir/config"
printf 'exec' >"$rundir/cmd"
printf ' %q' "$@" >>"$rundir/cmd"
echo >>"$rundir/cmd"
chmod -R a+rX "$rundir"

append="console=ttyS0 panic=-1 tsc=reliable"
[ "$verbose" = 1 ] || append="$append quiet loglevel=3"
# Knobs for experiments with the harness itself (docs/testing-on-kvm.md,
# "Linux guests in the harness"): extra kernel parameters, another CPU model and
# vCPUs, extra QEMU options (split at white space).
[ -z "${KVM_VM_APPEND:-}" ] || append="$append $KVM_VM_APPEND"
read -r -a qemu_extra <<<"${KVM_VM_QEMU_ARGS:-}"

# Why these options:
#  -cpu max:       everything TCG can emulate, in particular SVM with nested
#                  paging, so kvm_amd runs with npt=1 as on real AMD hardware.
#  thread=single:  multi-threaded TCG wedged the VM (a vCPU stuck inside the
#                  emulated VMRUN) in about one run in ten of our KVM tests,
#                  single-threaded TCG never did in our trials and was not slower
#                  for them. KVM_VM_TCG_THREAD=multi brings the other back.
#  qboot, -nodefaults: no SeaBIOS banner or escape codes on the console, no
#                  NIC/VGA option ROMs; about a second less per boot.
#  tsc=reliable:   under TCG the clocksource watchdog may otherwise distrust
#                  the TSC and print warnings into the command's output.
#  multidevs=remap: /usr or the repo may span several host filesystems.
#  path=${1//,/,,}: QEMU reads a doubled comma as a comma in an option value.
#  stdin:          /dev/null, so QEMU never puts a terminal into raw mode and
#                  Ctrl-C stops QEMU instead of going to the guest.
share() {
	echo "local,path=${1//,/,,},mount_tag=$2,security_model=none,multidevs=remap${3:+,$3}"
}
# shellcheck disable=SC2054 # the commas are QEMU's, not array separators
qemu=(qemu-system-x86_64
	-machine q35 -accel tcg,thread="${KVM_VM_TCG_THREAD:-single}" -cpu "${KVM_VM_CPU:-max}" -smp "${KVM_VM_SMP:-2}" -m "$mem"
	-bios qboot.rom -nodefaults -nographic -no-reboot -serial stdio
	-kernel "$vmlinuz" -initrd "$initrd" -append "$append"
	-virtfs "$(share "$rundir" run readonly=on)"
	-virtfs "$(share /usr usr readonly=on)"
	-virtfs "$(share /etc etc readonly=on)"
	-virtfs "$(share "$repo" repo)"
	${qemu_extra[@]+"${qemu_extra[@]}"})

log=$rundir/console.log
set +e
timeout --kill-after=10 "$timeout_s" "${qemu[@]}" </dev/null 2>&1 | tee "$log"
rcs=("${PIPESTATUS[@]}")
set -e
qrc=${rcs[0]}

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "kvm-vm: timed out after ${timeout_s}s" >&2
	exit 124
fi
exit_line=$(tr -d '\r' <"$log" | sed -n 's/^HARNESS-EXIT=\([0-9][0-9]*\)$/\1/p' | tail -n 1)
if [ -z "$exit_line" ]; then
	err=$(tr -d '\r' <"$log" | sed -n 's/^HARNESS-ERROR=//p' | tail -n 1)
	[ -z "$err" ] || die "VM setup failed: $err"
	die "VM ended without reporting an exit code (qemu status $qrc)"
fi
exit "$exit_line"
