#!/bin/sh
# svctl define / undefine / list --all / dumpxml of domains that are not running, and their
# errors. Needs no /dev/kvm: svcored starts without it and only refuses to create domains.
# Usage: svctl_define.sh SVCTL
set -u
svctl=$1
examples=$(dirname "$svctl")/../examples
schemas=${SPLITVISOR_SCHEMA_DIR:-/usr/share/libvirt/schemas}

if [ ! -f "$schemas/domain.rng" ]; then
	echo "SKIP: libvirt's domain.rng is missing in $schemas"
	exit 77
fi

tmp=$(mktemp -d /tmp/sv-define-XXXXXX)
export SPLITVISOR_RUN_DIR=$tmp/run SPLITVISOR_STATE_DIR=$tmp/state
out=$tmp/test.out
errf=$tmp/test.err

cleanup() {
	"$svctl" daemons stop >/dev/null 2>&1
	for p in svcored svdom0; do
		[ -f "$tmp/run/$p.pid" ] && kill -9 "$(cat "$tmp/run/$p.pid")" 2>/dev/null
	done
	chmod -R u+w "$tmp" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	echo "--- stdout"; cat "$out"
	echo "--- stderr"; cat "$errf"
	for f in "$tmp"/run/*.log; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done
	exit 1
}

sv() {
	want=$1
	shift
	timeout 120 "$svctl" "$@" >"$out" 2>"$errf"
	rc=$?
	[ "$rc" -eq "$want" ] || fail "exit code $rc, expected $want (svctl $*)"
}

expect_out() { grep -q -- "$1" "$out" || fail "stdout lacks '$1'"; }
expect_err() { grep -q -- "$1" "$errf" || fail "stderr lacks '$1'"; }

sv 0 define "$examples/hello.xml"
expect_out "defined domain hello"
[ -f "$tmp/state/domains/hello.xml" ] || fail "no hello.xml in the state dir"
sv 0 validate "$tmp/state/domains/hello.xml"
sv 0 list --all
expect_out "hello *shut off"
sv 0 list
grep -q hello "$out" && fail "list without --all shows a domain that is off"
# dumpxml of a defined-but-off domain: the definition, no id, and it validates.
sv 0 dumpxml hello
expect_out "<name>hello</name>"
grep -q " id=" "$out" && fail "dumpxml of an off domain has an id"
cp "$out" "$tmp/hello-dump.xml"
sv 0 validate "$tmp/hello-dump.xml"

# Redefining with the same uuid replaces; another uuid under the name, or the uuid under
# another name, is refused.
sed 's|<cmdline>hello</cmdline>|<cmdline>selftest</cmdline>|' "$tmp/hello-dump.xml" >"$tmp/re.xml"
sv 0 define "$tmp/re.xml"
sv 0 dumpxml hello
expect_out "<cmdline>selftest</cmdline>"
sv 1 define "$examples/hello.xml"
expect_err "already defined with uuid"
sed 's|<name>hello</name>|<name>other</name>|' "$tmp/hello-dump.xml" >"$tmp/other.xml"
sv 1 define "$tmp/other.xml"
expect_err "already has uuid"

# Definitions survive a restart of the daemons.
sv 0 daemons stop
sv 0 define "$examples/spin.xml"
sv 0 list --all
expect_out "hello *shut off"
expect_out "spin *shut off"

# Errors.
printf '<domain type="xen">\n  <name>x</name>\n  <vcpu>0</vcpu>\n</domain>\n' >"$tmp/bad.xml"
sv 65 define "$tmp/bad.xml"
expect_err "bad.xml:[0-9]"
sv 1 start nosuch
expect_err "no domain named nosuch is defined"
sv 1 undefine nosuch
expect_err "no domain named nosuch is defined"
sv 1 dumpxml nosuch
expect_err "no domain named nosuch"
sv 64 create --bogus
chmod a-w "$tmp/state/domains"
if [ ! -w "$tmp/state/domains" ]; then # root writes anyway
	sv 1 define "$examples/selftest.xml"
	expect_err "cannot write"
fi
chmod u+w "$tmp/state/domains"

sv 0 undefine hello
expect_out "undefined domain hello"
sv 0 list --all
grep -q hello "$out" && fail "hello still listed after undefine"
[ -f "$tmp/state/domains/hello.xml" ] && fail "hello.xml left after undefine"
sv 0 undefine spin

# A domain with a disk: its definition keeps the disk; the one-process path refuses it.
sv 0 define "$examples/disk.xml"
sv 0 dumpxml disk
expect_out "<target dev=\"xvda\" bus=\"xen\"/>"
expect_out "disk.img"
sv 0 undefine disk
sv 64 run "$examples/disk.xml"
expect_err "need the control domain"
echo PASS
