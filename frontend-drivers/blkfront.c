// SPDX-License-Identifier: MIT
/*
 * blkfront's ring engine (see blkfront.h).
 *
 * Every request in flight has a shadow entry; the request id is the shadow's
 * index in the low 32 bits and the shadow's generation in the high 32. The
 * generation moves on at every completion, so a response for a slot that is
 * not in flight, a duplicate or an invented id is counted and dropped instead
 * of completing someone else's I/O. The backend is never trusted: responses
 * are copied out of the ring once, and a response producer that runs past our
 * requests breaks the ring (every operation fails with -EIO) rather than
 * making us loop over garbage.
 *
 * An operation is split into requests of at most segs_per_req segments
 * (BLKIF_OP_INDIRECT beyond 11 when the backend offers it); each request has
 * its own shadow pointing at the operation, which completes when its last
 * request does, with the first error.
 *
 * Data pages: without persistent grants each page of the caller's buffer is
 * granted for the request (read-only for writes) and the grant ends at
 * completion. With persistent grants the backend keeps a pool of our bounce
 * pages mapped; we copy through them and reuse them LIFO, so the hottest page
 * is the one the backend most likely still has mapped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blkfront.h"
#include "blkfront_ring.h"

/* ---- create ---- */

int blkfront_create(struct blkfront **out, const struct blkfront_ops *ops, void *opaque,
		    uint32_t ring_order, uint32_t *ring_refs)
{
	struct blkfront *bf;
	int ret;

	if (!out || !ops || !ops->alloc_page || !ops->free_page || !ops->grant || !ops->end_grant ||
	    !ops->notify || !ring_refs || ring_order > SV_BLKIF_MAX_RING_ORDER)
		return -EINVAL;
	bf = calloc(1, sizeof(*bf));
	if (!bf)
		return -ENOMEM;
	bf->ops = ops;
	bf->opaque = opaque;
	ret = bf_ring_setup(bf, ring_order, ring_refs);
	if (ret) {
		free(bf);
		return ret;
	}
	*out = bf;
	return 0;
}

/* ---- connect: size the shadows by what the backend offered ---- */
int blkfront_connect(struct blkfront *bf, const struct blkfront_features *f)
{
	uint32_t segs = BLKIF_MAX_SEGMENTS_PER_REQUEST;
	int ret;

	if (!bf || !f)
		return -EINVAL;
	if (bf->state != BF_CREATED)
		return -EISCONN;
	bf->f = *f;
	bf->ind_per_req = 0; /* a new backend may offer fewer indirect segments */
	if (!bf->f.sector_size)
		bf->f.sector_size = BLKIF_SECTOR_SIZE;
	if (bf->f.sector_size % BLKIF_SECTOR_SIZE || bf->f.sector_size > BF_MAX_SECTOR_SIZE)
		return -EINVAL;
	if (f->max_indirect_segments > segs) {
		segs = f->max_indirect_segments;
		if (segs > SV_BLKIF_MAX_INDIRECT_SEGMENTS)
			segs = SV_BLKIF_MAX_INDIRECT_SEGMENTS;
		bf->ind_per_req =
			(segs + BLKIF_SEGS_PER_INDIRECT_FRAME - 1) / BLKIF_SEGS_PER_INDIRECT_FRAME;
	}
	bf->segs_per_req = segs;
	bf->nr_shadow = bf->ring.entries;
	/* At least one request's worth, or a big request could never be built. */
	bf->pool_cap = BF_PERSISTENT_MAX;
	if (bf->pool_cap < segs + bf->ind_per_req)
		bf->pool_cap = segs + bf->ind_per_req;
	ret = bf_alloc_shadows(bf);
	if (ret) {
		bf_free_shadows(bf);
		return ret;
	}
	bf->state = BF_CONNECTED;
	if (bf->resuming) {
		bf->resuming = false;
		bf->stats.reconnects++;
		bf_replay(bf);
	}
	return 0;
}

/* ---- submitting and completing operations ---- */

int blkfront_submit(struct blkfront *bf, int op, uint64_t sector, void *buf, size_t len,
		    blkfront_done_fn *done, void *arg)
{
	uint32_t oi;
	uint8_t wire;
	int ret;

	if (!bf)
		return -EINVAL;
	if (bf->state == BF_DEAD)
		return -ENODEV;
	if (bf->state != BF_CONNECTED)
		return -ENOTCONN;
	ret = bf_check_args(bf, op, sector, buf, len, &wire);
	if (ret)
		return ret;
	/* Requests kept over a reconnect go first: a flush must not overtake them. */
	if (bf->saved_next < bf->nr_saved || bf->op_free == BF_NONE)
		return -EAGAIN;
	oi = bf_op_get(bf, done, arg);
	ret = bf_build(bf, oi, wire, sector, buf, len, bf->next_seq);
	if (ret) {
		bf->opv[oi].done = NULL;
		bf_op_finish(bf, oi);
		return ret;
	}
	bf->next_seq++;
	bf->stats.ops++;
	return 0;
}

/* Every request in flight or kept completes with err; the ring is not used again. */
static int fail_all(struct blkfront *bf, int err)
{
	int done = 0;

	/* First, so a completion that submits again is refused. */
	bf->state = BF_DEAD;
	for (uint32_t i = 0; bf->shadow && i < bf->nr_shadow; i++) {
		if (bf->shadow[i].inuse)
			done += bf_request_done(bf, &bf->shadow[i], err);
	}
	return done + bf_fail_saved(bf, err);
}

/* The backend broke the protocol: stop reading its ring, keep every request for a reconnect. */
static void ring_broken(struct blkfront *bf)
{
	bf->state = BF_BROKEN;
	bf->stats.broken++;
}

static bool rsp_status_valid(int16_t st)
{
	return st == BLKIF_RSP_OKAY || st == BLKIF_RSP_ERROR || st == BLKIF_RSP_EOPNOTSUPP;
}

static int rsp_status(int16_t st)
{
	if (st == BLKIF_RSP_OKAY)
		return 0;
	return st == BLKIF_RSP_EOPNOTSUPP ? -EOPNOTSUPP : -EIO;
}

/* One response, copied out of the ring already; 1 when it finished an operation. */
static int handle_response(struct blkfront *bf, const struct blkif_response *rsp)
{
	uint32_t idx = (uint32_t)rsp->id, gen = (uint32_t)(rsp->id >> 32);
	struct bf_shadow *s;
	int status;

	bf->stats.responses++;
	/* An id we never made, or a status blkif has no word for: nothing it says is trusted. */
	if (idx >= bf->nr_shadow) {
		bf->stats.bad_id++;
		ring_broken(bf);
		return 0;
	}
	if (!rsp_status_valid(rsp->status)) {
		bf->stats.bad_status++;
		ring_broken(bf);
		return 0;
	}
	s = &bf->shadow[idx];
	/* Not in flight: free, already answered (the generation moved), or never pushed. */
	if (!s->inuse || !s->pushed || s->gen != gen) {
		bf->stats.stale_id++;
		return 0;
	}
	status = rsp_status(rsp->status);
	/* An indirect request is answered as the read or write it carries, as Xen's blkback does. */
	if (rsp->operation != (s->operation == BLKIF_OP_INDIRECT ? s->data_op : s->operation)) {
		bf->stats.bad_rsp_op++;
		status = -EIO;
	}
	return bf_request_done(bf, s, status);
}

int blkfront_poll(struct blkfront *bf)
{
	int done = 0;

	if (!bf || bf->state != BF_CONNECTED)
		return 0;
	do {
		uint32_t prod = __atomic_load_n(&bf->ring.s->rsp_prod, __ATOMIC_ACQUIRE);

		/* More responses than requests we pushed: the backend is broken or hostile. */
		if ((uint32_t)(prod - bf->ring.rsp_cons) >
		    (uint32_t)(bf->pushed - bf->ring.rsp_cons)) {
			bf->stats.ring_overflow++;
			ring_broken(bf);
			return done;
		}
		while (bf->ring.rsp_cons != prod) {
			struct blkif_response rsp;

			/* Copied once: the backend may rewrite the slot under us. */
			memcpy(&rsp, sv_front_rsp(&bf->ring, bf->ring.rsp_cons), sizeof(rsp));
			bf->ring.rsp_cons++;
			done += handle_response(bf, &rsp);
			if (bf->state !=
			    BF_CONNECTED) /* broken, or a completion failed everything */
				return done;
		}
	} while (sv_front_final_check(&bf->ring));
	/* Room freed: requests kept over a reconnect that did not fit go now. */
	if (bf->saved_next < bf->nr_saved)
		done += bf_replay(bf);
	return done;
}

uint32_t blkfront_inflight(const struct blkfront *bf)
{
	return bf ? bf->ops_inflight : 0;
}

size_t blkfront_max_op_bytes(const struct blkfront *bf)
{
	size_t segs, per_req;

	if (!bf || bf->state != BF_CONNECTED)
		return 0;
	segs = (size_t)bf->nr_shadow * bf->segs_per_req;
	if (bf_persistent(bf)) {
		/* Whole requests, each with its indirect pages, inside the pool. */
		per_req = bf->segs_per_req + bf->ind_per_req;
		if (segs > bf->pool_cap / per_req * bf->segs_per_req)
			segs = bf->pool_cap / per_req * bf->segs_per_req;
		return segs * BF_PAGE_SIZE;
	}
	/* A buffer that does not start on a page boundary spans one page more. */
	return (segs - 1) * BF_PAGE_SIZE;
}

void blkfront_get_stats(const struct blkfront *bf, struct blkfront_stats *out)
{
	*out = bf->stats;
}

void blkfront_fail_all(struct blkfront *bf)
{
	if (bf)
		fail_all(bf, -ENODEV);
}

void blkfront_destroy(struct blkfront *bf)
{
	if (!bf)
		return;
	fail_all(bf, -ENODEV);
	bf_ring_release(bf);
	bf_free_shadows(bf);
	free(bf->opv);
	free(bf->saved);
	free(bf);
}
