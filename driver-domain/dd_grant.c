// SPDX-License-Identifier: MIT
/*
 * Grants in a driver domain (lib/grant_access.h's remote mode): svdd may not
 * map a guest's RAM, so every map, unmap and copy is a request to the core,
 * which checks the grant against our domid.
 *
 * - map: SV_CTL_GNT_MAP passes a memfd of the one granted page (the core
 *   maps it over the guest's page, so both sides share it); we map it and
 *   keep (granter, ref, readonly, address) to undo it on unmap.
 * - copy: the area is a memfd of DD_AREA_SIZE registered once with
 *   SV_CTL_GNT_AREA. A batch writes its segments at the area's start and the
 *   data behind them, sends one SV_CTL_GNT_COPY and reads the statuses (and
 *   the data from the grants) back. A batch larger than the staging part or
 *   SV_CTL_GNT_COPY_MAX goes in several requests.
 * - the rest of the area is a pool of pages handed out with alloc (blkback's
 *   bounce pages): a segment whose buffer lies there is copied by the core
 *   straight to or from it, with no staging copy here.
 *
 * Device threads (blkback's, the network thread) copy concurrently: the area
 * is used under one mutex for a whole request (fill, ask, read back), taken
 * before the core socket's own mutex and never the other way round. One
 * request at a time is what the socket allows anyway; the copying on either
 * side of it is memcpy of at most a few MiB.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <splitvisor/control.h>

#include "dd.h"
#include "errmsg.h"
#include "grant_access.h"
#include "log.h"

#define DD_PAGE 4096u
/* Segments first, staged data behind them (8-byte aligned, a page boundary here), the pool last. */
#define DD_SEGS_BYTES \
	((SV_CTL_GNT_COPY_MAX * sizeof(struct sv_ctl_gnt_copy_seg) + DD_PAGE - 1) & ~(DD_PAGE - 1))
#define DD_STAGE_END  (8u << 20)
#define DD_DATA_BYTES (DD_STAGE_END - DD_SEGS_BYTES)
#define DD_POOL_PAGES ((DD_AREA_SIZE - DD_STAGE_END) / DD_PAGE)

struct dd_map {
	uint16_t granter;
	bool readonly;
	uint32_t ref;
	void *page;
};

struct dd_grant {
	struct dd *dd;
	pthread_mutex_t area_lock; /* one copy request at a time uses the area */
	uint8_t *area;
	struct log_ratelimit copy_rl; /* under area_lock */
	pthread_mutex_t map_lock;     /* the table below */
	struct dd_map *maps;
	size_t nr_maps, cap_maps;
	struct log_ratelimit map_rl; /* under map_lock */
	pthread_mutex_t pool_lock;   /* the bitmap below */
	uint64_t pool_used[(DD_POOL_PAGES + 63) / 64];
};

/* Whether [p, p + len) lies in the pool: the core reaches it directly. */
static bool in_pool(const struct dd_grant *g, const void *p, size_t len)
{
	const uint8_t *b = p;

	return b >= g->area + DD_STAGE_END && len <= DD_AREA_SIZE &&
	       b + len <= g->area + DD_AREA_SIZE;
}

static bool pool_bit(const struct dd_grant *g, size_t i)
{
	return g->pool_used[i / 64] >> (i % 64) & 1;
}

static void pool_mark(struct dd_grant *g, size_t first, size_t n, bool used)
{
	for (size_t i = first; i < first + n; i++) {
		if (used)
			g->pool_used[i / 64] |= 1ull << (i % 64);
		else
			g->pool_used[i / 64] &= ~(1ull << (i % 64));
	}
}

/* First fit: devices take their pages when they connect, not per request. */
static void *pool_alloc(void *ctx, size_t len)
{
	struct dd_grant *g = ctx;
	size_t n = (len + DD_PAGE - 1) / DD_PAGE, run = 0;
	void *p = NULL;

	if (!n || n > DD_POOL_PAGES)
		return NULL;
	pthread_mutex_lock(&g->pool_lock);
	for (size_t i = 0; i < DD_POOL_PAGES; i++) {
		run = pool_bit(g, i) ? 0 : run + 1;
		if (run == n) {
			pool_mark(g, i + 1 - n, n, true);
			p = g->area + DD_STAGE_END + (i + 1 - n) * DD_PAGE;
			break;
		}
	}
	pthread_mutex_unlock(&g->pool_lock);
	if (p)
		memset(p, 0, n * DD_PAGE);
	return p;
}

static void pool_free(void *ctx, void *p, size_t len)
{
	struct dd_grant *g = ctx;
	size_t n = (len + DD_PAGE - 1) / DD_PAGE;

	if (!p || !in_pool(g, p, n * DD_PAGE))
		return;
	pthread_mutex_lock(&g->pool_lock);
	pool_mark(g, (size_t)((uint8_t *)p - g->area - DD_STAGE_END) / DD_PAGE, n, false);
	pthread_mutex_unlock(&g->pool_lock);
	/* Give the memory back; the pages read as zero when handed out again. */
	madvise(p, n * DD_PAGE, MADV_REMOVE);
}

static int grant_map(void *ctx, uint16_t granter, uint32_t ref, bool readonly, void **page)
{
	struct dd_grant *g = ctx;
	struct sv_ctl_gnt_map req = { .domid = granter,
				      .ref = ref,
				      .flags = readonly ? SV_CTL_GNT_MAP_READONLY : 0 };
	struct sv_ctl_gnt_map_reply r;
	char err[256] = "";
	int fd = -1, ret;
	void *p;

	ret = dd_core_request(g->dd, SV_CTL_GNT_MAP, &req, sizeof(req), -1, &r, sizeof(r), &fd, 1,
			      err, sizeof(err));
	if (!ret && fd < 0)
		ret = errmsg_set(err, sizeof(err), -EPROTO, "the core passed no page");
	if (ret) {
		/* The guest's doing or the core's refusal: either way rate-limited. */
		pthread_mutex_lock(&g->map_lock);
		log_limited(&g->map_rl, LOG_LEVEL_WARN, "grant %u of domain %u: %s", ref, granter,
			    err);
		pthread_mutex_unlock(&g->map_lock);
		goto out;
	}
	p = mmap(NULL, DD_PAGE, PROT_READ | (readonly ? 0 : PROT_WRITE), MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		log_err("grant %u of domain %u: cannot map the core's page: %s", ref, granter,
			strerror(-ret));
		goto undo;
	}
	pthread_mutex_lock(&g->map_lock);
	if (g->nr_maps == g->cap_maps) {
		size_t cap = g->cap_maps ? g->cap_maps * 2 : 16;
		struct dd_map *m = realloc(g->maps, cap * sizeof(*m));

		if (!m) {
			pthread_mutex_unlock(&g->map_lock);
			munmap(p, DD_PAGE);
			ret = -ENOMEM;
			goto undo;
		}
		g->maps = m;
		g->cap_maps = cap;
	}
	g->maps[g->nr_maps++] = (struct dd_map){ granter, readonly, ref, p };
	pthread_mutex_unlock(&g->map_lock);
	*page = p;
	goto out;
undo:
	dd_core_request(g->dd, SV_CTL_GNT_UNMAP, &req, sizeof(req), -1, NULL, 0, NULL, 0, NULL, 0);
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

static int grant_unmap(void *ctx, uint16_t granter, uint32_t ref, bool readonly)
{
	struct dd_grant *g = ctx;
	struct sv_ctl_gnt_map req = { .domid = granter,
				      .ref = ref,
				      .flags = readonly ? SV_CTL_GNT_MAP_READONLY : 0 };
	void *page = NULL;
	char err[256] = "";
	size_t i;
	int ret;

	pthread_mutex_lock(&g->map_lock);
	for (i = g->nr_maps; i-- > 0;) {
		struct dd_map *m = &g->maps[i];

		if (m->granter == granter && m->ref == ref && m->readonly == readonly) {
			page = m->page;
			*m = g->maps[--g->nr_maps];
			break;
		}
	}
	pthread_mutex_unlock(&g->map_lock);
	if (!page)
		return -ENOENT;
	/* Ours goes first: the core copies the page back and the guest may reuse it. */
	munmap(page, DD_PAGE);
	ret = dd_core_request(g->dd, SV_CTL_GNT_UNMAP, &req, sizeof(req), -1, NULL, 0, NULL, 0, err,
			      sizeof(err));
	if (ret)
		log_warn("grant %u of domain %u: unmap: %s", ref, granter, err);
	return ret;
}

/* ops[0..n) fit the area and one request: fill, ask, read back. Under area_lock. */
static int copy_chunk(struct dd_grant *g, uint16_t granter, struct gnt_copy_op *ops, size_t n)
{
	struct sv_ctl_gnt_copy_seg *segs = (struct sv_ctl_gnt_copy_seg *)g->area;
	struct sv_ctl_gnt_copy req = { .domid = granter, .count = (uint32_t)n, .ops_offset = 0 };
	struct sv_ctl_gnt_copy_reply r;
	uint64_t data = DD_SEGS_BYTES;
	char err[256] = "";
	uint32_t failed = 0;
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		struct gnt_copy_op *op = &ops[i];
		bool to = op->dir == SV_GNT_COPY_TO_GRANT;
		bool direct = in_pool(g, op->buf, op->len);

		segs[i] = (struct sv_ctl_gnt_copy_seg){
			.ref = op->ref,
			.offset = (uint16_t)op->offset,
			.len = (uint16_t)op->len,
			.area_offset = direct ? (uint64_t)((uint8_t *)op->buf - g->area) : data,
			.flags = to ? SV_CTL_GNT_COPY_TO_GRANT : 0,
			.status = 0,
		};
		if (direct)
			continue;
		if (to)
			memcpy(g->area + data, op->buf, op->len);
		data += op->len;
	}
	ret = dd_core_request(g->dd, SV_CTL_GNT_COPY, &req, sizeof(req), -1, &r, sizeof(r), NULL, 0,
			      err, sizeof(err));
	if (ret) {
		log_limited(&g->copy_rl, LOG_LEVEL_WARN,
			    "grant copy of %zu segments from domain %u: %s", n, granter, err);
		for (i = 0; i < n; i++)
			ops[i].status = ret;
		return (int)n;
	}
	for (i = 0; i < n; i++) {
		struct gnt_copy_op *op = &ops[i];
		/* Read once: the statuses are in our own memory, but written by the core. */
		int32_t st = __atomic_load_n(&segs[i].status, __ATOMIC_RELAXED);

		if (st > 0 || st < -4095)
			st = -EPROTO;
		op->status = st;
		if (!st && op->dir == SV_GNT_COPY_FROM_GRANT && !in_pool(g, op->buf, op->len))
			memcpy(op->buf, g->area + segs[i].area_offset, op->len);
		failed += st != 0;
	}
	return (int)failed;
}

/* Refused here, as the core would: a segment stays inside its page. */
static bool op_bad(const struct gnt_copy_op *op)
{
	return op->len > DD_PAGE || op->offset > DD_PAGE - op->len;
}

static int grant_copy_batch(void *ctx, uint16_t granter, struct gnt_copy_op *ops, size_t n)
{
	struct dd_grant *g = ctx;
	size_t i = 0, j, cnt;
	uint64_t bytes;
	int failed = 0;

	pthread_mutex_lock(&g->area_lock);
	while (i < n) {
		/* The longest run of good segments that fits one request and the area. */
		for (j = i, cnt = 0, bytes = 0; j < n && cnt < SV_CTL_GNT_COPY_MAX; j++, cnt++) {
			if (op_bad(&ops[j]))
				break;
			if (in_pool(g, ops[j].buf, ops[j].len))
				continue;
			if (bytes + ops[j].len > DD_DATA_BYTES)
				break;
			bytes += ops[j].len;
		}
		if (cnt) {
			failed += copy_chunk(g, granter, ops + i, cnt);
			i = j;
			continue;
		}
		ops[i].status = -EINVAL;
		failed++;
		i++;
	}
	pthread_mutex_unlock(&g->area_lock);
	return failed;
}

static const struct gnt_remote_ops dd_grant_ops = {
	.map = grant_map,
	.unmap = grant_unmap,
	.copy_batch = grant_copy_batch,
	.alloc = pool_alloc,
	.free = pool_free,
};

int dd_grant_init(struct dd *dd, char *err, size_t errlen)
{
	struct sv_ctl_gnt_area req = { .size = DD_AREA_SIZE };
	struct dd_grant *g;
	int fd = -1, ret;

	g = calloc(1, sizeof(*g));
	if (!g)
		return errmsg_set(err, errlen, -ENOMEM, "out of memory");
	dd->grant = g;
	g->dd = dd;
	g->area = MAP_FAILED;
	pthread_mutex_init(&g->area_lock, NULL);
	pthread_mutex_init(&g->map_lock, NULL);
	pthread_mutex_init(&g->pool_lock, NULL);
	fd = memfd_create("svdd-grant-area", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, DD_AREA_SIZE) < 0) {
		ret = errmsg_set(err, errlen, -errno, "grant area: %s", strerror(errno));
		goto out;
	}
	g->area = mmap(NULL, DD_AREA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (g->area == MAP_FAILED) {
		ret = errmsg_set(err, errlen, -errno, "grant area: cannot map it: %s",
				 strerror(errno));
		goto out;
	}
	ret = dd_core_request(dd, SV_CTL_GNT_AREA, &req, sizeof(req), fd, NULL, 0, NULL, 0, err,
			      errlen);
	if (ret)
		goto out;
	dd->env.grant_remote = &dd_grant_ops;
	dd->env.grant_remote_ctx = g;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

void dd_grant_free(struct dd *dd)
{
	struct dd_grant *g = dd->grant;

	if (!g)
		return;
	/* The core undoes its side when our connection closes. */
	for (size_t i = 0; i < g->nr_maps; i++)
		munmap(g->maps[i].page, DD_PAGE);
	free(g->maps);
	if (g->area != MAP_FAILED)
		munmap(g->area, DD_AREA_SIZE);
	pthread_mutex_destroy(&g->area_lock);
	pthread_mutex_destroy(&g->map_lock);
	pthread_mutex_destroy(&g->pool_lock);
	free(g);
	dd->grant = NULL;
	dd->env.grant_remote = NULL;
}
