// SPDX-License-Identifier: MIT
/* svctl: the Splitvisor command line: global options, help and dispatch (svctl_cmdtable.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svctl.h"

static void svctl_print_help(FILE *f)
{
	size_t i;

	fprintf(f, "usage: svctl [--run-dir DIR] <command> [options]\n"
		   "       svctl --version\n\n"
		   "Splitvisor: a Xen-style split hypervisor on /dev/kvm.\n\ncommands:\n");
	for (i = 0; i < svctl_nr_cmds; i++)
		fprintf(f, "  %-10s %s\n", svctl_cmds[i].name, svctl_cmds[i].summary);
	fprintf(f, "\n'svctl help <command>' or 'svctl <command> --help' shows a command's "
		   "options.\n");
}

static const struct svctl_cmd *svctl_find(const char *name)
{
	size_t i;

	for (i = 0; i < svctl_nr_cmds; i++)
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
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("svctl (Splitvisor) %s\n", SV_VERSION);
		return 0;
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
