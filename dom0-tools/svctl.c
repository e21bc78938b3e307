// SPDX-License-Identifier: MIT
/* svctl: the Splitvisor command line. Commands live in one table that grows with the project. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svctl.h"

static const struct svctl_cmd svctl_cmds[] = {
	{ "run", "boot a domain in the foreground and stream its console", svctl_run_usage,
	  svctl_cmd_run },
	{ "validate", "check libvirt domain XML files against libvirt's schema",
	  svctl_validate_usage, svctl_cmd_validate },
	{ "bench", "run a built-in benchmark (hypercall, boot, evtchn)", svctl_bench_usage,
	  svctl_cmd_bench },
	{ "create", "create a domain (starts the daemons if needed)", svctl_domain_usage,
	  svctl_cmd_domain },
	{ "define", "store a persistent domain definition from XML", svctl_domain_usage,
	  svctl_cmd_domain },
	{ "undefine", "remove a domain definition", svctl_domain_usage, svctl_cmd_domain },
	{ "start", "boot a defined domain", svctl_domain_usage, svctl_cmd_domain },
	{ "dumpxml", "print a domain's live XML", svctl_domain_usage, svctl_cmd_domain },
	{ "list", "list the domains (--all: with the defined ones not running)", svctl_domain_usage,
	  svctl_cmd_domain },
	{ "pause", "pause a domain", svctl_domain_usage, svctl_cmd_domain },
	{ "unpause", "unpause a domain", svctl_domain_usage, svctl_cmd_domain },
	{ "shutdown", "ask a domain to power off", svctl_domain_usage, svctl_cmd_domain },
	{ "destroy", "destroy a domain", svctl_domain_usage, svctl_cmd_domain },
	{ "console", "show and follow a domain's console", svctl_domain_usage, svctl_cmd_domain },
	{ "block-list", "list a domain's block devices", svctl_domain_usage, svctl_cmd_domain },
	{ "block-attach", "give a running domain a new disk", svctl_domain_usage,
	  svctl_cmd_domain },
	{ "block-detach", "ask a running domain to give a disk back", svctl_domain_usage,
	  svctl_cmd_domain },
	{ "store", "read, write, list, remove or watch xenstore paths", svctl_store_usage,
	  svctl_cmd_store },
	{ "daemons", "stop the daemons", svctl_domain_usage, svctl_cmd_domain },
};

#define SVCTL_NR_CMDS (sizeof(svctl_cmds) / sizeof(svctl_cmds[0]))

int svctl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "svctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'svctl %s --help')\n", cmd);
	return SVCTL_EX_USAGE;
}

static void svctl_print_help(FILE *f)
{
	size_t i;

	fprintf(f, "usage: svctl [--run-dir DIR] <command> [options]\n\n"
		   "Splitvisor: a Xen-style split hypervisor on /dev/kvm.\n\ncommands:\n");
	for (i = 0; i < SVCTL_NR_CMDS; i++)
		fprintf(f, "  %-10s %s\n", svctl_cmds[i].name, svctl_cmds[i].summary);
	fprintf(f, "\n'svctl help <command>' or 'svctl <command> --help' shows a command's "
		   "options.\n");
}

static const struct svctl_cmd *svctl_find(const char *name)
{
	size_t i;

	for (i = 0; i < SVCTL_NR_CMDS; i++)
		if (!strcmp(svctl_cmds[i].name, name))
			return &svctl_cmds[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct svctl_cmd *cmd;

	/* Global: the daemons' run directory, passed on to them through the environment. */
	if (argc >= 3 && !strcmp(argv[1], "--run-dir")) {
		setenv("SPLITVISOR_RUN_DIR", argv[2], 1);
		argv[2] = argv[0];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		svctl_print_help(stderr);
		return SVCTL_EX_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		svctl_print_help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			svctl_print_help(stdout);
			return 0;
		}
		cmd = svctl_find(argv[2]);
		if (!cmd) {
			fprintf(stderr, "svctl: unknown command '%s'\n", argv[2]);
			return SVCTL_EX_USAGE;
		}
		printf("usage: svctl %s", cmd->usage);
		return 0;
	}
	cmd = svctl_find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "svctl: unknown command '%s'\n", argv[1]);
		svctl_print_help(stderr);
		return SVCTL_EX_USAGE;
	}
	/* getopt sees "svctl-<cmd>" as argv[0] so its messages name the command. */
	return cmd->run(argc - 1, argv + 1);
}
