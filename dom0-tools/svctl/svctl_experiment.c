// SPDX-License-Identifier: MIT
/* svctl experiment: experiments that inject faults and say what survived (bench/). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "runner.h"
#include "svctl.h"
#include "util.h"

const char svctl_experiment_usage[] =
	"experiment isolation [--json] [--runs N] [--kernel ELF]\n"
	"\n"
	"  isolation   starts private daemons and a driver domain that serves a guest's\n"
	"              disk (the guest runs blkverify: writes, flushes, reads back)\n"
	"              beside a bystander guest whose disk svdom0 serves, and two\n"
	"              guests whose vifs it serves (netverify pings udp-echo), injects\n"
	"              kill, hang, slow 200, corrupt-ring and drop-notify into the\n"
	"              driver domain in turn, and reports per fault: did the guest\n"
	"              survive, did the bystander and svdom0 go on, the guest's\n"
	"              longest time without a completed write (stall_ms, its own\n"
	"              clock), its frontend's reconnect time (reconnect_ms), the I/O\n"
	"              errors it saw and flushed writes that did not read back\n"
	"              (lost, must be 0); then the cost of isolation: blkbench through\n"
	"              svdom0 and through the driver domain in the same run. Exit\n"
	"              status 1 when a fault hurt more than the driver domain's guest.\n"
	"\n"
	"  --json          one JSON object\n"
	"  --runs N        rounds of the five faults (default 1, at most 10)\n"
	"  --kernel ELF    guest kernel (default: the one built beside svctl)\n";

int svctl_cmd_experiment(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "runs", required_argument, NULL, 'r' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *kernel = runner_default_kernel();
	unsigned int runs = 1;
	bool json = false;
	uint32_t v;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'r':
			if (svctl_parse_count("experiment", "--runs", optarg, 1, ISO_MAX_RUNS, &v))
				return SVCTL_EX_USAGE;
			runs = v;
			break;
		case 'k':
			kernel = optarg;
			break;
		case 'h':
			printf("usage: svctl %s", svctl_experiment_usage);
			return 0;
		default:
			return svctl_usage_error("experiment", "unknown or incomplete option '%s'",
						 argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return svctl_usage_error("experiment", "name exactly one experiment");
	if (strcmp(argv[optind], "isolation"))
		return svctl_usage_error("experiment", "unknown experiment '%s'", argv[optind]);
	if (!kernel)
		return svctl_usage_error("experiment", "no guest kernel: give --kernel");
	return experiment_isolation(kernel, runs, json) ? 1 : 0;
}
