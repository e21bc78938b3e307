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

# As libvirt: a document whose files do not exist yet is defined; start names each missing
# one; validate warns of them, or refuses with --strict. Nothing needs /dev/kvm here.
xen=$(dirname "$0")/../data/xml/xen
sv 0 validate "$xen/pv-missing-files.xml"
expect_err "warning: kernel /var/lib/xen/boot/vmlinuz-splitvisor-not-here: No such file"
sv 65 validate --strict "$xen/pv-missing-files.xml"
expect_err "error: kernel /var/lib/xen/boot/vmlinuz-splitvisor-not-here: No such file"
sv 0 define "$xen/pv-missing-files.xml"
sv 1 start missing-files
expect_err "domain missing-files cannot start: kernel /var/lib/xen/boot/vmlinuz-splitvisor-not-here: No such file or directory; initrd /var/lib/xen/boot/initrd-splitvisor-not-here: No such file or directory; disk xvda source /var/lib/xen/images/splitvisor-not-here.img: No such file"
sv 0 undefine missing-files

# The Xen driver's presentation elements, clock and limits: warned of, kept by dumpxml.
kernel=$(sed -n 's|.*<kernel>\(.*\)</kernel>.*|\1|p' "$examples/hello.xml")
sed "s|@KERNEL@|$kernel|; s|@INITRD@|$kernel|; s|@DISK@|$tmp/disk.img|" \
	"$xen/pv-libvirt-dumpxml.xml" >"$tmp/xen-dump.xml"
: >"$tmp/disk.img"
sv 0 define "$tmp/xen-dump.xml"
expect_err "warning: <devices>/<graphics> at line 34: the guest gets no display"
sv 0 dumpxml debian-pv
expect_out '<clock offset="utc"/>'
expect_out '<graphics type="vnc" port="-1" autoport="yes" listen="127.0.0.1">'
expect_out '<script path="vif-bridge"/>'
expect_out '<memballoon model="xen"/>'
cp "$out" "$tmp/xen-dump2.xml"
sv 0 validate "$tmp/xen-dump2.xml"
sv 0 undefine debian-pv

# pygrub and PVH documents are defined; start says what it cannot do (the empty disk holds
# no GRUB menu for the bootloader).
sed "s|@DISK@|$tmp/disk.img|" "$xen/pv-bootloader-args.xml" >"$tmp/pygrub.xml"
sv 0 define "$tmp/pygrub.xml"
sv 0 dumpxml pygrub-args
expect_out "<bootloader>/usr/lib/xen-4.17/bin/pygrub</bootloader>"
expect_out "<bootloader_args>--entry=1</bootloader_args>"
sv 1 start pygrub-args
expect_err "domain pygrub-args: bootloader: $tmp/disk.img: the disk is 0 bytes: too small"
sv 0 undefine pygrub-args
sed "s|@KERNEL@|$kernel|; s|@INITRD@|$kernel|; s|@DISK@|$tmp/disk.img|" \
	"$xen/pvh-kernel.xml" >"$tmp/pvh.xml"
sv 0 define "$tmp/pvh.xml"
# PVH documents start; this one's kernel is our own (no PVH entry), which the core refuses
# (without /dev/kvm it refuses every creation first).
sv 1 start pvh-kernel
grep -Eq "not a PVH kernel|/dev/kvm is not available" "$errf" || fail "start: $(cat "$errf")"
sv 0 undefine pvh-kernel
sv 65 validate "$xen/hvm-basic.xml"
expect_err "HVM guests are not supported"
echo PASS
