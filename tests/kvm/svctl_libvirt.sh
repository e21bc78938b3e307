#!/bin/sh
# Stock libvirt clients (Debian's virsh and python3-libvirt) against svdom0's libvirt socket,
# with real KVM guests. Usage: svctl_libvirt.sh SVCTL CASE. Exits 77 where /dev/kvm is missing.
set -u
svctl=$1
case=$2

. "$(dirname "$0")/svctl_lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
kernel=$(cd "$(dirname "$svctl")/.." && pwd)/guest/splitvisor-guest
# Debian's interpreter: python3-libvirt lives in its dist-packages.
py=/usr/bin/python3
command -v virsh >/dev/null || { echo "SKIP: virsh (libvirt-clients) is not installed"; exit 77; }

# vs EXPECTED_RC ARGS...: runs virsh against our socket and checks its exit code.
vs() {
	want=$1
	shift
	timeout 120 virsh -c "$uri" "$@" >"$out" 2>"$errf"
	rc=$?
	[ "$rc" -eq "$want" ] || fail "exit code $rc, expected $want (virsh $*)"
}

# mkxml NAME CMDLINE [DISK]: a domain document in $run_dir/NAME.xml (on_poweroff destroy).
mkxml() {
	disk=""
	[ -n "${3:-}" ] && disk="<disk type='file' device='disk'><source file='$3'/><target dev='xvda' bus='xen'/></disk>"
	cat >"$run_dir/$1.xml" <<XML
<domain type='xen'>
  <name>$1</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='xenpv'>xen</type><kernel>$kernel</kernel><cmdline>$2</cmdline></os>
  <on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot><on_crash>destroy</on_crash>
  <devices>$disk<console type='pty'><target type='xen' port='0'/></console></devices>
</domain>
XML
}

# wait_state NAME STATE: until `virsh domstate NAME` says STATE (60 s).
wait_state() {
	i=0
	while [ $i -lt 120 ]; do
		timeout 60 virsh -q -c "$uri" domstate "$1" >"$out" 2>"$errf"
		grep -q "^$2" "$out" && return 0
		sleep 0.5
		i=$((i + 1))
	done
	fail "domain $1 never reached state '$2'"
}

sv 0 uri --start
uri=$(cat "$out")
expect_out "^splitvisor+unix:///system?socket=.*/libvirt-sock$"
[ -S "$run_dir/libvirt-sock" ] || fail "no socket at $run_dir/libvirt-sock"

case $case in
virsh)
	truncate -s 8M "$run_dir/a.img" "$run_dir/b.img"
	mkxml lv1 idle "$run_dir/a.img"
	vs 0 version --daemon
	expect_out "Running hypervisor: Splitvisor"
	vs 0 hostname
	expect_out "^$(hostname)$"
	vs 1 -r define "$run_dir/lv1.xml"
	expect_err "read only"
	vs 0 define "$run_dir/lv1.xml"
	expect_out "Domain 'lv1' defined"
	vs 0 list --all
	expect_out "^ *- *lv1 *shut off"
	vs 0 -r list --all
	expect_out "lv1 *shut off"
	vs 0 domuuid lv1
	uuid=$(cat "$out")
	echo "$uuid" | grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$' ||
		fail "domuuid printed '$uuid'"
	vs 0 domname "$uuid"
	expect_out "^lv1$"
	vs 0 start lv1
	expect_out "Domain 'lv1' started"
	vs 0 list
	expect_out "^ *1 *lv1 *running"
	vs 0 domid lv1
	expect_out "^1$"
	vs 0 domname 1
	expect_out "^lv1$"
	vs 0 dominfo lv1
	expect_out "^Id: *1$"
	expect_out "^UUID: *$uuid$"
	expect_out "^OS Type: *xen$"
	expect_out "^State: *running$"
	expect_out "^CPU(s): *1$"
	expect_out "^Max memory: *32768 KiB$"
	expect_out "^Persistent: *yes$"
	vs 0 domstate --reason lv1
	expect_out "^running (booted)"
	vs 0 dumpxml lv1
	cp "$out" "$run_dir/live.xml"
	expect_out "<name>lv1</name>"
	expect_out "<uuid>$uuid</uuid>"
	expect_out 'id="1"'
	virt-xml-validate "$run_dir/live.xml" domain >"$out" 2>"$errf" ||
		fail "dumpxml does not validate against libvirt's schema"
	vs 0 suspend lv1
	expect_out "Domain 'lv1' suspended"
	vs 0 domstate lv1
	expect_out "^paused"
	vs 1 suspend lv1
	expect_err "already paused"
	vs 0 resume lv1
	expect_out "Domain 'lv1' resumed"
	vs 0 domstate lv1
	expect_out "^running"
	vs 0 domblklist lv1
	expect_out "^ *xvda *$run_dir/a.img"
	vs 0 domblkstat lv1 xvda
	expect_out "xvda errs 0"
	vs 0 attach-disk lv1 "$run_dir/b.img" xvdb
	expect_out "Disk attached successfully"
	vs 0 domblklist lv1
	expect_out "^ *xvdb *$run_dir/b.img"
	vs 1 attach-disk lv1 "$run_dir/b.img" xvdb
	expect_err "already"
	# A read-only disk whose path has spaces: svdom0's records, not a table parsed back.
	truncate -s 8M "$run_dir/c d e.img"
	vs 0 attach-disk lv1 "$run_dir/c d e.img" xvdc --mode readonly
	expect_out "Disk attached successfully"
	vs 0 domblklist lv1
	expect_out "^ *xvdc *$run_dir/c d e.img$"
	vs 0 domblkstat lv1 "$run_dir/c d e.img"
	expect_out "errs 0"
	vs 0 dumpxml lv1
	grep -A3 "<source file=.$run_dir/c d e.img./>" "$out" | grep -q "<readonly/>" ||
		fail "dumpxml lacks xvdc's source or <readonly/>"
	sv 0 block-list lv1
	expect_out "xvdc .* r .*$run_dir/c d e.img$"
	vs 0 detach-disk lv1 xvdc
	vs 0 detach-disk lv1 xvdb
	expect_out "Disk detached successfully"
	i=0
	while :; do
		vs 0 domblklist lv1
		grep -qE "xvdb|xvdc" "$out" || break
		i=$((i + 1))
		[ $i -lt 60 ] || fail "xvdb still listed after its detach"
		sleep 0.5
	done
	vs 0 domstats lv1
	expect_out "state.state=1"
	expect_out "block.0.name=xvda"
	vs 1 start lv1
	expect_err "already active"
	vs 0 shutdown lv1
	expect_out "Domain 'lv1' is being shutdown"
	wait_state lv1 "shut off"
	vs 0 domstate --reason lv1
	expect_out "^shut off (shutdown)"
	vs 0 list --all
	expect_out "^ *- *lv1 *shut off"
	# A transient domain: create, then destroy, and it is gone.
	mkxml lv2 idle
	vs 0 create "$run_dir/lv2.xml"
	expect_out "Domain 'lv2' created"
	vs 0 dominfo lv2
	expect_out "^Persistent: *no$"
	expect_out "^State: *running$"
	vs 0 destroy lv2
	expect_out "Domain 'lv2' destroyed"
	# virsh says only this for a domain its lookup does not find (python checks the code)
	vs 1 dominfo lv2
	expect_err "failed to get domain 'lv2'"
	# start --paused, destroy (reason destroyed), undefine.
	vs 0 start --paused lv1
	vs 0 domstate lv1
	expect_out "^paused"
	vs 0 destroy lv1
	vs 0 domstate --reason lv1
	expect_out "^shut off (destroyed)"
	vs 0 undefine lv1
	expect_out "Domain 'lv1' has been undefined"
	vs 0 list --all
	grep -q lv1 "$out" && fail "lv1 still listed after undefine"
	# Errors with our own sentences.
	vs 1 start nosuch
	expect_err "failed to get domain 'nosuch'"
	printf '<domain type="xen">\n<name>bad</name>\n<memory>lots</memory>\n</domain>\n' \
		>"$run_dir/bad.xml"
	vs 1 define "$run_dir/bad.xml"
	expect_err "XML error: domain.xml:3: <memory> 'lots'"
	vs 1 nodeinfo
	expect_err "unknown procedure"
	;;
console)
	mkxml echo console-echo
	vs 0 create "$run_dir/echo.xml"
	timeout 120 "$py" "$here/libvirt_console.py" "$uri" echo >"$out" 2>"$errf" ||
		fail "virsh console failed"
	expect_out "banner: ok"
	expect_out "echo: ok"
	expect_out "detach: rc 0"
	vs 0 domstate echo
	expect_out "^running"
	vs 0 destroy echo
	;;
interface)
	# A vif on one of our switches, hot-plugged and unplugged through virsh.
	mkxml nic idle
	vs 0 create "$run_dir/nic.xml"
	vs 0 attach-interface nic bridge lvsw0 --mac 00:16:3e:11:22:33
	expect_out "Interface attached successfully"
	vs 0 domiflist nic
	expect_out "bridge *lvsw0 .*00:16:3e:11:22:33"
	sv 0 net-list nic
	expect_out "00:16:3e:11:22:33 .*lvsw0"
	vs 1 attach-interface nic bridge lvsw0 --mac 01:16:3e:11:22:33
	expect_err "unicast"
	vs 0 detach-interface nic bridge --mac 00:16:3e:11:22:33
	expect_out "Interface detached successfully"
	i=0
	while :; do
		vs 0 domiflist nic
		grep -q "00:16:3e:11:22:33" "$out" || break
		i=$((i + 1))
		[ $i -lt 60 ] || fail "the interface is still listed after its detach"
		sleep 0.5
	done
	vs 1 attach-device nic "$run_dir/nic.xml"
	expect_err "only <disk> and <interface>"
	vs 0 destroy nic
	;;
python)
	mkxml lvpy idle
	timeout 300 "$py" "$here/libvirt_api.py" "$uri" "$run_dir/lvpy.xml" >"$out" 2>"$errf" ||
		fail "the python3-libvirt script failed"
	expect_out "python3-libvirt: ok"
	;;
hostile)
	mkxml victim idle
	vs 0 create "$run_dir/victim.xml"
	timeout 300 "$py" "$here/libvirt_hostile.py" "$uri" "$run_dir/libvirt-sock" \
		>"$out" 2>"$errf" || fail "the hostile clients' script failed"
	expect_out "hostile: ok"
	vs 0 list
	expect_out "victim *running"
	[ -f "$run_dir/svdom0.pid" ] && kill -0 "$(cat "$run_dir/svdom0.pid")" ||
		fail "svdom0 is gone"
	vs 0 destroy victim
	;;
*)
	echo "unknown case $case"
	exit 2
	;;
esac
echo "PASS ($case)"
