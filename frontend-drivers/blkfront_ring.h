/* SPDX-License-Identifier: MIT */
/*
 * blkfront's internals: the request layer (blkfront_ring.c) serves the ring
 * engine (blkfront.c) and its reconnect logic (blkfront_recover.c); outside
 * frontend-drivers/ only the guest's hostile apps include it, to forge requests.
 */
#ifndef SV_BLKFRONT_RING_H
#define SV_BLKFRONT_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blkfront.h"

#define BF_PAGE_SIZE	   4096u
#define BF_PAGE_MASK	   ((uintptr_t)BF_PAGE_SIZE - 1)
#define BF_SECTOR_SHIFT	   9
#define BF_PERSISTENT_MAX  (32u * BLKIF_MAX_SEGMENTS_PER_REQUEST) /* as Linux */
#define BF_MAX_SECTOR_SIZE 4096u

/* A granted page: a bounce page of the persistent pool or an indirect page. */
struct bf_pgnt {
	void *page;
	uint32_t ref;
};

struct bf_op {
	blkfront_done_fn *done;
	void *arg;
	uint32_t pending; /* requests not yet answered */
	int status;	  /* the first error */
	uint32_t next_free;
};

struct bf_shadow {
	uint64_t seq;	 /* the operation's submission order: re-issue keeps it */
	uint64_t sector; /* where this request starts, to build it again */
	uint32_t gen;
	bool inuse;
	bool pushed;	   /* the backend can see it */
	uint8_t operation; /* as sent: the response must echo it */
	uint8_t data_op;   /* READ or WRITE for segment-carrying requests */
	uint16_t nr_segs;
	uint16_t nr_ind;
	uint32_t op;  /* index into opv */
	uint8_t *buf; /* the caller's bytes this request covers */
	size_t len;
	uint32_t *grefs;    /* direct mode: one data grant per segment */
	struct bf_pgnt *pg; /* persistent mode: one bounce page per segment */
	/* Indirect pages: direct mode owns them and grants them per request. */
	void *ind_pages[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	struct bf_pgnt ind[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	uint32_t next_free;
};

/*
 * CREATED: a ring, no backend yet (again after blkfront_new_ring). BROKEN: the
 * backend broke the ring; nothing is read from it any more, requests wait for
 * blkfront_suspend. SUSPENDED: no ring; unanswered requests wait in saved.
 */
enum bf_state { BF_CREATED, BF_CONNECTED, BF_BROKEN, BF_SUSPENDED, BF_DEAD };

/* A request without a response, kept over a reconnect (blkfront_recover.c). */
struct bf_saved {
	uint64_t seq;
	uint64_t sector;
	uint8_t *buf;
	size_t len;
	uint32_t op;	/* index into opv */
	uint8_t wire;	/* READ, WRITE, FLUSH_DISKCACHE, WRITE_BARRIER or DISCARD */
	uint8_t caller; /* what the caller asked for (flush may have become a barrier) */
};

struct blkfront {
	const struct blkfront_ops *ops;
	void *opaque;
	enum bf_state state;
	struct sv_front_ring ring;
	void *ring_mem;
	uint32_t ring_pages;
	bool ring_contig; /* ring_mem came from ops->alloc_pages */
	uint32_t ring_refs[SV_BLKIF_MAX_RING_PAGES];
	uint32_t pushed; /* the request producer we published */

	struct blkfront_features f;
	uint32_t segs_per_req, ind_per_req;

	struct bf_shadow *shadow;
	/* Ring index -> shadow, private: the backend can rewrite the shared slots at will. */
	uint32_t *slot_shadow;
	uint32_t nr_shadow, shadow_free, shadow_nfree;
	uint32_t *gref_store;
	struct bf_pgnt *pg_store;

	/* Outlive a reconnect: sized for the largest ring, the saved requests name them. */
	struct bf_op *opv;
	uint32_t op_free, ops_inflight, opv_cap;
	uint64_t next_seq;

	struct bf_saved *saved; /* in submission order; [saved_next, nr_saved) not re-issued */
	uint32_t nr_saved, saved_next;
	bool resuming; /* the next blkfront_connect re-issues saved */

	struct bf_pgnt *pool; /* free bounce pages, LIFO */
	uint32_t pool_top, pool_total, pool_cap;

	struct blkfront_stats stats;
};

#define BF_NONE 0xffffffffu

/* blkfront_ring.c, for blkfront.c and blkfront_recover.c */
#define BF_NO_DATA 0xffu /* data_op of flush, barrier and discard */

static inline bool bf_persistent(const struct blkfront *bf)
{
	return bf->f.persistent;
}

void bf_end_grant(struct blkfront *bf, uint32_t ref);
void bf_shadow_release(struct blkfront *bf, struct bf_shadow *s, bool copy_back);
void bf_free_shadows(struct blkfront *bf);
void bf_free_ring_pages(struct blkfront *bf, void *mem, uint32_t n, bool contig);
/* Allocates and grants a ring of 1 << order pages; refs get its grants. */
int bf_ring_setup(struct blkfront *bf, uint32_t order, uint32_t *refs);
/* Ends the ring's and the pool's grants and frees them; what the backend still maps leaks. */
void bf_ring_release(struct blkfront *bf);
/* Sizes and allocates the shadows, operations and saved list for the connected ring. */
int bf_alloc_shadows(struct blkfront *bf);
/* Takes a free operation (the caller checked op_free) for done(arg). */
uint32_t bf_op_get(struct blkfront *bf, blkfront_done_fn *done, void *arg);
/* Frees operation i, then calls its done (which may submit again); returns 1. */
int bf_op_finish(struct blkfront *bf, uint32_t i);
/* Releases request s and drops it from its operation; 1 when that finished the operation. */
int bf_request_done(struct blkfront *bf, struct bf_shadow *s, int status);
/* Drops one request of an operation; 1 when that finished the operation. */
int bf_op_put_request(struct blkfront *bf, uint32_t oi, int status);
int bf_check_args(const struct blkfront *bf, int op, uint64_t sector, const void *buf, size_t len,
		  uint8_t *wire);
/*
 * Builds every request of [buf, buf + len) at sector for operation oi with
 * submission order seq; all or nothing (-EAGAIN: no room now).
 */
int bf_build(struct blkfront *bf, uint32_t oi, uint8_t wire, uint64_t sector, uint8_t *buf,
	     size_t len, uint64_t seq);

/* blkfront_recover.c, for blkfront.c */
/* Re-issues saved requests while the ring has room; completions of those that cannot go. */
int bf_replay(struct blkfront *bf);
/* Every saved request completes with err; how many operations finished. */
int bf_fail_saved(struct blkfront *bf, int err);

#endif
