// SPDX-License-Identifier: MIT
/*
 * svdom0: the control domain as a process. It connects to svcored as domid 0,
 * runs the xenstore server (process clients on <rundir>/xenstore.sock) and the
 * toolstack service svctl talks to (<rundir>/dom0.sock). One thread, epoll.
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
#include <sys/socket.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "backend_host.h"
#include "core_client.h"
#include "driver_domains.h"
#include "log.h"
#include "lv_server.h"
#include "store_ring.h"
#include "sv_xml.h"
#include "svdom0.h"
#include "ts_domains.h"
#include "ts_service.h"
#include "net_service.h"
#include "vbd.h"
#include "vif.h"
#include "xs_local.h"
#include "xs_sock.h"

#define D0_MAX_CLIENTS 64u

struct loop {
	struct dom0 d0;
	int epfd, ts_lfd, xs_lfd, sfd;
	unsigned int nr_clients;
};

static char tag_ts, tag_xs, tag_core, tag_sig;

static void loop_watch(struct loop *lp, int fd, void *tag, uint32_t *cur, uint32_t want, bool add)
{
	struct epoll_event ev = { .events = want, .data.ptr = tag };

	if (!add && cur && *cur == want)
		return;
	epoll_ctl(lp->epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
	if (cur)
		*cur = want;
}

static void accept_client(struct loop *lp, int lfd, bool xs)
{
	struct ts_client *t;
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (lp->nr_clients >= D0_MAX_CLIENTS)
		goto out;
	if (xs) {
		/* Every client of xenstore.sock is dom0: the 0700 run directory guards it. */
		if (xs_sock_add(&lp->d0, fd, 0, NULL))
			return;
	} else {
		t = calloc(1, sizeof(*t));
		if (!t)
			goto out;
		t->kind = D0_TS_CLIENT;
		wire_conn_init(&t->conn, fd);
		t->next = lp->d0.ts_clients;
		lp->d0.ts_clients = t;
		loop_watch(lp, fd, t, &t->events, EPOLLIN, true);
	}
	lp->nr_clients++;
	return;
out:
	close(fd);
}

static void ts_client_input(struct loop *lp, struct ts_client *c)
{
	const void *payload;
	struct sv_ctl_hdr h;
	int ret;

	if (wire_conn_read(&c->conn))
		return;
	for (;;) {
		ret = wire_conn_next(&c->conn, &h, &payload);
		if (ret < 0)
			c->conn.dead = true;
		if (ret <= 0)
			return;
		ts_handle(&lp->d0, c, &h, payload);
		wire_conn_pop(&c->conn);
	}
}

/*
 * Flushes every client, drops the dead and the finished ones. True when a
 * guest's ring moved: poll again without sleeping, it may hold more.
 */
static bool service_clients(struct loop *lp)
{
	struct ts_client **tp = &lp->d0.ts_clients, *t;

	while ((t = *tp)) {
		wire_conn_flush(&t->conn);
		if (t->conn.dead || (t->close_when_flushed && !t->conn.head)) {
			*tp = t->next;
			/* A svdd being forked may hold a copy of the fd: epoll would keep it. */
			epoll_ctl(lp->epfd, EPOLL_CTL_DEL, t->conn.fd, NULL);
			wire_conn_close(&t->conn);
			ts_client_release(t);
			dd_client_gone(&lp->d0, t);
			free(t);
			lp->nr_clients--;
			continue;
		}
		loop_watch(lp, t->conn.fd, t, &t->events, EPOLLIN | (t->conn.head ? EPOLLOUT : 0),
			   false);
		tp = &t->next;
	}
	lp->nr_clients -= xs_sock_service(&lp->d0);
	lv_service(&lp->d0);
	/*
	 * Last: any request above may have fired a watch whose event is for a guest, or for a
	 * backend, whose answer may fire more.
	 */
	if (backend_host_dispatch(&lp->d0)) {
		vbd_reap(&lp->d0);
		vif_reap(&lp->d0);
		sr_pump_all(&lp->d0);
		return true;
	}
	return sr_pump_all(&lp->d0);
}

static int run(struct loop *lp)
{
	struct epoll_event evs[16];
	int i, n, timeout, ret;
	bool busy = false;

	while (!lp->d0.stopping) {
		timeout = lv_timeout(&lp->d0, ts_timeouts(&lp->d0));
		if (service_clients(lp) || busy)
			timeout = 0; /* restarts may have queued core events, rings more bytes */
		n = epoll_wait(lp->epfd, evs, 16, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			void *tag = evs[i].data.ptr;

			if (tag == &tag_sig)
				return 0;
			if (tag == &tag_core)
				continue; /* read below, every round */
			if (tag == &tag_ts || tag == &tag_xs)
				accept_client(lp, tag == &tag_ts ? lp->ts_lfd : lp->xs_lfd,
					      tag == &tag_xs);
			else if (*(int *)tag == D0_TS_CLIENT)
				ts_client_input(lp, tag);
			else if (*(int *)tag == D0_STORE_RING)
				sr_pump(tag);
			else if (*(int *)tag == D0_BACKEND_FD)
				backend_host_fd_event(tag);
			else if (*(int *)tag == D0_DD_FD)
				dd_fd_event(&lp->d0, tag);
			else if (*(int *)tag == D0_LV_LISTEN || *(int *)tag == D0_LV_CLIENT)
				lv_event(&lp->d0, tag);
			else
				xs_sock_io(tag);
		}
		ret = ts_core_events(&lp->d0);
		if (ret < 0) {
			log_err("the core closed the control socket");
			return -EPIPE;
		}
		busy = ret > 0;
	}
	service_clients(lp);
	return 0;
}

/* Whether the core runs a domain that has not ended: then this is a restart. */
static int any_running(struct dom0 *d0, bool *running, char *err, size_t errlen)
{
	struct sv_ctl_dominfo info[SV_CTL_LIST_MAX];
	struct sv_ctl_list req = { .start_domid = 0 };
	size_t len, n;
	int ret;

	*running = false;
	do {
		ret = cc_call(d0->cc, SV_CTL_LIST, &req, sizeof(req), info, sizeof(info), &len,
			      NULL, err, errlen);
		if (ret)
			return ret;
		n = len / sizeof(info[0]);
		for (size_t i = 0; i < n; i++) {
			*running |= info[i].state < SV_CTL_STATE_SHUTDOWN;
			req.start_domid = info[i].domid + 1;
		}
	} while (n == SV_CTL_LIST_MAX);
	return 0;
}

/*
 * <run-dir>/xenstore.journal: replayed when domains run (svdom0 was killed or stopped while
 * they did), emptied on a fresh start. A journal that cannot be read is logged and replaced.
 */
static int journal_open(struct dom0 *d0, char *err, size_t errlen)
{
	char path[300], why[256];
	bool running;
	int ret;

	why[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/xenstore.journal", d0->rundir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	ret = any_running(d0, &running, err, errlen);
	if (ret)
		return ret;
	ret = xs_persist_open(d0->xs, path, running, why, sizeof(why));
	if (why[0])
		log_warn("xenstore journal: %s", why);
	if (ret && running)
		ret = xs_persist_open(d0->xs, path, false, why, sizeof(why));
	if (ret && snprintf(err, errlen, "xenstore journal: %s", why[0] ? why : strerror(-ret)) >=
			   (int)errlen)
		err[errlen - 1] = '\0';
	else if (!ret && running)
		log_info("xenstore state taken back from %s", path);
	return ret;
}

static int setup(struct loop *lp, const char *state_dir, char *err, size_t errlen)
{
	struct xs_server_config cfg;
	char path[300];
	sigset_t set;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	lp->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	lp->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (lp->sfd < 0 || lp->epfd < 0)
		return -errno;
	lp->d0.epfd = lp->epfd;
	ret = cc_connect(lp->d0.rundir, true, &lp->d0.cc, err, errlen);
	if (ret)
		return ret;
	xs_server_config_default(&cfg);
	lp->d0.xs = xs_server_new(&cfg);
	lp->d0.xs_self = lp->d0.xs ? xsl_new(lp->d0.xs, 0) : NULL;
	if (!lp->d0.xs_self || backend_host_init(&lp->d0))
		return -ENOMEM;
	dd_init(&lp->d0);
	/* Definitions first: a running domain that has one follows its on_* actions again. */
	ret = defs_load(&lp->d0.defs, state_dir);
	if (ret) {
		snprintf(err, errlen, "state directory %s: %s", state_dir, strerror(-ret));
		return ret;
	}
	ret = journal_open(&lp->d0, err, errlen);
	if (!ret)
		ret = ts_attach(&lp->d0, err, errlen);
	if (ret)
		return ret;
	/* Domains that did not come back leave nothing in the journal. */
	if (xs_persist_adopted(lp->d0.xs))
		log_warn("xenstore journal: cannot rewrite it; restarts may lose state");
	snprintf(path, sizeof(path), "%s/xenstore.sock", lp->d0.rundir);
	lp->xs_lfd = wire_unix_listen(path);
	snprintf(path, sizeof(path), "%s/dom0.sock", lp->d0.rundir);
	lv_start(&lp->d0);
	/* dom0.sock last: once it answers, svctl may use everything. */
	lp->ts_lfd = lp->xs_lfd < 0 ? lp->xs_lfd : wire_unix_listen(path);
	if (lp->xs_lfd < 0 || lp->ts_lfd < 0) {
		snprintf(err, errlen, "cannot listen in %s", lp->d0.rundir);
		return lp->xs_lfd < 0 ? lp->xs_lfd : lp->ts_lfd;
	}
	loop_watch(lp, lp->sfd, &tag_sig, NULL, EPOLLIN, true);
	loop_watch(lp, lp->xs_lfd, &tag_xs, NULL, EPOLLIN, true);
	loop_watch(lp, lp->ts_lfd, &tag_ts, NULL, EPOLLIN, true);
	loop_watch(lp, cc_fd(lp->d0.cc), &tag_core, NULL, EPOLLIN, true);
	return 0;
}

static void unlink_in(const char *dir, const char *name)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "run-dir", required_argument, NULL, 'r' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "console-log-max", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct loop *lp = calloc(1, sizeof(*lp));
	char err[512] = "", pid[300], state_dir[256];
	const char *env;
	int c, fd, ret;

	if (!lp)
		return 1;
	log_init("svdom0");
	lp->epfd = lp->ts_lfd = lp->xs_lfd = lp->sfd = -1;
	if (wire_run_dir(lp->d0.rundir, sizeof(lp->d0.rundir)) ||
	    defs_state_dir(state_dir, sizeof(state_dir))) {
		log_err("run or state directory path too long");
		return 1;
	}
	env = getenv(CON_LOG_MAX_ENV);
	if (env && *env && con_log_parse_size(env, &lp->d0.console_log_max)) {
		log_err("%s=%s: not a size of %u bytes or more (digits, then K, M or G)",
			CON_LOG_MAX_ENV, env, CON_LOG_FILE_MIN);
		free(lp);
		return 64;
	}
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (con_log_parse_size(optarg, &lp->d0.console_log_max)) {
				log_err("--console-log-max %s: not a size of %u bytes or more "
					"(digits, then K, M or G)",
					optarg, CON_LOG_FILE_MIN);
				free(lp);
				return 64;
			}
			break;
		case 'r':
			snprintf(lp->d0.rundir, sizeof(lp->d0.rundir), "%s", optarg);
			break;
		case 's':
			snprintf(state_dir, sizeof(state_dir), "%s", optarg);
			break;
		case 'h':
			printf("usage: svdom0 [--run-dir DIR] [--state-dir DIR] "
			       "[--console-log-max SIZE]\n"
			       "  --console-log-max: each console log file's cap (default 4M, "
			       "also %s); one older file is kept\n",
			       CON_LOG_MAX_ENV);
			free(lp);
			return 0;
		default:
			free(lp);
			return 64;
		}
	}
	ret = setup(lp, state_dir, err, sizeof(err));
	if (ret) {
		log_err("%s", err[0] ? err : strerror(-ret));
		goto out;
	}
	snprintf(pid, sizeof(pid), "%s/svdom0.pid", lp->d0.rundir);
	fd = open(pid, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dprintf(fd, "%d\n", (int)getpid());
		close(fd);
	}
	ret = run(lp);
	if (lp->d0.stop_core)
		cc_call(lp->d0.cc, SV_CTL_STOP, NULL, 0, NULL, 0, NULL, NULL, NULL, 0);
out:
	if (lp->ts_lfd >= 0) {
		unlink_in(lp->d0.rundir, "dom0.sock");
		unlink_in(lp->d0.rundir, "xenstore.sock");
		unlink_in(lp->d0.rundir, "svdom0.pid");
	}
	/* Guests that outlive us keep their store: tearing down here is not a change to it. */
	if (lp->d0.xs)
		xs_persist_close(lp->d0.xs);
	while (lp->d0.ts_clients) {
		struct ts_client *t = lp->d0.ts_clients;

		lp->d0.ts_clients = t->next;
		wire_conn_close(&t->conn);
		ts_client_release(t);
		free(t);
	}
	lv_stop(&lp->d0);
	dd_free_all(&lp->d0);
	ts_free(&lp->d0);
	xs_sock_free_all(&lp->d0);
	net_service_destroy(lp->d0.net);
	sr_reap(&lp->d0);
	backend_host_free(&lp->d0);
	defs_free(&lp->d0.defs);
	sv_xml_cleanup();
	xmlCleanupParser();
	xsl_free(lp->d0.xs_self);
	if (lp->d0.xs)
		xs_server_free(lp->d0.xs);
	cc_free(lp->d0.cc);
	if (lp->ts_lfd >= 0)
		close(lp->ts_lfd);
	if (lp->xs_lfd >= 0)
		close(lp->xs_lfd);
	if (lp->epfd >= 0)
		close(lp->epfd);
	if (lp->sfd >= 0)
		close(lp->sfd);
	free(lp);
	return ret ? 1 : 0;
}
