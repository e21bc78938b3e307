// SPDX-License-Identifier: MIT
/* svctl run: one domain in the foreground, console on stdout, the guest's exit code as ours. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <splitvisor/limits.h>

#include "sv_xml.h"
#include "svctl.h"
#include "run_console.h"
#include "runner.h"
#include "util.h"

const char svctl_run_usage[] =
	"run [--kernel FILE] [--initrd FILE] [--memory MiB] [--vcpus N] [--cmdline STR]\n"
	"    [--name NAME]\n"
	"run [--schema-dir DIR] FILE.xml\n"
	"\n"
	"Boots a domain in the foreground, streams its console to stdout and exits\n"
	"with the guest's code: its exit code on poweroff, 125 on a crash (reason on\n"
	"stderr), 130 when interrupted. A reboot restarts the domain. With a libvirt\n"
	"domain XML file, its on_poweroff/on_reboot/on_crash actions decide instead\n"
	"(destroy ends the run, restart boots again, preserve ends it with a note).\n"
	"\n"
	"  --kernel FILE   guest kernel: our guest's ELF (default: the guest built\n"
	"                  beside svctl, or $SPLITVISOR_GUEST), or a Linux bzImage or\n"
	"                  vmlinux with a PVH note, which boots as a PVH domU\n"
	"  --initrd FILE   initial ramdisk, loaded above the kernel\n"
	"  --memory MiB    RAM, 8..3072 (default 32); up to 65536 for a PVH kernel,\n"
	"                  whose RAM above 3 GiB starts at 4 GiB\n"
	"  --vcpus N       vCPUs, 1..32 (default 1)\n"
	"  --cmdline STR   kernel command line; our guest takes the app name first:\n"
	"                  hello, selftest, crash, spin, exit N, hcbench N\n"
	"  --name NAME     domain name (default guest)\n"
	"  --schema-dir DIR  libvirt schemas for FILE.xml\n";

/* What to do after each way a domain can end, as libvirt's on_* elements say. */
struct run_actions {
	enum sv_lifecycle_action on_poweroff;
	enum sv_lifecycle_action on_reboot;
	enum sv_lifecycle_action on_crash;
};

struct run_signals {
	pthread_t thread;
	sigset_t set;
	/* lock keeps the signal thread from destroying a domain main is freeing */
	pthread_mutex_t lock;
	struct sv_domain *dom;
	bool interrupted;
	volatile bool done;
};

/* Publishes the running domain (or NULL) to the signal thread. */
static void run_set_domain(struct run_signals *rs, struct sv_domain *d)
{
	pthread_mutex_lock(&rs->lock);
	rs->dom = d;
	if (d && rs->interrupted)
		sv_domain_destroy(d);
	pthread_mutex_unlock(&rs->lock);
}

/* SIGINT/SIGTERM destroy the domain; the thread polls so it can be told to stop. */
static void *run_signal_thread(void *arg)
{
	struct run_signals *rs = arg;
	struct timespec tick = { 0, 100 * 1000 * 1000 };

	while (!rs->done) {
		if (sigtimedwait(&rs->set, NULL, &tick) > 0) {
			pthread_mutex_lock(&rs->lock);
			rs->interrupted = true;
			if (rs->dom)
				sv_domain_destroy(rs->dom);
			pthread_mutex_unlock(&rs->lock);
		}
	}
	return NULL;
}

static int run_report(const struct sv_domain_exit *ex, bool interrupted)
{
	switch (ex->reason) {
	case SV_EXIT_POWEROFF:
		return ex->code & 0xff;
	case SV_EXIT_DESTROYED:
		fprintf(stderr, "svctl run: domain destroyed%s\n",
			interrupted ? " (interrupted)" : "");
		return SVCTL_EX_INTERRUPTED;
	default:
		fprintf(stderr, "svctl run: domain %s: %s\n", sv_exit_reason_name(ex->reason),
			ex->detail);
		return SVCTL_EX_GUEST_CRASH;
	}
}

static enum sv_lifecycle_action run_action_for(const struct run_actions *a,
					       const struct sv_domain_exit *ex)
{
	switch (ex->reason) {
	case SV_EXIT_POWEROFF:
		return a->on_poweroff;
	case SV_EXIT_REBOOT:
		return a->on_reboot;
	case SV_EXIT_CRASH:
	case SV_EXIT_FAULT:
		return a->on_crash;
	default:
		return SV_ACTION_DESTROY;
	}
}

static int run_domain(const struct sv_domain_params *p, const struct run_actions *actions)
{
	enum sv_lifecycle_action act;
	bool interrupted;
	struct run_signals rs = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct sv_domain_exit ex;
	struct run_console *rc;
	char err[512] = "";
	struct sv_domain *d;
	int ret;

	sigemptyset(&rs.set);
	sigaddset(&rs.set, SIGINT);
	sigaddset(&rs.set, SIGTERM);
	/* Blocked before any vCPU thread exists, so only the signal thread takes them. */
	pthread_sigmask(SIG_BLOCK, &rs.set, NULL);
	if (pthread_create(&rs.thread, NULL, run_signal_thread, &rs))
		return SVCTL_EX_SOFTWARE;

	for (;;) {
		err[0] = '\0';
		ret = sv_domain_create(p, &d, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "svctl run: %s\n", err);
			ret = ret == -ENOEXEC || ret == -EBADMSG || ret == -ERANGE ||
					      ret == -EADDRINUSE
				      ? SVCTL_EX_DATAERR
				      : SVCTL_EX_SOFTWARE;
			break;
		}
		ret = run_console_open(d, p->console, p->console_opaque, &rc, err, sizeof(err));
		run_set_domain(&rs, d);
		if (!ret)
			ret = sv_domain_start(d);
		if (!ret)
			ret = sv_domain_wait(d, -1, &ex);
		run_set_domain(&rs, NULL);
		run_console_close(rc);
		sv_domain_free(d);
		if (ret) {
			fprintf(stderr, "svctl run: cannot run the domain: %s%s%s\n",
				strerror(-ret), err[0] ? ": " : "", err);
			ret = SVCTL_EX_SOFTWARE;
			break;
		}
		pthread_mutex_lock(&rs.lock);
		interrupted = rs.interrupted;
		pthread_mutex_unlock(&rs.lock);
		act = interrupted ? SV_ACTION_DESTROY : run_action_for(actions, &ex);
		if (act == SV_ACTION_RESTART) {
			fprintf(stderr, "svctl run: domain %s (%s), restarting\n",
				sv_exit_reason_name(ex.reason), ex.detail);
			continue;
		}
		if (act == SV_ACTION_PRESERVE)
			fprintf(stderr, "svctl run: preserve: a foreground run keeps nothing after "
					"the domain ends; its state is reported below\n");
		ret = run_report(&ex, interrupted);
		break;
	}
	rs.done = true;
	pthread_join(rs.thread, NULL);
	return ret;
}

static void run_console(void *opaque, const char *buf, size_t len)
{
	size_t off = 0;

	(void)opaque;
	while (off < len) {
		ssize_t n = write(STDOUT_FILENO, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

int svctl_domain_opt(const char *cmd, int c, const char *arg, struct sv_domain_params *p)
{
	switch (c) {
	case 'k':
		p->kernel = arg;
		return 0;
	case 'm':
		if (util_parse_u32(arg, SV_MIN_MEMORY_MIB, SV_MAX_PVH_MEMORY_MIB, &p->memory_mib))
			return svctl_usage_error(cmd, "--memory '%s': expected %u..%u MiB", arg,
						 SV_MIN_MEMORY_MIB, SV_MAX_PVH_MEMORY_MIB);
		return 0;
	case 'v':
		if (util_parse_u32(arg, 1, SV_MAX_VCPUS, &p->vcpus))
			return svctl_usage_error(cmd, "--vcpus '%s': expected 1..%u", arg,
						 SV_MAX_VCPUS);
		return 0;
	case 'c':
		p->cmdline = arg;
		return 0;
	case 'i':
		p->initrd = arg;
		return 0;
	case 'n':
		p->name = arg;
		return 0;
	default:
		return 1;
	}
}

/* The memory the guest starts with is currentMemory, rounded up to whole MiB. */
static void run_params_from_config(const struct sv_domain_config *cfg, struct sv_domain_params *p,
				   struct run_actions *a)
{
	p->name = cfg->name;
	p->memory_mib = (uint32_t)((cfg->current_memory_kib + 1023) / 1024);
	p->vcpus = cfg->vcpus;
	p->kernel = cfg->kernel;
	p->cmdline = cfg->cmdline ? cfg->cmdline : "";
	p->initrd = cfg->initrd;
	p->wallclock_offset_s = sv_xml_wallclock_offset(cfg);
	p->max_grant_frames = cfg->max_grant_frames;
	p->max_event_channels = cfg->max_event_channels;
	a->on_poweroff = cfg->on_poweroff;
	a->on_reboot = cfg->on_reboot;
	a->on_crash = cfg->on_crash;
}

int svctl_cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		SVCTL_DOMAIN_OPTIONS,
		{ "schema-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sv_domain_params p = {
		.name = "guest",
		.domid = 1,
		.memory_mib = 32,
		.vcpus = 1,
		.cmdline = "",
		.console = run_console,
	};
	struct run_actions actions = {
		.on_poweroff = SV_ACTION_DESTROY,
		.on_reboot = SV_ACTION_RESTART,
		.on_crash = SV_ACTION_DESTROY,
	};
	struct sv_domain_config cfg = { 0 };
	const char *schema_dir = NULL;
	bool flags_given = false;
	char err[256];
	int c, ret;

	p.kernel = runner_default_kernel();
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			schema_dir = optarg;
			break;
		case 'h':
			printf("usage: svctl %s", svctl_run_usage);
			return 0;
		default:
			ret = svctl_domain_opt("run", c, optarg, &p);
			if (ret == 1)
				return svctl_usage_error("run", "unknown or incomplete option '%s'",
							 argv[optind - 1]);
			if (ret)
				return ret;
			flags_given = true;
		}
	}
	if (optind < argc - 1)
		return svctl_usage_error("run", "unexpected argument '%s'", argv[optind + 1]);
	if (optind == argc - 1) {
		if (flags_given)
			return svctl_usage_error("run", "give either FILE.xml or the domain "
							"options, not both");
		ret = svctl_load_domain_xml(argv[optind], schema_dir, &cfg);
		svctl_xml_done();
		if (ret)
			return SVCTL_EX_DATAERR;
		if (cfg.os_type == SV_OS_EXE) {
			fprintf(stderr,
				"svctl run: %s is a driver domain (<os><type>exe</type>): "
				"use 'svctl create %s'\n",
				argv[optind], argv[optind]);
			ret = SVCTL_EX_USAGE;
			goto out;
		}
		/* One process has no control domain to serve devices from. */
		if (cfg.bootloader || cfg.ndisks || cfg.nnets) {
			fprintf(stderr,
				"svctl run: %s has %s, which need the control domain's backends: "
				"use 'svctl create %s' and 'svctl console %s'\n",
				argv[optind],
				cfg.bootloader ? "a <bootloader> and disks"
				: cfg.ndisks   ? "disks"
					       : "network interfaces",
				argv[optind], cfg.name);
			ret = SVCTL_EX_USAGE;
			goto out;
		}
		if (sv_xml_check_startable(&cfg, false, err, sizeof(err)) ||
		    sv_xml_check_files(&cfg, err, sizeof(err))) {
			fprintf(stderr, "svctl run: %s: %s\n", argv[optind], err);
			ret = SVCTL_EX_DATAERR;
			goto out;
		}
		run_params_from_config(&cfg, &p, &actions);
	}
	if (sv_kvm_probe(err, sizeof(err))) {
		fprintf(stderr, "svctl run: %s\n", err);
		ret = SVCTL_EX_UNAVAILABLE;
		goto out;
	}
	ret = run_domain(&p, &actions);
out:
	sv_domain_config_free(&cfg);
	return ret;
}
