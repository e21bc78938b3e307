// SPDX-License-Identifier: MIT
/*
 * blkfront across a backend that dies, closes or breaks the ring (blkfront.h,
 * "Reconnecting"): what Linux's blkfront_recover does, for our engine. Kept
 * apart from the ring engine (blkfront.c) because it touches the ring only
 * through bf_build and the release functions, and the engine never calls it
 * except to re-issue what is kept.
 *
 * What survives a reconnect is the operation table (opv: the callers' done
 * and arg, how many requests each still waits for) and one bf_saved per
 * request without a response, in submission order (seq, then sector for the
 * pieces of one operation). Everything that names the old ring or the old
 * backend goes: shadows, ring pages, data grants, the persistent pool. The
 * data comes from the caller's buffer again (it stays valid until done runs),
 * so a write re-issued through the new backend carries the same bytes, and a
 * kept request is rebuilt with whatever the new backend offers (it may split
 * differently). Data grants are not reused: the new backend has the same
 * domid, but a backend that broke the ring may still be mapping the old
 * ones, and an end_grant that fails leaves that grant (and its page) alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blkfront.h"
#include "blkfront_ring.h"

bool blkfront_broken(const struct blkfront *bf)
{
	return bf && bf->state == BF_BROKEN;
}

uint32_t blkfront_kept(const struct blkfront *bf)
{
	return bf ? bf->nr_saved - bf->saved_next : 0;
}

static bool saved_before(const struct bf_saved *a, const struct bf_saved *b)
{
	return a->seq < b->seq || (a->seq == b->seq && a->sector < b->sector);
}

/* Insertion sort: a ring holds at most a few hundred requests, and it is stable. */
static void sort_saved(struct bf_saved *v, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		struct bf_saved x = v[i];
		uint32_t j = i;

		for (; j && saved_before(&x, &v[j - 1]); j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

int blkfront_suspend(struct blkfront *bf)
{
	uint32_t n = 0, count;
	struct bf_saved *v;

	if (!bf || (bf->state != BF_CONNECTED && bf->state != BF_BROKEN && bf->state != BF_CREATED))
		return -EINVAL;
	count = bf->nr_saved - bf->saved_next;
	for (uint32_t i = 0; bf->shadow && i < bf->nr_shadow; i++)
		count += bf->shadow[i].inuse;
	v = calloc(count ? count : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; bf->shadow && i < bf->nr_shadow; i++) {
		struct bf_shadow *s = &bf->shadow[i];

		if (!s->inuse)
			continue;
		v[n++] = (struct bf_saved){
			.seq = s->seq,
			.sector = s->sector,
			.buf = s->buf,
			.len = s->len,
			.op = s->op,
			.wire = s->data_op != BF_NO_DATA ? s->data_op : s->operation,
		};
		/* Its grants end here (a busy one leaks); the bytes are still the caller's. */
		bf_shadow_release(bf, s, false);
		s->inuse = false;
	}
	for (uint32_t i = bf->saved_next; i < bf->nr_saved; i++)
		v[n++] = bf->saved[i];
	sort_saved(v, n);
	free(bf->saved);
	bf->saved = v;
	bf->nr_saved = n;
	bf->saved_next = 0;
	bf_ring_release(bf);
	bf_free_shadows(bf);
	bf->state = BF_SUSPENDED;
	bf->resuming = true;
	return 0;
}

int blkfront_new_ring(struct blkfront *bf, uint32_t ring_order, uint32_t *ring_refs)
{
	if (!bf || !ring_refs || bf->state != BF_SUSPENDED || ring_order > SV_BLKIF_MAX_RING_ORDER)
		return -EINVAL;
	return bf_ring_setup(bf, ring_order, ring_refs);
}

static void drop_saved(struct blkfront *bf)
{
	free(bf->saved);
	bf->saved = NULL;
	bf->nr_saved = bf->saved_next = 0;
}

int bf_replay(struct blkfront *bf)
{
	bool built = false;
	int done = 0, ret;

	while (bf->state == BF_CONNECTED && bf->saved_next < bf->nr_saved) {
		struct bf_saved *r = &bf->saved[bf->saved_next];
		uint32_t oi = r->op;
		uint8_t wire;

		/* The new backend may offer less: a smaller disk, no flush, read-only. */
		ret = bf_check_args(bf, r->wire, r->sector, r->buf, r->len, &wire);
		if (!ret)
			ret = bf_build(bf, oi, wire, r->sector, r->buf, r->len, r->seq);
		/* No room yet: completions make some, unless nothing is on the ring to complete. */
		if (ret == -EAGAIN && bf->shadow_nfree < bf->nr_shadow)
			break;
		bf->saved_next++;
		if (ret) {
			bf->stats.failed_pending++;
			done += bf_op_put_request(bf, oi, ret == -EOPNOTSUPP ? ret : -EIO);
			continue;
		}
		/* The kept request is now its new requests, which bf_build counted. */
		bf->opv[oi].pending--;
		bf->stats.reissued++;
		built = true;
	}
	if (bf->saved_next == bf->nr_saved)
		drop_saved(bf);
	if (built)
		blkfront_kick(bf);
	return done;
}

int bf_fail_saved(struct blkfront *bf, int err)
{
	struct bf_saved *v = bf->saved;
	uint32_t from = bf->saved_next, to = bf->nr_saved;
	int done = 0;

	/* Detached first: a completion may submit, and finds nothing half-done. */
	bf->saved = NULL;
	bf->nr_saved = bf->saved_next = 0;
	for (uint32_t i = from; i < to; i++)
		done += bf_op_put_request(bf, v[i].op, err);
	free(v);
	return done;
}

int blkfront_fail_pending(struct blkfront *bf, int err)
{
	if (!bf || (bf->state != BF_SUSPENDED && bf->state != BF_CREATED))
		return 0;
	bf->stats.failed_pending += bf->nr_saved - bf->saved_next;
	return bf_fail_saved(bf, err);
}
