// SPDX-License-Identifier: MIT
/*
 * svdd's backend_env: what blkback and netback see of their host in a driver
 * domain. Xenstore is the socket on fd 4 (svdom0 serves every request on it
 * as our domid, with Xen's permissions), the core is the process domain's
 * connection on fd 3, files and TAP devices come from the toolstack on fd 5,
 * and guest RAM is refused: grants go through the core (dd_grant.c). It also
 * owns svdd's epoll loop, since the backends add their fds here.
 *
 * Every request on the three sockets is synchronous, one at a time per
 * socket under its own mutex (the core's may be used by device threads for
 * grant copies while the loop binds a port: each holds it for one
 * request/reply pair and waits on nothing else, so nobody can wait in a
 * cycle). Xenstore watch events that arrive while we wait for a reply are
 * queued and run on the loop, never inside a request.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <splitvisor/control.h>
#include <splitvisor/driver_domain.h>
#include <splitvisor/xs_wire.h>

#include "ctl_wire.h"
#include "dd.h"
#include "errmsg.h"
#include "log.h"
#include "xs_client.h"

/* svdom0 answers at once; a toolstack that does not is as good as gone. */
#define DD_REPLY_TIMEOUT_MS 30000
#define DD_MAX_EVENTS	    32

struct dd_fd {
	struct dd_fd *next;
	int fd;
	bool dead; /* dd_fd_del'd: an event already fetched must not call fn */
	backend_fd_fn *fn;
	void *arg;
};

struct dd_watch {
	struct dd_watch *next;
	char *path, *token;
	backend_watch_fn *fn;
	void *arg;
};

struct dd_event {
	struct dd_event *next;
	char *path, *token;
};

struct dd_env {
	int epfd;
	struct dd_fd *fds, *dead_fds;
	pthread_mutex_t xs_lock, core_lock, ts_lock;
	uint32_t xs_req, core_req, ts_req;
	struct dd_watch *watches;
	struct dd_event *ev_head, *ev_tail;
	uint8_t core_buf[SV_CTL_PAYLOAD_MAX]; /* under core_lock */
};

static struct dd *env_dd(struct backend_env *env)
{
	return env->ctx;
}

/* ---- the loop ---- */

int dd_fd_add(struct dd *dd, int fd, uint32_t events, backend_fd_fn *fn, void *arg)
{
	struct dd_env *e = dd->xenv;
	struct epoll_event ev = { .events = events };
	struct dd_fd *f;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->fd = fd;
	f->fn = fn;
	f->arg = arg;
	ev.data.ptr = f;
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int ret = -errno;

		free(f);
		return ret;
	}
	f->next = e->fds;
	e->fds = f;
	return 0;
}

/* Freed after the round: the loop may hold an event naming it. */
void dd_fd_del(struct dd *dd, int fd)
{
	struct dd_env *e = dd->xenv;
	struct dd_fd **pp, *f;

	for (pp = &e->fds; (f = *pp); pp = &f->next) {
		if (f->fd == fd && !f->dead) {
			*pp = f->next;
			epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL);
			f->dead = true;
			f->next = e->dead_fds;
			e->dead_fds = f;
			return;
		}
	}
}

static void env_run_events(struct dd *dd)
{
	struct dd_env *e = dd->xenv;
	struct dd_event *ev;
	struct dd_watch *w;

	while ((ev = e->ev_head)) {
		e->ev_head = ev->next;
		if (!e->ev_head)
			e->ev_tail = NULL;
		/* Looked up per event: a callback may have unwatched another device. */
		for (w = e->watches; w && strcmp(w->token, ev->token); w = w->next)
			;
		if (w)
			w->fn(w->arg, ev->path);
		free(ev->path);
		free(ev->token);
		free(ev);
	}
}

int dd_loop_once(struct dd *dd, int timeout_ms)
{
	struct epoll_event evs[DD_MAX_EVENTS];
	struct dd_env *e = dd->xenv;
	struct dd_fd *f;
	int n, i;

	env_run_events(dd);
	n = epoll_wait(e->epfd, evs, DD_MAX_EVENTS, timeout_ms);
	if (n < 0 && errno != EINTR)
		return -errno;
	for (i = 0; i < n; i++) {
		f = evs[i].data.ptr;
		if (!f->dead)
			f->fn(f->arg);
	}
	env_run_events(dd);
	while ((f = e->dead_fds)) {
		e->dead_fds = f->next;
		free(f);
	}
	return 0;
}

/* ---- xenstore (fd 4) ---- */

static void xs_queue_event(struct dd_env *e, const char *payload, uint32_t len)
{
	const char *token = memchr(payload, '\0', len);
	struct dd_event *ev;

	/* "path\0token\0": anything else from our own xenstore is a bug there; drop it. */
	if (!token || (size_t)(++token - payload) >= len ||
	    !memchr(token, '\0', len - (token - payload))) {
		log_warn("xenstore: a malformed watch event, dropped");
		return;
	}
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return;
	ev->path = strdup(payload);
	ev->token = strdup(token);
	if (!ev->path || !ev->token) {
		free(ev->path);
		free(ev->token);
		free(ev);
		return;
	}
	if (e->ev_tail)
		e->ev_tail->next = ev;
	else
		e->ev_head = ev;
	e->ev_tail = ev;
}

/* One request; the reply's payload in reply (XS_PAYLOAD_MAX + 1). Its length or -errno. */
static int xs_request(struct dd *dd, uint32_t type, const void *payload, size_t plen, char *reply)
{
	struct pollfd pf = { .fd = SV_DD_FD_XENSTORE, .events = POLLIN };
	struct dd_env *e = dd->xenv;
	uint8_t msg[XS_MSG_MAX];
	struct xs_msg_hdr h;
	uint32_t id;
	ssize_t n;
	int ret;

	pthread_mutex_lock(&e->xs_lock);
	id = ++e->xs_req;
	n = xs_msg_encode(msg, sizeof(msg), type, id, 0, payload, plen);
	if (n < 0) {
		ret = (int)n;
		goto out;
	}
	if (send(SV_DD_FD_XENSTORE, msg, (size_t)n, MSG_NOSIGNAL) != n) {
		ret = -EPIPE;
		goto out;
	}
	for (;;) {
		/* A xenstore that stopped answering must not hold the loop forever. */
		ret = poll(&pf, 1, DD_REPLY_TIMEOUT_MS);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			ret = ret ? -errno : -ETIMEDOUT;
			goto out;
		}
		ret = xs_sock_recv(SV_DD_FD_XENSTORE, &h, reply);
		if (ret)
			goto out;
		if (h.type == XS_WATCH_EVENT) {
			xs_queue_event(e, reply, h.len);
			continue;
		}
		if (h.req_id == id)
			break;
		log_warn("xenstore: a reply to request %u we are not waiting for, dropped",
			 h.req_id);
	}
	ret = h.type == XS_ERROR ? xs_error_from_name(reply, strlen(reply)) : (int)h.len;
	if (ret >= 0 && h.type != type)
		ret = -EPROTO;
out:
	pthread_mutex_unlock(&e->xs_lock);
	if (ret == -EPIPE || ret == -EPROTO || ret == -ETIMEDOUT)
		log_err("xenstore connection: %s", strerror(-ret));
	return ret;
}

/* path\0 then extra (elen bytes) as one payload. */
static int xs_path_request(struct dd *dd, uint32_t type, const char *path, const void *extra,
			   size_t elen, char *reply)
{
	char payload[XS_PAYLOAD_MAX];
	size_t plen = strlen(path) + 1;

	if (plen + elen > sizeof(payload))
		return -E2BIG;
	memcpy(payload, path, plen);
	if (elen)
		memcpy(payload + plen, extra, elen);
	return xs_request(dd, type, payload, plen + elen, reply);
}

/* The socket is readable: watch events that came while nobody was asking. */
static void xs_input(void *arg)
{
	struct dd *dd = arg;
	struct dd_env *e = dd->xenv;
	char reply[XS_PAYLOAD_MAX + 1], c;
	struct xs_msg_hdr h;
	int ret = 0;

	pthread_mutex_lock(&e->xs_lock);
	/* A request on this thread may have taken what woke us: never block here. */
	while (recv(SV_DD_FD_XENSTORE, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 1) {
		ret = xs_sock_recv(SV_DD_FD_XENSTORE, &h, reply);
		if (ret)
			break;
		if (h.type == XS_WATCH_EVENT)
			xs_queue_event(e, reply, h.len);
		else
			log_warn("xenstore: an unasked reply (type %u), dropped", h.type);
	}
	pthread_mutex_unlock(&e->xs_lock);
	if (ret) {
		log_err("xenstore connection: %s; stopping", strerror(-ret));
		dd->stopping = true;
		dd->exit_code = 1;
	}
}

static int env_xs_read(struct backend_env *env, const char *path, char *out, size_t cap)
{
	char reply[XS_PAYLOAD_MAX + 1];
	int ret = xs_path_request(env_dd(env), XS_READ, path, NULL, 0, reply);

	if (ret < 0)
		return ret;
	if ((size_t)ret >= cap)
		return -E2BIG;
	memcpy(out, reply, (size_t)ret);
	out[ret] = '\0';
	return ret;
}

static int env_xs_write(struct backend_env *env, const char *path, const char *value)
{
	char reply[XS_PAYLOAD_MAX + 1];
	int ret = xs_path_request(env_dd(env), XS_WRITE, path, value, strlen(value), reply);

	return ret < 0 ? ret : 0;
}

static int env_xs_mkdir(struct backend_env *env, const char *path)
{
	char reply[XS_PAYLOAD_MAX + 1];
	int ret = xs_path_request(env_dd(env), XS_MKDIR, path, NULL, 0, reply);

	return ret < 0 ? ret : 0;
}

static int env_xs_set_perms(struct backend_env *env, const char *path, const char *perms,
			    size_t plen)
{
	char reply[XS_PAYLOAD_MAX + 1];
	int ret = xs_path_request(env_dd(env), XS_SET_PERMS, path, perms, plen, reply);

	return ret < 0 ? ret : 0;
}

static int env_xs_rm(struct backend_env *env, const char *path)
{
	char reply[XS_PAYLOAD_MAX + 1];
	int ret = xs_path_request(env_dd(env), XS_RM, path, NULL, 0, reply);

	return ret < 0 && ret != -ENOENT ? ret : 0;
}

int dd_xs_directory(struct dd *dd, const char *path, char *out, size_t cap)
{
	char reply[XS_PAYLOAD_MAX + 1];
	int ret = xs_path_request(dd, XS_DIRECTORY, path, NULL, 0, reply);

	if (ret < 0)
		return ret;
	if ((size_t)ret >= cap)
		return -E2BIG;
	memcpy(out, reply, (size_t)ret);
	out[ret] = '\0';
	return ret;
}

static void watch_free(struct dd_watch *w)
{
	if (!w)
		return;
	free(w->path);
	free(w->token);
	free(w);
}

static int env_xs_watch(struct backend_env *env, const char *path, const char *token,
			backend_watch_fn *fn, void *arg)
{
	struct dd *dd = env_dd(env);
	char reply[XS_PAYLOAD_MAX + 1];
	struct dd_watch *w;
	int ret;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->path = strdup(path);
	w->token = strdup(token);
	w->fn = fn;
	w->arg = arg;
	ret = w->path && w->token ? 0 : -ENOMEM;
	if (!ret)
		ret = xs_path_request(dd, XS_WATCH, path, token, strlen(token) + 1, reply);
	if (ret < 0) {
		watch_free(w);
		return ret;
	}
	/* Listed before the first event (Xen fires at once) can run: it is queued. */
	w->next = dd->xenv->watches;
	dd->xenv->watches = w;
	return 0;
}

static int env_xs_unwatch(struct backend_env *env, const char *path, const char *token)
{
	struct dd *dd = env_dd(env);
	char reply[XS_PAYLOAD_MAX + 1];
	struct dd_watch **pp, *w;
	int ret;

	for (pp = &dd->xenv->watches; (w = *pp); pp = &w->next) {
		if (!strcmp(w->path, path) && !strcmp(w->token, token)) {
			*pp = w->next;
			watch_free(w);
			break;
		}
	}
	ret = xs_path_request(dd, XS_UNWATCH, path, token, strlen(token) + 1, reply);
	return ret < 0 ? ret : 0;
}

/* ---- the core (fd 3) ---- */

/* One message with an fd in SCM_RIGHTS (wire_msg_send passes none). */
static int send_with_fd(int sock, uint32_t op, uint32_t req_id, const void *payload, size_t len,
			int pass_fd)
{
	struct sv_ctl_hdr h = { .op = op, .len = (uint32_t)len, .req_id = req_id };
	char cbuf[CMSG_SPACE(sizeof(int))];
	uint8_t buf[SV_CTL_MSG_MAX];
	struct iovec iov = { buf, sizeof(h) + len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (len > SV_CTL_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (pass_fd < 0)
		return wire_msg_send(sock, op, req_id, 0, payload, len);
	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), payload, len);
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* The message is far below a socket buffer: a short send means a broken peer. */
	return (size_t)n == iov.iov_len ? 0 : -EPIPE;
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * A request/reply on one of svdom0's or the core's sockets, the caller holding
 * its lock; buf gets the reply's payload. Replies to other ids are dropped
 * (a request of ours that timed out); events are not sent to process domains.
 */
static int call_locked(int sock, const char *who, uint32_t op, uint32_t id, const void *req,
		       size_t len, int pass_fd, uint8_t *buf, void *reply, size_t cap,
		       size_t *reply_len, int *fds, size_t nfds, char *err, size_t errlen)
{
	int got[SV_CTL_FDS_MAX];
	struct sv_ctl_hdr h;
	size_t n, i;
	int ret;

	for (i = 0; i < nfds; i++)
		fds[i] = -1;
	ret = send_with_fd(sock, op, id, req, len, pass_fd);
	if (ret)
		return errmsg_set(err, errlen, ret, "%s: cannot send: %s", who, strerror(-ret));
	for (;;) {
		ret = wire_msg_recv_fds(sock, &h, buf, SV_CTL_PAYLOAD_MAX, got, SV_CTL_FDS_MAX, &n,
					DD_REPLY_TIMEOUT_MS);
		if (ret)
			return errmsg_set(err, errlen, ret, "%s: no reply: %s", who,
					  strerror(-ret));
		if (h.req_id == id && h.op == op)
			break;
		close_fds(got, n);
		log_warn("%s: a message (op %u, id %u) that answers nothing we asked, dropped", who,
			 h.op, h.req_id);
	}
	if (h.status) {
		close_fds(got, n);
		if (h.status > 0 || h.status < -4095)
			return errmsg_set(err, errlen, -EPROTO, "%s: a reply with status %d", who,
					  h.status);
		return errmsg_set(err, errlen, h.status, "%.*s", (int)strnlen((char *)buf, h.len),
				  (char *)buf);
	}
	if (h.len > cap) {
		close_fds(got, n);
		return errmsg_set(err, errlen, -EPROTO,
				  "%s: a reply of %u bytes to op %u, more than %zu", who, h.len, op,
				  cap);
	}
	/* A shorter reply (an older peer) reads as zeros past its end. */
	if (cap)
		memset(reply, 0, cap);
	if (h.len)
		memcpy(reply, buf, h.len);
	if (reply_len)
		*reply_len = h.len;
	for (i = 0; i < n; i++) {
		if (i < nfds)
			fds[i] = got[i];
		else
			close(got[i]);
	}
	return 0;
}

int dd_core_request(struct dd *dd, uint32_t op, const void *req, size_t len, int pass_fd,
		    void *reply, size_t cap, int *fds, size_t nfds, char *err, size_t errlen)
{
	struct dd_env *e = dd->xenv;
	char dummy[8];
	int ret;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	pthread_mutex_lock(&e->core_lock);
	if (++e->core_req == 0)
		e->core_req = 1;
	ret = call_locked(SV_DD_FD_CORE, "the core", op, e->core_req, req, len, pass_fd,
			  e->core_buf, reply, cap, NULL, fds, nfds, err, errlen);
	pthread_mutex_unlock(&e->core_lock);
	return ret;
}

static int env_core_call(struct backend_env *env, uint32_t op, const void *req, size_t len,
			 void *reply, size_t cap, int *fds, size_t nfds, char *err, size_t errlen)
{
	return dd_core_request(env_dd(env), op, req, len, -1, reply, cap, fds, nfds, err, errlen);
}

static int env_map_guest(struct backend_env *env, uint32_t domid, uint64_t limit, void **mem,
			 uint64_t *size, char *err, size_t errlen)
{
	(void)limit;
	(void)mem;
	(void)size;
	return errmsg_set(err, errlen, -EPERM,
			  "driver domain %u may not map the memory of domain %u: grants only",
			  env->domid, domid);
}

static void env_unmap_guest(struct backend_env *env, void *mem, uint64_t size)
{
	(void)env;
	(void)mem;
	(void)size;
}

static int env_fd_add(struct backend_env *env, int fd, backend_fd_fn *fn, void *arg)
{
	return dd_fd_add(env_dd(env), fd, EPOLLIN, fn, arg);
}

static void env_fd_del(struct backend_env *env, int fd)
{
	dd_fd_del(env_dd(env), fd);
}

/* ---- the toolstack (fd 5) ---- */

/* Asks svdom0 for the fd of the device at be_path; the reply is cap bytes exactly. */
static int ts_open(struct dd *dd, uint32_t op, const char *be_path, void *reply, size_t cap,
		   int *fd, char *err, size_t errlen)
{
	struct dd_env *e = dd->xenv;
	struct sv_dd_device dev;
	uint8_t buf[SV_CTL_PAYLOAD_MAX];
	size_t len = 0;
	int ret;

	*fd = -1;
	memset(&dev, 0, sizeof(dev));
	if (strlen(be_path) >= sizeof(dev.backend_path))
		return errmsg_set(err, errlen, -ENAMETOOLONG, "%s: path too long", be_path);
	strcpy(dev.backend_path, be_path);
	pthread_mutex_lock(&e->ts_lock);
	if (++e->ts_req == 0)
		e->ts_req = 1;
	ret = call_locked(SV_DD_FD_TOOLSTACK, "the toolstack", op, e->ts_req, &dev, sizeof(dev), -1,
			  buf, reply, cap, &len, fd, 1, err, errlen);
	pthread_mutex_unlock(&e->ts_lock);
	if (!ret && (len != cap || *fd < 0)) {
		ret = errmsg_set(err, errlen, -EPROTO,
				 "%s: the toolstack's reply has %zu bytes (not %zu) and %s fd",
				 be_path, len, cap, *fd < 0 ? "no" : "an");
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
	return ret;
}

static int env_open_disk(struct backend_env *env, const char *be_path, const char *params,
			 int open_flags, int *fd, char *err, size_t errlen)
{
	struct sv_dd_disk_reply r;
	int ret, fl;

	ret = ts_open(env_dd(env), SV_DD_OPEN_DISK, be_path, &r, sizeof(r), fd, err, errlen);
	if (ret)
		return ret;
	/* The toolstack decides; a read-only open where we asked to write is its answer. */
	fl = fcntl(*fd, F_GETFL);
	if (fl < 0 || ((open_flags & O_ACCMODE) == O_RDONLY && (fl & O_ACCMODE) != O_RDONLY)) {
		close(*fd);
		*fd = -1;
		return errmsg_set(err, errlen, -EPROTO,
				  "%s: the toolstack opened %s writable where read-only was asked",
				  be_path, params);
	}
	return 0;
}

static int env_open_tap(struct backend_env *env, const char *be_path, const char *ifname, int *fd,
			char *err, size_t errlen)
{
	int ret, fl;

	(void)ifname; /* the toolstack opens what it wrote in be_path */
	ret = ts_open(env_dd(env), SV_DD_OPEN_TAP, be_path, NULL, 0, fd, err, errlen);
	if (ret)
		return ret;
	fl = fcntl(*fd, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(*fd, F_SETFL, fl | O_NONBLOCK);
	return 0;
}

static const struct backend_env_ops dd_env_ops = {
	.xs_read = env_xs_read,
	.xs_write = env_xs_write,
	.xs_mkdir = env_xs_mkdir,
	.xs_set_perms = env_xs_set_perms,
	.xs_rm = env_xs_rm,
	.xs_watch = env_xs_watch,
	.xs_unwatch = env_xs_unwatch,
	.core_call = env_core_call,
	.map_guest = env_map_guest,
	.unmap_guest = env_unmap_guest,
	.fd_add = env_fd_add,
	.fd_del = env_fd_del,
	.open_disk = env_open_disk,
	.open_tap = env_open_tap,
};

/* svdom0 or the core closed on us: nothing left to serve. */
static void peer_gone(void *arg)
{
	struct dd *dd = arg;

	if (dd->stopping)
		return;
	log_err("the toolstack or the core closed its connection; stopping");
	dd->stopping = true;
	dd->exit_code = 1;
}

int dd_env_init(struct dd *dd, char *err, size_t errlen)
{
	struct sv_ctl_hello hello = { .version = SV_CTL_VERSION };
	struct sv_ctl_hello_reply hr;
	struct dd_env *e;
	int ret;

	e = calloc(1, sizeof(*e));
	if (!e)
		return errmsg_set(err, errlen, -ENOMEM, "out of memory");
	dd->xenv = e;
	pthread_mutex_init(&e->xs_lock, NULL);
	pthread_mutex_init(&e->core_lock, NULL);
	pthread_mutex_init(&e->ts_lock, NULL);
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->epfd < 0)
		return errmsg_set(err, errlen, -errno, "epoll: %s", strerror(errno));
	dd->env.ops = &dd_env_ops;
	dd->env.ctx = dd;
	dd->env.domid = dd->domid;
	dd->env.faults = &dd->faults;
	ret = dd_fd_add(dd, SV_DD_FD_XENSTORE, EPOLLIN, xs_input, dd);
	if (!ret)
		ret = dd_fd_add(dd, SV_DD_FD_CORE, 0, peer_gone, dd);
	if (!ret)
		ret = dd_fd_add(dd, SV_DD_FD_TOOLSTACK, 0, peer_gone, dd);
	if (ret)
		return errmsg_set(err, errlen, ret, "epoll: %s", strerror(-ret));
	ret = dd_core_request(dd, SV_CTL_HELLO, &hello, sizeof(hello), -1, &hr, sizeof(hr), NULL, 0,
			      err, errlen);
	if (ret)
		return ret;
	/* The core names us: a toolstack that started us under another domid is confused. */
	if (hr.version != SV_CTL_VERSION || hr.domid != dd->domid || hr.privileged)
		return errmsg_set(err, errlen, -EPROTO,
				  "the core says domid %u (version %u, privileged %u), we are %u",
				  hr.domid, hr.version, hr.privileged, dd->domid);
	return 0;
}

void dd_env_free(struct dd *dd)
{
	struct dd_env *e = dd->xenv;
	struct dd_watch *w;
	struct dd_event *ev;
	struct dd_fd *f;

	if (!e)
		return;
	while ((w = e->watches)) {
		e->watches = w->next;
		watch_free(w);
	}
	while ((ev = e->ev_head)) {
		e->ev_head = ev->next;
		free(ev->path);
		free(ev->token);
		free(ev);
	}
	while ((f = e->fds)) {
		e->fds = f->next;
		free(f);
	}
	while ((f = e->dead_fds)) {
		e->dead_fds = f->next;
		free(f);
	}
	if (e->epfd >= 0)
		close(e->epfd);
	pthread_mutex_destroy(&e->xs_lock);
	pthread_mutex_destroy(&e->core_lock);
	pthread_mutex_destroy(&e->ts_lock);
	free(e);
	dd->xenv = NULL;
}
