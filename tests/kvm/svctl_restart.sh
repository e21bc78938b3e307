#!/bin/sh
# svdom0 killed at random moments while guests use it: a restart must look like a pause.
# Two guests run blkverify (generation-stamped writes, read back: lost=0) and a third waits
# for a xenstore node the test writes with 1, 2, ... between kills, each through its watch.
# Usage: svctl_restart.sh SVCTL CASE. Exits 77 (ctest SKIP) where /dev/kvm is missing.
# SV_RESTART_KILLS sets the number of kills (default 20).
set -u
svctl=$1
case=$2

SV_TIMEOUT=300
. "$(dirname "$0")/svctl_lib.sh"
kernel=$(cd "$(dirname "$svctl")/../guest" && pwd)/splitvisor-guest
kills=${SV_RESTART_KILLS:-20}

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

disk() {
	echo "<disk type='file' device='disk'><driver name='file' cache='writeback'/>"
	echo "<source file='$1'/><target dev='$2' bus='xen'/></disk>"
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

# last_verify NAME FIELD: FIELD's value in NAME's last blkverify progress line.
last_verify() {
	grep -E '^blkverify: (done )?t=' "$run_dir/console/$1.log" | tail -n 1 |
		sed -n "s/.* $2=\([0-9]*\).*/\1/p"
}

case $case in
dom0-restart)
	# The watcher first: domid 1.
	mkxml w "xswatch $kills"
	sv 0 create "$run_dir/w.xml"
	wait_log w "xswatch: ready"
	# A hot-plugged disk is in the running configuration: it comes back too.
	truncate -s 8M "$run_dir/h.img" || fail "cannot make h.img"
	sv 0 block-attach w "$run_dir/h.img" xvdb --readonly
	for g in a b; do
		truncate -s 32M "$run_dir/$g.img" || fail "cannot make $g.img"
		mkxml $g "blkverify 900" "$(disk "$run_dir/$g.img" xvda)"
		sv 0 create "$run_dir/$g.xml"
	done
	wait_log a "blkverify: t="
	wait_log b "blkverify: t="
	seed=$$
	k=1
	while [ $k -le $kills ]; do
		# 0.2 .. 1.5 s, different each round
		pause=$(awk -v s=$((seed + k)) 'BEGIN { srand(s); printf "%.2f", 0.2 + rand() * 1.3 }')
		sleep "$pause"
		kill -9 "$(cat "$run_dir/svdom0.pid")" || fail "no svdom0 to kill (round $k)"
		# The next svctl call starts a new svdom0, which takes the running guests back
		# (`store` only talks to a running one).
		sv 0 list
		sv 0 store write /local/domain/1/data/count $k
		wait_log w "xswatch: saw $k\$" 300
		if [ $k = 1 ]; then
			sv 0 block-list w
			expect_out "xvdb"
		fi
		k=$((k + 1))
	done
	grep -c "xenstore state taken back" "$run_dir/svdom0.log" >"$out" 2>/dev/null
	[ "$(cat "$out")" -ge "$kills" ] || fail "svdom0 did not take the store back after each kill"
	wait_log w "xswatch: all $kills values in order" 60
	# Every kill happened under their I/O: a poweroff request ends blkverify after
	# its current cycle, with the final read-back of the whole region.
	for g in a b; do
		sv 0 shutdown $g --timeout 300
	done
	for g in a b; do
		wait_log $g "blkverify: done" 300
		[ "$(last_verify $g lost)" = 0 ] || fail "$g lost flushed writes"
		[ "$(last_verify $g errors)" = 0 ] || fail "$g saw I/O errors"
		[ "$(last_verify $g reconnects)" -ge 1 ] || fail "$g's disk never reconnected"
	done
	sv 0 list
	expect_out "w *shut"
	# A restart would hide an svdom0 that died of its own (the ASan build's reports).
	grep -Eq "AddressSanitizer|LeakSanitizer|runtime error" "$run_dir/svdom0.log" &&
		fail "svdom0 reported a sanitizer error"
	;;
*)
	echo "unknown case $case"
	exit 2
	;;
esac
exit 0
