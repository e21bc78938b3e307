// SPDX-License-Identifier: MIT
/*
 * svcored's control socket. One thread serves every client with epoll; each
 * domain has a waiter thread that blocks in sv_domain_wait and pokes an
 * eventfd when the domain ends. Console output is buffered per domain (bounded,
 * oldest bytes dropped) by the vCPU threads and handed to subscribed clients by
 * the main thread, so a guest never waits for a client, dead or slow.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <splitvisor/start_info.h>
#include <splitvisor/core.h>

#include "control_server.h"
#include "cs_priv.h"
#include "ctl_wire.h"
#include "log.h"
#include "tail_ring.h"

static char tag_listen, tag_efd, tag_stop;

static void cs_poke(struct control_server *srv)
{
	uint64_t one = 1;

	if (write(srv->efd, &one, sizeof(one)) < 0)
		return; /* the counter is saturated: a wake-up is pending anyway */
}

/* vCPU threads: append, dropping the oldest bytes when full. */
static void cs_console(void *opaque, const char *buf, size_t len)
{
	struct cs_domain *dom = opaque;
	bool was_empty;

	pthread_mutex_lock(&dom->lock);
	was_empty = dom->con.len == 0;
	dom->con_dropped += tail_ring_put(&dom->con, buf, len);
	pthread_mutex_unlock(&dom->lock);
	if (was_empty)
		cs_poke(dom->srv);
}

/*
 * A fault's or a crash's detail (the vCPU's registers and code bytes) goes to svcored's log
 * too: the clients see only a line of it, and the domain's record goes when it is
 * destroyed, so otherwise a test's logs would say "fault" and nothing more. One log line
 * per line of the detail, as the log writes whole lines.
 */
static void cs_log_end(struct cs_domain *dom, const struct sv_domain_exit *ex)
{
	const char *p = ex->detail, *nl;

	if (ex->reason != SV_EXIT_FAULT && ex->reason != SV_EXIT_CRASH)
		return;
	log_err("domain %u (%s) ended: %s, code %d", dom->domid, dom->name,
		sv_exit_reason_name(ex->reason), ex->code);
	while (*p) {
		nl = strchr(p, '\n');
		log_err("domain %u: %.*s", dom->domid, nl ? (int)(nl - p) : (int)strlen(p), p);
		if (!nl)
			break;
		p = nl + 1;
	}
}

static void *cs_waiter(void *arg)
{
	struct cs_domain *dom = arg;
	struct sv_domain_exit ex;

	if (sv_domain_wait(dom->d, -1, &ex))
		return NULL;
	cs_log_end(dom, &ex);
	pthread_mutex_lock(&dom->lock);
	dom->exit = ex;
	dom->ended = true;
	pthread_mutex_unlock(&dom->lock);
	cs_poke(dom->srv);
	return NULL;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void cs_info(struct cs_domain *dom, struct sv_ctl_dominfo *info)
{
	memset(info, 0, sizeof(*info));
	info->domid = dom->domid;
	info->vcpus = dom->vcpus;
	info->memory_mib = dom->memory_mib;
	info->start_time_ns = dom->start_ns;
	memcpy(info->name, dom->name, sizeof(info->name));
	pthread_mutex_lock(&dom->lock);
	if (dom->ended) {
		info->exit_reason = dom->exit.reason;
		info->exit_code = dom->exit.code;
		info->state = dom->exit.reason == SV_EXIT_CRASH || dom->exit.reason == SV_EXIT_FAULT
				      ? SV_CTL_STATE_CRASHED
				      : SV_CTL_STATE_SHUTDOWN;
	} else {
		struct sv_domain_stats st;

		info->state = dom->paused ? SV_CTL_STATE_PAUSED : SV_CTL_STATE_RUNNING;
		/* Racy reads of the vCPUs' own counters: nothing on their path waits for us. */
		if (dom->d && !sv_domain_stats(dom->d, &st)) {
			info->cpu_ns = st.cpu_ns;
			info->exits = st.exits;
			info->hypercalls = st.hypercalls;
			info->notifies = st.notifies;
			info->stat_flags = st.exits_known ? SV_CTL_INFO_EXITS : 0;
		}
	}
	pthread_mutex_unlock(&dom->lock);
}

static bool cs_subscribers_have_room(struct control_server *srv, bool *any)
{
	struct cs_client *c;

	*any = false;
	for (c = srv->clients; c; c = c->next) {
		if (!c->subscribed || c->conn.dead)
			continue;
		*any = true;
		if (c->conn.out_bytes >= CS_CLIENT_OUT_MAX)
			return false;
	}
	return *any;
}

static void cs_broadcast(struct control_server *srv, uint32_t op, const void *p, size_t len)
{
	struct cs_client *c;

	for (c = srv->clients; c; c = c->next)
		if (c->subscribed && !c->conn.dead)
			wire_conn_queue(&c->conn, op, 0, 0, p, len, -1);
}

/* Moves console bytes to subscribers, then reports the end once the console is drained. */
static void cs_pump_domain(struct control_server *srv, struct cs_domain *dom, bool force)
{
	uint8_t msg[SV_CTL_PAYLOAD_MAX];
	struct sv_ctl_ev_console *ev = (void *)msg;
	struct sv_ctl_ev_ended *end;
	bool any, ended;
	size_t n;

	for (;;) {
		if (!cs_subscribers_have_room(srv, &any) && !(force && any))
			return;
		pthread_mutex_lock(&dom->lock);
		n = tail_ring_take(&dom->con, (char *)msg + sizeof(*ev), SV_CTL_CONSOLE_CHUNK);
		ended = dom->ended;
		if (!n) {
			pthread_mutex_unlock(&dom->lock);
			break;
		}
		ev->dropped = dom->con_dropped;
		dom->con_dropped = 0;
		pthread_mutex_unlock(&dom->lock);
		ev->domid = dom->domid;
		ev->len = (uint32_t)n;
		cs_broadcast(srv, SV_CTL_EV_CONSOLE, msg, sizeof(*ev) + n);
	}
	if (!ended || dom->end_reported)
		return;
	end = calloc(1, sizeof(*end));
	if (!end)
		return;
	cs_info(dom, &end->info);
	pthread_mutex_lock(&dom->lock);
	snprintf(end->detail, sizeof(end->detail), "%s", dom->exit.detail);
	pthread_mutex_unlock(&dom->lock);
	cs_broadcast(srv, SV_CTL_EV_ENDED, end, sizeof(*end));
	dom->end_reported = true;
	free(end);
}

static void cs_pump(struct control_server *srv)
{
	struct cs_domain *dom;

	for (dom = srv->domains; dom; dom = dom->next)
		cs_pump_domain(srv, dom, false);
}

static void cs_domain_free(struct cs_domain *dom)
{
	if (dom->d)
		sv_domain_destroy(dom->d);
	if (dom->waiter_started)
		pthread_join(dom->waiter, NULL);
	sv_domain_free(dom->d);
	pthread_mutex_destroy(&dom->lock);
	free(dom->con.buf);
	free(dom);
}

/* Ends the domain (if it runs), tells subscribers, and forgets it. */
static void cs_domain_remove(struct control_server *srv, struct cs_domain *dom)
{
	struct cs_domain **pp;

	sv_domain_destroy(dom->d);
	if (dom->waiter_started)
		pthread_join(dom->waiter, NULL);
	dom->waiter_started = false;
	cs_pump_domain(srv, dom, true);
	for (pp = &srv->domains; *pp != dom; pp = &(*pp)->next)
		;
	*pp = dom->next;
	srv->nr_domains--;
	cs_procdom_guest_gone(srv, dom);
	cs_domain_free(dom);
}

static void cs_insert(struct control_server *srv, struct cs_domain *dom)
{
	struct cs_domain **pp = &srv->domains;

	while (*pp && (*pp)->domid < dom->domid)
		pp = &(*pp)->next;
	dom->next = *pp;
	*pp = dom;
	srv->nr_domains++;
}

/* Offers the guest's xenstore and console ports to dom0 before the guest can look at its start info. */
static int cs_dom0_ports(struct cs_domain *dom)
{
	struct sv_start_info *si;
	uint64_t size;
	void *hva;
	int fd, ret;

	ret = sv_evtchn_alloc_unbound(dom->d, 0, &dom->store_port);
	if (!ret)
		ret = sv_evtchn_alloc_unbound(dom->d, 0, &dom->console_port);
	if (!ret)
		ret = sv_domain_memory(dom->d, &fd, &hva, &size);
	if (!ret && size < SV_START_INFO_GPA + sizeof(*si))
		ret = -EINVAL;
	if (ret)
		return ret;
	sv_domain_set_xen_ports(dom->d, dom->store_port, dom->console_port);
	si = (struct sv_start_info *)((char *)hva + SV_START_INFO_GPA);
	si->store_evtchn = dom->store_port;
	si->console_evtchn = dom->console_port;
	return 0;
}

static void cs_create(struct control_server *srv, struct cs_client *c, const struct sv_ctl_hdr *h,
		      const struct sv_ctl_create *req)
{
	struct sv_domain_params p = { 0 };
	struct sv_ctl_domid reply = { 0 };
	struct cs_domain *dom, *o;
	char err[512] = "";
	int ret;

	if (srv->nr_domains >= CS_MAX_DOMAINS) {
		wire_conn_error(&c->conn, h, -ENOSPC, "already %u domains", CS_MAX_DOMAINS);
		return;
	}
	for (o = srv->domains; o; o = o->next) {
		if (!strcmp(o->name, req->name)) {
			wire_conn_error(&c->conn, h, -EEXIST, "a domain named %s exists (domid %u)",
					req->name, o->domid);
			return;
		}
	}
	dom = calloc(1, sizeof(*dom));
	if (!dom || !(dom->con.buf = malloc(CS_CONSOLE_BUF))) {
		if (dom)
			free(dom);
		wire_conn_error(&c->conn, h, -ENOMEM, "out of memory");
		return;
	}
	dom->con.cap = CS_CONSOLE_BUF;
	pthread_mutex_init(&dom->lock, NULL);
	dom->srv = srv;
	if (cs_alloc_domid(srv, &dom->domid)) {
		ret = -ENOSPC;
		snprintf(err, sizeof(err), "no free domid");
		goto out;
	}
	memcpy(dom->name, req->name, sizeof(dom->name));
	dom->memory_mib = req->memory_mib;
	dom->vcpus = req->vcpus;
	p.name = req->name;
	p.domid = dom->domid;
	p.memory_mib = req->memory_mib;
	p.vcpus = req->vcpus;
	p.kernel = req->kernel;
	p.initrd = req->initrd[0] ? req->initrd : NULL;
	p.cmdline = req->cmdline;
	p.require_pvh = req->flags & SV_CTL_CREATE_PVH;
	p.wallclock_offset_s = req->wallclock_offset_s;
	p.max_grant_frames = req->max_grant_frames;
	p.max_event_channels = req->max_event_channels;
	p.console = cs_console;
	p.console_opaque = dom;
	ret = sv_domain_create(&p, &dom->d, err, sizeof(err));
	if (ret)
		goto out;
	ret = cs_dom0_ports(dom);
	if (ret) {
		snprintf(err, sizeof(err), "cannot set up the xenstore and console ports: %s",
			 strerror(-ret));
		goto out;
	}
	dom->start_ns = realtime_ns();
	if (req->flags & SV_CTL_CREATE_PAUSED) {
		ret = sv_domain_pause(dom->d);
		if (ret) {
			snprintf(err, sizeof(err), "cannot pause the new domain: %s",
				 strerror(-ret));
			goto out;
		}
		dom->paused = true;
	}
	ret = sv_domain_start(dom->d);
	if (!ret)
		ret = -pthread_create(&dom->waiter, NULL, cs_waiter, dom);
	if (ret) {
		snprintf(err, sizeof(err), "cannot start the domain: %s", strerror(-ret));
		goto out;
	}
	dom->waiter_started = true;
	cs_insert(srv, dom);
	reply.domid = dom->domid;
	wire_conn_queue(&c->conn, h->op, h->req_id, 0, &reply, sizeof(reply), -1);
	return;
out:
	wire_conn_error(&c->conn, h, ret, "%s", err[0] ? err : strerror(-ret));
	cs_domain_free(dom);
}

static void cs_list(struct control_server *srv, struct cs_client *c, const struct sv_ctl_hdr *h,
		    const struct sv_ctl_list *req)
{
	struct sv_ctl_dominfo info[SV_CTL_LIST_MAX];
	struct cs_domain *dom;
	size_t n = 0;

	for (dom = srv->domains; dom && n < SV_CTL_LIST_MAX; dom = dom->next)
		if (dom->domid >= req->start_domid)
			cs_info(dom, &info[n++]);
	wire_conn_queue(&c->conn, h->op, h->req_id, 0, info, n * sizeof(info[0]), -1);
}

/*
 * Binds a guest port for the calling process and passes it the notify and
 * raise eventfds. A restarted dom0 binds again: the old process end died with
 * the old process, so an existing binding is replaced.
 */
static void cs_bind_port(struct cs_client *c, const struct sv_ctl_hdr *h, struct cs_domain *dom,
			 bool ended, uint32_t port, const char *what)
{
	struct sv_ctl_store_bind_reply r = { .port = port };
	int fds[2] = { -1, -1 };
	int ret;

	if (ended) {
		wire_conn_error(&c->conn, h, -ESRCH, "domain %u has ended", dom->domid);
		return;
	}
	if (!port) {
		wire_conn_error(&c->conn, h, -ENOENT, "domain %u has no %s port", dom->domid, what);
		return;
	}
	/* Only dom0's own binding: a driver domain's stays its own. */
	if (sv_evtchn_process_domid(dom->d, port) == 0)
		sv_evtchn_close_process(dom->d, port);
	ret = sv_evtchn_bind_process(dom->d, port, 0, &fds[0], &fds[1]);
	if (ret) {
		wire_conn_error(&c->conn, h, ret, "domain %u: cannot bind %s port %u: %s",
				dom->domid, what, port, strerror(-ret));
		return;
	}
	ret = sv_evtchn_port_vcpu(dom->d, port);
	r.vcpu = ret < 0 ? 0 : (uint32_t)ret;
	if (sv_evtchn_core_raises(dom->d))
		r.flags |= SV_CTL_BIND_CORE_RAISES;
	ret = wire_conn_queue_fds(&c->conn, h->op, h->req_id, 0, &r, sizeof(r), fds, 2);
	if (ret)
		wire_conn_error(&c->conn, h, ret, "cannot pass the eventfds");
	close(fds[0]);
	close(fds[1]);
}

static void cs_evtchn_op(struct control_server *srv, struct cs_client *c,
			 const struct sv_ctl_hdr *h, const struct sv_ctl_evtchn *req)
{
	struct cs_domain *dom = cs_find(srv, req->domid);
	bool ended;
	int ret;

	if (!dom) {
		wire_conn_error(&c->conn, h, -ESRCH, "no domain %u", req->domid);
		return;
	}
	/* The core's own offers have their own ops: a device must not steal them. */
	if (req->port == dom->store_port || req->port == dom->console_port) {
		wire_conn_error(&c->conn, h, -EPERM, "port %u of domain %u is reserved", req->port,
				dom->domid);
		return;
	}
	pthread_mutex_lock(&dom->lock);
	ended = dom->ended;
	pthread_mutex_unlock(&dom->lock);
	if (h->op == SV_CTL_EVTCHN_BIND) {
		cs_bind_port(c, h, dom, ended, req->port, "event-channel");
		return;
	}
	ret = ended ? 0 : sv_evtchn_process_domid(dom->d, req->port);
	if (ret > 0) {
		wire_conn_error(&c->conn, h, -EPERM, "port %u of domain %u is bound by domain %d",
				req->port, dom->domid, ret);
		return;
	}
	if (!ret && !ended)
		ret = sv_evtchn_close_process(dom->d, req->port);
	if (ret)
		wire_conn_error(&c->conn, h, ret, "domain %u: cannot close port %u: %s", dom->domid,
				req->port, strerror(-ret));
	else
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
}

/* Ops on one existing domain. */
static void cs_domain_op(struct control_server *srv, struct cs_client *c,
			 const struct sv_ctl_hdr *h, const struct sv_ctl_domid *req)
{
	struct cs_domain *dom = cs_find(srv, req->domid);
	struct sv_ctl_gnttab_reply gr = { 0 };
	struct sv_ctl_memfd_reply mr;
	struct sv_ctl_dominfo info;
	bool ended;
	uint64_t size;
	void *hva;
	int fd, ret;

	if (!dom) {
		wire_conn_error(&c->conn, h, -ESRCH, "no domain %u", req->domid);
		return;
	}
	pthread_mutex_lock(&dom->lock);
	ended = dom->ended;
	pthread_mutex_unlock(&dom->lock);
	switch (h->op) {
	case SV_CTL_DESTROY:
		cs_domain_remove(srv, dom);
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
		return;
	case SV_CTL_PAUSE:
	case SV_CTL_UNPAUSE:
		if (ended) {
			wire_conn_error(&c->conn, h, -ESRCH, "domain %u has ended", dom->domid);
			return;
		}
		if (dom->paused == (h->op == SV_CTL_PAUSE)) {
			wire_conn_error(&c->conn, h, -EALREADY, "domain %u is %s", dom->domid,
					dom->paused ? "already paused" : "not paused");
			return;
		}
		ret = h->op == SV_CTL_PAUSE ? sv_domain_pause(dom->d) : sv_domain_unpause(dom->d);
		if (ret) {
			wire_conn_error(&c->conn, h, ret, "domain %u: %s", dom->domid,
					strerror(-ret));
			return;
		}
		dom->paused = h->op == SV_CTL_PAUSE;
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
		return;
	case SV_CTL_INFO:
		cs_info(dom, &info);
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, &info, sizeof(info), -1);
		return;
	case SV_CTL_MEMFD:
		sv_domain_memory(dom->d, &fd, &hva, &size);
		mr.size = size;
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, &mr, sizeof(mr), fd);
		return;
	case SV_CTL_STORE_BIND:
		cs_bind_port(c, h, dom, ended, dom->store_port, "xenstore");
		return;
	case SV_CTL_CONSOLE_BIND:
		cs_bind_port(c, h, dom, ended, dom->console_port, "console");
		return;
	case SV_CTL_GNTTAB:
		if (ended) {
			wire_conn_error(&c->conn, h, -ESRCH, "domain %u has ended", dom->domid);
			return;
		}
		/* The asker maps guest RAM and caches the answer: the table stays put. */
		ret = sv_domain_grant_table_pin(dom->d, &gr.table_gpa, &gr.nr_frames);
		if (ret)
			wire_conn_error(&c->conn, h, ret, "domain %u has no grant table",
					dom->domid);
		else
			wire_conn_queue(&c->conn, h->op, h->req_id, 0, &gr, sizeof(gr), -1);
		return;
	}
}

/* Constant time, so the reply time says nothing about how much of a guess was right. */
static bool cs_token_ok(const char *want, const char *got)
{
	unsigned char diff = 0;
	size_t i;

	for (i = 0; i < SV_CTL_TOKEN_LEN; i++)
		diff |= (unsigned char)(want[i] ^ got[i]);
	return diff == 0 && got[SV_CTL_TOKEN_LEN] == '\0';
}

static void cs_hello(struct control_server *srv, struct cs_client *c, const struct sv_ctl_hdr *h,
		     const struct sv_ctl_hello *req)
{
	struct sv_ctl_hello_reply r = { .version = SV_CTL_VERSION, .domid = SV_CTL_DOMID_INVALID };

	if (c->hello) {
		wire_conn_error(&c->conn, h, -EALREADY, "hello was said already");
		return;
	}
	/* Its connection is its identity: a token would not add rights to it. */
	if (c->procdom && req->token[0]) {
		wire_conn_error(&c->conn, h, -EPERM, "a process domain's hello carries no token");
		return;
	}
	if (req->token[0] && !cs_token_ok(srv->token, req->token)) {
		wire_conn_error(&c->conn, h, -EACCES, "wrong token");
		return;
	}
	c->hello = true;
	c->privileged = req->token[0] != '\0';
	if (c->privileged)
		r.domid = 0;
	else if (c->procdom)
		r.domid = cs_procdom_domid(c->procdom);
	r.privileged = c->privileged;
	wire_conn_queue(&c->conn, h->op, h->req_id, 0, &r, sizeof(r), -1);
}

static void cs_handle(struct control_server *srv, struct cs_client *c, const struct sv_ctl_hdr *h,
		      const void *p)
{
	char err[256] = "";
	int ret;

	/*
	 * Rights first: an unprivileged client learns nothing from its malformed requests.
	 * A process domain has its own few ops; an anonymous client only says hello.
	 */
	if (c->procdom && h->op != SV_CTL_HELLO) {
		if (!cs_procdom_allowed(h->op)) {
			wire_conn_error(&c->conn, h, -EPERM, "a process domain may not use op %u",
					h->op);
			return;
		}
	} else if (h->op != SV_CTL_HELLO && !c->privileged) {
		wire_conn_error(&c->conn, h, -EPERM, "this connection has no rights");
		return;
	} else if (c->privileged && h->op >= SV_CTL_GNT_AREA && h->op <= SV_CTL_GNT_UNMAP) {
		/* dom0 maps the guests' memfds itself; grant ops name a process domain's rights. */
		wire_conn_error(&c->conn, h, -EPERM,
				"grant ops are for process domains; dom0 maps guest memory itself");
		return;
	}
	ret = wire_check_request(h, p, err, sizeof(err));
	if (ret) {
		wire_conn_error(&c->conn, h, ret, "%s", err);
		return;
	}
	if (c->procdom && h->op != SV_CTL_HELLO) {
		cs_procdom_handle(srv, c, h, p);
		return;
	}
	switch (h->op) {
	case SV_CTL_HELLO:
		cs_hello(srv, c, h, p);
		break;
	case SV_CTL_PROCDOM_CREATE:
		cs_procdom_create(srv, c, h, p);
		break;
	case SV_CTL_CREATE:
		cs_create(srv, c, h, p);
		break;
	case SV_CTL_LIST:
		cs_list(srv, c, h, p);
		break;
	case SV_CTL_SUBSCRIBE:
		c->subscribed = true;
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
		break;
	case SV_CTL_EVTCHN_BIND:
	case SV_CTL_EVTCHN_CLOSE:
		cs_evtchn_op(srv, c, h, p);
		break;
	case SV_CTL_STOP:
		srv->stopping = true;
		wire_conn_queue(&c->conn, h->op, h->req_id, 0, NULL, 0, -1);
		break;
	default:
		cs_domain_op(srv, c, h, p);
		break;
	}
}

static void cs_client_input(struct control_server *srv, struct cs_client *c)
{
	const void *payload;
	struct sv_ctl_hdr h;
	int ret;

	if (wire_conn_read(&c->conn))
		return;
	while (!c->conn.dead && c->conn.out_bytes < CS_CLIENT_OUT_MAX) {
		ret = wire_conn_next(&c->conn, &h, &payload);
		if (ret < 0) {
			c->conn.dead = true; /* framing lost */
			return;
		}
		if (!ret)
			return;
		cs_handle(srv, c, &h, payload);
		wire_conn_pop(&c->conn);
	}
}

static void cs_accept(struct control_server *srv)
{
	struct cs_client *c;
	int fd;

	fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (cs_client_add(srv, fd, &c))
		close(fd);
}

/* Flushes every client, drops dead ones and sets what epoll waits for. */
static void cs_service_clients(struct control_server *srv)
{
	struct cs_client **pp = &srv->clients, *c;
	struct epoll_event ev;

	while ((c = *pp)) {
		wire_conn_flush(&c->conn);
		if (c->conn.dead) {
			*pp = c->next;
			if (c->procdom)
				cs_procdom_client_gone(srv, c);
			wire_conn_close(&c->conn);
			free(c);
			srv->nr_clients--;
			continue;
		}
		ev.events = (c->conn.out_bytes < CS_CLIENT_OUT_MAX ? EPOLLIN : 0) |
			    (c->conn.head ? EPOLLOUT : 0);
		if (ev.events != c->events) {
			ev.data.ptr = c;
			epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->conn.fd, &ev);
			c->events = ev.events;
			/* Input that waited for the queue to drain is already buffered. */
			if ((ev.events & EPOLLIN) && c->conn.in_len)
				cs_client_input(srv, c);
		}
		pp = &c->next;
	}
}

int control_server_new(int listen_fd, const char *token, struct control_server **out)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct control_server *srv;
	int ret;

	if (strlen(token) != SV_CTL_TOKEN_LEN)
		return -EINVAL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->listen_fd = listen_fd;
	srv->next_domid = 1;
	memcpy(srv->token, token, SV_CTL_TOKEN_LEN + 1);
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	srv->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv->epfd < 0 || srv->efd < 0) {
		ret = -errno;
		goto out;
	}
	ev.data.ptr = &tag_listen;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, listen_fd, &ev) < 0) {
		ret = -errno;
		goto out;
	}
	ev.data.ptr = &tag_efd;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->efd, &ev) < 0) {
		ret = -errno;
		goto out;
	}
	*out = srv;
	return 0;
out:
	control_server_free(srv);
	return ret;
}

int control_server_run(struct control_server *srv, int stop_fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &tag_stop };
	struct epoll_event evs[16];
	uint64_t cnt;
	int i, n;

	if (stop_fd >= 0 && epoll_ctl(srv->epfd, EPOLL_CTL_ADD, stop_fd, &ev) < 0)
		return -errno;
	while (!srv->stopping) {
		n = epoll_wait(srv->epfd, evs, 16, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++) {
			void *tag = evs[i].data.ptr;

			if (tag == &tag_stop)
				srv->stopping = true;
			else if (tag == &tag_listen)
				cs_accept(srv);
			else if (tag == &tag_efd)
				while (read(srv->efd, &cnt, sizeof(cnt)) > 0)
					;
			else if (*(enum cs_kind *)tag == CS_KIND_PORT)
				cs_procdom_port_ready(srv, tag);
			else if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				cs_client_input(srv, tag);
		}
		cs_pump(srv);
		cs_service_clients(srv);
	}
	return 0;
}

void control_server_free(struct control_server *srv)
{
	struct cs_domain *dom;
	struct cs_client *c;

	if (!srv)
		return;
	/* Process domains first: their maps and ports live in the guests. */
	for (c = srv->clients; c; c = c->next)
		if (c->procdom)
			cs_procdom_client_gone(srv, c);
	while ((dom = srv->domains)) {
		srv->domains = dom->next;
		cs_domain_free(dom);
	}
	while ((c = srv->clients)) {
		srv->clients = c->next;
		wire_conn_flush(&c->conn);
		wire_conn_close(&c->conn);
		free(c);
	}
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->efd >= 0)
		close(srv->efd);
	free(srv);
}
