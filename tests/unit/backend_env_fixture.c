// SPDX-License-Identifier: MIT
/*
 * The test host of backend_env_fixture.h. Each op does what svdom0's
 * backend_host.c does with the real core, minus the sockets: the core's
 * answers mirror control_server.c (no such domain is -ESRCH, a bind of a
 * bound port rebinds), so a backend that passes here asks the core the same
 * questions in production.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <splitvisor/control.h>
#include <splitvisor/event_channel.h>
#include <splitvisor/start_info.h>
#include <splitvisor/xs_wire.h>

#include "backend_env_fixture.h"
#include "evtchn_shinfo.h"
#include "xenstore.h"
#include "xs_local.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct bef *fix(struct backend_env *e)
{
	return e->ctx;
}

static struct bef_guest *guest_of(struct bef *f, uint32_t domid)
{
	for (unsigned int i = 0; i < f->nr_guests; i++)
		if (f->guests[i].g.domid == domid)
			return &f->guests[i];
	return NULL;
}

struct bh_guest *bef_guest(struct bef *f, uint32_t domid)
{
	struct bef_guest *bg = guest_of(f, domid);

	return bg ? &bg->g : NULL;
}

static int t_xs_read(struct backend_env *e, const char *path, char *out, size_t cap)
{
	return xsl_read(fix(e)->xs, path, out, cap);
}

static int t_xs_write(struct backend_env *e, const char *path, const char *value)
{
	return xsl_write(fix(e)->xs, path, value) < 0 ? -EIO : 0;
}

static int t_xs_mkdir(struct backend_env *e, const char *path)
{
	return xsl_call(fix(e)->xs, XS_MKDIR, path, NULL, 0, NULL, 0) < 0 ? -EIO : 0;
}

static int t_xs_set_perms(struct backend_env *e, const char *path, const char *perms, size_t plen)
{
	return xsl_set_perms(fix(e)->xs, path, perms, plen) < 0 ? -EIO : 0;
}

static int t_xs_rm(struct backend_env *e, const char *path)
{
	return xsl_rm(fix(e)->xs, path) < 0 ? -EIO : 0;
}

static int t_xs_watch(struct backend_env *e, const char *path, const char *token,
		      backend_watch_fn *fn, void *arg)
{
	struct bef *f = fix(e);

	for (size_t i = 0; i < ARRAY_LEN(f->watches); i++) {
		struct bef_watch *w = &f->watches[i];

		if (w->live)
			continue;
		snprintf(w->path, sizeof(w->path), "%s", path);
		snprintf(w->token, sizeof(w->token), "%s", token);
		w->fn = fn;
		w->arg = arg;
		w->live = true;
		return xsl_watch(f->xs, path, token) < 0 ? -EIO : 0;
	}
	return -ENOSPC;
}

static int t_xs_unwatch(struct backend_env *e, const char *path, const char *token)
{
	struct bef *f = fix(e);

	for (size_t i = 0; i < ARRAY_LEN(f->watches); i++)
		if (f->watches[i].live && !strcmp(f->watches[i].token, token))
			f->watches[i].live = false;
	return xsl_unwatch(f->xs, path, token) < 0 ? -ENOENT : 0;
}

struct bef_port *bef_port(struct bef *f, uint32_t domid, uint32_t port)
{
	struct bef_port *p;

	for (unsigned int i = 0; i < f->nr_ports; i++)
		if (f->ports[i].domid == domid && f->ports[i].port == port)
			return &f->ports[i];
	ck_assert_uint_lt(f->nr_ports, BEF_MAX_PORTS);
	p = &f->ports[f->nr_ports++];
	*p = (struct bef_port){ .domid = domid, .port = port };
	p->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->raise_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(p->notify_fd, 0);
	ck_assert_int_ge(p->raise_fd, 0);
	return p;
}

/* The core's ops a backend's xenbus half uses: the grant table's place and event channels. */
static int t_core_call(struct backend_env *e, uint32_t op, const void *req, size_t len, void *reply,
		       size_t cap, int *fds, size_t nfds, char *err, size_t errlen)
{
	const struct sv_ctl_evtchn *ec = req;
	struct sv_ctl_gnttab_reply *gr = reply;
	struct sv_ctl_store_bind_reply *br = reply;
	struct bef *f = fix(e);
	struct bh_guest *g;
	struct bef_port *p;

	/* Every op here takes a domid first (sv_ctl_domid or sv_ctl_evtchn). */
	ck_assert_uint_ge(len, sizeof(struct sv_ctl_domid));
	g = bef_guest(f, ec->domid);
	if (!g) {
		snprintf(err, errlen, "no domain %u", ec->domid);
		return -ESRCH;
	}
	switch (op) {
	case SV_CTL_GNTTAB:
		ck_assert_uint_ge(cap, sizeof(*gr));
		gr->table_gpa = g->granter.table_gpa;
		gr->nr_frames = g->granter.nr_frames;
		return 0;
	case SV_CTL_EVTCHN_BIND:
		ck_assert_uint_eq(len, sizeof(*ec));
		ck_assert_uint_ge(cap, sizeof(*br));
		ck_assert_uint_ge(nfds, 2);
		/* As the core: a bound port is closed and bound afresh. */
		p = bef_port(f, ec->domid, ec->port);
		p->bound = true;
		p->binds++;
		f->binds++;
		f->bound_port = ec->port;
		br->port = ec->port;
		br->vcpu = 0;
		fds[0] = dup(p->notify_fd);
		fds[1] = dup(p->raise_fd);
		ck_assert_int_ge(fds[0], 0);
		ck_assert_int_ge(fds[1], 0);
		return 0;
	case SV_CTL_EVTCHN_CLOSE:
		ck_assert_uint_eq(len, sizeof(*ec));
		p = bef_port(f, ec->domid, ec->port);
		p->bound = false;
		p->closes++;
		f->closes++;
		return 0;
	default:
		snprintf(err, errlen, "op %u is not a backend's", op);
		return -EINVAL;
	}
}

static int t_map_guest(struct backend_env *e, uint32_t domid, uint64_t limit, void **mem,
		       uint64_t *size, char *err, size_t errlen)
{
	struct bef *f = fix(e);
	struct bef_guest *bg;

	if (f->refuse_map) {
		snprintf(err, errlen, "this host may not map domain %u's memory", domid);
		return -EPERM;
	}
	bg = guest_of(f, domid);
	if (!bg) {
		snprintf(err, errlen, "no domain %u", domid);
		return -ESRCH;
	}
	ck_assert_uint_le(limit, bg->g.ram_size);
	*mem = bg->g.ram;
	*size = limit ? limit : bg->g.ram_size;
	bg->maps++;
	f->maps++;
	return 0;
}

static void t_unmap_guest(struct backend_env *e, void *mem, uint64_t size)
{
	struct bef *f = fix(e);

	for (unsigned int i = 0; i < f->nr_guests; i++) {
		struct bef_guest *bg = &f->guests[i];

		if (bg->g.ram != mem)
			continue;
		ck_assert_uint_le(size, bg->g.ram_size);
		ck_assert_uint_gt(bg->maps, 0);
		bg->maps--;
		f->maps--;
		return;
	}
	ck_abort_msg("unmap_guest of %p: no guest's memory", mem);
}

static int t_fd_add(struct backend_env *e, int fd, backend_fd_fn *fn, void *arg)
{
	struct bef *f = fix(e);

	for (size_t i = 0; i < ARRAY_LEN(f->fds); i++) {
		struct bef_fd *s = &f->fds[i];

		if (s->live)
			continue;
		*s = (struct bef_fd){
			.fd = fd, .fn = fn, .arg = arg, .gen = s->gen + 1, .live = true
		};
		return 0;
	}
	return -ENOSPC;
}

static void t_fd_del(struct backend_env *e, int fd)
{
	struct bef *f = fix(e);

	for (size_t i = 0; i < ARRAY_LEN(f->fds); i++)
		if (f->fds[i].live && f->fds[i].fd == fd)
			f->fds[i].live = false;
}

static const struct backend_env_ops bef_ops = {
	.xs_read = t_xs_read,
	.xs_write = t_xs_write,
	.xs_mkdir = t_xs_mkdir,
	.xs_set_perms = t_xs_set_perms,
	.xs_rm = t_xs_rm,
	.xs_watch = t_xs_watch,
	.xs_unwatch = t_xs_unwatch,
	.core_call = t_core_call,
	.map_guest = t_map_guest,
	.unmap_guest = t_unmap_guest,
	.fd_add = t_fd_add,
	.fd_del = t_fd_del,
};

void bef_setup(struct bef *f)
{
	struct xs_server_config cfg;

	memset(f, 0, sizeof(*f));
	xs_server_config_default(&cfg);
	f->srv = xs_server_new(&cfg);
	ck_assert_ptr_nonnull(f->srv);
	f->xs = xsl_new(f->srv, 0);
	ck_assert_ptr_nonnull(f->xs);
	f->env = (struct backend_env){ .ops = &bef_ops, .ctx = f, .domid = 0 };
}

void bef_teardown(struct bef *f)
{
	for (unsigned int i = 0; i < f->nr_ports; i++) {
		close(f->ports[i].notify_fd);
		close(f->ports[i].raise_fd);
	}
	for (unsigned int i = 0; i < f->nr_guests; i++)
		bh_guest_destroy(&f->guests[i].g);
	xsl_free(f->xs);
	xs_server_free(f->srv);
	memset(f, 0, sizeof(*f));
}

struct bh_guest *bef_add_guest(struct bef *f, uint16_t domid, uint64_t ram_size)
{
	struct bef_guest *bg;

	ck_assert_uint_lt(f->nr_guests, BEF_MAX_GUESTS);
	ck_assert_ptr_null(bef_guest(f, domid));
	bg = &f->guests[f->nr_guests];
	ck_assert_int_eq(bh_guest_create(&bg->g, domid, (uint16_t)f->env.domid, ram_size), 0);
	bg->maps = 0;
	f->nr_guests++;
	return &bg->g;
}

void bef_send(struct bef *f, uint32_t domid, uint32_t port)
{
	uint64_t one = 1;

	ck_assert_int_eq(write(bef_port(f, domid, port)->notify_fd, &one, sizeof(one)),
			 sizeof(one));
}

uint64_t bef_raised(struct bef *f, uint32_t domid, uint32_t port)
{
	uint64_t n = 0;

	if (read(bef_port(f, domid, port)->raise_fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

int bef_wait_raise(struct bef *f, int timeout_ms)
{
	struct pollfd pfd[BEF_MAX_PORTS];
	int raised = 0;
	uint64_t n;

	for (unsigned int i = 0; i < f->nr_ports; i++)
		pfd[i] = (struct pollfd){ .fd = f->ports[i].raise_fd, .events = POLLIN };
	if (poll(pfd, f->nr_ports, timeout_ms) <= 0)
		return 0;
	for (unsigned int i = 0; i < f->nr_ports; i++)
		if ((pfd[i].revents & POLLIN) && read(pfd[i].fd, &n, sizeof(n)) == sizeof(n))
			raised++;
	/* Each guest's upcall handler: every pending port taken, so the next raise interrupts. */
	for (unsigned int i = 0; i < f->nr_guests; i++) {
		struct sv_shared_info *s =
			(struct sv_shared_info *)(f->guests[i].g.ram + SV_SHARED_INFO_GPA);

		for (unsigned int k = 0; k < SV_EVTCHN_NR_PORTS && shinfo_take_next(s, 0); k++)
			;
	}
	return raised;
}

void bef_dispatch(struct bef *f)
{
	char path[XS_ABS_PATH_MAX], token[64];

	while (xsl_next_event(f->xs, path, sizeof(path), token, sizeof(token)))
		for (size_t i = 0; i < ARRAY_LEN(f->watches); i++)
			if (f->watches[i].live && !strcmp(f->watches[i].token, token))
				f->watches[i].fn(f->watches[i].arg, path);
}

int bef_run_fds(struct bef *f, int timeout_ms)
{
	struct pollfd pfd[BEF_MAX_FDS];
	size_t slot[BEF_MAX_FDS];
	uint32_t gen[BEF_MAX_FDS];
	nfds_t n = 0;
	int ran = 0;

	for (size_t i = 0; i < ARRAY_LEN(f->fds); i++) {
		if (!f->fds[i].live)
			continue;
		pfd[n] = (struct pollfd){ .fd = f->fds[i].fd, .events = POLLIN };
		slot[n] = i;
		gen[n++] = f->fds[i].gen;
	}
	if (!n || poll(pfd, n, timeout_ms) <= 0)
		return 0;
	for (nfds_t k = 0; k < n; k++) {
		struct bef_fd *s = &f->fds[slot[k]];

		/* An earlier callback may have removed this one (or reused its slot). */
		if (!(pfd[k].revents & POLLIN) || !s->live || s->gen != gen[k])
			continue;
		s->fn(s->arg);
		ran++;
	}
	return ran;
}

bool bef_fd_watched(const struct bef *f, int fd)
{
	for (size_t i = 0; i < ARRAY_LEN(f->fds); i++)
		if (f->fds[i].live && f->fds[i].fd == fd)
			return true;
	return false;
}

unsigned int bef_nr_fds(const struct bef *f)
{
	unsigned int n = 0;

	for (size_t i = 0; i < ARRAY_LEN(f->fds); i++)
		n += f->fds[i].live;
	return n;
}

void bef_put(struct bef *f, const char *dir, const char *key, const char *val)
{
	char path[200];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	ck_assert_int_ge(xsl_write(f->xs, path, val), 0);
}

int bef_get(struct bef *f, const char *dir, const char *key, char *out, size_t cap)
{
	char path[200];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xsl_read(f->xs, path, out, cap);
}

int bef_be_state(struct bef *f, const char *be)
{
	char buf[16];

	ck_assert_int_gt(bef_get(f, be, "state", buf, sizeof(buf)), 0);
	return atoi(buf);
}

void bef_fe_state(struct bef *f, const char *fe, int state)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "%d", state);
	bef_put(f, fe, "state", buf);
	bef_dispatch(f);
}

void bef_rm(struct bef *f, const char *path)
{
	xsl_rm(f->xs, path);
}
