// SPDX-License-Identifier: MIT
/*
 * blkfront's request layer (see blkfront.c for the ring engine above it and
 * blkfront_recover.c beside it): the ring and bounce pages, shadows, operations
 * and the building of requests. Both the engine and the recovery path call down
 * into this file; it calls neither.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blkfront.h"
#include "blkfront_ring.h"

/* ---- ring pages ---- */

void bf_free_ring_pages(struct blkfront *bf, void *mem, uint32_t n, bool contig)
{
	if (contig) {
		bf->ops->free_pages(bf->opaque, mem, n);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		bf->ops->free_page(bf->opaque, (uint8_t *)mem + (size_t)i * BF_PAGE_SIZE);
}

/*
 * The ring is one array of slots, so its pages must be adjacent. Without an
 * ops->alloc_pages we take single pages and keep them only if they are.
 */
static int alloc_ring_pages(struct blkfront *bf, uint32_t n)
{
	void *pages[SV_BLKIF_MAX_RING_PAGES];
	uint32_t got = 0;
	int ret = 0;

	if (bf->ops->alloc_pages && bf->ops->free_pages) {
		bf->ring_mem = bf->ops->alloc_pages(bf->opaque, n);
		bf->ring_contig = true;
		return bf->ring_mem ? 0 : -ENOMEM;
	}
	for (; got < n; got++) {
		pages[got] = bf->ops->alloc_page(bf->opaque);
		if (!pages[got] ||
		    (got &&
		     (uint8_t *)pages[got] != (uint8_t *)pages[0] + (size_t)got * BF_PAGE_SIZE)) {
			ret = -ENOMEM;
			goto out;
		}
	}
	bf->ring_mem = pages[0];
	bf->ring_contig = false;
out:
	if (ret) {
		for (uint32_t i = 0; i <= got && i < n; i++) {
			if (pages[i])
				bf->ops->free_page(bf->opaque, pages[i]);
		}
	}
	return ret;
}

int bf_ring_setup(struct blkfront *bf, uint32_t order, uint32_t *refs)
{
	uint32_t granted = 0;
	int ret;

	bf->ring_pages = 1u << order;
	bf->ring_mem = NULL;
	ret = alloc_ring_pages(bf, bf->ring_pages);
	if (ret)
		goto out;
	memset(bf->ring_mem, 0, (size_t)bf->ring_pages * BF_PAGE_SIZE);
	for (; granted < bf->ring_pages; granted++) {
		ret = bf->ops->grant(bf->opaque,
				     (uint8_t *)bf->ring_mem + (size_t)granted * BF_PAGE_SIZE,
				     false);
		if (ret < 0)
			goto out;
		bf->ring_refs[granted] = (uint32_t)ret;
		refs[granted] = (uint32_t)ret;
	}
	ret = 0;
	sv_front_ring_init(&bf->ring, bf->ring_mem, bf->ring_pages * BF_PAGE_SIZE,
			   sizeof(union blkif_slot));
	bf->pushed = 0;
	bf->state = BF_CREATED;
out:
	if (ret) {
		bool leak = false;

		/* Nobody has seen these refs yet, but a revoke can still fail. */
		for (uint32_t i = 0; i < granted; i++)
			leak |= bf->ops->end_grant(bf->opaque, bf->ring_refs[i]) != 0;
		if (bf->ring_mem && !leak)
			bf_free_ring_pages(bf, bf->ring_mem, bf->ring_pages, bf->ring_contig);
		bf->ring_mem = NULL;
		bf->ring_pages = 0;
	}
	return ret;
}

int bf_alloc_shadows(struct blkfront *bf)
{
	uint32_t n = bf->nr_shadow, segs = bf->segs_per_req;

	bf->shadow = calloc(n, sizeof(*bf->shadow));
	bf->slot_shadow = calloc(bf->ring.entries, sizeof(*bf->slot_shadow));
	if (!bf->shadow || !bf->slot_shadow)
		return -ENOMEM;
	if (!bf->opv) {
		/* Once, for the largest ring: operations in flight survive a reconnect. */
		bf->opv_cap = sv_ring_entries(SV_BLKIF_MAX_RING_PAGES * BF_PAGE_SIZE,
					      sizeof(union blkif_slot));
		bf->opv = calloc(bf->opv_cap, sizeof(*bf->opv));
		if (!bf->opv)
			return -ENOMEM;
		for (uint32_t i = 0; i < bf->opv_cap; i++)
			bf->opv[i].next_free = i + 1 < bf->opv_cap ? i + 1 : BF_NONE;
		bf->op_free = 0;
	}
	if (bf_persistent(bf)) {
		bf->pg_store = calloc((size_t)n * segs, sizeof(*bf->pg_store));
		bf->pool = calloc(bf->pool_cap, sizeof(*bf->pool));
		if (!bf->pg_store || !bf->pool)
			return -ENOMEM;
	} else {
		bf->gref_store = calloc((size_t)n * segs, sizeof(*bf->gref_store));
		if (!bf->gref_store)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct bf_shadow *s = &bf->shadow[i];

		s->next_free = i + 1 < n ? i + 1 : BF_NONE;
		if (bf_persistent(bf)) {
			s->pg = &bf->pg_store[(size_t)i * segs];
			continue;
		}
		s->grefs = &bf->gref_store[(size_t)i * segs];
		for (uint32_t j = 0; j < bf->ind_per_req; j++) {
			s->ind_pages[j] = bf->ops->alloc_page(bf->opaque);
			if (!s->ind_pages[j])
				return -ENOMEM;
		}
	}
	bf->shadow_free = 0;
	bf->shadow_nfree = n;
	return 0;
}

void bf_free_shadows(struct blkfront *bf)
{
	for (uint32_t i = 0; bf->shadow && i < bf->nr_shadow; i++) {
		for (uint32_t j = 0; j < BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST; j++) {
			if (bf->shadow[i].ind_pages[j])
				bf->ops->free_page(bf->opaque, bf->shadow[i].ind_pages[j]);
		}
	}
	free(bf->gref_store);
	free(bf->pg_store);
	free(bf->pool);
	free(bf->shadow);
	free(bf->slot_shadow);
	bf->slot_shadow = NULL;
	bf->gref_store = NULL;
	bf->pg_store = NULL;
	bf->pool = NULL;
	bf->shadow = NULL;
	bf->pool_top = bf->pool_total = 0;
}

/* ---- the persistent pool ---- */

static int pool_get(struct blkfront *bf, struct bf_pgnt *out)
{
	void *page;
	int ref;

	if (bf->pool_top) {
		*out = bf->pool[--bf->pool_top];
		bf->stats.persistent_reuse++;
		return 0;
	}
	if (bf->pool_total >= bf->pool_cap)
		return -EAGAIN;
	page = bf->ops->alloc_page(bf->opaque);
	if (!page)
		return -ENOMEM;
	/* Writable: the same page carries reads and writes over its life. */
	ref = bf->ops->grant(bf->opaque, page, false);
	if (ref < 0) {
		bf->ops->free_page(bf->opaque, page);
		return ref;
	}
	out->page = page;
	out->ref = (uint32_t)ref;
	bf->pool_total++;
	bf->stats.persistent_pages++;
	return 0;
}

static void pool_put(struct blkfront *bf, const struct bf_pgnt *p)
{
	bf->pool[bf->pool_top++] = *p;
}

/* ---- shadows ---- */

static struct bf_shadow *shadow_get(struct blkfront *bf)
{
	struct bf_shadow *s = &bf->shadow[bf->shadow_free];

	bf->shadow_free = s->next_free;
	bf->shadow_nfree--;
	s->inuse = true;
	s->pushed = false;
	s->nr_segs = 0;
	s->nr_ind = 0;
	s->buf = NULL;
	s->len = 0;
	return s;
}

static void shadow_put(struct blkfront *bf, struct bf_shadow *s)
{
	s->inuse = false;
	s->gen++; /* any later response naming the old id is stale */
	s->next_free = bf->shadow_free;
	bf->shadow_free = (uint32_t)(s - bf->shadow);
	bf->shadow_nfree++;
}

static uint64_t shadow_id(const struct blkfront *bf, const struct bf_shadow *s)
{
	return ((uint64_t)s->gen << 32) | (uint32_t)(s - bf->shadow);
}

void bf_end_grant(struct blkfront *bf, uint32_t ref)
{
	/* A backend that still maps it keeps it: we can only stop reusing the ref. */
	if (bf->ops->end_grant(bf->opaque, ref))
		bf->stats.grant_busy++;
}

/* Takes back what the request granted; copy_back for a read that succeeded. */
void bf_shadow_release(struct blkfront *bf, struct bf_shadow *s, bool copy_back)
{
	if (bf_persistent(bf)) {
		size_t off = 0;

		for (uint32_t i = 0; i < s->nr_segs; i++) {
			size_t n = s->len - off < BF_PAGE_SIZE ? s->len - off : BF_PAGE_SIZE;

			if (copy_back)
				memcpy(s->buf + off, s->pg[i].page, n);
			off += n;
		}
		for (uint32_t i = 0; i < s->nr_segs; i++)
			pool_put(bf, &s->pg[i]);
		for (uint32_t i = 0; i < s->nr_ind; i++)
			pool_put(bf, &s->ind[i]);
	} else {
		for (uint32_t i = 0; i < s->nr_segs; i++)
			bf_end_grant(bf, s->grefs[i]);
		for (uint32_t i = 0; i < s->nr_ind; i++)
			bf_end_grant(bf, s->ind[i].ref);
	}
	s->nr_segs = 0;
	s->nr_ind = 0;
}

/* ---- building requests ---- */

/* Bytes of the next segment at p: to the end of its page, or a whole bounce page. */
static size_t seg_bytes(const struct blkfront *bf, const uint8_t *p, size_t left)
{
	size_t room = BF_PAGE_SIZE;

	if (!bf_persistent(bf))
		room -= (uintptr_t)p & BF_PAGE_MASK;
	return left < room ? left : room;
}

static uint32_t ind_pages_for(uint32_t nsegs)
{
	if (nsegs <= BLKIF_MAX_SEGMENTS_PER_REQUEST)
		return 0;
	return (nsegs + BLKIF_SEGS_PER_INDIRECT_FRAME - 1) / BLKIF_SEGS_PER_INDIRECT_FRAME;
}

/* Requests and (persistent mode) pool pages a read or write of len bytes at p takes. */
static void plan(const struct blkfront *bf, const uint8_t *p, size_t len, size_t *nreq,
		 size_t *npages)
{
	uint32_t in_req = 0;

	*nreq = 0;
	*npages = 0;
	while (len) {
		size_t b = seg_bytes(bf, p, len);

		if (!in_req)
			(*nreq)++;
		in_req++;
		p += b;
		len -= b;
		if (in_req == bf->segs_per_req || !len) {
			*npages += in_req + ind_pages_for(in_req);
			in_req = 0;
		}
	}
}

/* Grants (or takes from the pool) the page under bytes [p, p + n) for segment i. */
static int fill_seg(struct blkfront *bf, struct bf_shadow *s, uint32_t i, uint8_t *p, size_t n,
		    struct blkif_request_segment *d)
{
	uint32_t first = 0;
	int ret;

	if (bf_persistent(bf)) {
		ret = pool_get(bf, &s->pg[i]);
		if (ret)
			return ret;
		if (s->data_op == BLKIF_OP_WRITE)
			memcpy(s->pg[i].page, p, n);
		d->gref = s->pg[i].ref;
	} else {
		/* The backend only reads the pages of a write. */
		ret = bf->ops->grant(bf->opaque, (void *)((uintptr_t)p & ~BF_PAGE_MASK),
				     s->data_op == BLKIF_OP_WRITE);
		if (ret < 0)
			return ret;
		s->grefs[i] = (uint32_t)ret;
		d->gref = (uint32_t)ret;
		first = (uint32_t)(((uintptr_t)p & BF_PAGE_MASK) >> BF_SECTOR_SHIFT);
	}
	d->first_sect = (uint8_t)first;
	d->last_sect = (uint8_t)(first + (n >> BF_SECTOR_SHIFT) - 1);
	d->pad = 0;
	s->nr_segs++;
	s->len += n;
	bf->stats.segments++;
	return 0;
}

/* The pages that will hold an indirect request's descriptors; read-only for the backend. */
static int get_indirect(struct blkfront *bf, struct bf_shadow *s, uint32_t nind,
			struct blkif_request_indirect *r)
{
	int ret;

	for (uint32_t j = 0; j < nind; j++) {
		if (bf_persistent(bf)) {
			/*
			 * A backend with persistent grants may keep any gref we send
			 * mapped, so the indirect pages come from the pool too.
			 */
			ret = pool_get(bf, &s->ind[j]);
			if (ret)
				return ret;
		} else {
			ret = bf->ops->grant(bf->opaque, s->ind_pages[j], true);
			if (ret < 0)
				return ret;
			s->ind[j].page = s->ind_pages[j];
			s->ind[j].ref = (uint32_t)ret;
		}
		r->indirect_grefs[j] = s->ind[j].ref;
		s->nr_ind++;
	}
	return 0;
}

/*
 * One read or write request for the first segs_per_req segments of [p, len)
 * into slot (zeroed, id already set). *used gets the bytes it covers.
 */
static int build_rw(struct blkfront *bf, struct bf_shadow *s, union blkif_slot *slot,
		    uint64_t sector, uint8_t *p, size_t len, size_t *used)
{
	uint32_t nsegs = 0;
	size_t off = 0;
	int ret = 0;

	for (size_t l = len; l && nsegs < bf->segs_per_req; nsegs++)
		l -= seg_bytes(bf, p + (len - l), l);
	s->buf = p;
	if (nsegs <= BLKIF_MAX_SEGMENTS_PER_REQUEST) {
		struct blkif_request *r = &slot->req;

		r->operation = s->data_op;
		r->sector_number = sector;
		for (uint32_t i = 0; i < nsegs; i++) {
			size_t n = seg_bytes(bf, p + off, len - off);

			ret = fill_seg(bf, s, i, p + off, n, &r->seg[i]);
			if (ret)
				goto out;
			off += n;
		}
		r->nr_segments = (uint8_t)nsegs;
		s->operation = s->data_op;
	} else {
		struct blkif_request_indirect *r = &slot->indirect;

		ret = get_indirect(bf, s, ind_pages_for(nsegs), r);
		if (ret)
			goto out;
		for (uint32_t i = 0; i < nsegs; i++) {
			size_t n = seg_bytes(bf, p + off, len - off);
			struct blkif_request_segment *d =
				(struct blkif_request_segment *)s
					->ind[i / BLKIF_SEGS_PER_INDIRECT_FRAME]
					.page +
				i % BLKIF_SEGS_PER_INDIRECT_FRAME;

			ret = fill_seg(bf, s, i, p + off, n, d);
			if (ret)
				goto out;
			off += n;
		}
		r->operation = BLKIF_OP_INDIRECT;
		r->indirect_op = s->data_op;
		r->nr_segments = (uint16_t)nsegs;
		r->sector_number = sector;
		s->operation = BLKIF_OP_INDIRECT;
		bf->stats.indirect_requests++;
	}
	*used = off;
out:
	return ret;
}

/* ---- operations ---- */

uint32_t bf_op_get(struct blkfront *bf, blkfront_done_fn *done, void *arg)
{
	uint32_t i = bf->op_free;
	struct bf_op *o = &bf->opv[i];

	bf->op_free = o->next_free;
	o->done = done;
	o->arg = arg;
	o->pending = 0;
	o->status = 0;
	bf->ops_inflight++;
	return i;
}

/* The operation's last request is done: free it, then tell the caller (who may submit). */
int bf_op_finish(struct blkfront *bf, uint32_t i)
{
	struct bf_op *o = &bf->opv[i];
	blkfront_done_fn *done = o->done;
	void *arg = o->arg;
	int status = o->status;

	o->next_free = bf->op_free;
	bf->op_free = i;
	bf->ops_inflight--;
	if (done)
		done(arg, status);
	return 1;
}

int bf_op_put_request(struct blkfront *bf, uint32_t oi, int status)
{
	struct bf_op *o = &bf->opv[oi];

	if (status && !o->status)
		o->status = status;
	if (--o->pending)
		return 0;
	return bf_op_finish(bf, oi);
}

/* Drops one request of its operation; 1 when that finished the operation. */
int bf_request_done(struct blkfront *bf, struct bf_shadow *s, int status)
{
	uint32_t i = s->op;

	bf_shadow_release(bf, s, !status && s->data_op == BLKIF_OP_READ);
	shadow_put(bf, s);
	return bf_op_put_request(bf, i, status);
}

int bf_check_args(const struct blkfront *bf, int op, uint64_t sector, const void *buf, size_t len,
		  uint8_t *wire)
{
	uint64_t nsect = len >> BF_SECTOR_SHIFT, align = bf->f.sector_size >> BF_SECTOR_SHIFT;

	switch (op) {
	case BLKIF_OP_FLUSH_DISKCACHE:
	case BLKIF_OP_WRITE_BARRIER:
		if (buf || len)
			return -EINVAL;
		/* A barrier also drains the cache: the fallback when flush is not offered. */
		if (op == BLKIF_OP_FLUSH_DISKCACHE && bf->f.flush)
			*wire = BLKIF_OP_FLUSH_DISKCACHE;
		else if (bf->f.barrier)
			*wire = BLKIF_OP_WRITE_BARRIER;
		else
			return -EOPNOTSUPP;
		return 0;
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
		if (!buf || ((uintptr_t)buf & (BLKIF_SECTOR_SIZE - 1)))
			return -EINVAL;
		break;
	case BLKIF_OP_DISCARD:
		if (buf)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (!len || len % bf->f.sector_size || sector % align)
		return -EINVAL;
	if (sector > bf->f.sectors || nsect > bf->f.sectors - sector)
		return -EINVAL;
	if (op != BLKIF_OP_READ && bf->f.readonly)
		return -EROFS;
	if (op == BLKIF_OP_DISCARD && !bf->f.discard)
		return -EOPNOTSUPP;
	*wire = (uint8_t)op;
	return 0;
}

/* Takes back the requests built since start and not yet pushed. */
static void rollback(struct blkfront *bf, uint32_t start)
{
	for (uint32_t idx = start; idx != bf->ring.req_prod_pvt; idx++) {
		struct bf_shadow *s = &bf->shadow[bf->slot_shadow[idx & (bf->ring.entries - 1)]];

		bf_shadow_release(bf, s, false);
		shadow_put(bf, s);
		memset(sv_ring_slot(bf->ring.s, bf->ring.entries, bf->ring.slot_size, idx), 0,
		       sizeof(union blkif_slot));
	}
	bf->ring.req_prod_pvt = start;
}

int bf_build(struct blkfront *bf, uint32_t oi, uint8_t wire, uint64_t sector, uint8_t *buf,
	     size_t len, uint64_t seq)
{
	size_t nreq = 1, npages = 0, off = 0;
	uint32_t start, pending = bf->opv[oi].pending;
	int ret = 0;

	if (wire == BLKIF_OP_READ || wire == BLKIF_OP_WRITE)
		plan(bf, buf, len, &nreq, &npages);
	/* Checked up front so an operation goes in whole or not at all. */
	if (nreq > bf->nr_shadow || (bf_persistent(bf) && npages > bf->pool_cap))
		return -E2BIG;
	if (nreq > bf->shadow_nfree || nreq > sv_front_free_slots(&bf->ring) ||
	    (bf_persistent(bf) && npages > bf->pool_top + (bf->pool_cap - bf->pool_total)))
		return -EAGAIN;
	start = bf->ring.req_prod_pvt;
	do {
		struct bf_shadow *s = shadow_get(bf);
		union blkif_slot *slot;
		size_t used = len;

		bf->slot_shadow[bf->ring.req_prod_pvt & (bf->ring.entries - 1)] =
			(uint32_t)(s - bf->shadow);
		slot = sv_front_next_req(&bf->ring);
		memset(slot, 0, sizeof(*slot));
		slot->req.id = shadow_id(bf, s); /* same offset in every request layout */
		s->op = oi;
		s->seq = seq;
		s->sector = sector + (off >> BF_SECTOR_SHIFT);
		s->data_op = BF_NO_DATA;
		bf->opv[oi].pending++;
		bf->stats.requests++;
		if (wire == BLKIF_OP_READ || wire == BLKIF_OP_WRITE) {
			s->data_op = wire;
			ret = build_rw(bf, s, slot, s->sector, buf + off, len - off, &used);
			if (ret)
				goto out;
		} else if (wire == BLKIF_OP_DISCARD) {
			slot->discard.operation = wire;
			slot->discard.sector_number = sector;
			slot->discard.nr_sectors = len >> BF_SECTOR_SHIFT;
			s->operation = wire;
			s->len = len;
		} else {
			slot->req.operation = wire;
			s->operation = wire;
		}
		off += used;
	} while (off < len);
out:
	if (ret) {
		rollback(bf, start);
		bf->opv[oi].pending = pending;
		/* Grants run out while others are in flight: their completion frees some. */
		if ((ret == -ENOSPC || ret == -ENOMEM) && bf->ops_inflight > 1)
			ret = -EAGAIN;
	}
	return ret;
}

void bf_ring_release(struct blkfront *bf)
{
	bool leak = false;

	for (uint32_t i = 0; i < bf->ring_pages; i++) {
		if (bf->ops->end_grant(bf->opaque, bf->ring_refs[i])) {
			bf->stats.grant_busy++;
			leak = true;
		}
	}
	/* A page the backend still maps is never handed back to the allocator. */
	if (bf->ring_mem && !leak)
		bf_free_ring_pages(bf, bf->ring_mem, bf->ring_pages, bf->ring_contig);
	for (uint32_t i = 0; bf->pool && i < bf->pool_top; i++) {
		if (bf->ops->end_grant(bf->opaque, bf->pool[i].ref))
			bf->stats.grant_busy++;
		else
			bf->ops->free_page(bf->opaque, bf->pool[i].page);
	}
	bf->pool_top = bf->pool_total = 0;
	bf->ring_mem = NULL;
	bf->ring_pages = 0;
	memset(&bf->ring, 0, sizeof(bf->ring));
	bf->pushed = 0;
}

/* ---- pushing requests ---- */

void blkfront_kick(struct blkfront *bf)
{
	if (!bf || bf->state != BF_CONNECTED || bf->ring.req_prod_pvt == bf->pushed)
		return;
	for (; bf->pushed != bf->ring.req_prod_pvt; bf->pushed++)
		bf->shadow[bf->slot_shadow[bf->pushed & (bf->ring.entries - 1)]].pushed = true;
	if (sv_front_push_requests(&bf->ring)) {
		bf->stats.notifications++;
		bf->ops->notify(bf->opaque);
	}
}
