// SPDX-License-Identifier: MIT
/*
 * svctl's domain commands: clients of svdom0's toolstack socket. `create`
 * (and any command when only svdom0 is missing) starts the daemons.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <splitvisor/limits.h>
#include <splitvisor/toolstack.h>

#include "core_client.h"
#include "ctl_wire.h"
#include "runner.h"
#include "svctl.h"
#include "util.h"

const char svctl_domain_usage[] =
	"create --name NAME [--kernel FILE] [--initrd FILE] [--memory MiB] [--vcpus N]\n"
	"    [--cmdline STR]\n"
	"create [--schema-dir DIR] FILE.xml\n"
	"define [--schema-dir DIR] FILE.xml | undefine NAME | start NAME | dumpxml NAME\n"
	"list [--all] | pause NAME | unpause NAME | destroy NAME\n"
	"shutdown NAME [--timeout S]\n"
	"console NAME [--no-follow]\n"
	"block-list NAME | block-attach NAME FILE xvdX [--readonly] | block-detach NAME xvdX\n"
	"daemons stop\n"
	"\n"
	"Domains managed by the daemons (svcored, svdom0) in the run directory\n"
	"(--run-dir, $SPLITVISOR_RUN_DIR, $XDG_RUNTIME_DIR/splitvisor or\n"
	"/run/splitvisor). create, define and start start the daemons when they\n"
	"are not running. define stores a persistent definition in the state\n"
	"directory ($SPLITVISOR_STATE_DIR, $XDG_STATE_HOME/splitvisor or\n"
	"/var/lib/splitvisor); start boots it; create FILE.xml boots a transient\n"
	"domain. Domains from XML follow their on_poweroff/on_reboot/on_crash.\n"
	"dumpxml prints the live document; list --all adds definitions not running.\n"
	"A driver domain (<os><type>exe</type>) is a svdd process serving the disks\n"
	"and interfaces whose <backenddomain> names it; list shows it with the\n"
	"guests, destroy kills it, shutdown sends it SIGTERM and waits; a guest whose\n"
	"driver domain is defined but not running starts it first.\n"
	"shutdown writes control/shutdown = poweroff in xenstore and waits up to\n"
	"S seconds (default 30) for the domain to end. console prints the log so far\n"
	"and follows it until Ctrl-] or the domain's end; what you type (or pipe into\n"
	"it) goes to the guest's console ring.\n";

static int cmd_create(const char *dir, int argc, char **argv)
{
	static const struct option opts[] = {
		SVCTL_DOMAIN_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct sv_ctl_create req = { 0 };
	struct sv_domain_params p = {
		.memory_mib = 32,
		.vcpus = 1,
		.kernel = runner_default_kernel(),
		.cmdline = "",
	};
	struct sv_ctl_domid reply;
	char real[PATH_MAX];
	int c, fd, ret;

	/* The libvirt form: `create [--schema-dir DIR] FILE.xml`. */
	if ((argc == 2 && argv[1][0] != '-') || (argc == 4 && !strcmp(argv[1], "--schema-dir")))
		return svctl_cmd_document(dir, argc, argv);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		ret = svctl_domain_opt("create", c, optarg, &p);
		if (ret == 1)
			return svctl_usage_error("create", "unknown or incomplete option '%s'",
						 argv[optind - 1]);
		if (ret)
			return ret;
	}
	req.memory_mib = p.memory_mib;
	req.vcpus = p.vcpus;
	if (!p.name || optind != argc)
		return svctl_usage_error("create", "give --name NAME and no other arguments");
	if (strlen(p.name) > SV_MAX_NAME_LEN || strlen(p.cmdline) >= sizeof(req.cmdline))
		return svctl_usage_error("create", "name or command line too long");
	if (!realpath(p.kernel, real) || strlen(real) >= sizeof(req.kernel)) {
		fprintf(stderr, "svctl create: kernel %s: %s\n", p.kernel, strerror(errno));
		return SVCTL_EX_DATAERR;
	}
	strcpy(req.name, p.name);
	strcpy(req.kernel, real);
	errno = 0;
	if (p.initrd && (!realpath(p.initrd, real) || strlen(real) >= sizeof(req.initrd))) {
		fprintf(stderr, "svctl create: initrd %s: %s\n", p.initrd,
			errno ? strerror(errno) : "path too long");
		return SVCTL_EX_DATAERR;
	}
	if (p.initrd)
		strcpy(req.initrd, real);
	strcpy(req.cmdline, p.cmdline);
	fd = svctl_dom0_open("create", dir, true);
	if (fd < 0)
		return SVCTL_EX_UNAVAILABLE;
	ret = svctl_ts_call("create", fd, SV_TS_CREATE, &req, sizeof(req), &reply, sizeof(reply),
			    NULL, SVCTL_REPLY_TIMEOUT);
	close(fd);
	if (ret)
		return SVCTL_EX_FAIL;
	printf("created domain %s (domid %u)\n", p.name, reply.domid);
	return 0;
}

void svctl_print_info(const struct sv_ctl_dominfo *d)
{
	static const char *const reasons[] = { "poweroff", "reboot", "crash", "fault",
					       "destroyed" };
	time_t t = (time_t)(d->start_time_ns / 1000000000u);
	char when[32] = "-", how[48] = "";
	struct tm tm;

	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	if (d->state >= SV_CTL_STATE_SHUTDOWN)
		snprintf(how, sizeof(how), "%s %d",
			 d->exit_reason < 5 ? reasons[d->exit_reason] : "?", d->exit_code);
	printf("%5u  %-20s %-9s %5u %7u  %s  %s\n", d->domid, d->name, wire_state_name(d->state),
	       d->vcpus, d->memory_mib, when, how);
}

static int cmd_list(const char *dir, bool all)
{
	struct sv_ctl_dominfo info[SV_CTL_LIST_MAX];
	struct sv_ctl_list req = { 0 };
	size_t len, i, n;
	int fd, ret;

	fd = svctl_dom0_open("list", dir, false);
	if (fd < 0)
		return SVCTL_EX_UNAVAILABLE;
	printf("%5s  %-20s %-9s %5s %7s  %-19s  %s\n", "ID", "NAME", "STATE", "VCPUS", "MiB",
	       "STARTED", "ENDED");
	do {
		ret = svctl_ts_call("list", fd, SV_TS_LIST, &req, sizeof(req), info, sizeof(info),
				    &len, SVCTL_REPLY_TIMEOUT);
		if (ret)
			break;
		n = len / sizeof(info[0]);
		for (i = 0; i < n; i++) {
			info[i].name[SV_CTL_NAME_SIZE - 1] = '\0';
			svctl_print_info(&info[i]);
			req.start_domid = info[i].domid + 1;
		}
	} while (n == SV_CTL_LIST_MAX);
	if (!ret)
		ret = svctl_list_dd(fd);
	if (!ret && all)
		ret = svctl_list_defined(fd);
	close(fd);
	return ret ? SVCTL_EX_FAIL : 0;
}

static int cmd_named(const char *cmd, const char *dir, uint32_t op, const char *name, uint32_t arg)
{
	struct sv_ts_shutdown req = { .timeout_ms = arg };
	char text[SV_CTL_PAYLOAD_MAX + 1] = "";
	size_t len = 0;
	int fd, ret;

	if (strlen(name) >= sizeof(req.name))
		return svctl_usage_error(cmd, "name too long");
	strcpy(req.name, name);
	fd = svctl_dom0_open(cmd, dir, false);
	if (fd < 0)
		return SVCTL_EX_UNAVAILABLE;
	ret = svctl_ts_call(
		cmd, fd, op, &req, op == SV_TS_SHUTDOWN ? sizeof(req) : sizeof(struct sv_ts_name),
		text, sizeof(text) - 1, &len,
		op == SV_TS_SHUTDOWN ? (int)arg + SVCTL_REPLY_TIMEOUT : SVCTL_REPLY_TIMEOUT);
	close(fd);
	if (!ret && op == SV_TS_SHUTDOWN && len)
		printf("%.*s\n", (int)len, text);
	if (!ret && op == SV_TS_BLOCK_LIST)
		fwrite(text, 1, len, stdout);
	return ret ? SVCTL_EX_FAIL : 0;
}

static struct termios saved_tty;
static bool tty_raw;

static void tty_restore(void)
{
	if (tty_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	tty_raw = false;
}

static void tty_make_raw(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty))
		return;
	t = saved_tty;
	t.c_lflag &= ~(ICANON | ECHO | ISIG);
	t.c_iflag &= ~(IXON | ICRNL);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (!tcsetattr(STDIN_FILENO, TCSANOW, &t))
		tty_raw = true;
}

/* How long svctl waits before offering input again to a guest that has not read it. */
#define CONSOLE_INPUT_RETRY_MS 50
#define CONSOLE_DETACH	       0x1d /* Ctrl-] */

/* Keyboard bytes on their way to the guest: one SV_TS_CONSOLE_INPUT in flight at a time. */
struct console_input {
	char buf[1024];
	size_t len;
	bool in_flight, retry, off;
	uint32_t req_id;
};

static int console_input_send(int fd, struct console_input *in)
{
	in->retry = false;
	in->in_flight = true;
	return wire_msg_send(fd, SV_TS_CONSOLE_INPUT, ++in->req_id, 0, in->buf, in->len);
}

/*
 * Reads stdin; returns 1 to detach. On a terminal Ctrl-] detaches (bytes before
 * it still go); a pipe is forwarded as it is, to its end.
 */
static int console_read_stdin(int fd, bool *stdin_open, struct console_input *in)
{
	ssize_t n = read(STDIN_FILENO, in->buf, sizeof(in->buf));
	char *stop;
	bool detach = false;

	if (n <= 0) {
		*stdin_open = false; /* no input any more: just follow */
		return 0;
	}
	in->len = (size_t)n;
	if (tty_raw && (stop = memchr(in->buf, CONSOLE_DETACH, in->len))) {
		in->len = (size_t)(stop - in->buf);
		detach = true;
	}
	/*
	 * svdom0 closes its end once it sent the log of an ended domain: the events still
	 * queued on the socket are read as usual, the input just has nowhere to go.
	 */
	if (in->len && !in->off && console_input_send(fd, in) < 0) {
		in->off = true;
		in->in_flight = false;
		*stdin_open = false;
	}
	return detach;
}

/* A reply to our input: -EAGAIN sends it again later; other errors stop input. */
static void console_input_reply(struct console_input *in, const struct sv_ctl_hdr *h,
				const uint8_t *buf)
{
	if (h->req_id != in->req_id)
		return;
	in->in_flight = false;
	if (h->status == -EAGAIN) {
		in->retry = true;
		in->in_flight = true; /* still ours to deliver: keep stdin unread meanwhile */
		return;
	}
	in->len = 0;
	if (h->status) {
		tty_restore();
		fprintf(stderr, "svctl console: input: %.*s\n", (int)h->len, (const char *)buf);
		in->off = true;
	}
}

/*
 * Streams console events to stdout and, when following, stdin to the guest;
 * Ctrl-] (0x1d) on a tty detaches.
 */
static int console_stream(int fd, bool follow)
{
	static uint8_t buf[SV_CTL_PAYLOAD_MAX];
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN }, { .fd = -1, .events = POLLIN } };
	struct console_input in = { .req_id = 1 }; /* the SV_TS_CONSOLE request was 1 */
	bool stdin_open = follow;
	struct sv_ctl_hdr h;
	int ret;

	for (;;) {
		/*
		 * While input is in flight, stdin is not polled at all (a hung-up pipe
		 * would wake us for nothing): the pipe is the flow control.
		 */
		pfd[1].fd = stdin_open && !in.in_flight ? STDIN_FILENO : -1;
		ret = poll(pfd, 2, in.retry ? CONSOLE_INPUT_RETRY_MS : -1);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret == 0 && in.retry && console_input_send(fd, &in) < 0)
			return -EIO;
		if (ret > 0 && pfd[1].fd >= 0 && pfd[1].revents) {
			ret = console_read_stdin(fd, &stdin_open, &in);
			if (ret)
				return ret < 0 ? ret : 0;
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		ret = wire_msg_recv(fd, &h, buf, sizeof(buf), NULL, -1);
		if (ret == -EPIPE)
			return 0;
		if (ret)
			return ret;
		if (h.op == SV_TS_CONSOLE_INPUT) {
			console_input_reply(&in, &h, buf);
			continue;
		}
		if (h.op == SV_TS_EV_CONSOLE && fwrite(buf, 1, h.len, stdout) != h.len)
			return -EIO;
		fflush(stdout);
		if (h.op == SV_TS_EV_ENDED) {
			tty_restore();
			fprintf(stderr, "svctl console: %.*s\n", (int)h.len, (char *)buf);
			return 0;
		}
	}
}

/* block-attach NAME FILE DEV [--readonly] | block-detach NAME DEV */
static int cmd_block_plug(const char *cmd, const char *dir, int argc, char **argv)
{
	bool attach = !strcmp(cmd, "block-attach");
	struct sv_ts_block req = { 0 };
	char path[PATH_MAX];
	int fd, ret;

	if (attach && argc == 5 && !strcmp(argv[4], "--readonly"))
		req.flags = SV_TS_BLOCK_READONLY;
	else if (argc != (attach ? 4 : 3))
		return svctl_usage_error(cmd, attach ? "expected NAME FILE DEV [--readonly]"
						     : "expected NAME DEV");
	if (strlen(argv[1]) >= sizeof(req.name))
		return svctl_usage_error(cmd, "name too long");
	strcpy(req.name, argv[1]);
	if (strlen(argv[attach ? 3 : 2]) >= sizeof(req.dev))
		return svctl_usage_error(cmd, "device name too long");
	strcpy(req.dev, argv[attach ? 3 : 2]);
	/* svdom0 opens the file from elsewhere: the path goes absolute. */
	if (attach) {
		if (!realpath(argv[2], path)) {
			fprintf(stderr, "svctl %s: %s: %s\n", cmd, argv[2], strerror(errno));
			return SVCTL_EX_DATAERR;
		}
		if (strlen(path) >= sizeof(req.source))
			return svctl_usage_error(cmd, "path too long");
		strcpy(req.source, path);
	}
	fd = svctl_dom0_open(cmd, dir, false);
	if (fd < 0)
		return SVCTL_EX_UNAVAILABLE;
	ret = svctl_ts_call(cmd, fd, attach ? SV_TS_BLOCK_ATTACH : SV_TS_BLOCK_DETACH, &req,
			    sizeof(req), NULL, 0, NULL, SVCTL_REPLY_TIMEOUT);
	close(fd);
	return ret ? SVCTL_EX_FAIL : 0;
}

static int cmd_console(const char *dir, int argc, char **argv)
{
	struct sv_ts_console req = { 0 };
	int fd, ret;

	if (argc == 3 && !strcmp(argv[2], "--no-follow"))
		req.flags = SV_TS_CONSOLE_NO_FOLLOW;
	else if (argc != 2)
		return svctl_usage_error("console", "expected NAME [--no-follow]");
	if (strlen(argv[1]) >= sizeof(req.name))
		return svctl_usage_error("console", "name too long");
	strcpy(req.name, argv[1]);
	fd = svctl_dom0_open("console", dir, false);
	if (fd < 0)
		return SVCTL_EX_UNAVAILABLE;
	ret = svctl_ts_call("console", fd, SV_TS_CONSOLE, &req, sizeof(req), NULL, 0, NULL,
			    SVCTL_REPLY_TIMEOUT);
	if (!ret) {
		if (!req.flags)
			tty_make_raw();
		ret = console_stream(fd, !req.flags);
		tty_restore();
	}
	close(fd);
	return ret ? SVCTL_EX_FAIL : 0;
}

static bool pid_alive(pid_t pid)
{
	char path[64], st[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, st, sizeof(st) - 1);
	close(fd);
	if (n <= 0)
		return false;
	st[n] = '\0';
	/* A zombie has exited; its parent (init) reaps it. */
	return !strstr(st, ") Z ");
}

static pid_t read_pid(const char *dir, const char *name)
{
	char path[300], buf[32] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? (pid_t)atoi(buf) : 0;
}

static int cmd_daemons_stop(const char *dir)
{
	pid_t core = read_pid(dir, "svcored.pid"), d0 = read_pid(dir, "svdom0.pid");
	struct timespec t = { 0, 20 * 1000 * 1000 };
	struct core_client *cc;
	char err[256];
	int fd, i;

	fd = svctl_sock_in(dir, "dom0.sock");
	if (fd >= 0) {
		svctl_ts_call("daemons", fd, SV_TS_STOP, NULL, 0, NULL, 0, NULL,
			      SVCTL_REPLY_TIMEOUT);
		close(fd);
	} else if (!cc_connect(dir, true, &cc, err, sizeof(err))) {
		/* svdom0 is gone: stop the core ourselves, with the dom0 token. */
		cc_call(cc, SV_CTL_STOP, NULL, 0, NULL, 0, NULL, NULL, err, sizeof(err));
		cc_free(cc);
	} else {
		printf("daemons are not running in %s\n", dir);
		return 0;
	}
	for (i = 0; i < SPAWN_WAIT_MS / 20; i++) {
		fd = svctl_sock_in(dir, "core.sock");
		if (fd >= 0)
			close(fd);
		if ((!core || !pid_alive(core)) && (!d0 || !pid_alive(d0)) && fd < 0) {
			printf("daemons stopped\n");
			return 0;
		}
		nanosleep(&t, NULL);
	}
	fprintf(stderr, "svctl daemons: still running after %d s\n", SPAWN_WAIT_MS / 1000);
	return SVCTL_EX_FAIL;
}

/* argv[0] is the command name; the table in svctl.c routes all of them here. */
int svctl_cmd_domain(int argc, char **argv)
{
	const char *cmd = argv[0];
	char dir[256];
	uint32_t secs = 30;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: svctl %s", svctl_domain_usage);
		return 0;
	}
	if (svctl_rundir(dir, sizeof(dir)))
		return SVCTL_EX_USAGE;
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(cmd, "create"))
		return cmd_create(dir, argc, argv);
	if (!strcmp(cmd, "define"))
		return svctl_cmd_document(dir, argc, argv);
	if (!strcmp(cmd, "list")) {
		if (argc == 1 || (argc == 2 && !strcmp(argv[1], "--all")))
			return cmd_list(dir, argc == 2);
		return svctl_usage_error(cmd, "takes only --all");
	}
	if (!strcmp(cmd, "console"))
		return cmd_console(dir, argc, argv);
	if (!strcmp(cmd, "daemons")) {
		if (argc == 2 && !strcmp(argv[1], "stop"))
			return cmd_daemons_stop(dir);
		return svctl_usage_error(cmd, "expected 'daemons stop'");
	}
	if (!strcmp(cmd, "shutdown")) {
		if (argc == 4 && !strcmp(argv[2], "--timeout")) {
			if (util_parse_u32(argv[3], 0, 3600, &secs))
				return svctl_usage_error(cmd, "--timeout: 0..3600 seconds");
		} else if (argc != 2) {
			return svctl_usage_error(cmd, "expected NAME [--timeout S]");
		}
		return cmd_named(cmd, dir, SV_TS_SHUTDOWN, argv[1], secs * 1000);
	}
	if (!strcmp(cmd, "block-attach") || !strcmp(cmd, "block-detach"))
		return cmd_block_plug(cmd, dir, argc, argv);
	if (argc != 2)
		return svctl_usage_error(cmd, "expected NAME");
	if (!strcmp(cmd, "pause"))
		return cmd_named(cmd, dir, SV_TS_PAUSE, argv[1], 0);
	if (!strcmp(cmd, "unpause"))
		return cmd_named(cmd, dir, SV_TS_UNPAUSE, argv[1], 0);
	if (!strcmp(cmd, "block-list"))
		return cmd_named(cmd, dir, SV_TS_BLOCK_LIST, argv[1], 0);
	if (!strcmp(cmd, "undefine") || !strcmp(cmd, "start") || !strcmp(cmd, "dumpxml"))
		return svctl_cmd_by_name(dir, cmd, argv[1]);
	return cmd_named(cmd, dir, SV_TS_DESTROY, argv[1], 0);
}
