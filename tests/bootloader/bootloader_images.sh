#!/bin/sh
# The bootloader on real ext4 images made here (mkfs.ext4 -d, sfdisk): whole disk, MBR and
# GPT, pygrub's arguments, GRUB legacy, and hostile images that must be refused with a clear
# message. No /dev/kvm needed: svctl bootloader extracts what a domain would boot.
# Usage: bootloader_images.sh SVCTL GUEST_KERNEL. Exits 77 (ctest SKIP) without e2fsprogs.
set -u
svctl=$1
guest=$2
PATH=$PATH:/usr/sbin:/sbin
for tool in mkfs.ext4 sfdisk debugfs dumpe2fs; do
	command -v $tool >/dev/null || { echo "SKIP: $tool missing (scripts/install-deps.sh)"; exit 77; }
done
[ -f "$guest" ] || { echo "FAIL: no guest kernel at $guest"; exit 1; }

dir=$(mktemp -d /tmp/sv-bl-XXXXXX)
trap 'rm -rf "$dir"' EXIT
out=$dir/out.txt
errf=$dir/err.txt
case=setup

fail() {
	echo "FAIL ($case): $*"
	echo "--- stdout"; cat "$out"
	echo "--- stderr"; cat "$errf"
	exit 1
}

# tree NAME: a fresh root directory for an image, with the guest kernel, an initrd and /etc.
tree() {
	t=$dir/$1
	mkdir -p "$t/boot/grub" "$t/etc"
	cp "$guest" "$t/boot/vmlinuz-sv"
	head -c 300000 /dev/urandom >"$t/boot/initrd.img-sv"
	echo image-passwd >"$t/etc/passwd"
	echo image-hostname >"$t/etc/hostname"
	ln -s boot/vmlinuz-sv "$t/vmlinuz"
	echo "$t"
}

# image TREE FILE [SIZE]: an ext4 filesystem of TREE as FILE.
image() {
	rm -f "$2"
	truncate -s "${3:-32M}" "$2"
	mkfs.ext4 -q -F -d "$1" "$2" >"$errf" 2>&1 || fail "mkfs.ext4 failed"
}

# boot EXPECTED_RC DISK [ARGS]: svctl bootloader into $dir/x, in svctl itself (where a
# sanitizer build sees every leak) and then in its limited child, as svdom0 runs it.
boot() {
	want=$1
	shift
	for mode in --in-process ""; do
		rm -rf "$dir/x"
		# shellcheck disable=SC2086
		timeout 120 "$svctl" bootloader --out "$dir/x" $mode "$@" >"$out" 2>"$errf"
		rc=$?
		[ "$rc" -eq "$want" ] ||
			fail "exit code $rc, expected $want (svctl bootloader $mode $*)"
	done
}

expect_out() { grep -q -- "$1" "$out" || fail "stdout lacks '$1'"; }
expect_err() { grep -q -- "$1" "$errf" || fail "stderr lacks '$1'"; }
same() { cmp -s "$1" "$2" || fail "$1 differs from $2"; }

cfg_hello='set default="0"
if [ x"${feature_menuentry_id}" = xy ]; then
  menuentry_id_option="--id"
else
  menuentry_id_option=""
fi
function load_video {
  insmod all_video
}
menuentry "Splitvisor hello" --class os $menuentry_id_option "sv-hello" {
	load_video
	set root="hd0,msdos1"
	linux	/vmlinuz hello
	initrd	/boot/initrd.img-sv
}
submenu "Advanced" {
	menuentry "spin" {
		linux ($root)/boot/vmlinuz-sv spin
	}
}'

case=whole-disk
t=$(tree good)
printf '%s\n' "$cfg_hello" >"$t/boot/grub/grub.cfg"
image "$t" "$dir/fs.img"
boot 0 "$dir/fs.img"
expect_out "source: the whole disk (ext4): /boot/grub/grub.cfg"
expect_out "title: Splitvisor hello"
expect_out "cmdline: hello$"
same "$dir/x/kernel" "$guest"
same "$dir/x/initrd" "$t/boot/initrd.img-sv"

case=mbr
truncate -s 40M "$dir/mbr.img"
printf 'label: dos\nstart=2048, size=65536, type=83\n' | sfdisk -q "$dir/mbr.img" >"$errf" 2>&1 ||
	fail "sfdisk failed"
dd if="$dir/fs.img" of="$dir/mbr.img" bs=1M seek=1 conv=notrunc status=none
boot 0 "$dir/mbr.img"
expect_out "source: partition 1 (ext4)"
same "$dir/x/kernel" "$guest"
same "$dir/x/initrd" "$t/boot/initrd.img-sv"

case=gpt
truncate -s 40M "$dir/gpt.img"
printf 'label: gpt\nstart=2048, size=65536\n' | sfdisk -q "$dir/gpt.img" >"$errf" 2>&1 ||
	fail "sfdisk failed"
dd if="$dir/fs.img" of="$dir/gpt.img" bs=1M seek=1 conv=notrunc status=none
boot 0 "$dir/gpt.img"
expect_out "source: partition 1 (ext4)"
same "$dir/x/kernel" "$guest"

case=entry
boot 0 "$dir/mbr.img" "--entry=1"
expect_out "title: spin"
expect_out "cmdline: spin$"
expect_out "initrd: $"
same "$dir/x/kernel" "$guest"
[ -e "$dir/x/initrd" ] && fail "an initrd left from nothing"
boot 0 "$dir/mbr.img" "--entry=Advanced>spin"
expect_out "title: spin"
boot 0 "$dir/mbr.img" "-q --entry='Splitvisor hello' --args='selftest 1'"
expect_out "cmdline: selftest 1$"
boot 0 "$dir/fs.img" "--kernel=/boot/vmlinuz-sv --ramdisk=/boot/initrd.img-sv --args=exit"
expect_out "cmdline: exit$"
same "$dir/x/initrd" "$t/boot/initrd.img-sv"
# unquoted, the second word of the arguments is a stray argument of pygrub's
boot 65 "$dir/fs.img" "--kernel=/boot/vmlinuz-sv --args=exit 3"
expect_err "bootloader_args: '3' is not supported"
boot 0 "$dir/fs.img" "--kernel=/boot/vmlinuz-sv --args=\"exit 3\""
expect_out "cmdline: exit 3$"
same "$dir/x/kernel" "$guest"
boot 65 "$dir/fs.img" "--entry=7"
expect_err "no menu entry '7': the menu has 2"
boot 65 "$dir/fs.img" "--output=/tmp/x"
expect_err "bootloader_args: '--output=/tmp/x' is not supported"

# qcow2 (qemu-img convert of the raw images): read through QEMU's storage daemon and NBD,
# the same files out; no daemon outlives a call, refused ones included.
no_daemon() {
	pgrep -f "$dir/" >/dev/null && fail "a process naming $dir outlived svctl bootloader"
	return 0
}
if command -v qemu-img >/dev/null && command -v qemu-storage-daemon >/dev/null; then
	case=qcow2
	qemu-img convert -f raw -O qcow2 "$dir/mbr.img" "$dir/mbr.qcow2" >"$errf" 2>&1 ||
		fail "qemu-img convert failed"
	qemu-img convert -f raw -O qcow2 "$dir/fs.img" "$dir/fs.qcow2" >"$errf" 2>&1 ||
		fail "qemu-img convert failed"
	boot 0 --format qcow2 "$dir/mbr.qcow2"
	expect_out "source: partition 1 (ext4): /boot/grub/grub.cfg"
	expect_out "title: Splitvisor hello"
	same "$dir/x/kernel" "$guest"
	same "$dir/x/initrd" "$t/boot/initrd.img-sv"
	no_daemon
	boot 0 --format qcow2 "$dir/fs.qcow2" "--entry=1"
	expect_out "source: the whole disk (ext4)"
	expect_out "title: spin"
	same "$dir/x/kernel" "$guest"
	no_daemon
	boot 0 --format raw "$dir/mbr.img"
	expect_out "source: partition 1 (ext4)"

	case=qcow2-hostile
	# A raw image said to be qcow2: QEMU's own reason, never a guess at the format.
	boot 65 --format qcow2 "$dir/mbr.img"
	expect_err "$dir/mbr.img: qemu-img check cannot read it as qcow2: .*not in qcow2 format"
	no_daemon
	# Truncated: QEMU would read the missing clusters as zeros; qemu-img check refuses it.
	head -c 1M "$dir/mbr.qcow2" >"$dir/trunc.qcow2"
	boot 65 --format qcow2 "$dir/trunc.qcow2"
	expect_err "$dir/trunc.qcow2: qemu-img check finds the qcow2 image damaged (truncated?): ERROR"
	no_daemon
	# A refcount table entry pointing past the end of the file.
	cp "$dir/mbr.qcow2" "$dir/corrupt.qcow2"
	rt=$(od -An -t u8 -j 48 -N 8 --endian=big "$dir/corrupt.qcow2" | tr -d ' ')
	printf '\177\377\377\377\377\377\000\000' |
		dd of="$dir/corrupt.qcow2" bs=1 seek="$rt" conv=notrunc status=none
	boot 65 --format qcow2 "$dir/corrupt.qcow2"
	expect_err "$dir/corrupt.qcow2: qemu-img check"
	no_daemon
	boot 65 --format vmdk "$dir/mbr.qcow2"
	expect_err "unknown disk format 'vmdk'"
	mkfifo "$dir/fifo-q"
	boot 65 --format qcow2 "$dir/fifo-q"
	expect_err "the disk $dir/fifo-q is not a regular file$"
else
	echo "qcow2 cases skipped: qemu-img or qemu-storage-daemon missing"
fi

# GRUB_DEFAULT=saved: grubenv beside grub.cfg names the entry (grub-editenv's format).
case=grubenv
t=$(tree grubenv)
{
	printf 'if [ -s $prefix/grubenv ]; then\n  load_env\nfi\n'
	printf 'set default="${saved_entry}"\n'
	printf '%s\n' "$cfg_hello"
} | sed '/^set default="0"$/d' >"$t/boot/grub/grub.cfg"
{ printf '# GRUB Environment Block\nsaved_entry=Advanced>spin\n'; head -c 980 /dev/zero | tr '\0' '#'; } \
	>"$t/boot/grub/grubenv"
image "$t" "$dir/grubenv.img"
boot 0 "$dir/grubenv.img"
expect_out "title: spin"
expect_out "cmdline: spin$"

case=legacy
t=$(tree legacy)
printf 'default 1\ntitle a\n kernel /nope\ntitle b\n root (hd0,0)\n kernel /vmlinuz hello\n' \
	>"$t/boot/grub/menu.lst"
image "$t" "$dir/legacy.img"
boot 0 "$dir/legacy.img"
expect_out "source: the whole disk (ext4): /boot/grub/menu.lst"
expect_out "title: b"
same "$dir/x/kernel" "$guest"

# Paths resolve inside the image: ".." stops at its root, absolute links start from it.
case=escape
t=$(tree escape)
ln -s /etc/hostname "$t/boot/abs-link"
ln -s /usr/bin/env "$t/boot/host-only"
ln -s loop2 "$t/boot/loop1"
ln -s loop1 "$t/boot/loop2"
cat >"$t/boot/grub/grub.cfg" <<'CFG'
menuentry dotdot { linux /boot/../../../../etc/passwd; }
menuentry abs { linux /boot/abs-link; }
menuentry host { linux /boot/host-only; }
menuentry loop { linux /boot/loop1; }
menuentry missing { linux /boot/vmlinuz-nope; }
menuentry dir { linux /boot; }
CFG
image "$t" "$dir/escape.img"
boot 0 "$dir/escape.img" "--entry=0"
same "$dir/x/kernel" "$t/etc/passwd"
boot 0 "$dir/escape.img" "--entry=1"
same "$dir/x/kernel" "$t/etc/hostname"
boot 65 "$dir/escape.img" "--entry=2"
expect_err "/boot/host-only: 'usr' does not exist in the image"
boot 65 "$dir/escape.img" "--entry=3"
expect_err "/boot/loop1: more than 8 symbolic links"
boot 65 "$dir/escape.img" "--entry=4"
expect_err "/boot/vmlinuz-nope: 'vmlinuz-nope' does not exist in the image"
[ -e "$dir/x/kernel" ] && fail "a refused extraction left its kernel"
boot 65 "$dir/escape.img" "--entry=5"
expect_err "/boot is not a regular file in the image"

case=huge-config
t=$(tree huge)
{ printf '%s\n' "$cfg_hello"; head -c 2000000 /dev/zero | tr '\0' '#'; } >"$t/boot/grub/grub.cfg"
image "$t" "$dir/huge.img"
boot 65 "$dir/huge.img"
expect_err "/boot/grub/grub.cfg is 20.* bytes: more than the 1048576 allowed"

case=loop-config
t=$(tree loopcfg)
printf 'configfile /boot/grub/grub.cfg\n' >"$t/boot/grub/grub.cfg"
image "$t" "$dir/loopcfg.img"
boot 65 "$dir/loopcfg.img"
expect_err "grub.cfg:1: source and configfile nested more than 8 deep"

case=huge-kernel
t=$(tree hugekernel)
truncate -s 300M "$t/boot/vmlinuz-sv"
printf 'menuentry big { linux /boot/vmlinuz-sv; }\n' >"$t/boot/grub/grub.cfg"
image "$t" "$dir/hugekernel.img" 400M
boot 65 "$dir/hugekernel.img"
expect_err "/boot/vmlinuz-sv is 314572800 bytes: more than the 268435456 allowed"
rm -f "$dir/hugekernel.img"

case=truncated
head -c 20M "$dir/fs.img" >"$dir/trunc.img"
boot 65 "$dir/trunc.img"
expect_err "claims 33554432 bytes but only 20971520 are there (truncated image?)"
head -c 30M "$dir/mbr.img" >"$dir/trunc-mbr.img"
boot 65 "$dir/trunc-mbr.img"
expect_err "MBR partition 1 (sectors 2048-67583) lies outside the 31457280-byte disk"

case=corrupt-directory
bs=$(dumpe2fs -h "$dir/fs.img" 2>/dev/null | awk -F: '/^Block size/ { print $2 + 0 }')
blk=$(debugfs -R "blocks /boot/grub" "$dir/fs.img" 2>/dev/null | awk '{ print $1 }')
[ -n "$bs" ] && [ -n "$blk" ] || fail "cannot find /boot/grub's block"
cp "$dir/fs.img" "$dir/corrupt.img"
head -c "$bs" /dev/urandom | dd of="$dir/corrupt.img" bs="$bs" seek="$blk" conv=notrunc status=none
boot 65 "$dir/corrupt.img"
expect_err "/boot/grub/grub.cfg: 'grub.cfg' cannot be looked up: Directory block checksum does not match"

case=no-config
t=$(tree nocfg)
image "$t" "$dir/nocfg.img"
boot 65 "$dir/nocfg.img"
expect_err "no GRUB configuration found; the whole disk: ext4 without /boot/grub/grub.cfg"

case=other-fs
truncate -s 8M "$dir/xfs.img"
printf 'label: dos\nstart=2048, type=83\n' | sfdisk -q "$dir/xfs.img" >"$errf" 2>&1
printf 'XFSB' | dd of="$dir/xfs.img" bs=1 seek=1048576 conv=notrunc status=none
boot 65 "$dir/xfs.img"
expect_err "partition 1: xfs (only ext2/3/4 are read)"
boot 65 "$dir/nosuch.img"
expect_err "cannot open the disk $dir/nosuch.img: No such file or directory"
mkfifo "$dir/fifo"
boot 65 "$dir/fifo"
expect_err "the disk $dir/fifo is not a regular file or a block device"

echo "PASS: bootloader images"
