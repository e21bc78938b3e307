#!/bin/sh
# Sets up, builds, and boots the demo guests in the foreground, their consoles on stdout:
# examples/hello.xml with `svctl run`, then examples/disk.xml (blktest on a fresh image)
# through the daemons, since its disk is served by blkback in the control domain, then
# examples/net-echo.xml and examples/net.xml: two guests on one switch, one pinging the other.
# Without hardware KVM on this machine (no /dev/kvm, or a software one without vmx/svm,
# see docs/testing-on-kvm.md), the guests boot inside a QEMU VM with nested KVM
# (scripts/kvm-vm.sh): slower, but the same svctl and the same guests.
#
# scripts/demo.sh --linux boots examples/linux.xml instead: Debian's kernel (from
# scripts/linux-guest.sh) with a fresh 64 MiB disk and a vif, and gives its busybox shell
# (hvc0) to svctl console; in the QEMU VM, where there is no terminal to give, it types a
# few commands into the shell instead and prints what came back.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build >/dev/null
if [ "${1:-}" = --linux ]; then
	scripts/linux-guest.sh
	rm -f build/examples/linux-disk.img
	truncate -s 64M build/examples/linux-disk.img
	demo='set -e
export SPLITVISOR_RUN_DIR=$(mktemp -d)
trap "build/dom0-tools/svctl daemons stop >/dev/null 2>&1; rm -rf \"$SPLITVISOR_RUN_DIR\"" EXIT
build/dom0-tools/svctl create build/examples/linux.xml
'
	if [ -c /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
		exec sh -c "$demo build/dom0-tools/svctl console linux"
	fi
	echo "demo: no hardware KVM here; booting inside a QEMU VM with nested KVM" >&2
	typed='until grep -q "sv-linux: shell" "$SPLITVISOR_RUN_DIR/console/linux.log" 2>/dev/null; do sleep 1; done
sleep 2
printf "uname -r; grep -c ^processor /proc/cpuinfo; cat /proc/partitions; ip -o link\\n" |
	timeout 30 build/dom0-tools/svctl console linux || true
build/dom0-tools/svctl destroy linux'
	KVM_VM_TCG_THREAD=multi exec scripts/kvm-vm.sh --timeout 600 -- sh -c "$demo$typed"
fi
rm -f build/examples/disk.img
truncate -s 16M build/examples/disk.img
demo='set -e
build/dom0-tools/svctl run build/examples/hello.xml
export SPLITVISOR_RUN_DIR=$(mktemp -d)
trap "build/dom0-tools/svctl daemons stop >/dev/null 2>&1; rm -rf \"$SPLITVISOR_RUN_DIR\"" EXIT
build/dom0-tools/svctl create build/examples/disk.xml
build/dom0-tools/svctl console disk
build/dom0-tools/svctl create build/examples/net-echo.xml
until grep -q "udp-echo: listening" "$SPLITVISOR_RUN_DIR/console/net-echo.log" 2>/dev/null; do sleep 0.2; done
build/dom0-tools/svctl create build/examples/net.xml
build/dom0-tools/svctl console net
build/dom0-tools/svctl define build/examples/driver-domain.xml
build/dom0-tools/svctl create build/examples/dd-guest.xml
build/dom0-tools/svctl console dd-guest'
if [ -c /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
	exec sh -c "$demo"
fi
echo "demo: no hardware KVM here; booting inside a QEMU VM with nested KVM (scripts/kvm-vm.sh)" >&2
exec scripts/kvm-vm.sh --timeout 600 -- sh -c "$demo"
