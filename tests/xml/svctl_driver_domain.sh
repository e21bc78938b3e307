#!/bin/sh
# A driver domain's life in the toolstack without /dev/kvm: svdom0 starts a stand-in svdd
# (fake_svdd.py, $SPLITVISOR_SVDD) with fds 3..6, a xenstore identity of its own domid, a
# toolstack that refuses what it did not record; list, inject (signals here, the rest
# forwarded), a restart with the same domid after kill, the restart throttle, shutdown,
# destroy, and the refusals. Skips (77) where the core has no process domains.
# Usage: svctl_driver_domain.sh SVCTL
set -u
svctl=$1
examples=$(dirname "$svctl")/../examples
schemas=${SPLITVISOR_SCHEMA_DIR:-/usr/share/libvirt/schemas}
here=$(cd "$(dirname "$0")" && pwd)

[ -f "$schemas/domain.rng" ] || { echo "SKIP: libvirt's domain.rng is missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3 for the stand-in svdd"; exit 77; }

tmp=$(mktemp -d /tmp/sv-dd-XXXXXX)
export SPLITVISOR_RUN_DIR=$tmp/run SPLITVISOR_STATE_DIR=$tmp/state
# The interpreter itself: a version manager's shim may be a shell script that uses fds 3..6.
py=$(python3 -c 'import sys; print(sys.executable)')
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$py" "$here/fake_svdd.py" >"$tmp/svdd"
chmod +x "$tmp/svdd"
export SPLITVISOR_SVDD=$tmp/svdd FAKE_SVDD_LOG=$tmp/fake.log
out=$tmp/test.out
errf=$tmp/test.err

cleanup() {
	"$svctl" daemons stop >/dev/null 2>&1
	for p in svcored svdom0; do
		[ -f "$tmp/run/$p.pid" ] && kill -9 "$(cat "$tmp/run/$p.pid")" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	echo "--- stdout"; cat "$out"
	echo "--- stderr"; cat "$errf"
	echo "--- fake svdd"; cat "$FAKE_SVDD_LOG" 2>/dev/null
	for f in "$tmp"/run/*.log; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done
	exit 1
}

sv() {
	want=$1
	shift
	timeout 60 "$svctl" "$@" >"$out" 2>"$errf"
	rc=$?
	[ "$rc" -eq "$want" ] || fail "exit code $rc, expected $want (svctl $*)"
}

expect_out() { grep -q -- "$1" "$out" || fail "stdout lacks '$1'"; }
expect_err() { grep -q -- "$1" "$errf" || fail "stderr lacks '$1'"; }
expect_log() { grep -q -- "$1" "$FAKE_SVDD_LOG" || fail "the stand-in svdd lacks '$1'"; }

# until "$@" succeeds, 10 s
wait_for() {
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "timed out waiting for: $*"
		sleep 0.1
	done
}

timeout 60 "$svctl" create "$examples/driver-domain.xml" >"$out" 2>"$errf"
rc=$?
if [ $rc -ne 0 ] && grep -q "op 16 takes\|unknown op" "$errf"; then
	echo "SKIP: the core has no process domains: $(cat "$errf")"
	exit 77
fi
[ $rc -eq 0 ] || fail "create driver-domain.xml: exit $rc"
expect_out "created domain dd0"
wait_for grep -q "^unknown op" "$FAKE_SVDD_LOG"
expect_log "^args dd0 [0-9]"
expect_log "^fds 3 4 5 6$"
expect_log "^read own name dd0"
expect_log "^write dom0 EACCES"
expect_log "^open unrecorded disk -2 no disk of driver domain dd0"
expect_log "^open unrecorded tap -2"
expect_log "^malformed -22"
expect_log "^unknown op -95"
domid=$(sed -n 's/^args dd0 //p' "$FAKE_SVDD_LOG" | head -1)
sv 0 list
expect_out "dd0 *running .*driver domain, pid [0-9]*, 0 restarts"
sv 1 create "$examples/driver-domain.xml"
expect_err "already running"
sv 0 dumpxml dd0
expect_out "<type arch=\"x86_64\">exe</type>"
expect_out "id=\"$domid\""

# Injections: the forwarded ones reach svdd, its refusal comes back as said.
sv 0 inject dd0 slow 250
expect_log "^inject 1 250"
sv 0 inject dd0 corrupt-ring
expect_log "^inject 2 0"
sv 1 inject dd0 drop-notify
expect_err "fake svdd refuses drop-notify"
sv 0 inject dd0 clear
sv 0 inject dd0 hang
sv 0 list
expect_out "dd0 *hung"
sv 1 inject dd0 slow 5
expect_err "is hung"
sv 0 inject dd0 resume
sv 64 inject dd0 slow 0
sv 64 inject dd0 slow 60001
sv 64 inject dd0 slow
sv 64 inject dd0 kill 3
sv 64 inject dd0 explode
sv 1 inject nosuch kill
expect_err "no domain named nosuch"
# svdom0's own backends take the faults that make sense, not kill or hang.
sv 0 inject Domain-0 corrupt-ring
sv 0 inject Domain-0 slow 5
sv 0 inject Domain-0 clear
grep -q "injected fault 1 (arg 5) into svdom0's own backends" "$tmp/run/svdom0.log" ||
	fail "svdom0.log does not show the fault in its own backends"
sv 1 inject Domain-0 kill
expect_err "does not kill or stop itself"
sv 1 inject Domain-0 hang
expect_err "does not kill or stop itself"
sv 1 pause dd0
expect_err "is a driver domain"
sv 1 console dd0 --no-follow
expect_err "no console"

# kill: it comes back with the same domid, its restart counted.
sv 0 inject dd0 kill
wait_for sh -c "'$svctl' list | grep -q 'dd0 .*running .*1 restarts'"
grep -q "driver domain dd0 (domid $domid) ended: killed by signal KILL" "$tmp/run/svdom0.log" ||
	fail "svdom0.log does not say how dd0 ended"
wait_for sh -c "[ \$(grep -c '^args dd0 $domid\$' '$FAKE_SVDD_LOG') -eq 2 ]"

# Five restarts in 10 s at most, then it stays down, said in the log and the list (killed
# until then: a slow machine may spread the kills over more than 10 s).
n=1
while [ $n -lt 12 ]; do
	sv 0 inject dd0 kill
	wait_for sh -c "'$svctl' list | grep -q 'dd0 .*\(running .*$((n + 1)) restarts\|crashed\)'"
	"$svctl" list | grep -q "dd0 *crashed" && break
	n=$((n + 1))
done
sv 0 list
expect_out "dd0 *crashed"
grep -q "restarted 5 times within 10 s: left stopped" "$tmp/run/svdom0.log" ||
	fail "the throttle is not in svdom0.log"
# Each svdd after a restart had its home as the first: released, it was given to dom0.
grep -q "^read own name EACCES" "$FAKE_SVDD_LOG" && fail "a restarted svdd cannot read its home"
sv 1 inject dd0 kill
expect_err "not running"
# destroy forgets it; create starts it afresh.
sv 0 destroy dd0
sv 0 list
grep -q dd0 "$out" && fail "dd0 listed after destroy"
done_before=$(grep -c '^unknown op' "$FAKE_SVDD_LOG")
sv 0 create "$examples/driver-domain.xml"
wait_for sh -c "'$svctl' list | grep -q 'dd0 .*running'"
# Its checks done (and its SIGTERM handler set) before it is asked to stop.
wait_for sh -c "[ \$(grep -c '^unknown op' '$FAKE_SVDD_LOG') -gt $done_before ]"

# shutdown: SIGTERM, the answer once it ended, no restart.
sv 0 shutdown dd0 --timeout 10
expect_out "driver domain dd0 (domid [0-9]*) ended: exit status 0"
expect_log "^sigterm"
sv 0 list
grep -q dd0 "$out" && fail "dd0 listed after shutdown"

# define + start; a name is one domain's.
sv 0 define "$examples/driver-domain.xml"
sv 0 list --all
expect_out "dd0 *shut off"
sv 0 start dd0
sv 0 list --all
expect_out "dd0 *running"
grep -q "dd0 *shut off" "$out" && fail "a running driver domain also listed as shut off"
sv 0 destroy dd0
sv 0 undefine dd0
echo PASS
