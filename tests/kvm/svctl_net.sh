#!/bin/sh
# Integration tests of the split network driver: guests with vifs on our switches and on
# TAP devices, through the daemons. Usage: svctl_net.sh SVCTL CASE. Exits 77 (ctest SKIP)
# where /dev/kvm is missing.
#
# Every case runs in a network namespace of its own (unshare --net): the TAP devices and
# addresses it makes live and die there, and nothing reaches the host's own networks.
set -u
svctl=$1
case=$2

if [ -z "${SV_NET_NS:-}" ]; then
	# Re-run inside a fresh network namespace; it goes away with the last process in it.
	SV_NET_NS=1 exec unshare --net sh "$0" "$@"
fi
ip link set lo up || { echo "FAIL ($case): cannot bring lo up in the test's namespace"; exit 1; }

SV_TIMEOUT=300
. "$(dirname "$0")/svctl_lib.sh"
kernel=$(cd "$(dirname "$svctl")/../guest" && pwd)/splitvisor-guest

# mkxml NAME CMDLINE IFACEXML...: a transient domain document in $run_dir/NAME.xml.
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

# bridge SWITCH MAC / tap DEV MAC: one <interface> element.
bridge() {
	echo "<interface type='bridge'><mac address='$2'/><source bridge='$1'/></interface>"
}
tap() {
	echo "<interface type='ethernet'><mac address='$2'/><target dev='$1'/></interface>"
}

# wait_log NAME TEXT [SECONDS]: until NAME's console log has TEXT.
wait_log() {
	i=0
	until grep -q -- "$2" "$run_dir/console/$1.log" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -ge $((${3:-300} * 10)) ]; then
			cp "$run_dir/console/$1.log" "$out" 2>/dev/null
			fail "$1 never printed '$2'"
		fi
		sleep 0.1
	done
}

# follow NAME: its console to the end, into $run_dir/NAME.console and $out.
follow() {
	timeout 900 "$svctl" console "$1" >"$run_dir/$1.console" 2>&1
	cp "$run_dir/$1.console" "$out"
}

# A UDP client of the host: sends COUNT datagrams to ADDR:PORT and counts the echoes.
udp_echo_client() {
	python3 - "$1" "$2" "$3" <<'EOF'
import socket, sys
addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
got = 0
for i in range(count):
    msg = b"splitvisor %d " % i + bytes(range(256)) * 4
    s.sendto(msg, (addr, port))
    try:
        data, peer = s.recvfrom(4096)
    except socket.timeout:
        continue
    if data == msg and peer == (addr, port):
        got += 1
print("udp: %d sent, %d echoed" % (count, got))
sys.exit(0 if got == count else 1)
EOF
}

case $case in
xml-ip)
	# The addresses come from <ip> (device/vif/0/ip in xenstore), not from ip= on the
	# command line; <script> is accepted and not run.
	ipxml() {
		echo "<interface type='bridge'><mac address='$2'/><source bridge='$1'/>"
		echo "<ip address='$3' prefix='24'/><script path='/nonexistent/vif-bridge'/></interface>"
	}
	mkxml b "udp-echo 7" "$(ipxml svnet0 00:16:3e:00:00:12 10.0.1.2)"
	mkxml a "ping 10.0.1.2 3" "$(ipxml svnet0 00:16:3e:00:00:13 10.0.1.3)"
	sv 0 create "$run_dir/b.xml"
	expect_err "warning: <devices>/<interface>/<script> at line 7: the script is not run"
	wait_log b "udp-echo: listening"
	sv 0 create "$run_dir/a.xml"
	follow a
	expect_out "ping: 3 sent, 3 received"
	sv 0 net-list b
	expect_out "ip: 10.0.1.2/24"
	sv 0 dumpxml b
	expect_out '<ip address="10.0.1.2" family="ipv4" prefix="24"/>'
	expect_out '<script path="/nonexistent/vif-bridge"/>'
	;;
two-guests)
	# A pings B through netfront, the rings, netback and the switch, and back.
	mkxml b "udp-echo 7 ip=10.0.0.2/24" "$(bridge svnet0 00:16:3e:00:00:02)"
	mkxml a "ping 10.0.0.2 5 ip=10.0.0.3/24" "$(bridge svnet0 00:16:3e:00:00:03)"
	sv 0 create "$run_dir/b.xml"
	wait_log b "udp-echo: listening"
	sv 0 create "$run_dir/a.xml"
	follow a
	expect_out "ping: 5 sent, 5 received"
	expect_out "poweroff, code 0"
	sv 0 net-list b
	expect_out "00:16:3e:00:00:02"
	expect_out "Connected"
	expect_out "svnet0"
	# Five echo requests came in and five replies went out, at the least (ARP too).
	awk 'NR == 2 && $7 >= 5 && $8 >= 5 { ok = 1 } END { exit !ok }' "$out" ||
		fail "b's counters do not show the pings"
	;;
host-tap)
	# The host (this namespace) pings a guest and gets UDP echoes back through a TAP device.
	mkxml g "udp-echo 7 ip=10.9.0.2/24" "$(tap svtap0 00:16:3e:00:09:02)"
	sv 0 create "$run_dir/g.xml"
	wait_log g "udp-echo: listening"
	ip addr add 10.9.0.1/24 dev svtap0 || fail "cannot address svtap0"
	ip link set svtap0 up || fail "cannot bring svtap0 up"
	ping -c 3 -W 5 10.9.0.2 >"$out" 2>"$errf" || fail "the host's ping got no answer"
	expect_out "3 received"
	udp_echo_client 10.9.0.2 7 20 >"$out" 2>"$errf" || fail "UDP echoes lost"
	expect_out "20 echoed"
	sv 0 net-list g
	expect_out "svtap0"
	;;
refusals)
	# Bad input to the CLI and the toolstack: clear errors, and the domain goes on.
	mkxml g "udp-echo 7 ip=10.0.1.2/24" "$(bridge svnet1 00:16:3e:00:01:02)"
	sv 0 create "$run_dir/g.xml"
	wait_log g "udp-echo: listening"
	sv 64 net-attach g --bridge svnet1 --mac 01:00:5e:00:00:01
	expect_err "not a unicast MAC address"
	sv 64 net-attach g --bridge svnet1 --tap
	expect_err "give one of --bridge, --tap"
	sv 64 net-detach g 00:16:3e
	expect_err "not a unicast MAC address"
	sv 1 net-attach g --bridge svnet1 --mac 00:16:3e:00:01:02
	expect_err "has an interface with mac 00:16:3e:00:01:02 already"
	sv 1 net-detach g 00:16:3e:00:01:99
	expect_err "has no interface with mac 00:16:3e:00:01:99"
	sv 1 net-attach nosuch --bridge svnet1
	expect_err "no running domain named nosuch"
	sv 1 net-list nosuch
	expect_err "no domain named nosuch"
	sv 0 net-list g
	expect_out "Connected"
	;;
hotplug)
	# A vif plugged into a running guest gets its directories and a backend in InitWait; Xen's
	# unplug of one its frontend never took takes it away at once.
	mkxml g "udp-echo 7 ip=10.0.2.2/24" "$(bridge svnet2 00:16:3e:00:02:02)"
	sv 0 create "$run_dir/g.xml"
	wait_log g "udp-echo: listening"
	sv 0 net-attach g --bridge svnet2 --mac 00:16:3e:00:02:03
	sv 0 net-list g
	expect_out "00:16:3e:00:02:03"
	expect_out "InitWait"
	sv 0 store read /local/domain/0/backend/vif/1/1/mac
	expect_out "00:16:3e:00:02:03"
	sv 0 net-attach g --tap svtap2
	ip link show svtap2 >/dev/null 2>&1 || fail "net-attach --tap made no svtap2"
	sv 0 net-list g
	expect_out "svtap2"
	sv 0 net-detach g 00:16:3e:00:02:03
	sv 0 net-list g
	grep -q "00:16:3e:00:02:03" "$out" && fail "the detached vif is still listed"
	sv 1 store read /local/domain/1/device/vif/1/mac
	# The connected one: unplug asks the guest, which closes it (its app then fails).
	sv 0 net-detach g 00:16:3e:00:02:02
	i=0
	while :; do
		sv 0 net-list g
		grep -q "00:16:3e:00:02:02" "$out" || break
		i=$((i + 1))
		[ $i -lt 300 ] || fail "the guest never gave its vif back"
		sleep 0.1
	done
	;;
bandwidth)
	# <bandwidth> polices: a guest limited to 64 KiB/s out that sends 3 MB as fast as it can
	# gets most frames dropped at the switch, counted as rate-out; its peer gets the rest.
	mkxml b "netbench recv 9 2000 ip=10.0.4.2/24" "$(bridge svnet5 00:16:3e:00:05:02)"
	mkxml a "netbench send 10.0.4.2 9 1472 2000 --hold ip=10.0.4.3/24" \
		"<interface type='bridge'><mac address='00:16:3e:00:05:03'/>
		<source bridge='svnet5'/>
		<bandwidth><outbound average='64' burst='64'/></bandwidth></interface>"
	sv 0 create "$run_dir/b.xml"
	wait_log b "netbench: ready"
	sv 0 create "$run_dir/a.xml"
	wait_log a "netbench: holding" 600
	sv 0 dumpxml a
	expect_out "<outbound average=\"64\" burst=\"64\"/>"
	sv 0 net-list a
	grep -Eq "rate-out [1-9][0-9]*" "$out" || fail "no frames were policed"
	# What got through is about the burst plus the rate: far under what was sent.
	wait_log b "netbench: received"
	n=$(sed -n 's/.*netbench: received \([0-9]*\) of 2000.*/\1/p' "$run_dir/console/b.log")
	[ -n "$n" ] && [ "$n" -lt 1000 ] || fail "the peer received $n of 2000: not policed"
	;;
backend-killed)
	# kill -9 svdom0 under traffic: the next svdom0 adopts the guests and serves their vifs
	# again (docs/abi.md, "What survives a restart of svdom0"); the pinging guest's netfront
	# comes back and its last ping is answered; a bystander runs on.
	mkxml b "udp-echo 7 ip=10.0.3.2/24" "$(bridge svnet3 00:16:3e:00:03:02)"
	mkxml a "ping 10.0.3.2 4000 ip=10.0.3.3/24" "$(bridge svnet3 00:16:3e:00:03:03)"
	mkxml s "spin" "$(bridge svnet4 00:16:3e:00:04:02)"
	sv 0 create "$run_dir/b.xml"
	wait_log b "udp-echo: listening"
	sv 0 create "$run_dir/s.xml"
	sv 0 create "$run_dir/a.xml"
	wait_log a "seq=3 "
	grep -q "seq=4000 " "$run_dir/console/a.log" && fail "ping ended before svdom0 was killed"
	kill -9 "$(cat "$run_dir/svdom0.pid")" || fail "cannot kill svdom0"
	sleep 1
	sv 0 list # a new svdom0 adopts the guests
	wait_ended a "the pinging guest did not finish after svdom0 came back"
	expect_out "s *running"
	timeout 60 "$svctl" console a >"$out" 2>&1
	expect_out "bytes from 10.0.3.2: seq=4000 "
	grep -Eq "ping: 4000 sent, [0-9]+ received" "$out" ||
		fail "the pinging guest did not send all its pings"
	;;
*)
	echo "unknown case $case"
	exit 2
	;;
esac
exit 0
