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

# check_counts FILE KEY...: every point has each KEY as a finite count, above zero unless
# the key ends in '>=0' (hypercalls: a guest's kicks go through ioeventfds, none may reach the
# core during a run).
check_counts() {
	python3 - "$@" <<'PY' || fail "the sweep's counts per request or frame are missing or wrong"
import json, math, sys
r = json.load(open(sys.argv[1]))
for p in r["points"]:
    for arg in sys.argv[2:]:
        k = arg.split(">=")[0]
        v = p["counts"].get(k)
        assert v is not None and math.isfinite(v), (p["point"], k, v)
        assert v >= 0 if arg.endswith(">=0") else v > 0, (p["point"], k, v)
    print(p["point"], {a.split(">=")[0]: p["counts"][a.split(">=")[0]] for a in sys.argv[2:]})
PY
}

case $case in
top)
	# A guest reading its disk for as long as the test lasts; two screens of svctl top a
	# second apart show its block requests rising, with rates on the second.
	kernel=$(cd "$(dirname "$svctl")/../guest" && pwd)/splitvisor-guest
	truncate -s 8M "$run_dir/t.img" || fail "cannot make t.img"
	cat >"$run_dir/busy.xml" <<XML
<domain type='xen'><name>busy</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='xenpv'>xen</type><kernel>$kernel</kernel>
<cmdline>blkbench --rw randread --bs 4096 --qd 1 --ops 100000000</cmdline></os>
<devices><disk type='file' device='disk'><driver name='file' cache='writeback'/>
<source file='$run_dir/t.img'/><target dev='xvda' bus='xen'/></disk></devices></domain>
XML
	sv 0 create "$run_dir/busy.xml"
	i=0
	until grep -q "blkbench: start" "$run_dir/console/busy.log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 600 ] || fail "blkbench never started"
		sleep 0.1
	done
	sv 0 top --batch -n 2 --json --devices
	python3 - "$out" <<'PY' || fail "svctl top did not show the guest's requests rising"
import json, sys
screens = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(screens) == 2, "%d screens" % len(screens)
busy = [[d for d in s["domains"] if d["name"] == "busy"][0] for s in screens]
a, b = busy
assert a["state"] == "running" and a["vcpus"] == 1, a
assert b["blk_requests"] > a["blk_requests"] > 0, (a["blk_requests"], b["blk_requests"])
assert a["blk_requests_per_s"] is None and b["blk_requests_per_s"] > 0, b
assert b["blk_mb_per_s"] > 0 and b["events_per_s"] > 0, b
assert b["cpu_ns"] > a["cpu_ns"] > 0 and b["cpu_pct"] > 0, b
assert b["hypercalls"] >= a["hypercalls"], b
assert [d["name"] for d in b["devices"]] == ["xvda"], b["devices"]
print("busy:", b)
PY
	sv 0 top -b -n 1 --devices
	expect_out "busy"
	expect_out "xvda"
	expect_out "BLKREQ/s"
	sv 64 top -n 0
	sv 0 destroy busy
	;;
sweep-blk)
	# Two block sizes, sequential reads of a 1 MiB disk.
	timeout 900 "$svctl" bench blk --sweep 'bs=4k|64k,qd=4' --runs 1 --size 1 --json \
		>"$out" 2>"$errf" || fail "bench blk --sweep failed"
	check_sweep "$out" 2
	grep -q '"requests_per_op"' "$out" || fail "no requests per op"
	# Counted between the guest's key and its hold: exits, hypercalls, events, the
	# backend's system calls and grant operations, per request.
	check_counts "$out" exits_per_request 'hypercalls_per_request>=0' events_per_request \
		backend_syscalls_per_request grant_ops_per_request
	;;
sweep-compare)
	# Configurations the sweep switches: the backend in svdom0 and in a driver domain, the
	# guest without indirect segments and with a one-page ring; the guest says what it got.
	timeout 900 "$svctl" bench blk --sweep 'bs=4k|32k,qd=4' --compare 'backend=svdom0|dd,indirect=off,ring=0' \
		--runs 1 --size 1 --json >"$out" 2>"$errf" || fail "bench blk --compare failed"
	check_sweep "$out" 4
	python3 - "$out" <<'PY' || fail "the configurations did not take"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["compare"] == "backend=svdom0|dd,indirect=off,ring=0", r["compare"]
configs = sorted(set(p["config"] for p in r["points"]))
assert configs == ["backend=dd,indirect=off,ring=0", "backend=svdom0,indirect=off,ring=0"], configs
for p in r["points"]:
    assert p["counts"]["ring_order"] == 0 and p["counts"]["indirect_segments"] == 0, p
PY
	;;
sweep-net)
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: svctl bench net makes network namespaces and devices: root only"
		exit 77
	fi
	# One and two UDP flows at full-size frames: each point beside its veth baseline.
	timeout 900 "$svctl" bench net --sweep 'frame=1514,flows=1|2' --runs 1 --iterations 500 \
		--json >"$out" 2>"$errf" || fail "bench net --sweep failed"
	check_sweep "$out" 2
	grep -q '"copies_per_frame"' "$out" || fail "no copies per frame"
	grep -q '"point": "frame=1514,flows=2,path=g2g"' "$out" || fail "no two-flow point"
	check_counts "$out" exits_per_frame 'hypercalls_per_frame>=0' events_per_frame \
		backend_syscalls_per_frame
	;;
*)
	echo "unknown case $case"
	exit 2
	;;
esac
echo "PASS ($case)"
