#!/bin/sh
# svctl bench --sweep refuses bad specs and option mixes with exit 64 and a message naming
# the bad part, before it looks for KVM (so this runs anywhere).
svctl=$1
fails=0
check() {
	want=$1
	shift
	err=$("$svctl" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -ne 64 ] || ! printf '%s' "$err" | grep -qF -- "$want"; then
		echo "FAIL: svctl $*: exit $rc, message '$err' (wanted 64 and '$want')"
		fails=$((fails + 1))
	fi
}
check "'qd=1..128': qd must be 1..64" bench blk --sweep 'bs=4k..1M,qd=1..128'
check "'bs=4k..': a range is LOW..HIGH" bench blk --sweep 'bs=4k..'
check "unknown key" bench blk --sweep 'size=4k'
check "'frame=64..9000': frame must be 64..1514" bench net --sweep 'frame=64..9000'
check "flows must be 1..8" bench net --sweep 'flows=1..16'
check "bs x qd is over the 16 MiB" bench blk --sweep 'bs=1M,qd=64'
check "more than 512 points" bench blk --sweep 'bs=512..1M,qd=1|2|3|4|5|6|7|8|9|10|11|12|13|14|15|16,rw=read|write,pattern=seq|rand'
check "--compare: 'persistent=maybe'" bench blk --sweep 'bs=4k' --compare 'persistent=maybe'
# format= is the fifth compare key: known, its values checked.
check "--compare: 'format=vmdk': 'vmdk' is not a value of format" bench blk --sweep 'bs=4k' --compare 'format=vmdk'
check "--compare: no configuration" bench net --sweep 'frame=64' --compare 'persistent=on'
check "--sweep is for blk and net" bench hypercall --sweep 'bs=4k'
check "go with --sweep" bench blk --plot /tmp
check "--json or --csv" bench blk --sweep 'bs=4k' --json --csv
check "at most 15 runs" bench blk --sweep 'bs=4k' --runs 16
check "-n '0': expected 1..1000000" top -n 0
[ "$fails" -eq 0 ] && echo "PASS"
exit "$fails"
