// SPDX-License-Identifier: MIT
/*
 * svctl's driver-domain commands: inject (faults into a driver domain, for
 * tests and demos) and the driver domains' rows of `svctl list`.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <splitvisor/toolstack.h>

#include "svctl.h"
#include "util.h"

const char svctl_inject_usage[] =
	"inject DOMAIN kill|hang|resume|slow MS|corrupt-ring|drop-notify|clear\n"
	"\n"
	"Injects a fault into a driver domain (a domain with <os><type>exe</type>,\n"
	"whose svdd process serves other domains' disks and interfaces):\n"
	"  kill          SIGKILL: it ends and comes back per its on_crash (restart)\n"
	"  hang          SIGSTOP: it stops serving; resume continues it (SIGCONT)\n"
	"  slow MS       it waits MS milliseconds (1..60000) before each ring batch\n"
	"  corrupt-ring  the next response on each of its rings is garbage\n"
	"  drop-notify   it raises no more events\n"
	"  clear         undoes slow and drop-notify\n"
	"DOMAIN Domain-0 is svdom0's own backends: slow, corrupt-ring, drop-notify\n"
	"and clear only (svdom0 does not kill or stop itself). Guests take no faults.\n";

static const struct {
	const char *name;
	uint32_t fault;
} svctl_faults[] = {
	{ "kill", SV_TS_FAULT_KILL },
	{ "hang", SV_TS_FAULT_HANG },
	{ "resume", SV_TS_FAULT_RESUME },
	{ "slow", SV_TS_FAULT_SLOW },
	{ "corrupt-ring", SV_TS_FAULT_CORRUPT_RING },
	{ "drop-notify", SV_TS_FAULT_DROP_NOTIFY },
	{ "clear", SV_TS_FAULT_CLEAR },
};

int svctl_cmd_inject(int argc, char **argv)
{
	struct sv_ts_inject req = { 0 };
	char dir[256];
	size_t i;
	int fd, ret;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: svctl %s", svctl_inject_usage);
		return 0;
	}
	if (argc < 3 || argc > 4)
		return svctl_usage_error("inject", "expected DOMAIN FAULT [MS]");
	if (strlen(argv[1]) >= sizeof(req.name))
		return svctl_usage_error("inject", "name too long");
	strcpy(req.name, argv[1]);
	for (i = 0; i < sizeof(svctl_faults) / sizeof(svctl_faults[0]); i++)
		if (!strcmp(argv[2], svctl_faults[i].name))
			req.fault = svctl_faults[i].fault;
	if (!req.fault)
		return svctl_usage_error("inject",
					 "unknown fault '%s' (kill, hang, resume, slow MS, "
					 "corrupt-ring, drop-notify, clear)",
					 argv[2]);
	if (req.fault == SV_TS_FAULT_SLOW) {
		if (argc != 4 || util_parse_u32(argv[3], 1, SV_TS_SLOW_MAX_MS, &req.arg))
			return svctl_usage_error("inject",
						 "slow takes MS, a number of "
						 "milliseconds within 1..%u",
						 SV_TS_SLOW_MAX_MS);
	} else if (argc != 3) {
		return svctl_usage_error("inject", "%s takes no argument", argv[2]);
	}
	if (svctl_rundir(dir, sizeof(dir)))
		return SVCTL_EX_USAGE;
	signal(SIGPIPE, SIG_IGN);
	fd = svctl_dom0_open("inject", dir, false);
	if (fd < 0)
		return SVCTL_EX_UNAVAILABLE;
	ret = svctl_ts_call("inject", fd, SV_TS_INJECT, &req, sizeof(req), NULL, 0, NULL,
			    SVCTL_REPLY_TIMEOUT);
	close(fd);
	if (ret)
		return SVCTL_EX_FAIL;
	printf("injected %s into %s\n", argv[2], req.name);
	return 0;
}

static const char *svctl_dd_state(uint32_t state)
{
	static const char *const names[] = {
		[SV_TS_DD_RUNNING] = "running",	      [SV_TS_DD_HUNG] = "hung",
		[SV_TS_DD_RESTARTING] = "restarting", [SV_TS_DD_ENDED] = "crashed",
		[SV_TS_DD_STOPPED] = "shut off",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

/* Rows in `svctl list`'s columns: no vCPUs, and "driver domain" where the end would go. */
int svctl_list_dd(int fd)
{
	struct sv_ts_dd_info dds[SV_TS_DD_INFO_MAX];
	struct sv_ts_list_defined req = { 0 };
	char when[32];
	size_t len, i, n;
	struct tm tm;
	time_t t;
	int ret;

	do {
		ret = svctl_ts_call("list", fd, SV_TS_LIST_DD, &req, sizeof(req), dds, sizeof(dds),
				    &len, SVCTL_REPLY_TIMEOUT);
		if (ret)
			return ret;
		n = len / sizeof(dds[0]);
		for (i = 0; i < n; i++) {
			dds[i].name[SV_CTL_NAME_SIZE - 1] = '\0';
			t = (time_t)(dds[i].start_time_ns / 1000000000u);
			snprintf(when, sizeof(when), "-");
			if (dds[i].start_time_ns && localtime_r(&t, &tm))
				strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
			printf("%5u  %-20s %-9s %5s %7u  %-19s  driver domain, pid %d, %u "
			       "restarts\n",
			       dds[i].domid, dds[i].name, svctl_dd_state(dds[i].state), "-",
			       dds[i].memory_mib, when, (int)dds[i].pid, dds[i].restarts);
		}
		req.start += (uint32_t)n;
	} while (n == SV_TS_DD_INFO_MAX);
	return 0;
}
