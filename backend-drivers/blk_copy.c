// SPDX-License-Identifier: MIT
/*
 * blkback's copy mode: how a backend that may not map guest RAM (a driver
 * domain, whose grants all go through the core) moves a request's data. Each
 * ring slot owns max_segs bounce pages, allocated when the device connects and
 * never handed around, so a failed copy or a refused request cannot leak one.
 * The I/O runs on the bounce pages; the data crosses with grant copies, one
 * gnt_copy_batch (one request to the core) per kick for every write and one
 * per reap for every read, however many segments they have.
 *
 * It only builds and runs batches; blkback.c decides what a failed copy means
 * (an error response) and when requests start.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "blkback_priv.h"

int blk_copy_init(struct blkback *b)
{
	const struct gnt_remote_ops *rem = b->p.granter->remote;
	size_t pages = (size_t)b->nr_reqs * b->max_segs;
	void *p = NULL;

	/* In the remote's own memory when it has room: the core copies straight into it. */
	if (rem && rem->alloc)
		p = rem->alloc(b->p.granter->remote_ctx, pages * PAGE_SIZE);
	b->bounce_remote = p != NULL;
	/* Page-aligned for O_DIRECT; untouched pages cost nothing. */
	if (!p)
		p = mmap(NULL, pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	b->bounce = p;
	b->bounce_size = pages * PAGE_SIZE;
	b->cops = calloc(pages, sizeof(*b->cops));
	return b->cops ? 0 : -ENOMEM;
}

void blk_copy_free(struct blkback *b)
{
	if (b->bounce && b->bounce_remote)
		b->p.granter->remote->free(b->p.granter->remote_ctx, b->bounce, b->bounce_size);
	else if (b->bounce)
		munmap(b->bounce, b->bounce_size);
	b->bounce = NULL;
	free(b->cops);
	b->cops = NULL;
}

void *blk_copy_page(struct blkback *b, struct breq *r, uint32_t seg)
{
	size_t slot = (size_t)(r - b->reqs);

	return b->bounce + (slot * b->max_segs + seg) * PAGE_SIZE;
}

/* Whether r has data crossing in this direction. */
static bool moves(const struct breq *r, bool to_guest)
{
	if (!r->nr_segs)
		return false;
	return to_guest ? r->kind == RK_READ : (r->kind == RK_WRITE || r->kind == RK_FENCE);
}

void blk_copy_batch(struct blkback *b, struct breq *list, bool to_guest)
{
	enum gnt_copy_dir dir = to_guest ? SV_GNT_COPY_TO_GRANT : SV_GNT_COPY_FROM_GRANT;
	struct gnt_copy_op *op;
	struct breq *r;
	uint32_t i;
	size_t n = 0;

	for (r = list; r; r = r->next) {
		r->copy_err = 0;
		if (!moves(r, to_guest))
			continue;
		/* The iovecs point into the bounce pages at the segments' first sectors. */
		for (i = 0; i < r->nr_segs; i++)
			b->cops[n++] = (struct gnt_copy_op){
				.ref = r->segs[i].gref,
				.dir = dir,
				.offset = (uint32_t)r->segs[i].first * BLKIF_SECTOR_SIZE,
				.len = (uint32_t)r->iov[i].iov_len,
				.buf = r->iov[i].iov_base,
			};
	}
	if (!n)
		return;
	b->st.copy_batches++;
	if (!gnt_copy_batch(b->p.mapper, b->p.granter, b->cops, n)) {
		b->st.copy_segments += n;
		return;
	}
	op = b->cops;
	for (r = list; r; r = r->next) {
		if (!moves(r, to_guest))
			continue;
		for (i = 0; i < r->nr_segs; i++, op++) {
			if (op->status && !r->copy_err) {
				r->copy_err = op->status;
				r->copy_seg = i;
			}
			b->st.copy_segments += !op->status;
		}
	}
}
