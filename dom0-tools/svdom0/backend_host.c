// SPDX-License-Identifier: MIT
/*
 * svdom0's backend_env (backend_host.h). Being the privileged domain, svdom0
 * may map a guest's RAM for its backends, as Xen's dom0 does through privcmd;
 * a driver domain's environment will refuse that and copy through grants.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <splitvisor/control.h>
#include <splitvisor/xs_wire.h>

#include "backend_env.h"
#include "backend_host.h"
#include "core_client.h"
#include "log.h"
#include "net_service.h"
#include "svdom0.h"
#include "xs_local.h"

struct bh_watch {
	struct bh_watch *next;
	char *path, *token;
	backend_watch_fn *fn;
	void *arg;
};

struct bh_fd {
	int kind; /* D0_BACKEND_FD: the epoll tag */
	struct bh_fd *next;
	int fd;
	bool dead; /* fd_del'd: an event already fetched must not call fn */
	backend_fd_fn *fn;
	void *arg;
};

struct backend_host {
	struct dom0 *d0;
	struct bh_watch *watches;
	struct bh_fd *fds, *dead_fds;
};

static struct dom0 *bh_d0(struct backend_env *env)
{
	return ((struct backend_host *)env->ctx)->d0;
}

static int bh_xs_read(struct backend_env *env, const char *path, char *out, size_t cap)
{
	return xsl_read(bh_d0(env)->xs_self, path, out, cap);
}

static int bh_xs_write(struct backend_env *env, const char *path, const char *value)
{
	int ret = xsl_write(bh_d0(env)->xs_self, path, value);

	return ret < 0 ? ret : 0;
}

static int bh_xs_mkdir(struct backend_env *env, const char *path)
{
	int ret = xsl_call(bh_d0(env)->xs_self, XS_MKDIR, path, NULL, 0, NULL, 0);

	return ret < 0 ? ret : 0;
}

static int bh_xs_set_perms(struct backend_env *env, const char *path, const char *perms,
			   size_t plen)
{
	int ret = xsl_set_perms(bh_d0(env)->xs_self, path, perms, plen);

	return ret < 0 ? ret : 0;
}

static int bh_xs_rm(struct backend_env *env, const char *path)
{
	int ret = xsl_rm(bh_d0(env)->xs_self, path);

	return ret < 0 ? ret : 0;
}

static int bh_xs_watch(struct backend_env *env, const char *path, const char *token,
		       backend_watch_fn *fn, void *arg)
{
	struct backend_host *bh = env->ctx;
	struct bh_watch *w;
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
		ret = xsl_watch(bh->d0->xs_self, path, token);
	if (ret < 0) {
		free(w->path);
		free(w->token);
		free(w);
		return ret;
	}
	w->next = bh->watches;
	bh->watches = w;
	return 0;
}

static int bh_xs_unwatch(struct backend_env *env, const char *path, const char *token)
{
	struct backend_host *bh = env->ctx;
	struct bh_watch **pp, *w;

	for (pp = &bh->watches; (w = *pp); pp = &w->next) {
		if (!strcmp(w->path, path) && !strcmp(w->token, token)) {
			*pp = w->next;
			free(w->path);
			free(w->token);
			free(w);
			break;
		}
	}
	return xsl_unwatch(bh->d0->xs_self, path, token) < 0 ? -ENOENT : 0;
}

static int bh_core_call(struct backend_env *env, uint32_t op, const void *req, size_t len,
			void *reply, size_t cap, int *fds, size_t nfds, char *err, size_t errlen)
{
	struct core_client *cc = bh_d0(env)->cc;

	if (!nfds)
		return cc_call(cc, op, req, len, reply, cap, NULL, NULL, err, errlen);
	return cc_call_fds(cc, op, req, len, reply, cap, NULL, fds, nfds, err, errlen);
}

static int bh_map_guest(struct backend_env *env, uint32_t domid, uint64_t limit, void **mem,
			uint64_t *size, char *err, size_t errlen)
{
	struct sv_ctl_domid id = { .domid = domid };
	struct sv_ctl_memfd_reply mr;
	int memfd = -1, ret;
	void *p;

	ret = cc_call(bh_d0(env)->cc, SV_CTL_MEMFD, &id, sizeof(id), &mr, sizeof(mr), NULL, &memfd,
		      err, errlen);
	if (!ret && (memfd < 0 || mr.size < limit)) {
		snprintf(err, errlen, "the core passed no memory of domain %u", domid);
		ret = -EPROTO;
	}
	if (ret)
		goto out;
	*size = limit ? limit : mr.size;
	p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		snprintf(err, errlen, "cannot map the memory of domain %u: %s", domid,
			 strerror(-ret));
		goto out;
	}
	*mem = p;
out:
	if (memfd >= 0)
		close(memfd);
	return ret;
}

static void bh_unmap_guest(struct backend_env *env, void *mem, uint64_t size)
{
	(void)env;
	munmap(mem, size);
}

static int bh_fd_add(struct backend_env *env, int fd, backend_fd_fn *fn, void *arg)
{
	struct backend_host *bh = env->ctx;
	struct epoll_event ev = { .events = EPOLLIN };
	struct bh_fd *f;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->kind = D0_BACKEND_FD;
	f->fd = fd;
	f->fn = fn;
	f->arg = arg;
	ev.data.ptr = f;
	if (epoll_ctl(bh->d0->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int ret = -errno;

		free(f);
		return ret;
	}
	f->next = bh->fds;
	bh->fds = f;
	return 0;
}

/* Freed by backend_host_dispatch: the loop may hold an event naming it in this batch. */
static void bh_fd_del(struct backend_env *env, int fd)
{
	struct backend_host *bh = env->ctx;
	struct bh_fd **pp, *f;

	for (pp = &bh->fds; (f = *pp); pp = &f->next) {
		if (f->fd == fd) {
			*pp = f->next;
			epoll_ctl(bh->d0->epfd, EPOLL_CTL_DEL, fd, NULL);
			f->dead = true;
			f->next = bh->dead_fds;
			bh->dead_fds = f;
			return;
		}
	}
}

/* svdom0 may open the host's files itself: what the toolstack wrote in params. */
static int bh_open_disk(struct backend_env *env, const char *be_path, const char *params,
			int open_flags, int *fd, char *err, size_t errlen)
{
	int ret;

	(void)env;
	(void)be_path;
	*fd = open(params, open_flags);
	if (*fd >= 0)
		return 0;
	ret = -errno;
	snprintf(err, errlen, "cannot open %s: %s", params, strerror(-ret));
	return ret;
}

static int bh_open_tap(struct backend_env *env, const char *be_path, const char *ifname, int *fd,
		       char *err, size_t errlen)
{
	(void)env;
	(void)be_path;
	*fd = net_tap_open(ifname, err, errlen);
	return *fd < 0 ? *fd : 0;
}

static const struct backend_env_ops bh_ops = {
	.xs_read = bh_xs_read,
	.xs_write = bh_xs_write,
	.xs_mkdir = bh_xs_mkdir,
	.xs_set_perms = bh_xs_set_perms,
	.xs_rm = bh_xs_rm,
	.xs_watch = bh_xs_watch,
	.xs_unwatch = bh_xs_unwatch,
	.core_call = bh_core_call,
	.map_guest = bh_map_guest,
	.unmap_guest = bh_unmap_guest,
	.fd_add = bh_fd_add,
	.fd_del = bh_fd_del,
	.open_disk = bh_open_disk,
	.open_tap = bh_open_tap,
};

int backend_host_init(struct dom0 *d0)
{
	struct backend_host *bh = calloc(1, sizeof(*bh));

	if (!bh)
		return -ENOMEM;
	bh->d0 = d0;
	d0->backend_env.ops = &bh_ops;
	d0->backend_env.ctx = bh;
	d0->backend_env.domid = 0;
	d0->backend_env.faults = &d0->backend_faults;
	return 0;
}

static void bh_reap(struct backend_host *bh)
{
	struct bh_fd *f;

	while ((f = bh->dead_fds)) {
		bh->dead_fds = f->next;
		free(f);
	}
}

void backend_host_free(struct dom0 *d0)
{
	struct backend_host *bh = d0->backend_env.ctx;
	struct bh_watch *w;
	struct bh_fd *f;

	if (!bh)
		return;
	/* The backends are gone by now; what they left registered goes with us. */
	while ((w = bh->watches)) {
		bh->watches = w->next;
		free(w->path);
		free(w->token);
		free(w);
	}
	while ((f = bh->fds)) {
		bh->fds = f->next;
		free(f);
	}
	bh_reap(bh);
	free(bh);
	d0->backend_env.ctx = NULL;
}

void backend_host_fd_event(void *tag)
{
	struct bh_fd *f = tag;

	if (!f->dead)
		f->fn(f->arg);
}

bool backend_host_dispatch(struct dom0 *d0)
{
	struct backend_host *bh = d0->backend_env.ctx;
	char path[XS_ABS_PATH_MAX], token[XS_WATCH_TOKEN_MAX];
	struct bh_watch *w;
	bool ran = false;

	bh_reap(bh);
	while (xsl_next_event(d0->xs_self, path, sizeof(path), token, sizeof(token))) {
		/* Looked up per event: a callback may have unwatched another device. */
		for (w = bh->watches; w && strcmp(w->token, token); w = w->next)
			;
		if (!w)
			continue;
		w->fn(w->arg, path);
		ran = true;
	}
	return ran;
}
