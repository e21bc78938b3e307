#!/bin/sh
# The whole test suite from a fresh clone: dependencies, a normal build, an
# ASan+UBSan build, both test runs, a short run of every fuzz target and the style check.
# The KVM integration tests run natively on hardware KVM, else in a QEMU VM
# (scripts/kvm-tests.sh); SV_KVM_VM=0 skips them there, and the last line says so.
set -eu
cd "$(dirname "$0")/.."

scripts/install-deps.sh

# The KVM integration tests (ctest label kvm) run apart from the others, through
# scripts/kvm-tests.sh: natively on hardware KVM (/dev/kvm and vmx or svm), else inside
# a QEMU VM with
# nested KVM (scripts/kvm-vm.sh). Either way the suite fails unless every KVM test
# ran and passed: a harness that cannot boot or times out twice fails it, and so does
# a KVM test that reports SKIP. Only SV_KVM_VM=0 (without hardware KVM) skips them, and
# the final line then says so.
kvm_skipped=""
# kvm_result BUILD RC: what scripts/kvm-tests.sh's exit status means for the suite.
kvm_result() {
	case $2 in
	0) ;;
	77) kvm_skipped=1 ;;
	*)
		echo "== FAILED: KVM tests of $1 (see above)"
		exit 1
		;;
	esac
}

# The KVM tests of both builds. In the VM harness each VM emulates its CPU on one
# host thread, so the two builds' VMs run side by side, one per core, their
# output interleaved line by line behind [build] and [build-asan]; on hardware
# KVM each run uses both cores itself, so they run one after the other.
kvm_tests_all() {
	if [ "$(scripts/kvm-tests.sh --where)" = native ]; then
		for b in build build-asan; do
			rc=0
			scripts/kvm-tests.sh "$b" || rc=$?
			kvm_result "$b" "$rc"
		done
		return
	fi
	rcdir=$(mktemp -d "${TMPDIR:-/tmp}/sv-kvm-rc.XXXXXX")
	for b in build build-asan; do
		{
			rc=0
			scripts/kvm-tests.sh "$b" 2>&1 || rc=$?
			echo "$rc" >"$rcdir/$b"
		} | sed -u "s/^/[$b] /" &
	done
	wait
	for b in build build-asan; do
		kvm_result "$b" "$(cat "$rcdir/$b" 2>/dev/null || echo 1)"
	done
	rm -rf "$rcdir"
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "== style (clang-format, .clang-format)"
scripts/check-format.sh

echo "== build"
scripts/build.sh build
echo "== build with ASan+UBSan"
scripts/build.sh build-asan -DSV_SANITIZE=ON
echo "== tests"
ctest --test-dir build -LE kvm --output-on-failure -j2 --timeout 900
echo "== tests with ASan+UBSan"
ctest --test-dir build-asan -LE kvm --output-on-failure -j2 --timeout 900

echo "== fuzz every target for a few seconds (docs/fuzzing.md)"
scripts/fuzz.sh all 5

if [ "${SV_KVM_VM:-1}" != 0 ] || [ "$(scripts/kvm-tests.sh --where)" = native ]; then
	echo "== the Linux test guest: Debian's kernel and a busybox initramfs (scripts/linux-guest.sh)"
	scripts/linux-guest.sh
fi
echo "== KVM tests of both builds"
kvm_tests_all
# Debian's kernel as a guest, apart and afterwards: in the VM it wants multi-threaded TCG,
# both cores to itself (scripts/kvm-tests.sh --linux).
echo "== Linux-guest KVM tests of both builds"
for b in build build-asan; do
	rc=0
	scripts/kvm-tests.sh --linux "$b" || rc=$?
	kvm_result "$b" "$rc"
done
if [ -n "$kvm_skipped" ]; then
	echo "== all tests passed (KVM tests SKIPPED: SV_KVM_VM=0)"
else
	echo "== all tests passed"
fi
