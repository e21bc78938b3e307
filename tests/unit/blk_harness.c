// SPDX-License-Identifier: MIT
/*
 * The fake guest behind blk_harness.h. The grant entries are written and
 * revoked with the same inline helpers the guest kernel uses
 * (<splitvisor/grant_table.h>), so the tests exercise the rules the real
 * guest follows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "blk_harness.h"

_Static_assert(SV_GNTTAB_EBUSY == -EBUSY, "bh_end_grant hands the helper's busy to blkfront");

int bh_guest_create(struct bh_guest *g, uint16_t domid, uint16_t backend_domid, uint64_t ram_size)
{
	uint32_t i;
	int ret;

	memset(g, 0, sizeof(*g));
	g->memfd = -1;
	if (ram_size < BH_FIRST_DATA + 16 * BH_PAGE || ram_size % BH_PAGE)
		return -EINVAL;
	g->memfd = memfd_create("bh-guest", MFD_CLOEXEC);
	if (g->memfd < 0 || ftruncate(g->memfd, (off_t)ram_size)) {
		ret = -errno;
		goto out;
	}
	g->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, g->memfd, 0);
	if (g->ram == MAP_FAILED) {
		g->ram = NULL;
		ret = -errno;
		goto out;
	}
	g->ram_size = ram_size;
	g->domid = domid;
	g->backend_domid = backend_domid;
	g->granter = (struct gnt_granter){ .domid = domid,
					   .ram = g->ram,
					   .ram_size = ram_size,
					   .table_gpa = BH_TABLE_GPA,
					   .nr_frames = BH_TABLE_FRAMES };
	g->nr_frames = (uint32_t)(ram_size / BH_PAGE);
	g->next_frame = BH_FIRST_DATA / BH_PAGE;
	g->page_used = calloc(g->nr_frames, 1);
	g->free_refs = calloc(BH_NR_REFS, sizeof(*g->free_refs));
	if (!g->page_used || !g->free_refs) {
		ret = -ENOMEM;
		goto out;
	}
	/* Everything below the first data page is reserved or the table. */
	memset(g->page_used, 1, BH_FIRST_DATA / BH_PAGE);
	/* LIFO, lowest ref on top: 0-7 are reserved as in the guest. */
	for (i = BH_NR_REFS; i-- > SV_GNTTAB_RESERVED_ENTRIES;)
		g->free_refs[g->nr_free_refs++] = i;
	return 0;
out:
	bh_guest_destroy(g);
	return ret;
}

void bh_guest_destroy(struct bh_guest *g)
{
	if (g->ram)
		munmap(g->ram, g->ram_size);
	if (g->memfd >= 0)
		close(g->memfd);
	free(g->page_used);
	free(g->free_refs);
	memset(g, 0, sizeof(*g));
	g->memfd = -1;
}

struct sv_grant_entry *bh_entry(struct bh_guest *g, uint32_t ref)
{
	return (struct sv_grant_entry *)(g->ram + BH_TABLE_GPA) + ref;
}

uint32_t bh_frame(const struct bh_guest *g, const void *p)
{
	return (uint32_t)(((const uint8_t *)p - g->ram) / BH_PAGE);
}

void *bh_page(const struct bh_guest *g, uint32_t frame)
{
	return g->ram + (uint64_t)frame * BH_PAGE;
}

/* Next fit, so that consecutive single allocations tend to be adjacent too. */
void *bh_alloc_pages(struct bh_guest *g, uint32_t n)
{
	uint32_t tries, start, i;

	if (!n || n > g->nr_frames)
		return NULL;
	for (tries = 0; tries < 2 * g->nr_frames; tries++) {
		start = g->next_frame;
		if (start + n > g->nr_frames) {
			g->next_frame = BH_FIRST_DATA / BH_PAGE;
			continue;
		}
		for (i = 0; i < n && !g->page_used[start + i]; i++)
			;
		if (i < n) {
			g->next_frame = start + i + 1;
			continue;
		}
		memset(&g->page_used[start], 1, n);
		g->next_frame = start + n;
		g->pages_in_use += n;
		memset(bh_page(g, start), 0, (size_t)n * BH_PAGE);
		return bh_page(g, start);
	}
	return NULL;
}

void bh_free_pages(struct bh_guest *g, void *p, uint32_t n)
{
	uint32_t f = bh_frame(g, p), i;

	for (i = 0; i < n; i++) {
		if (f + i < g->nr_frames && g->page_used[f + i]) {
			g->page_used[f + i] = 0;
			g->pages_in_use--;
		}
	}
}

int bh_grant_to(struct bh_guest *g, uint16_t domid, uint32_t frame, bool readonly)
{
	uint32_t ref;

	if (!g->nr_free_refs)
		return -ENOSPC;
	ref = g->free_refs[--g->nr_free_refs];
	sv_gnttab_entry_grant(bh_entry(g, ref), domid, frame, readonly);
	g->grants_in_use++;
	return (int)ref;
}

int bh_grant(struct bh_guest *g, const void *p, bool readonly)
{
	return bh_grant_to(g, g->backend_domid, bh_frame(g, p), readonly);
}

void *bh_alloc_granted(struct bh_guest *g, uint32_t n, bool readonly, uint32_t *refs)
{
	uint8_t *p = bh_alloc_pages(g, n);
	uint32_t i;
	int ref;

	if (!p)
		return NULL;
	for (i = 0; i < n; i++) {
		ref = bh_grant(g, p + (size_t)i * BH_PAGE, readonly);
		if (ref < 0)
			return NULL;
		refs[i] = (uint32_t)ref;
	}
	return p;
}

int bh_end_grant(struct bh_guest *g, uint32_t ref)
{
	int ret;

	if (ref < SV_GNTTAB_RESERVED_ENTRIES || ref >= BH_NR_REFS)
		return -EINVAL;
	ret = sv_gnttab_entry_end(bh_entry(g, ref));
	if (ret)
		return ret;
	g->free_refs[g->nr_free_refs++] = ref;
	g->grants_in_use--;
	return 0;
}

static void *ops_alloc_page(void *opaque)
{
	return bh_alloc_pages(opaque, 1);
}

static void ops_free_page(void *opaque, void *page)
{
	bh_free_pages(opaque, page, 1);
}

static int ops_grant(void *opaque, void *page, bool readonly)
{
	return bh_grant(opaque, page, readonly);
}

static int ops_end_grant(void *opaque, uint32_t ref)
{
	return bh_end_grant(opaque, ref);
}

static void ops_notify(void *opaque)
{
	struct bh_guest *g = opaque;

	g->notified = true;
	g->notify_count++;
	if (g->on_notify)
		g->on_notify(g->on_notify_arg);
}

static void *ops_alloc_pages(void *opaque, uint32_t n)
{
	return bh_alloc_pages(opaque, n);
}

static void ops_free_pages(void *opaque, void *pages, uint32_t n)
{
	bh_free_pages(opaque, pages, n);
}

const struct blkfront_ops bh_blkfront_ops = {
	.alloc_page = ops_alloc_page,
	.free_page = ops_free_page,
	.grant = ops_grant,
	.end_grant = ops_end_grant,
	.notify = ops_notify,
	.alloc_pages = ops_alloc_pages,
	.free_pages = ops_free_pages,
};

/* ---- the core's side of a remote granter ---- */

static int remote_map(void *ctx, uint16_t granter, uint32_t ref, bool readonly, void **page)
{
	struct bh_remote *r = ctx;

	if (granter != r->g->domid)
		return -ESRCH;
	__atomic_add_fetch(&r->maps, 1, __ATOMIC_RELAXED);
	return gnt_map(r->mapper, &r->g->granter, ref, readonly, page);
}

static int remote_unmap(void *ctx, uint16_t granter, uint32_t ref, bool readonly)
{
	struct bh_remote *r = ctx;

	if (granter != r->g->domid)
		return -ESRCH;
	__atomic_add_fetch(&r->unmaps, 1, __ATOMIC_RELAXED);
	return gnt_unmap(r->mapper, &r->g->granter, ref, readonly);
}

static int remote_copy_batch(void *ctx, uint16_t granter, struct gnt_copy_op *ops, size_t n)
{
	struct bh_remote *r = ctx;
	int failed;
	size_t i;

	if (granter != r->g->domid)
		return -ESRCH;
	__atomic_add_fetch(&r->copy_batches, 1, __ATOMIC_RELAXED);
	if (r->fail_copies) {
		r->fail_copies--;
		return -EIO;
	}
	failed = gnt_copy_batch(r->mapper, &r->g->granter, ops, n);
	__atomic_add_fetch(&r->copy_segs, n, __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->copy_failed, (uint64_t)(failed > 0 ? failed : 0), __ATOMIC_RELAXED);
	for (i = 0; i < n; i++)
		if (!ops[i].status)
			__atomic_add_fetch(&r->copy_bytes, ops[i].len, __ATOMIC_RELAXED);
	return failed;
}

const struct gnt_remote_ops bh_remote_ops = {
	.map = remote_map,
	.unmap = remote_unmap,
	.copy_batch = remote_copy_batch,
};

void bh_remote_init(struct bh_remote *r, struct bh_guest *g, struct gnt_mapper *mapper)
{
	memset(r, 0, sizeof(*r));
	r->g = g;
	r->mapper = mapper;
	r->granter = (struct gnt_granter){ .domid = g->domid,
					   .remote = &bh_remote_ops,
					   .remote_ctx = r };
}

int bh_temp_disk(char *path, size_t len, uint64_t bytes)
{
	const char *dir = getenv("TMPDIR");
	int fd, ret = 0;

	if (!dir || !*dir)
		dir = "/tmp";
	if ((size_t)snprintf(path, len, "%s/blk-harness-XXXXXX", dir) >= len)
		return -ENAMETOOLONG;
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)bytes))
		ret = -errno;
	close(fd);
	if (ret)
		unlink(path);
	return ret;
}

uint64_t bh_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
