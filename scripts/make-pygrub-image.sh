#!/bin/sh
# make-pygrub-image.sh IMAGE [KERNEL]: a raw disk image for examples/pygrub.xml: an MBR with
# one partition holding an ext4 filesystem (made by mkfs.ext4 -d, no root needed) with the
# guest kernel in /boot and a /boot/grub/grub.cfg whose default entry runs the hello app
# (the second entry, in a submenu, runs spin). KERNEL defaults to build/guest/splitvisor-guest.
set -eu
image=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
kernel=${2:-$repo/build/guest/splitvisor-guest}
PATH=$PATH:/usr/sbin:/sbin
[ -f "$kernel" ] || { echo "make-pygrub-image: no kernel at $kernel" >&2; exit 1; }

tree=$(mktemp -d)
fs=$(mktemp)
trap 'rm -rf "$tree" "$fs"' EXIT
mkdir -p "$tree/boot/grub"
cp "$kernel" "$tree/boot/vmlinuz-splitvisor"
ln -s boot/vmlinuz-splitvisor "$tree/vmlinuz"
cat >"$tree/boot/grub/grub.cfg" <<'CFG'
set default="0"
set timeout=5
menuentry 'Splitvisor guest (hello)' --class os {
	insmod ext2
	set root='hd0,msdos1'
	linux /vmlinuz hello
}
submenu 'Advanced options' {
	menuentry 'Splitvisor guest (spin)' {
		linux /boot/vmlinuz-splitvisor spin
	}
}
CFG
truncate -s 16M "$fs"
mkfs.ext4 -q -F -d "$tree" "$fs"
rm -f "$image"
truncate -s 17M "$image"
printf 'label: dos\nstart=2048, type=83\n' | sfdisk -q "$image"
dd if="$fs" of="$image" bs=1M seek=1 conv=notrunc status=none
