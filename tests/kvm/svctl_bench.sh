#!/bin/sh
# svctl bench sweeps and svctl top against real guests, with tiny sizes (they run
# under TCG in the VM harness). Usage: svctl_bench.sh SVCTL CASE
svctl=$1
case=$2
SV_TIMEOUT=300
. "$(dirname "$0")/svctl_lib.sh"

# check_sweep FILE N: the JSON report has N points, each with a positive median value,
# baseline and ratio, its spread, and its counts.
check_sweep() {
	python3 - "$1" "$2" <<'PY' || fail "the sweep's JSON is not what it should be"
import json, sys
r = json.load(open(sys.argv[1]))
pts = r["points"]
assert len(pts) == int(sys.argv[2]), "%d points" % len(pts)
for p in pts:
    for k in ("value", "baseline", "ratio"):
        s = p[k]
        assert s["n"] == r["runs"] and s["median"] > 0, (p["point"], k, s)
        assert s["min"] <= s["median"] <= s["max"], (p["point"], k, s)
    assert p["counts"], p["point"] + ": no counts"
    print(p["config"], p["point"], "value", p["value"]["median"], "baseline",
          p["baseline"]["median"], "ratio", p["ratio"]["median"], p["counts"])
PY
}

case $case in
sweep-blk)
	# Two block sizes, sequential reads of a 1 MiB disk.
	timeout 900 "$svctl" bench blk --sweep 'bs=4k|64k,qd=4' --runs 1 --size 1 --json \
		>"$out" 2>"$errf" || fail "bench blk --sweep failed"
	check_sweep "$out" 2
	grep -q '"requests_per_op"' "$out" || fail "no requests per op"
	;;
sweep-net)
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: svctl bench net makes network namespaces and devices: root only"
		exit 77
	fi
	timeout 900 "$svctl" bench net --sweep 'frame=64|1514' --runs 1 --iterations 500 --json \
		>"$out" 2>"$errf" || fail "bench net --sweep failed"
	check_sweep "$out" 2
	grep -q '"copies_per_frame"' "$out" || fail "no copies per frame"
	;;
*)
	echo "unknown case $case"
	exit 2
	;;
esac
echo "PASS ($case)"
