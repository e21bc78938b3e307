#!/bin/sh
# Integration tests of driver domains: a svdd process serves guests' disks and vifs with
# fewer rights than svdom0, dies and comes back, and a hostile guest breaks only itself.
# Usage: svctl_dd.sh SVCTL CASE. Exits 77 (ctest SKIP) where /dev/kvm is missing. Every case
# runs in a network namespace of its own (unshare --net).
set -u
svctl=$1
case=$2

if [ -z "${SV_NET_NS:-}" ]; then
	SV_NET_NS=1 exec unshare --net sh "$0" "$@"
fi
ip link set lo up || { echo "FAIL ($case): cannot bring lo up in the test's namespace"; exit 1; }

SV_TIMEOUT=300
. "$(dirname "$0")/svctl_lib.sh"
kernel=$(cd "$(dirname "$svctl")/../guest" && pwd)/splitvisor-guest
svdd=$(cd "$(dirname "$svctl")/../driver-domain" && pwd)/svdd

# mkdd NAME: a driver domain's document in $run_dir/NAME.xml.
mkdd() {
	echo "<domain type='xen'><name>$1</name><memory unit='MiB'>64</memory>" \
		"<os><type>exe</type></os><on_crash>restart</on_crash></domain>" >"$run_dir/$1.xml"
}

# mkxml NAME CMDLINE DEVICEXML...: a transient guest document in $run_dir/NAME.xml.
mkxml() {
	name=$1 cmdline=$2
	shift 2
	{
		echo "<domain type='xen'><name>$name</name>"
		echo "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
		echo "<os><type arch='x86_64' machine='xenpv'>xen</type>"
		echo "<kernel>$kernel</kernel><cmdline>$cmdline</cmdline></os>"
		echo "<on_poweroff>preserve</on_poweroff><on_crash>preserve</on_crash><devices>"
		for d in "$@"; do echo "$d"; done
		echo "</devices></domain>"
	} >"$run_dir/$name.xml"
}

# disk FILE DEV [DRIVERDOMAIN]; vif SWITCH MAC [DRIVERDOMAIN]
disk() {
	bd=""
	[ -n "${3:-}" ] && bd="<backenddomain name='$3'/>"
	echo "<disk type='file' device='disk'><driver name='file' cache='writeback'/>"
	echo "<source file='$1'/><target dev='$2' bus='xen'/>$bd</disk>"
}
vif() {
	bd=""
	[ -n "${3:-}" ] && bd="<backenddomain name='$3'/>"
	echo "<interface type='bridge'><mac address='$2'/><source bridge='$1'/>$bd</interface>"
}

mkimg() {
	truncate -s "${2:-32M}" "$1" || fail "cannot make $1"
}

# wait_log NAME TEXT [SECONDS]: until NAME's console log has TEXT (an extended regexp).
wait_log() {
	i=0
	until grep -Eq -- "$2" "$run_dir/console/$1.log" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -ge $((${3:-300} * 10)) ]; then
			cp "$run_dir/console/$1.log" "$out" 2>/dev/null
			fail "$1 never printed '$2'"
		fi
		sleep 0.1
	done
}

# dd_pid NAME: the pid of the svdd serving as driver domain NAME (empty if none).
dd_pid() {
	for p in $(pgrep -x svdd); do
		tr '\0' ' ' <"/proc/$p/cmdline" | grep -q -- "--name $1 " && { echo "$p"; return; }
	done
}

# last_verify NAME FIELD: FIELD's value in NAME's last blkverify progress line.
last_verify() {
	grep -E '^blkverify: t=' "$run_dir/console/$1.log" | tail -n 1 |
		sed -n "s/.* $2=\([0-9]*\).*/\1/p"
}

# wait_writes NAME ABOVE [SECONDS]: until NAME's blkverify completed more than ABOVE writes.
wait_writes() {
	i=0
	while :; do
		w=$(last_verify "$1" writes)
		[ -n "$w" ] && [ "$w" -gt "$2" ] && return
		i=$((i + 1))
		[ $i -lt $((${3:-300} * 10)) ] || fail "$1's blkverify stopped at ${w:-none} writes"
		sleep 0.1
	done
}

case $case in
serve)
	# A driver domain serves a disk and a vif; two guests ping each other through it.
	mkdd dd0
	sv 0 create "$run_dir/dd0.xml"
	pid=$(dd_pid dd0)
	[ -n "$pid" ] || fail "no svdd runs for dd0"
	mkimg "$run_dir/a.img"
	mkxml b "udp-echo 7 ip=10.0.5.2/24" "$(vif svdd0 00:16:3e:00:05:02 dd0)"
	sv 0 create "$run_dir/b.xml"
	wait_log b "udp-echo: listening"
	mkxml a "blktest" "$(disk "$run_dir/a.img" xvda dd0)"
	sv 0 create "$run_dir/a.xml"
	timeout 900 "$svctl" console a >"$run_dir/a.console" 2>&1
	grep -q "blktest: PASS" "$run_dir/a.console" || { cp "$run_dir/a.console" "$out"; fail "blktest through the driver domain did not pass"; }
	mkxml c "ping 10.0.5.2 5 ip=10.0.5.3/24" "$(vif svdd0 00:16:3e:00:05:03 dd0)"
	sv 0 create "$run_dir/c.xml"
	timeout 900 "$svctl" console c >"$run_dir/c.console" 2>&1
	cp "$run_dir/c.console" "$out"
	expect_out "ping: 5 sent, 5 received"
	# b's vif is served by dd0: svdd probed it, and net-list says Connected.
	sv 0 net-list b
	expect_out "Connected"
	grep -q "svdd\[[0-9]*\]: /local/domain/[0-9]*/backend/vif/[0-9]*/0: probed" "$run_dir/svdom0.log" ||
		fail "svdd did not serve b's vif"
	# Its sandbox: not root, no new privileges, a seccomp filter, no /dev/kvm, no guest RAM.
	[ "$(dd_pid dd0)" = "$pid" ] || fail "svdd was restarted while serving"
	awk '/^Uid:/ { exit !($2 != 0 && $3 != 0 && $4 != 0) }' "/proc/$pid/status" ||
		fail "svdd runs as root"
	grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status" || fail "svdd lacks no_new_privs"
	grep -q '^Seccomp:[[:space:]]*2' "/proc/$pid/status" || fail "svdd has no seccomp filter"
	ls -l "/proc/$pid/fd" >"$out" 2>&1
	grep -q "/dev/kvm" "$out" && fail "svdd holds /dev/kvm"
	grep -q "memfd:sv-ram-" "/proc/$pid/maps" && { cp "/proc/$pid/maps" "$out"; fail "svdd maps guest RAM"; }
	;;
kill-restart)
	# kill -9 the driver domain under I/O: the toolstack restarts it, the guest's blkfront
	# reconnects and re-issues, no flushed write is lost; a bystander on svdom0 runs on.
	mkdd dd1
	sv 0 create "$run_dir/dd1.xml"
	pid=$(dd_pid dd1)
	mkimg "$run_dir/v.img"
	mkimg "$run_dir/s.img"
	mkxml v "blkverify 3600" "$(disk "$run_dir/v.img" xvda dd1)"
	mkxml s "blkverify 3600" "$(disk "$run_dir/s.img" xvda)"
	sv 0 create "$run_dir/v.xml"
	sv 0 create "$run_dir/s.xml"
	wait_writes v 20
	wait_writes s 20
	sv 0 inject dd1 kill
	# Each kill: a new svdd, the guest reconnects, its writes go on.
	for round in 1 2; do
		i=0
		until [ -n "$(dd_pid dd1)" ] && [ "$(dd_pid dd1)" != "$pid" ]; do
			i=$((i + 1))
			[ $i -lt 600 ] || fail "the driver domain was not restarted (round $round)"
			sleep 0.1
		done
		pid=$(dd_pid dd1)
		wait_log v "reconnects=$round " 300
		w=$(last_verify v writes)
		wait_writes v "$w"
		[ "$round" = 2 ] || sv 0 inject dd1 kill
	done
	ws=$(last_verify s writes)
	wait_writes s "$ws"
	[ "$(last_verify v lost)" = 0 ] || fail "flushed writes were lost"
	[ "$(last_verify s errors)" = 0 ] || fail "the bystander saw I/O errors"
	grep -q "driver domain dd1 .*ended.*signal" "$run_dir/svdom0.log" ||
		fail "svdom0 did not log how the driver domain ended"
	sv 0 list
	expect_out "v *running"
	expect_out "s *running"
	;;
hostile-frontend)
	# A guest that breaks its own ring and grants loses its own disk; the driver domain
	# keeps serving the other guest, and is not restarted.
	mkdd dd2
	sv 0 create "$run_dir/dd2.xml"
	pid=$(dd_pid dd2)
	mkimg "$run_dir/h.img"
	mkimg "$run_dir/g.img"
	mkxml g "blkverify 3600" "$(disk "$run_dir/g.img" xvda dd2)"
	mkxml h "blkhostile" "$(disk "$run_dir/h.img" xvda dd2)"
	sv 0 create "$run_dir/g.xml"
	wait_writes g 10
	sv 0 create "$run_dir/h.xml"
	wait_log h "blkhostile: done"
	w=$(last_verify g writes)
	wait_writes g "$w"
	[ "$(dd_pid dd2)" = "$pid" ] || fail "the hostile guest killed the driver domain"
	[ "$(last_verify g errors)" = 0 ] || fail "the other guest saw I/O errors"
	grep -q "blkhostile: PASS" "$run_dir/console/h.log" || { cp "$run_dir/console/h.log" "$out"; fail "blkhostile did not see its refusals"; }
	;;
example)
	# examples/driver-domain.xml and examples/dd-guest.xml as shipped: define the driver
	# domain, create the guest (which starts dd0 first), blktest passes through it.
	examples=$(cd "$(dirname "$svctl")/../examples" && pwd)
	mkimg "$run_dir/ex.img"
	sed "s|<source file='[^']*'/>|<source file='$run_dir/ex.img'/>|" \
		"$examples/dd-guest.xml" >"$run_dir/dd-guest.xml"
	sv 0 define "$examples/driver-domain.xml"
	sv 0 create "$run_dir/dd-guest.xml"
	[ -n "$(dd_pid dd0)" ] || fail "creating the guest did not start dd0"
	timeout 900 "$svctl" console dd-guest >"$run_dir/g.console" 2>&1
	grep -q "blktest: PASS" "$run_dir/g.console" || { cp "$run_dir/g.console" "$out"; fail "the example guest's blktest did not pass"; }
	;;
seccomp)
	# A driver domain that makes a call outside its filter dies of it, with a clear line.
	cat >"$run_dir/svdd-bad" <<EOF
#!/bin/sh
exec "$svdd" --selftest-seccomp "\$@"
EOF
	chmod +x "$run_dir/svdd-bad"
	mkdd dd3
	SPLITVISOR_SVDD=$run_dir/svdd-bad sv 0 create "$run_dir/dd3.xml"
	i=0
	until grep -q "seccomp: denied system call" "$run_dir/svdom0.log"; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "no seccomp line in svdom0's log"
		sleep 0.1
	done
	i=0
	until grep -q "driver domain dd3 .*ended.*SIGSYS" "$run_dir/svdom0.log"; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "svdom0 did not say the driver domain died of SIGSYS"
		sleep 0.1
	done
	sv 0 list # svdom0 runs on
	;;
experiment)
	"$svctl" experiment isolation --json >"$out" 2>"$errf" || fail "the experiment failed"
	python3 - "$out" <<'EOF' || fail "the experiment's report is not what it should be"
import json, sys
r = json.load(open(sys.argv[1]))
faults = r["faults"]
assert {f["fault"] for f in faults} == {"kill", "hang", "slow", "corrupt-ring", "drop-notify"}
for f in faults:
    assert f["injected"] and f["guest_survived"] and f["bystander_ok"] and f["dom0_ok"], f
    assert f["lost_flushed_writes"] == 0 and f["recovered"], f
    assert f["driver_domain_running"], f
    assert f["net_survived"] and f["net_recovered"], f
by = {f["fault"]: f for f in faults}
# Each fault did happen: the killed and the corrupting backend made the frontend
# reconnect (its own time measured), the hung one stalled the guest for most of the hold.
for name in ("kill", "corrupt-ring"):
    assert by[name]["reconnects"] >= 1 and by[name]["reconnect_ms"] > 0, by[name]
assert by["hang"]["stall_ms"] >= 1000 and by["hang"]["reconnects"] == 0, by["hang"]
assert by["kill"]["net_reconnects"] >= 1, by["kill"]
for c in r["cost"]:
    assert c["svdom0_mbps"] > 0 and c["driver_domain_mbps"] > 0, c
EOF
	;;
*)
	echo "unknown case $case"
	exit 2
	;;
esac
exit 0
