#!/bin/sh
# Sets up, builds, and boots the demo guest in the foreground, its console on stdout.
# Without /dev/kvm on this machine, the guest boots inside a QEMU VM with nested KVM
# (scripts/kvm-vm.sh): slower, but the same svctl and the same guest.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build >/dev/null
if [ -c /dev/kvm ]; then
	exec build/dom0-tools/svctl run build/examples/hello.xml
fi
echo "demo: no /dev/kvm here; booting inside a QEMU VM with nested KVM (scripts/kvm-vm.sh)" >&2
exec scripts/kvm-vm.sh --timeout 300 -- build/dom0-tools/svctl run build/examples/hello.xml
