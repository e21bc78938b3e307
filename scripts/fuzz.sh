#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer (docs/fuzzing.md).
#
#   scripts/fuzz.sh TARGET [SECONDS]   one target (default 10 s)
#   scripts/fuzz.sh all [SECONDS]      every target in turn, SECONDS each
#   scripts/fuzz.sh list               the targets
#
# Targets: xml (the libvirt XML parser, scripts/fuzz-xml.sh) and those of
# tests/fuzz: elf, hypercall, xenhcall, xenstore, ring, ctlwire, blkback, netback. Builds
# them in build-fuzz/ with clang, ASan and UBSan. Each run starts from the seeds
# in tests/fuzz/corpus/TARGET and keeps what it finds in build-fuzz/corpus-TARGET;
# a crash lands in build-fuzz/artifacts-TARGET/ and the script fails. Copy a crash
# into tests/fuzz/corpus/TARGET/ (named crash-*) once fixed: the ctest fuzz.TARGET
# replays that folder in every build.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${SV_FUZZ_BUILD_DIR:-$root/build-fuzz}
targets="elf hypercall xenhcall xenstore ring ctlwire blkback netback"

usage() {
	echo "usage: $0 TARGET|all|list [SECONDS]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
what=$1
seconds=${2:-10}
case $seconds in
'' | *[!0-9]*) echo "fuzz: SECONDS must be a whole number, not '$seconds'" >&2; exit 2 ;;
esac

if [ "$what" = list ]; then
	echo "xml $targets"
	exit 0
fi

build_targets() {
	CC=clang cmake -S "$root" -B "$build" -DSV_FUZZ=ON -DSV_SANITIZE=ON \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	# shellcheck disable=SC2046
	cmake --build "$build" -j"$(nproc)" $(for t in "$@"; do printf -- '--target fuzz_%s ' "$t"; done) \
		>/dev/null
}

# The summary of a run: coverage, executions, and anything that went wrong.
summary='(DONE|stat::number_of_executed_units|stat::peak_rss)|ERROR|SUMMARY|invariant'

run_one() {
	local t=$1 corpus=$build/corpus-$1 artifacts=$build/artifacts-$1 log=$build/fuzz-$1.log rc=0
	echo "== fuzz $t for ${seconds}s"
	if [ "$t" = xml ]; then
		SV_FUZZ_BUILD_DIR=$build "$root/scripts/fuzz-xml.sh" "$seconds" >"$log" 2>&1 || rc=$?
	else
		mkdir -p "$corpus" "$artifacts"
		# The first folder receives new inputs; the seeds are read, never written.
		"$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len=65536 -timeout=20 \
			-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
			"$corpus" "$root/tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
	fi
	grep -E "$summary" "$log" || true
	if [ "$rc" -ne 0 ]; then
		tail -n 60 "$log"
		echo "fuzz: $t failed (exit $rc); the whole log is $log" >&2
		return 1
	fi
}

if [ "$what" = all ]; then
	build_targets $targets
	for t in xml $targets; do
		run_one "$t"
	done
else
	case " xml $targets " in
	*" $what "*) ;;
	*) echo "fuzz: unknown target '$what' (scripts/fuzz.sh list)" >&2; exit 2 ;;
	esac
	[ "$what" = xml ] || build_targets "$what"
	run_one "$what"
fi
