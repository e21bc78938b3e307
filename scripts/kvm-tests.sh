#!/bin/sh
# Runs the KVM integration tests (the ctest label kvm) of one build tree and
# fails unless every one of them ran and passed.
#
# Usage: scripts/kvm-tests.sh [--linux] BUILD_DIR
#        (BUILD_DIR relative to the repository root, or absolute inside it)
#
# --linux runs only the tests that boot Debian's kernel (label kvm-linux; the plain run
# leaves them out): in the VM with multi-threaded TCG, where single-threaded TCG crashed
# about half of those boots (docs/testing-on-kvm.md, "Debian's kernel under svcored").
#
# Where the tests run:
#   hardware KVM here:        natively, through ctest -j2. Hardware KVM means
#                             /dev/kvm and a CPU that shows vmx or svm: some
#                             hosts offer a /dev/kvm without them (PVM, the
#                             kvm_pvm module, which virtualises in software and
#                             runs a guest that is not PVM-aware mostly through
#                             KVM's instruction emulator: our guests then crawl,
#                             and int3 is an emulation failure), so there the
#                             tests go to the VM as where /dev/kvm is missing.
#   otherwise:                inside a QEMU VM with nested KVM (scripts/kvm-vm.sh).
#                             If the emulator wedges (the harness times out, 124,
#                             or fails to boot, 125), the run is repeated once; a
#                             second such end is a failure, since no test ran.
#                             Inside the VM a failed test is run once more (ctest
#                             prints both runs, so an intermittent failure stays
#                             visible in the log); failing twice is a failure.
#   no hardware KVM, SV_KVM_VM=0: not at all, on request; says so and exits 77.
#
# The tests report SKIP (exit 77) only where /dev/kvm is missing or not
# accessible, so where they run, a skipped test is a failure, and so is a label
# that matches no test at all.
#
# Exit status: 0 all KVM tests ran and passed; 77 skipped on request
# (SV_KVM_VM=0 without hardware KVM); 1 anything else.
#
# Internal: scripts/kvm-tests.sh --here BUILD_DIR [CTEST OPTIONS...] runs the
# tests here, with the given extra ctest options, and checks for skips; the VM
# runs it so. scripts/kvm-tests.sh --where prints where they would run: native or vm.
set -eu
cd "$(dirname "$0")/.."

# /dev/kvm backed by the CPU's own virtualisation (see above).
hw_kvm() {
	[ -c /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo
}

usage() {
	echo "usage: $0 BUILD_DIR" >&2
	exit 1
}

# ctest over the label kvm, here; fails on a failed test, on no test, and on
# a skipped test. The skips are read from ctest's JUnit report (status
# "notrun" or "disabled"), since ctest counts a skipped test as passed.
run_here() {
	dir=$1
	shift
	if [ ! -c /dev/kvm ]; then
		echo "kvm-tests: /dev/kvm is missing here; the KVM tests of $dir cannot run"
		return 1
	fi
	junit=$(mktemp "${TMPDIR:-/tmp}/kvm-tests.XXXXXX") || return 1
	# SV_KVM_LINUX: only Debian's kernel (label kvm-linux), or everything else (label kvm).
	if [ "${SV_KVM_LINUX:-0}" = only ]; then
		set -- -L '^kvm-linux$' "$@"
	else
		set -- -L kvm -LE '^kvm-linux$' "$@"
	fi
	rc=0
	ctest --test-dir "$dir" --no-tests=error --output-on-failure \
		--output-junit "$junit" "$@" || rc=$?
	ran=$(grep -c '<testcase ' "$junit") || true
	skipped=$(grep -E '<testcase .* status="(notrun|disabled)"' "$junit" |
		sed 's/^.*<testcase name="\([^"]*\)".*$/\1/') || true
	rm -f "$junit"
	if [ "$rc" != 0 ]; then
		echo "kvm-tests: FAILED: KVM tests of $dir (ctest exit $rc)"
		return 1
	fi
	if [ "${ran:-0}" = 0 ]; then
		echo "kvm-tests: FAILED: ctest reported no KVM test of $dir"
		return 1
	fi
	if [ -n "$skipped" ]; then
		echo "kvm-tests: FAILED: KVM tests of $dir skipped although /dev/kvm exists" \
			"(not usable by $(id -un)?):"
		echo "$skipped" | sed 's/^/  /'
		return 1
	fi
	echo "kvm-tests: all KVM tests of $dir ran and passed"
}

if [ "${1:-}" = --where ]; then
	if hw_kvm; then echo native; else echo vm; fi
	exit 0
fi
if [ "${1:-}" = --here ]; then
	shift
	[ $# -ge 1 ] || usage
	run_here "$@"
	exit $?
fi
linux=0
if [ "${1:-}" = --linux ]; then
	linux=1
	shift
fi
[ $# -eq 1 ] || usage
dir=$1
what="KVM tests"
[ $linux = 0 ] || what="Linux-guest KVM tests"

if hw_kvm; then
	echo "== $what of $dir, natively (hardware KVM here)"
	if [ $linux = 1 ]; then
		SV_KVM_LINUX=only run_here "$dir" --timeout 900 || exit 1
	else
		run_here "$dir" -j2 --timeout 900 || exit 1
	fi
	exit 0
fi
if [ -c /dev/kvm ]; then
	why="this /dev/kvm has no vmx/svm behind it ($(ls /sys/module | grep -E '^kvm_' |
		tr '\n' ' ')): software KVM"
else
	why="no /dev/kvm here"
fi
if [ "${SV_KVM_VM:-1}" = 0 ]; then
	echo "== $what of $dir SKIPPED on request (SV_KVM_VM=0; $why)"
	exit 77
fi

skip=""
if [ $linux = 1 ]; then
	# Multi-threaded TCG: each of the VM's two CPUs on a host thread, so run these while
	# nothing else emulates. Its rare wedge of the whole VM is caught by the short timeout
	# and the second attempt below.
	echo "== $what of $dir inside a QEMU VM with nested KVM, multi-threaded TCG ($why)"
	tcg=multi
	vm_timeout=${SV_KVM_LINUX_VM_TIMEOUT:-1500}
	mode=only
	# kvm.linux.blk's guest has 4352 MiB (RAM above 4 GiB), which a domain document may
	# not ask beyond the host's MemTotal. QEMU gives the VM only what it touches.
	vm_mem=5120
else
	echo "== $what of $dir inside a QEMU VM with nested KVM ($why)"
	tcg=${KVM_VM_TCG_THREAD:-single}
	vm_timeout=${SV_KVM_VM_TIMEOUT:-2700}
	mode=0
	vm_mem=2048
	# The sanitizer build leaves out what measures or floods rather than exercises code
	# paths the normal build does not: the xenstore flood, which times reads
	# (docs/testing-on-kvm.md). Emulated time is the CI's scarcest resource.
	if grep -q '^SV_SANITIZE:BOOL=ON' "$dir/CMakeCache.txt" 2>/dev/null; then
		skip='^kvm\.domains\.xenstore-flood$'
		echo "kvm-tests: the ASan build leaves out $skip (the normal build runs it)"
	fi
fi
for attempt in 1 2; do
	rc=0
	KVM_VM_TCG_THREAD=$tcg scripts/kvm-vm.sh --timeout "$vm_timeout" --mem "$vm_mem" -- env \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
		SV_KVM_LINUX=$mode \
		scripts/kvm-tests.sh --here "$dir" --timeout 300 --repeat until-pass:2 \
		${skip:+-E "$skip"} || rc=$?
	case $rc in
	124 | 125) echo "kvm-tests: the VM harness did not finish (exit $rc, attempt $attempt)" ;;
	*) break ;;
	esac
done
case $rc in
0) ;;
124 | 125)
	echo "kvm-tests: FAILED: the $what of $dir could not run: the VM harness timed" \
		"out or failed to boot twice (exit $rc). SV_KVM_VM=0 skips them on purpose."
	exit 1
	;;
*)
	echo "kvm-tests: FAILED: $what of $dir inside the VM (exit $rc)"
	exit 1
	;;
esac
