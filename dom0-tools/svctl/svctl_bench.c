// SPDX-License-Identifier: MIT
/* svctl bench: the built-in benchmarks, each beside a baseline measured in the same run. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "svctl.h"
#include "runner.h"
#include "util.h"

const char svctl_bench_usage[] =
	"bench <hypercall|boot|evtchn|blk|xenstore|net> [--json] [--iterations N] [--runs N]\n"
	"      [--kernel ELF]\n"
	"bench blk --guest linux [--linux-dir DIR] [--peer virtio|none] [--size MiB]\n"
	"      [--iterations N] [--runs N] [--json]\n"
	"bench blk|net --sweep SPEC [--runs N] [--compare SPEC] [--json | --csv]\n"
	"      [--plot DIR] [--size MiB] [--iterations N] [--kernel ELF]\n"
	"\n"
	"  hypercall   null hypercall round trip vs a bare port-I/O exit to userspace\n"
	"              (name hypercall, ns, ratio = hypercall / bare exit)\n"
	"  boot        domain create to first console byte (boot.first_byte) and to\n"
	"              the end of a `hello` guest (boot.poweroff), medians in ms\n"
	"  evtchn      guest <-> process echo over event channels (evtchn.rtt, ns,\n"
	"              host clock; ratio = rtt / eventfd ping-pong of two threads)\n"
	"  blk         a guest's blkbench against a file in the page cache, beside\n"
	"              pread/pwrite of the same file (blk.seq_read_64k MB/s,\n"
	"              blk.rand_read_4k IOPS at queue depth 32, blk.seq_write_64k MB/s\n"
	"              with a flush at the end; ratio = guest / host). --size MiB\n"
	"              (default 128) sets the file, --iterations the random reads\n"
	"              (default 20000), --runs the turns of host and guest whose\n"
	"              medians are reported (default 3); --persistent makes the\n"
	"              guest use persistent grants (copies through a fixed pool)\n"
	"              --guest linux: Debian's kernel (DIR/vmlinuz and initrd.img of\n"
	"              scripts/linux-guest.sh; default the build-linux beside this\n"
	"              build) runs dd with O_DIRECT through xen-blkfront\n"
	"              (blk.linux.seq_read_64k, seq_read_4k, seq_write_64k, MB/s,\n"
	"              ratio = guest / host, VM exits and more per request), and the\n"
	"              same under QEMU/KVM on virtio-blk in the same run\n"
	"              (blk.linux_vs_virtio.*, ratio = ours / virtio; --peer none\n"
	"              leaves it out). --iterations the 4 KiB reads (default 4096)\n"
	"  xenstore    a guest's xenstore reads through its store ring, timed on the\n"
	"              host clock (xenstore.read_rtt us, xenstore.ops reads/s),\n"
	"              beside the same reads by a host client over xenstore.sock;\n"
	"              ratio = guest / host. --iterations the reads per run (default\n"
	"              5000), --runs the turns of guest and host (default 3)\n"
	"  net         UDP from a guest's netbench through netfront, netback and our\n"
	"              switch to a second guest (net.g2g_64: 22-byte payloads, 64-byte\n"
	"              frames; net.g2g_1500: 1472 bytes, 1500-byte IP packets) and\n"
	"              through a TAP device to a socket of the host (net.g2host_1500),\n"
	"              in frames/s with Gbit/s of payload, notifications and grant\n"
	"              copies per frame and lost frames; baseline: a veth pair between\n"
	"              two network namespaces, same payloads (ratio = guest / veth), and\n"
	"              memcpy of the frame size. Root only: it runs in a network\n"
	"              namespace of its own. --iterations the datagrams per figure\n"
	"              (default 20000 of 64 B, 10000 of 1500 B), --runs the turns of\n"
	"              baseline and guests (default 3)\n"
	"\n"
	"\n"
	"  --sweep SPEC    every combination of KEY=VALUES, joined by ',': a range\n"
	"                  LOW..HIGH steps by powers of two (and ends at HIGH), a list\n"
	"                  splits by '|'. blk: bs=512..1M (k, M), qd=1..64,\n"
	"                  rw=read|write, pattern=seq|rand (defaults 64k, 32, read,\n"
	"                  seq; bs x qd at most 16 MiB). net: frame=64..1514 (bytes\n"
	"                  on the wire less the FCS), path=g2g|g2host, flows=1..8\n"
	"                  (UDP flows of one sending guest, destination ports in\n"
	"                  turn; the veth baseline alike).\n"
	"                  Each point, each run: the host's own figure (blk: pread or\n"
	"                  pwrite of the same file, one at a time; net: a veth pair)\n"
	"                  then the guest's; median and min..max over the runs of the\n"
	"                  value, the baseline and their ratio, with counts per\n"
	"                  request or frame (notifications, requests per op, grant\n"
	"                  copies, drops, VM exits, hypercalls, events, backend\n"
	"                  system calls; blk: grant operations). A progress line on\n"
	"                  a terminal (stderr).\n"
	"  --compare SPEC  blk only: configurations, each at every point:\n"
	"                  persistent=on|off, indirect=on|off, ring=0|1|2 (ring page\n"
	"                  order), backend=svdom0|dd (a driver domain), format=raw|qcow2\n"
	"                  (the same data as a qcow2 image, served by QEMU)\n"
	"  --csv           one CSV row per point and configuration\n"
	"  --plot DIR      DIR/<blk|net>-throughput.png and -ratio.png against the\n"
	"                  first swept number, a line per configuration (gnuplot;\n"
	"                  its data and script stay beside them)\n"
	"  --runs N        sweeps: runs per point (default 3, at most 15)\n"
	"  --json          one JSON object per figure (an array when several)\n"
	"  --iterations N  hypercalls per run (default 200000), evtchn rounds (20000)\n"
	"  --runs N        boots to take the median of (default 20)\n"
	"  --kernel ELF    guest kernel (default: the one built beside svctl)\n";

/* build-linux at the top of the tree this svctl was built in (<top>/<build>/dom0-tools/svctl). */
static void default_linux_dir(char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	snprintf(out, cap, "build-linux");
	if (n <= 0)
		return;
	self[n] = '\0';
	for (int i = 0; i < 3 && (slash = strrchr(self, '/')); i++)
		*slash = '\0';
	if (self[0] && strlen(self) + sizeof("/build-linux") <= cap) {
		strcpy(out, self);
		strcat(out, "/build-linux");
	}
}

/* bench blk --guest linux: its own options were parsed with the others. */
static int bench_blk_guest_linux(const char *linux_dir, const char *peer, uint32_t size_mb,
				 const struct bench_opts *o, bool persistent, bool json)
{
	struct bench_blk_linux_opts lo = {
		.size_mb = size_mb,
		.ops_4k = o->iterations ? o->iterations : 4096,
		.runs = o->runs ? o->runs : 3,
		.peer = !peer || !strcmp(peer, "virtio"),
	};
	char dir[PATH_MAX];
	char err[512];

	if (peer && strcmp(peer, "virtio") && strcmp(peer, "none"))
		return svctl_usage_error("bench", "--peer takes virtio or none, not '%s'", peer);
	if (persistent)
		return svctl_usage_error("bench", "--persistent is for our own guest's blkbench");
	if (lo.runs > BLK_MAX_RUNS)
		return svctl_usage_error("bench", "blk takes at most %u runs", BLK_MAX_RUNS);
	if (sv_kvm_probe(err, sizeof(err))) {
		fprintf(stderr, "svctl bench: %s\n", err);
		return SVCTL_EX_UNAVAILABLE;
	}
	if (!linux_dir) {
		default_linux_dir(dir, sizeof(dir));
		linux_dir = dir;
	}
	lo.linux_dir = linux_dir;
	return bench_blk_linux(&lo, json);
}

int svctl_cmd_bench(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "runs", required_argument, NULL, 'r' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "size", required_argument, NULL, 's' },
		{ "persistent", no_argument, NULL, 'P' },
		{ "sweep", required_argument, NULL, 'S' },
		{ "compare", required_argument, NULL, 'C' },
		{ "csv", no_argument, NULL, 'c' },
		{ "plot", required_argument, NULL, 'p' },
		{ "guest", required_argument, NULL, 'g' },
		{ "linux-dir", required_argument, NULL, 'L' },
		{ "peer", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_opts o = { .kernel = runner_default_kernel() };
	struct bench_result r[2];
	unsigned int n = 0;
	char err[512] = "";
	bool json = false;
	const char *what;
	uint32_t v, size_mb = 128;
	bool persistent = false;
	struct bench_sweep_opts so = { 0 };
	const char *guest = NULL, *linux_dir = NULL, *peer = NULL;
	int c, ret;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'i':
			if (svctl_parse_count("bench", "--iterations", optarg, 1, 100000000, &v))
				return SVCTL_EX_USAGE;
			o.iterations = v;
			break;
		case 'r':
			if (svctl_parse_count("bench", "--runs", optarg, 1, 10000, &v))
				return SVCTL_EX_USAGE;
			o.runs = v;
			break;
		case 'k':
			o.kernel = optarg;
			break;
		case 'P':
			persistent = true;
			break;
		case 'S':
			so.spec = optarg;
			break;
		case 'C':
			so.compare = optarg;
			break;
		case 'c':
			so.csv = true;
			break;
		case 'p':
			so.plot_dir = optarg;
			break;
		case 'g':
			guest = optarg;
			break;
		case 'L':
			linux_dir = optarg;
			break;
		case 'e':
			peer = optarg;
			break;
		case 's':
			if (svctl_parse_count("bench", "--size", optarg, 1, 4096, &size_mb))
				return SVCTL_EX_USAGE;
			break;
		case 'h':
			printf("usage: svctl %s", svctl_bench_usage);
			return 0;
		default:
			return svctl_usage_error("bench", "unknown or incomplete option '%s'",
						 argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return svctl_usage_error("bench", "name exactly one benchmark");
	what = argv[optind];
	if (strcmp(what, "hypercall") && strcmp(what, "boot") && strcmp(what, "evtchn") &&
	    strcmp(what, "blk") && strcmp(what, "xenstore") && strcmp(what, "net"))
		return svctl_usage_error("bench", "unknown benchmark '%s'", what);
	if ((guest || linux_dir || peer) && (strcmp(what, "blk") || so.spec))
		return svctl_usage_error("bench", "--guest, --linux-dir and --peer are for blk "
						  "without --sweep");
	if (guest && strcmp(guest, "linux"))
		return svctl_usage_error("bench", "--guest takes linux, not '%s'", guest);
	if (!guest && (linux_dir || peer))
		return svctl_usage_error("bench", "--linux-dir and --peer go with --guest linux");
	if (guest)
		return bench_blk_guest_linux(linux_dir, peer, size_mb, &o, persistent, json);
	if (!so.spec && (so.compare || so.csv || so.plot_dir))
		return svctl_usage_error("bench", "--compare, --csv and --plot go with --sweep");
	if (so.spec) {
		if (strcmp(what, "blk") && strcmp(what, "net"))
			return svctl_usage_error("bench", "--sweep is for blk and net");
		if (so.csv && json)
			return svctl_usage_error("bench", "--json or --csv, not both");
		so.kernel = o.kernel;
		so.runs = o.runs ? o.runs : 3;
		so.size_mb = size_mb;
		so.iterations = o.iterations;
		so.json = json;
		if (so.runs > SWEEP_MAX_RUNS)
			return svctl_usage_error("bench", "--sweep takes at most %u runs",
						 SWEEP_MAX_RUNS);
	}
	/* A sweep checks its specs first, then KVM (a bad spec is an error anywhere). */
	if (so.spec)
		return !strcmp(what, "blk") ? bench_sweep_blk(&so) : bench_sweep_net(&so);
	if (sv_kvm_probe(err, sizeof(err))) {
		fprintf(stderr, "svctl bench: %s\n", err);
		return SVCTL_EX_UNAVAILABLE;
	}
	if (!strcmp(what, "blk")) {
		struct bench_blk_opts bo = {
			.kernel = o.kernel,
			.size_mb = size_mb,
			.rand_ops = o.iterations ? o.iterations : 20000,
			.runs = o.runs ? o.runs : 3,
			.persistent = persistent,
		};

		if (bo.runs > BLK_MAX_RUNS)
			return svctl_usage_error("bench", "blk takes at most %u runs",
						 BLK_MAX_RUNS);
		return bench_blk(&bo, json);
	}
	if (!strcmp(what, "xenstore")) {
		if (o.runs > XS_BENCH_MAX_RUNS)
			return svctl_usage_error("bench", "xenstore takes at most %u runs",
						 XS_BENCH_MAX_RUNS);
		return bench_xs(o.kernel, o.iterations ? o.iterations : 5000, o.runs ? o.runs : 3,
				json);
	}
	if (!strcmp(what, "net")) {
		struct bench_net_opts no = {
			.kernel = o.kernel,
			.frames = o.iterations,
			.runs = o.runs ? o.runs : 3,
		};

		if (no.runs > NET_BENCH_MAX_RUNS)
			return svctl_usage_error("bench", "net takes at most %u runs",
						 NET_BENCH_MAX_RUNS);
		return bench_net(&no, json);
	}
	if (!strcmp(what, "evtchn")) {
		ret = bench_evtchn(&o, r, err, sizeof(err));
		n = 1;
	} else if (!strcmp(what, "hypercall")) {
		ret = bench_hypercall(&o, r, err, sizeof(err));
		n = 1;
	} else {
		ret = bench_boot(&o, r, err, sizeof(err));
		n = 2;
	}
	if (ret) {
		fprintf(stderr, "svctl bench %s: %s\n", what, err);
		return SVCTL_EX_SOFTWARE;
	}
	bench_print(stdout, r, n, json);
	return 0;
}
