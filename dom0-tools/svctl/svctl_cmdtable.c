// SPDX-License-Identifier: MIT
/*
 * svctl's command table (like xl's xl_cmdtable.c): a name, a one-line summary
 * for `svctl help`, the full usage text and the function that runs it. A new
 * command is one line here and one file (or function) beside it.
 */
#include <stddef.h>

#include "svctl.h"

const struct svctl_cmd svctl_cmds[] = {
	{ "run", "boot a domain in the foreground and stream its console", svctl_run_usage,
	  svctl_cmd_run },
	{ "validate", "check libvirt domain XML files against libvirt's schema",
	  svctl_validate_usage, svctl_cmd_validate },
	{ "bench", "run a built-in benchmark (" SVCTL_BENCH_NAMES ")", svctl_bench_usage,
	  svctl_cmd_bench },
	{ "experiment", "run a built-in experiment (isolation: faults in a driver domain)",
	  svctl_experiment_usage, svctl_cmd_experiment },
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
	{ "net-list", "list a domain's network interfaces", svctl_net_usage, svctl_cmd_net },
	{ "net-attach", "give a running domain a new network interface", svctl_net_usage,
	  svctl_cmd_net },
	{ "net-detach", "ask a running domain to give an interface back", svctl_net_usage,
	  svctl_cmd_net },
	{ "inject", "inject a fault into a driver domain (kill, hang, slow, ...)",
	  svctl_inject_usage, svctl_cmd_inject },
	{ "top", "watch every domain's CPU, exits, events, disk and network rates", svctl_top_usage,
	  svctl_cmd_top },
	{ "store", "read, write, list, remove or watch xenstore paths", svctl_store_usage,
	  svctl_cmd_store },
	{ "daemons", "stop the daemons", svctl_domain_usage, svctl_cmd_domain },
	{ "uri", "print the libvirt URI for virsh -c and python3-libvirt", svctl_uri_usage,
	  svctl_cmd_uri },
};

const size_t svctl_nr_cmds = sizeof(svctl_cmds) / sizeof(svctl_cmds[0]);
