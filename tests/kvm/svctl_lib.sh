# Shared by the svctl integration scripts (sourced). The caller sets svctl, case and
# SV_TIMEOUT (seconds per svctl call) first; this makes run_dir with private daemons.
if [ ! -c /dev/kvm ] || ! [ -r /dev/kvm ]; then
	echo "SKIP: /dev/kvm is missing or not accessible; KVM integration tests need it"
	exit 77
fi

run_dir=$(mktemp -d /tmp/sv-test-XXXXXX)
export SPLITVISOR_RUN_DIR=$run_dir SPLITVISOR_STATE_DIR=$run_dir/state
out=$run_dir/test.out
errf=$run_dir/test.err

cleanup() {
	"$svctl" daemons stop >/dev/null 2>&1
	for p in svcored svdom0; do
		[ -f "$run_dir/$p.pid" ] && kill -9 "$(cat "$run_dir/$p.pid")" 2>/dev/null
	done
	rm -rf "$run_dir"
}
trap cleanup EXIT

fail() {
	echo "FAIL ($case): $*"
	echo "--- stdout"; cat "$out"
	echo "--- stderr"; cat "$errf"
	for f in "$run_dir"/*.log "$run_dir"/console/*.log; do
		[ -f "$f" ] && { echo "--- $f"; tail -c 20000 "$f"; }
	done
	exit 1
}

# sv EXPECTED_RC ARGS...: runs svctl with a watchdog and checks the exit code.
sv() {
	want=$1
	shift
	timeout "${SV_TIMEOUT:-120}" "$svctl" "$@" >"$out" 2>"$errf"
	rc=$?
	[ "$rc" -eq "$want" ] || fail "exit code $rc, expected $want (svctl $*)"
}

expect_out() {
	grep -q -- "$1" "$out" || fail "stdout lacks '$1'"
}

expect_err() {
	grep -q -- "$1" "$errf" || fail "stderr lacks '$1'"
}

# wait_ended NAME MESSAGE: until `svctl list` shows NAME shut down (120 s), else fails.
wait_ended() {
	i=0
	while :; do
		timeout 60 "$svctl" list >"$out" 2>"$errf"
		grep -q "$1 *shut" "$out" && break
		i=$((i + 1))
		[ $i -lt 120 ] || fail "$2"
		sleep 1
	done
}
