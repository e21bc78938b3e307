#!/usr/bin/env bash
# Fuzz the libvirt domain XML parser (tests/xml/fuzz_xml.c) with libFuzzer for SECONDS
# (default 10). Builds only the fuzz target, in build-fuzz/, with clang, ASan and UBSan.
# Exits non-zero when the fuzzer finds a crash, leak or round-trip mismatch.
set -euo pipefail

seconds=${1:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SV_FUZZ_BUILD_DIR:-$root/build-fuzz}
corpus=$build/fuzz-xml-corpus
artifacts=$build/fuzz-xml-artifacts

CC=clang cmake -S "$root" -B "$build" -DSV_FUZZ=ON -DSV_SANITIZE=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz_xml -j"$(nproc)" >/dev/null

# Seeds: the examples and the corpus, with their kernel placeholders turned into the
# fuzzer's @KERNEL@ so that accepted documents (and the round trip) are reachable.
mkdir -p "$corpus" "$artifacts"
for f in "$root"/examples/*.xml.in "$root"/tests/data/xml/corpus/*.xml; do
	sed 's/@SV_GUEST_KERNEL@/@KERNEL@/g; s/@INITRD@/@KERNEL@/g' "$f" \
		>"$corpus/seed-$(basename "$f")"
done

exec "$build/tests/xml/fuzz_xml" -max_total_time="$seconds" -max_len=16384 -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus"
