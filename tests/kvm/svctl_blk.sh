#!/bin/sh
# Integration tests of the split block driver: guests with disks, through the daemons.
# Usage: svctl_blk.sh SVCTL BLKPATTERN CASE. Exits 77 (ctest SKIP) where /dev/kvm is missing.
set -u
svctl=$1
blkpattern=$2
case=$3

SV_TIMEOUT=600
. "$(dirname "$0")/svctl_lib.sh"
kernel=$(cd "$(dirname "$svctl")/../guest" && pwd)/splitvisor-guest

# mkxml NAME VCPUS CMDLINE DISKXML...: a transient domain document in $run_dir/NAME.xml.
mkxml() {
	name=$1 vcpus=$2 cmdline=$3
	shift 3
	{
		echo "<domain type='xen'><name>$name</name>"
		echo "<memory unit='MiB'>64</memory><vcpu>$vcpus</vcpu>"
		echo "<os><type arch='x86_64' machine='xenpv'>xen</type>"
		echo "<kernel>$kernel</kernel><cmdline>$cmdline</cmdline></os>"
		echo "<on_poweroff>preserve</on_poweroff><on_crash>preserve</on_crash><devices>"
		for d in "$@"; do echo "$d"; done
		echo "</devices></domain>"
	} >"$run_dir/$name.xml"
}

# disk FILE DEV [readonly]: one <disk> element.
disk() {
	ro=""
	[ "${3:-}" = readonly ] && ro="<readonly/>"
	echo "<disk type='file' device='disk'><driver name='file' cache='writeback'/>"
	echo "<source file='$1'/><target dev='$2' bus='xen'/>$ro</disk>"
}

mkimg() {
	truncate -s "${2:-64M}" "$1" || fail "cannot make $1"
}

# run_guest NAME: creates it from its document and follows the console to the end.
run_guest() {
	sv 0 create "$run_dir/$1.xml"
	timeout 900 "$svctl" console "$1" >"$run_dir/$1.console" 2>&1
	cp "$run_dir/$1.console" "$out"
}

expect_pass() {
	grep -q "blktest: PASS" "$run_dir/$1.console" || { cp "$run_dir/$1.console" "$out"; fail "$1: no 'blktest: PASS'"; }
	grep -q "poweroff, code 0" "$run_dir/$1.console" || { cp "$run_dir/$1.console" "$out"; fail "$1: did not power off with 0"; }
}

# wait_blkbench NAME: until NAME's console log shows blkbench timing its loop (60 s).
wait_blkbench() {
	i=0
	until grep -q "blkbench: start" "$run_dir/console/$1.log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 600 ] || fail "blkbench never started"
		sleep 0.1
	done
}

case $case in
blktest-1 | blktest-2)
	# Two vCPUs also take the persistent-grant path.
	n=${case#blktest-}
	args=blktest
	[ "$n" = 2 ] && args="blktest --persistent"
	mkimg "$run_dir/d.img"
	mkxml blk "$n" "$args" "$(disk "$run_dir/d.img" xvda)"
	run_guest blk
	expect_pass blk
	if [ "$n" = 2 ]; then
		grep -q "persistent grants" "$run_dir/blk.console" || fail "not in persistent mode"
	else
		grep -q "per-request" "$run_dir/blk.console" || fail "not in per-request mode"
	fi
	;;
two-guests)
	mkimg "$run_dir/a.img"
	mkimg "$run_dir/b.img"
	mkxml ga 1 blktest "$(disk "$run_dir/a.img" xvda)"
	mkxml gb 1 "blktest --persistent" "$(disk "$run_dir/b.img" xvda)"
	sv 0 create "$run_dir/ga.xml"
	sv 0 create "$run_dir/gb.xml"
	timeout 900 "$svctl" console ga >"$run_dir/ga.console" 2>&1
	timeout 900 "$svctl" console gb >"$run_dir/gb.console" 2>&1
	expect_pass ga
	expect_pass gb
	;;
two-disks)
	# The second disk of one guest is its own device: its writes land in its own file.
	mkimg "$run_dir/a.img" 8M
	mkimg "$run_dir/b.img" 16M
	mkimg "$run_dir/zero.img" 8M
	mkxml twod 1 "blktest fill 99 xvdb" "$(disk "$run_dir/a.img" xvda)" \
		"$(disk "$run_dir/b.img" xvdb)"
	run_guest twod
	expect_pass twod
	"$blkpattern" verify "$run_dir/b.img" 99 >"$out" 2>"$errf" || fail "xvdb lacks the pattern"
	cmp -s "$run_dir/a.img" "$run_dir/zero.img" || fail "xvda was written"
	;;
readonly)
	mkimg "$run_dir/r.img"
	"$blkpattern" fill "$run_dir/r.img" 7 || fail "cannot fill the image"
	cp "$run_dir/r.img" "$run_dir/r.orig"
	mkxml ro 1 blktest "$(disk "$run_dir/r.img" xvda readonly)"
	run_guest ro
	expect_pass ro
	grep -q "read-only" "$run_dir/ro.console" || fail "blktest did not see a read-only disk"
	cmp -s "$run_dir/r.img" "$run_dir/r.orig" || fail "the read-only image changed"
	;;
qcow2)
	# A qcow2 image, served by QEMU's storage daemon: the guest's pattern reaches it,
	# and QEMU finds the image consistent afterwards.
	qemu-img create -q -f qcow2 "$run_dir/q.qcow2" 16M || fail "qemu-img create failed"
	mkxml qc 1 "blktest fill 4321" \
		"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$run_dir/q.qcow2'/><target dev='xvda' bus='xen'/></disk>"
	run_guest qc
	expect_pass qc
	qemu-img check -q -f qcow2 "$run_dir/q.qcow2" >"$out" 2>"$errf" ||
		fail "qemu-img check found errors"
	qemu-img convert -f qcow2 -O raw "$run_dir/q.qcow2" "$run_dir/q.raw" ||
		fail "qemu-img convert failed"
	"$blkpattern" verify "$run_dir/q.raw" 4321 >"$out" 2>"$errf" ||
		fail "the image does not hold what the guest wrote"
	grep -q "qcow2 image served by qemu-storage-daemon" "$run_dir"/svdom0.log ||
		fail "svdom0 did not log the image daemon"
	;;
guest-to-host)
	mkimg "$run_dir/g.img"
	mkxml fill 1 "blktest fill 1234" "$(disk "$run_dir/g.img" xvda)"
	run_guest fill
	expect_pass fill
	"$blkpattern" verify "$run_dir/g.img" 1234 >"$out" 2>"$errf" ||
		fail "the host does not read what the guest wrote"
	;;
host-to-guest)
	mkimg "$run_dir/h.img"
	"$blkpattern" fill "$run_dir/h.img" 4321 || fail "cannot fill the image"
	mkxml verify 1 "blktest verify 4321" "$(disk "$run_dir/h.img" xvda)"
	run_guest verify
	expect_pass verify
	# And a wrong seed must fail: the check can fail.
	mkxml verify2 1 "blktest verify 4322" "$(disk "$run_dir/h.img" xvda)"
	run_guest verify2
	grep -q "blktest: FAIL" "$run_dir/verify2.console" || fail "a wrong seed was not noticed"
	;;
backend-killed)
	# kill -9 of the control domain under I/O: the next svdom0 adopts the guest and serves
	# its disk again (docs/abi.md, "What survives a restart of svdom0"); the frontend
	# reconnects and re-issues, so blkbench finishes without an error. The core and the
	# other guest are not disturbed.
	# The bystander starts first, so that nothing but the poll for "start" lies between
	# blkbench's first request and the kill (a slow second create let a whole run finish).
	mkimg "$run_dir/k.img" 16M
	mkxml busy 1 "blkbench --rw randread --bs 4096 --qd 8 --ops 100000" \
		"$(disk "$run_dir/k.img" xvda)"
	sv 0 create --name bystander --cmdline spin
	sv 0 create "$run_dir/busy.xml"
	wait_blkbench busy
	grep -q "blkbench: end" "$run_dir/console/busy.log" &&
		fail "blkbench ended before svdom0 was killed: give it more ops"
	kill -9 "$(cat "$run_dir/svdom0.pid")" || fail "cannot kill svdom0"
	sleep 1
	sv 0 list # a new svdom0 adopts both guests
	wait_ended busy "the guest did not finish its I/O after svdom0 came back"
	expect_out "bystander *running"
	timeout 60 "$svctl" console busy >"$out" 2>&1
	expect_out "blkbench: rw=randread .* errors=0 "
	grep -q "I/O failed" "$out" && fail "the guest's I/O failed across the restart"
	;;
hotplug)
	mkimg "$run_dir/h1.img" 16M
	mkimg "$run_dir/h2.img" 8M
	mkxml hp 1 "blkbench --rw randread --bs 4096 --qd 8 --ops 100000000" \
		"$(disk "$run_dir/h1.img" xvda)"
	sv 0 create "$run_dir/hp.xml"
	wait_blkbench hp
	# A disk for the running guest; one it never used goes back at once.
	sv 0 block-attach hp "$run_dir/h2.img" xvdb --readonly
	sv 0 block-list hp
	expect_out "51728 *xvdb *0 *InitWait *r"
	sv 0 store read /local/domain/1/device/vbd/51728/backend
	expect_out "/local/domain/0/backend/vbd/1/51728"
	sv 1 block-attach hp "$run_dir/h2.img" xvdb
	expect_err "already"
	sv 65 block-attach hp "$run_dir/missing.img" xvdc
	expect_err "missing.img"
	sv 1 block-attach hp "$run_dir/h2.img" sda
	expect_err "xvd"
	sv 0 block-detach hp xvdb
	sv 0 block-list hp
	grep -q xvdb "$out" && fail "xvdb still listed after its detach"
	sv 1 store read /local/domain/1/device/vbd/51728/backend
	# Unplugging the disk under I/O: the frontend fails what is pending and closes.
	sv 0 block-detach hp xvda
	# The frontend may have failed its I/O and the guest ended by now (the watch
	# tells it at once): either way the second detach is refused.
	sv 1 block-detach hp xvda
	grep -Eq "already|no running domain" "$errf" || fail "a second detach was not refused"
	wait_ended hp "the guest did not give its disk back"
	timeout 60 "$svctl" console hp >"$out" 2>&1
	expect_out "blkbench: I/O failed"
	sv 1 block-detach hp xvda
	expect_err "no running domain"
	;;
block-list)
	mkimg "$run_dir/l.img" 8M
	mkxml lst 1 idle "$(disk "$run_dir/l.img" xvda)" "$(disk "$run_dir/l.img" xvdb readonly)"
	sv 0 create "$run_dir/lst.xml"
	sv 0 block-list lst
	expect_out "51712 *xvda *0 *InitWait *w"
	expect_out "51728 *xvdb *0 *InitWait *r"
	sv 0 store read /local/domain/0/backend/vbd/1/51712/sectors
	expect_out "^16384$"
	sv 1 block-list nosuch
	expect_err "no domain named nosuch"
	# A frontend that publishes garbage (written here as dom0 may): the backend says why in
	# its error node and goes Closing; the other disk and svdom0 go on.
	fe=/local/domain/1/device/vbd/51712
	sv 0 store write $fe/ring-ref 4000000000
	sv 0 store write $fe/event-channel 77
	sv 0 store write $fe/state 3
	i=0
	until timeout 60 "$svctl" block-list lst >"$out" 2>"$errf" &&
		grep -q "51712 *xvda *0 *Closing" "$out"; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "the backend did not close on a bad frontend"
		sleep 0.1
	done
	expect_out "51728 *xvdb *0 *InitWait"
	sv 0 store read /local/domain/0/backend/vbd/1/51712/error
	grep -q . "$out" || fail "the backend's error node is empty"
	sv 0 destroy lst
	# A disk that cannot be opened fails the creation, with the path in the message.
	mkxml bad 1 idle "$(disk "$run_dir/missing.img" xvda)"
	sv 1 create "$run_dir/bad.xml"
	expect_err "missing.img"
	sv 0 list
	grep -q "bad" "$out" && fail "a domain whose disk failed is still listed"
	# A relative path is refused (libvirt's schema wants absolute ones).
	mkxml rel 1 idle "$(disk "relative.img" xvda)"
	sv 65 create "$run_dir/rel.xml"
	expect_err "rel.xml"
	sv 0 list
	grep -q "rel" "$out" && fail "a domain with a relative disk path is listed"
	;;
*)
	echo "unknown case $case"
	exit 2
	;;
esac
echo "PASS ($case)"
