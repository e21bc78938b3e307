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
#include "log.h"
#include "store_ring.h"
#include "sv_xml.h"
#include "svdom0.h"
#include "ts_domains.h"
#include "ts_service.h"
#include "net_service.h"
#include "vbd.h"
#include "vif.h"
#include "xs_local.h"

#define D0_MAX_CLIENTS 64u

/* A process client of xenstore.sock; it is domid 0 (see docs/architecture.md). */
struct xs_client {
	int kind; /* D0_XS_CLIENT */
	struct xs_client *next;
	int fd;
	uint32_t events;
	bool dead;
	struct xs_conn *xc;
	size_t in_len;
	uint8_t in[XS_MSG_MAX];
};

struct loop {
	struct dom0 d0;
	int epfd, ts_lfd, xs_lfd, sfd;
	struct xs_client *xs_clients;
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

static void xs_client_io(struct xs_client *x)
{
	const void *ptr;
	size_t len;
	ssize_t n;

	for (;;) {
		/* Output first: replies drained let the server take more requests. */
		for (;;) {
			xs_conn_output(x->xc, &ptr, &len);
			if (!len)
				break;
			n = send(x->fd, ptr, len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0) {
				x->dead = true;
				return;
			}
			xs_conn_consume(x->xc, (size_t)n);
		}
		if (x->in_len) {
			n = xs_conn_feed(x->xc, x->in, x->in_len);
			if (n < 0) {
				x->dead = true;
				return;
			}
			memmove(x->in, x->in + n, x->in_len - (size_t)n);
			x->in_len -= (size_t)n;
			if (n > 0)
				continue;
		}
		if (x->in_len == sizeof(x->in))
			return;
		n = recv(x->fd, x->in + x->in_len, sizeof(x->in) - x->in_len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			x->dead = true;
			return;
		}
		x->in_len += (size_t)n;
	}
}

static void accept_client(struct loop *lp, int lfd, bool xs)
{
	struct ts_client *t;
	struct xs_client *x;
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (lp->nr_clients >= D0_MAX_CLIENTS)
		goto out;
	if (xs) {
		x = calloc(1, sizeof(*x));
		if (!x)
			goto out;
		x->kind = D0_XS_CLIENT;
		x->fd = fd;
		x->xc = xs_conn_new(lp->d0.xs, 0);
		if (!x->xc) {
			free(x);
			goto out;
		}
		x->next = lp->xs_clients;
		lp->xs_clients = x;
		loop_watch(lp, fd, x, &x->events, EPOLLIN, true);
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
	struct xs_client **xp = &lp->xs_clients, *x;
	const void *ptr;
	size_t len;

	while ((t = *tp)) {
		wire_conn_flush(&t->conn);
		if (t->conn.dead || (t->close_when_flushed && !t->conn.head)) {
			*tp = t->next;
			wire_conn_close(&t->conn);
			ts_client_release(t);
			free(t);
			lp->nr_clients--;
			continue;
		}
		loop_watch(lp, t->conn.fd, t, &t->events, EPOLLIN | (t->conn.head ? EPOLLOUT : 0),
			   false);
		tp = &t->next;
	}
	while ((x = *xp)) {
		if (!x->dead)
			xs_client_io(x);
		if (x->dead || xs_conn_is_dead(x->xc)) {
			*xp = x->next;
			xs_conn_free(x->xc);
			close(x->fd);
			free(x);
			lp->nr_clients--;
			continue;
		}
		xs_conn_output(x->xc, &ptr, &len);
		loop_watch(lp, x->fd, x, &x->events,
			   (x->in_len < sizeof(x->in) ? EPOLLIN : 0) | (len ? EPOLLOUT : 0), false);
		xp = &x->next;
	}
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
		timeout = ts_timeouts(&lp->d0);
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
			else
				xs_client_io(tag);
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
	/* Definitions first: a running domain that has one follows its on_* actions again. */
	ret = defs_load(&lp->d0.defs, state_dir);
	if (ret) {
		snprintf(err, errlen, "state directory %s: %s", state_dir, strerror(-ret));
		return ret;
	}
	ret = ts_attach(&lp->d0, err, errlen);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/xenstore.sock", lp->d0.rundir);
	lp->xs_lfd = wire_unix_listen(path);
	snprintf(path, sizeof(path), "%s/dom0.sock", lp->d0.rundir);
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct loop *lp = calloc(1, sizeof(*lp));
	char err[512] = "", pid[300], state_dir[256];
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
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			snprintf(lp->d0.rundir, sizeof(lp->d0.rundir), "%s", optarg);
			break;
		case 's':
			snprintf(state_dir, sizeof(state_dir), "%s", optarg);
			break;
		case 'h':
			printf("usage: svdom0 [--run-dir DIR] [--state-dir DIR]\n");
			return 0;
		default:
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
	while (lp->xs_clients) {
		struct xs_client *x = lp->xs_clients;

		lp->xs_clients = x->next;
		xs_conn_free(x->xc);
		close(x->fd);
		free(x);
	}
	while (lp->d0.ts_clients) {
		struct ts_client *t = lp->d0.ts_clients;

		lp->d0.ts_clients = t->next;
		wire_conn_close(&t->conn);
		ts_client_release(t);
		free(t);
	}
	ts_free(&lp->d0);
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
