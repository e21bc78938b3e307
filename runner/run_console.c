// SPDX-License-Identifier: MIT
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <splitvisor/control.h>

#include "backend_env.h"
#include "console_back.h"
#include "run_console.h"

/* The console backend watches one fd (its port's); room for a second is spare. */
#define RC_FDS 2

struct rc_fd {
	int fd;
	backend_fd_fn *fn;
	void *arg;
};

struct run_console {
	struct backend_env env;
	struct sv_domain *d;
	uint32_t port;
	sv_console_fn *fn;
	void *opaque;
	struct console_back *cb;
	struct rc_fd fds[RC_FDS];
	int epfd, stop_fd;
	pthread_t thread;
	bool started;
};

static int rc_map_guest(struct backend_env *env, uint32_t domid, uint64_t limit, void **mem,
			uint64_t *size, char *err, size_t errlen)
{
	struct run_console *rc = env->ctx;
	uint64_t ram;
	void *hva, *p;
	int memfd;

	(void)domid;
	sv_domain_memory(rc->d, &memfd, &hva, &ram);
	*size = limit && limit < ram ? limit : ram;
	/* A mapping of its own, as svdom0 has: the backend unmaps what it mapped. */
	p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "cannot map the guest's memory: %s", strerror(errno));
		return -errno;
	}
	*mem = p;
	return 0;
}

static void rc_unmap_guest(struct backend_env *env, void *mem, uint64_t size)
{
	(void)env;
	munmap(mem, size);
}

static int rc_fd_add(struct backend_env *env, int fd, backend_fd_fn *fn, void *arg)
{
	struct run_console *rc = env->ctx;
	struct epoll_event ev = { .events = EPOLLIN };

	for (int i = 0; i < RC_FDS; i++) {
		if (rc->fds[i].fn)
			continue;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(rc->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -errno;
		rc->fds[i] = (struct rc_fd){ .fd = fd, .fn = fn, .arg = arg };
		return 0;
	}
	return -ENOSPC;
}

static void rc_fd_del(struct backend_env *env, int fd)
{
	struct run_console *rc = env->ctx;

	for (int i = 0; i < RC_FDS; i++) {
		if (rc->fds[i].fn && rc->fds[i].fd == fd) {
			epoll_ctl(rc->epfd, EPOLL_CTL_DEL, fd, NULL);
			memset(&rc->fds[i], 0, sizeof(rc->fds[i]));
		}
	}
}

/* The two requests console_back makes of the core, answered by the core library itself. */
static int rc_core_call(struct backend_env *env, uint32_t op, const void *req, size_t len,
			void *reply, size_t cap, int *fds, size_t nfds, char *err, size_t errlen)
{
	struct run_console *rc = env->ctx;
	struct sv_ctl_store_bind_reply r = { .port = rc->port };
	int ret;

	(void)req;
	(void)len;
	if (op == SV_CTL_EVTCHN_CLOSE)
		return sv_evtchn_close_process(rc->d, rc->port);
	if (op != SV_CTL_CONSOLE_BIND || nfds < 2 || cap < sizeof(r)) {
		snprintf(err, errlen, "the in-process console has no core request %u", op);
		return -EOPNOTSUPP;
	}
	ret = sv_evtchn_bind_process(rc->d, rc->port, 0, &fds[0], &fds[1]);
	if (ret) {
		snprintf(err, errlen, "cannot bind the console port %u: %s", rc->port,
			 strerror(-ret));
		return ret;
	}
	ret = sv_evtchn_port_vcpu(rc->d, rc->port);
	r.vcpu = ret < 0 ? 0 : (uint32_t)ret;
	if (sv_evtchn_core_raises(rc->d))
		r.flags |= SV_CTL_BIND_CORE_RAISES;
	memcpy(reply, &r, sizeof(r));
	return 0;
}

static const struct backend_env_ops rc_ops = {
	.core_call = rc_core_call,
	.map_guest = rc_map_guest,
	.unmap_guest = rc_unmap_guest,
	.fd_add = rc_fd_add,
	.fd_del = rc_fd_del,
};

static void rc_output(void *arg, const char *buf, size_t len)
{
	struct run_console *rc = arg;

	rc->fn(rc->opaque, buf, len);
}

static void *rc_loop(void *arg)
{
	struct run_console *rc = arg;
	struct epoll_event evs[RC_FDS + 1];
	int n;

	for (;;) {
		n = epoll_wait(rc->epfd, evs, RC_FDS + 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < n; i++) {
			uint32_t idx = evs[i].data.u32;

			if (idx == UINT32_MAX)
				return NULL;
			if (idx < RC_FDS && rc->fds[idx].fn)
				rc->fds[idx].fn(rc->fds[idx].arg);
		}
	}
	return NULL;
}

static void rc_free(struct run_console *rc)
{
	if (rc->cb)
		console_back_close(rc->cb);
	if (rc->epfd >= 0)
		close(rc->epfd);
	if (rc->stop_fd >= 0)
		close(rc->stop_fd);
	free(rc);
}

int run_console_open(struct sv_domain *d, sv_console_fn *fn, void *opaque, struct run_console **out,
		     char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
	struct run_console *rc;
	int ret;

	*out = NULL;
	if (!fn || !sv_domain_is_pvh(d))
		return 0;
	rc = calloc(1, sizeof(*rc));
	if (!rc)
		return -ENOMEM;
	rc->env = (struct backend_env){ .ops = &rc_ops, .ctx = rc };
	rc->d = d;
	rc->fn = fn;
	rc->opaque = opaque;
	rc->epfd = epoll_create1(EPOLL_CLOEXEC);
	rc->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rc->epfd < 0 || rc->stop_fd < 0 ||
	    epoll_ctl(rc->epfd, EPOLL_CTL_ADD, rc->stop_fd, &ev) < 0) {
		ret = -errno;
		snprintf(err, errlen, "console loop: %s", strerror(-ret));
		goto out;
	}
	ret = sv_evtchn_alloc_unbound(d, 0, &rc->port);
	if (ret) {
		snprintf(err, errlen, "no console port: %s", strerror(-ret));
		goto out;
	}
	/* No xenstore here: store port 0 tells Linux so, and it goes on without xenbus. */
	sv_domain_set_xen_ports(d, 0, rc->port);
	ret = console_back_open(&rc->env, 0, rc_output, rc, &rc->cb, err, errlen);
	if (ret)
		goto out;
	ret = -pthread_create(&rc->thread, NULL, rc_loop, rc);
	if (ret) {
		snprintf(err, errlen, "console thread: %s", strerror(-ret));
		goto out;
	}
	rc->started = true;
	*out = rc;
	return 0;
out:
	rc_free(rc);
	return ret;
}

void run_console_close(struct run_console *rc)
{
	uint64_t one = 1;

	if (!rc)
		return;
	if (rc->started) {
		/* An eventfd write fails only at its counter's maximum, never from 0. */
		(void)!write(rc->stop_fd, &one, sizeof(one));
		pthread_join(rc->thread, NULL);
	}
	rc_free(rc);
}
