// SPDX-License-Identifier: MIT
/*
 * svdd, a driver domain: a host process with its own domid that hosts
 * blkback and netback for guests whose devices name it, with no more rights
 * than that (include/splitvisor/driver_domain.h). svdom0 starts it as
 * `svdd --domid N --name NAME` with fds 3..6 open; this file checks them,
 * enters the sandbox, and runs the loop: the backends' fds, xenstore watch
 * events, and svdom0's requests on fd 6 (fault injection).
 *
 * A request on fd 6 that is framed but wrong gets an error reply and svdd
 * goes on; a stream whose framing is lost is closed (logged) and svdd goes
 * on serving its devices without fault injection. svdom0 closing any of its
 * sockets, or the core closing fd 3, ends svdd with status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <splitvisor/control.h>
#include <splitvisor/driver_domain.h>

#include "ctl_wire.h"
#include "dd.h"
#include "log.h"
#include "util.h"

/* The longest slow fault: a backend a minute per batch is as good as hung. */

/* Exit codes: sysexits where one fits. */
#define DD_EXIT_USAGE	 64
#define DD_EXIT_NOINPUT	 66
#define DD_EXIT_SOFTWARE 70

struct svdd {
	struct dd dd;
	struct wire_conn ctl;
	bool ctl_open;
	int sigfd;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: svdd --domid N --name NAME [--no-sandbox]\n"
		   "A driver domain, started by svdom0 with fds 3 (core), 4 (xenstore),\n"
		   "5 (requests to the toolstack) and 6 (the toolstack's requests) open.\n"
		   "--no-sandbox keeps root and skips the seccomp filter: for debugging only.\n");
}

static void ctl_inject(struct svdd *s, const struct sv_ctl_hdr *h, const void *payload)
{
	struct backend_faults *f = &s->dd.faults;
	struct sv_dd_inject in;
	char err[128];
	int ret;

	if (h->len != sizeof(in)) {
		wire_conn_error(&s->ctl, h, -EINVAL, "inject: %u bytes, not %zu", h->len,
				sizeof(in));
		return;
	}
	memcpy(&in, payload, sizeof(in));
	ret = backend_faults_apply(f, in.fault, in.arg, err, sizeof(err));
	if (ret) {
		wire_conn_error(&s->ctl, h, ret, "%s", err);
		return;
	}
	log_warn("injected fault %u (arg %u)", in.fault, in.arg);
	wire_conn_queue(&s->ctl, h->op, h->req_id, 0, NULL, 0, -1);
}

static void ctl_close(struct svdd *s)
{
	if (s->dd.xenv)
		dd_fd_del(&s->dd, s->ctl.fd);
	wire_conn_close(&s->ctl);
	s->ctl_open = false;
}

/* svdom0's requests (fd 6). */
static void ctl_input(void *arg)
{
	struct svdd *s = arg;
	const void *payload;
	struct sv_ctl_hdr h;
	int ret, eof;

	eof = wire_conn_read(&s->ctl);
	while ((ret = wire_conn_next(&s->ctl, &h, &payload)) == 1) {
		if (h.op == SV_DD_INJECT)
			ctl_inject(s, &h, payload);
		else
			wire_conn_error(&s->ctl, &h, -EOPNOTSUPP,
					"op %u is not a request svdd serves", h.op);
		wire_conn_pop(&s->ctl);
	}
	wire_conn_flush(&s->ctl);
	if (ret < 0) {
		log_err("control socket: a message longer than the framing allows: no more "
			"requests from the toolstack on it");
		ctl_close(s);
		return;
	}
	if (eof || s->ctl.dead) {
		log_err("control socket: the toolstack closed it; stopping");
		ctl_close(s);
		s->dd.stopping = true;
		s->dd.exit_code = 1;
	}
}

static void sig_input(void *arg)
{
	struct svdd *s = arg;
	struct signalfd_siginfo si;

	if (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		log_info("signal %u: stopping", si.ssi_signo);
		s->dd.stopping = true;
	}
}

/* fds 3..6 must be what svdom0 hands over: sockets. */
static int check_fds(void)
{
	static const char *const what[] = { "the core connection", "the xenstore connection",
					    "requests to the toolstack",
					    "the toolstack's requests" };
	struct stat st;

	for (int fd = SV_DD_FD_CORE; fd <= SV_DD_FD_CONTROL; fd++) {
		if (fstat(fd, &st) || !S_ISSOCK(st.st_mode)) {
			fprintf(stderr,
				"svdd: fd %d (%s) is %s, not a socket: svdd is started by svdom0, "
				"see include/splitvisor/driver_domain.h\n",
				fd, what[fd - SV_DD_FD_CORE], errno == EBADF ? "closed" : "open");
			return -EBADF;
		}
	}
	return 0;
}

static int run(struct svdd *s, bool sandbox, bool selftest)
{
	struct dd *dd = &s->dd;
	char err[512] = "";
	sigset_t set;
	int ret;

	/* Blocked before any thread exists, so only the loop hears of them (signalfd). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sigfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		return -errno;
	}
	if (sandbox) {
		ret = dd_sandbox_enter(dd->domid, err, sizeof(err));
		if (ret) {
			log_err("cannot enter the sandbox: %s", err);
			return ret;
		}
	} else {
		log_warn("--no-sandbox: running with the rights svdom0 gave, for debugging only");
	}
	if (selftest) {
		dd_sandbox_selftest();
		log_err("seccomp self-test: the forbidden call went through");
		return -EPERM;
	}
	ret = dd_env_init(dd, err, sizeof(err));
	if (!ret)
		ret = dd_grant_init(dd, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		return ret;
	}
	wire_conn_init(&s->ctl, SV_DD_FD_CONTROL);
	s->ctl_open = true;
	fcntl(SV_DD_FD_CONTROL, F_SETFL, fcntl(SV_DD_FD_CONTROL, F_GETFL) | O_NONBLOCK);
	ret = dd_fd_add(dd, SV_DD_FD_CONTROL, EPOLLIN, ctl_input, s);
	if (!ret)
		ret = dd_fd_add(dd, s->sigfd, EPOLLIN, sig_input, s);
	if (ret) {
		log_err("epoll: %s", strerror(-ret));
		return ret;
	}
	ret = dd_devices_start(dd, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		return ret;
	}
	log_info("driver domain %s (domid %u) serving", dd->name, dd->domid);
	while (!dd->stopping) {
		ret = dd_loop_once(dd, -1);
		if (ret) {
			log_err("epoll_wait: %s", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "domid", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "no-sandbox", no_argument, NULL, 'S' },
		{ "selftest-seccomp", no_argument, NULL, 'T' }, /* tests only: not in --help */
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct svdd s;
	bool sandbox = true, selftest = false, have_domid = false;
	static char prog[48];
	uint32_t domid = 0;
	int c, ret;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (util_parse_u32(optarg, 1, SV_CTL_DOMID_MAX, &domid)) {
				fprintf(stderr, "svdd: --domid '%s' is not 1..%u\n", optarg,
					SV_CTL_DOMID_MAX);
				return DD_EXIT_USAGE;
			}
			have_domid = true;
			break;
		case 'n':
			if (!optarg[0] || strlen(optarg) >= sizeof(s.dd.name)) {
				fprintf(stderr, "svdd: --name must be 1..%zu characters\n",
					sizeof(s.dd.name) - 1);
				return DD_EXIT_USAGE;
			}
			snprintf(s.dd.name, sizeof(s.dd.name), "%s", optarg);
			break;
		case 'S':
			sandbox = false;
			break;
		case 'T':
			selftest = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return DD_EXIT_USAGE;
		}
	}
	if (optind != argc || !have_domid || !s.dd.name[0]) {
		usage(stderr);
		return DD_EXIT_USAGE;
	}
	if (check_fds())
		return DD_EXIT_NOINPUT;
	/* Nothing but fds 0..6 crosses into the sandbox, whatever the parent leaked. */
	close_range(SV_DD_FD_CONTROL + 1, ~0u, 0);
	snprintf(prog, sizeof(prog), "svdd[%u]", domid);
	log_init(prog);
	s.dd.domid = (uint16_t)domid;
	s.sigfd = -1;
	ret = run(&s, sandbox, selftest);
	dd_devices_stop(&s.dd);
	if (s.ctl_open)
		ctl_close(&s);
	dd_grant_free(&s.dd);
	dd_env_free(&s.dd);
	if (s.sigfd >= 0)
		close(s.sigfd);
	if (ret)
		return DD_EXIT_SOFTWARE;
	log_info("stopped");
	return s.dd.exit_code;
}
