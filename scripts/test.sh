#!/bin/sh
# The whole test suite from a fresh clone: dependencies, a normal build, an
# ASan+UBSan build, both test runs, a short fuzz run and the style check.
# KVM integration tests report SKIP (exit 77) where /dev/kvm is missing.
set -eu
cd "$(dirname "$0")/.."

scripts/install-deps.sh

echo "== style (clang-format, .clang-format)"
scripts/check-format.sh

echo "== build"
scripts/build.sh build
echo "== tests"
ctest --test-dir build --output-on-failure -j2 --timeout 900

# Without /dev/kvm here, the KVM tests above skipped: run them for real in a QEMU VM
# with nested KVM (scripts/kvm-vm.sh). SV_KVM_VM=0 turns this off. The emulated
# SVM of QEMU's TCG occasionally wedges a host CPU of the VM (a kernel soft lockup
# inside VMRUN, seen with different guests): then the harness times out (124) and
# the run is repeated once. A test failing inside the VM fails the suite.
if [ ! -c /dev/kvm ] && [ "${SV_KVM_VM:-1}" != 0 ]; then
	echo "== KVM tests inside a QEMU VM with nested KVM (no /dev/kvm on this machine)"
	for attempt in 1 2; do
		rc=0
		scripts/kvm-vm.sh --timeout 720 -- ctest --test-dir build -L kvm \
			--output-on-failure --timeout 240 || rc=$?
		case $rc in
		124 | 125) echo "WARNING: the VM harness did not finish (exit $rc, attempt $attempt)" ;;
		*) break ;;
		esac
	done
	case $rc in
	0) ;;
	124 | 125) echo "WARNING: KVM tests could not run in the VM harness; they are unverified" ;;
	*) echo "KVM tests failed inside the VM (exit $rc)"; exit 1 ;;
	esac
fi

echo "== build with ASan+UBSan"
scripts/build.sh build-asan -DSV_SANITIZE=ON
echo "== tests with ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan --output-on-failure -j2 --timeout 900

if [ -x scripts/fuzz-xml.sh ]; then
	echo "== fuzz the XML parser (short run)"
	scripts/fuzz-xml.sh 10
fi
echo "== all tests passed"
