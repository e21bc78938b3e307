#!/bin/sh
# Installs what the build and the tests need, from Debian's packages only.
# Idempotent: when everything is present it returns without touching apt.
# qemu-system-x86 serves scripts/kvm-vm.sh, which runs the KVM tests in a
# QEMU VM with nested KVM on machines that have no /dev/kvm of their own.
# libext2fs-dev reads guest disks for <bootloader>; e2fsprogs (mkfs.ext4) and
# fdisk (sfdisk) make the bootloader tests' images. liblzma, zlib, libzstd, liblz4 and libbz2
# decompress Linux bzImage payloads (hypervisor/linux_image.c).
set -eu

pkgs="build-essential cmake pkg-config libxml2-dev libxml2-utils check libvirt0 \
liburing-dev libseccomp-dev libnbd-dev qemu-utils clang libclang-rt-14-dev clang-format iproute2 \
iputils-ping python3-minimal qemu-system-x86 libvirt-clients python3-libvirt gnuplot-nox libext2fs-dev \
e2fsprogs fdisk liblzma-dev zlib1g-dev libzstd-dev liblz4-dev libbz2-dev"

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
