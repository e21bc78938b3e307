// SPDX-License-Identifier: MIT
/*
 * blkback's persistent grants (Xen's feature-persistent): a frontend that
 * reuses its data pages lets them stay mapped between requests, in a per-device
 * table of at most PGRANT_MAX entries hashed by ref and evicted least recently
 * used when idle. Only map mode has them: a copy is never kept.
 */
#include <errno.h>

#include "blkback_priv.h"

static uint32_t pg_hash(uint32_t ref)
{
	return (ref * 2654435761u) >> 21; /* 11 bits: PGRANT_BUCKETS */
}

static int32_t pg_lookup(struct blkback *b, uint32_t ref)
{
	int32_t i = b->pg_bucket[pg_hash(ref)];

	while (i >= 0 && b->pg[i].ref != ref)
		i = b->pg[i].hnext;
	return i;
}

static void pg_unhash(struct blkback *b, int32_t idx)
{
	int32_t *link = &b->pg_bucket[pg_hash(b->pg[idx].ref)];

	while (*link != idx)
		link = &b->pg[*link].hnext;
	*link = b->pg[idx].hnext;
}

/* A free entry, or the least recently used idle one unmapped; -1 when all are busy. */
static int32_t pg_alloc(struct blkback *b)
{
	int32_t victim = -1;
	uint32_t i;

	if (b->pg_count < PGRANT_MAX)
		return (int32_t)b->pg_count++;
	for (i = 0; i < PGRANT_MAX; i++)
		if (!b->pg[i].users && (victim < 0 || b->pg[i].stamp < b->pg[victim].stamp))
			victim = (int32_t)i;
	/* A placeholder left by a failed map (page NULL) is neither hashed nor mapped. */
	if (victim >= 0 && b->pg[victim].page) {
		pg_unhash(b, victim);
		gnt_unmap(b->p.mapper, b->p.granter, b->pg[victim].ref, b->pg[victim].readonly);
	}
	return victim;
}

/* Gives a free entry back: only the last one can be, so the table stays dense. */
static void pg_free_new(struct blkback *b, int32_t idx)
{
	if ((uint32_t)idx == b->pg_count - 1) {
		b->pg_count--;
		return;
	}
	/* An evicted entry in the middle: keep it as an idle placeholder, reused first. */
	b->pg[idx] = (struct pgrant){ .hnext = -1 };
}

int blk_pgrant_map(struct blkback *b, struct blk_seg *s, bool to_guest, void **page)
{
	int32_t idx = pg_lookup(b, s->gref);
	bool ro = false;
	int ret;

	if (idx >= 0 && (!to_guest || !b->pg[idx].readonly)) {
		b->pg[idx].users++;
		b->pg[idx].stamp = ++b->clock;
		b->st.persistent_hits++;
		s->pidx = idx;
		*page = b->pg[idx].page;
		return 0;
	}
	if (idx >= 0)
		return 1; /* cached read-only, wanted writable: a transient map decides */
	idx = pg_alloc(b);
	if (idx < 0)
		return 1; /* every entry busy: transient */
	/* Writable when the grant allows, so that later reads into the page hit too. */
	ret = gnt_map(b->p.mapper, b->p.granter, s->gref, false, page);
	if (ret == -EACCES && !to_guest) {
		ro = true;
		ret = gnt_map(b->p.mapper, b->p.granter, s->gref, true, page);
	}
	if (ret) {
		pg_free_new(b, idx);
		return ret;
	}
	b->pg[idx] = (struct pgrant){ .ref = s->gref,
				      .readonly = ro,
				      .users = 1,
				      .stamp = ++b->clock,
				      .page = *page,
				      .hnext = b->pg_bucket[pg_hash(s->gref)] };
	b->pg_bucket[pg_hash(s->gref)] = idx;
	b->st.persistent_maps++;
	s->pidx = idx;
	return 0;
}

void blk_pgrant_unmap_all(struct blkback *b)
{
	uint32_t i;

	for (i = 0; i < b->pg_count; i++)
		if (b->pg[i].page)
			gnt_unmap(b->p.mapper, b->p.granter, b->pg[i].ref, b->pg[i].readonly);
}
