/* SPDX-License-Identifier: MIT */
/*
 * blkback's insides, shared by blkback.c (the ring, validation, ordering) and
 * blk_copy.c (copy mode's bounce pages and grant-copy batches) and by no
 * other file: a request as blkback keeps it from the ring to its response,
 * and the device.
 */
#ifndef SV_BLKBACK_PRIV_H
#define SV_BLKBACK_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <splitvisor/blkif.h>
#include <splitvisor/ring.h>

#include "blk_io.h"
#include "blkback.h"
#include "log.h"

#define PAGE_SIZE      4096u
#define PGRANT_MAX     1056u /* 32 requests x 11 segments x 3, as a per-device cap */
#define PGRANT_BUCKETS 2048u
#define REAP_BATCH     64
#define MAX_REQ_SEGS   SV_BLKIF_MAX_INDIRECT_SEGMENTS

/* A persistently mapped grant: stays mapped until evicted or the device closes. */
struct pgrant {
	uint32_t ref;
	bool readonly;
	uint32_t users; /* segments in flight using it: never evicted then */
	uint64_t stamp; /* last use, for LRU eviction */
	void *page;
	int32_t hnext;
};

struct blk_seg {
	uint32_t gref;
	uint8_t first, last;
	bool readonly; /* how a transient map was made */
	int32_t pidx;  /* persistent entry, or -1: a transient map to undo */
};

enum breq_kind { RK_READ, RK_WRITE, RK_DISCARD, RK_FENCE };

/* A consumed request until its response is written. */
struct breq {
	uint64_t id;
	uint8_t operation; /* echoed in the response */
	uint8_t kind;
	bool to_guest; /* the guest's pages are written (a disk read) */
	bool fence;
	uint8_t stage; /* fence: 0 writing its data, 1 flushing */
	bool started;
	uint64_t sector;
	uint64_t nsect;
	uint32_t nr_segs, nr_mapped;
	struct blk_seg *segs;
	struct iovec *iov;
	struct blk_io_req io;
	int copy_err;	   /* copy mode: the first failed segment's status, or 0 */
	uint32_t copy_seg; /* ... and which segment it was */
	struct breq *next; /* free list, deferred queue or a copy list */
};

/* Requests in arrival order, linked through next. */
struct breq_list {
	struct breq *head, *tail;
};

struct blkback {
	struct blkback_params p;
	char name[64];
	char tag[80]; /* "blkback NAME": what its log lines start with */
	struct sv_back_ring ring;
	uint32_t ring_refs[SV_BLKIF_MAX_RING_PAGES];
	uint32_t nr_ring_mapped;
	struct blk_io *io;

	struct breq *reqs;
	uint32_t nr_reqs;
	uint32_t max_segs; /* per request: MAX_REQ_SEGS, or BLKBACK_COPY_MAX_SEGS copying */
	struct blk_seg *seg_pool;
	struct iovec *iov_pool;
	struct breq *free;
	struct breq *defer_head, *defer_tail;
	uint32_t started; /* handed to the engine, not finished */
	bool fence_active;
	bool need_submit;
	bool rsp_pending;
	uint32_t inflight; /* consumed, not answered */
	bool dead;
	bool stop;		 /* blkback_request_stop: set by another thread, read atomically */
	struct log_ratelimit rl; /* refusals; the device thread's alone */
	struct blkback_stats st;

	struct pgrant *pg;
	uint32_t pg_count;
	int32_t pg_bucket[PGRANT_BUCKETS];
	uint64_t clock;

	/* copy mode (blk_copy.c): the granter is remote, nothing of the guest is mapped */
	bool copy;
	uint8_t *bounce;	  /* max_segs pages per ring slot, request i's at i */
	size_t bounce_size;	  /* bytes */
	bool bounce_remote;	  /* from the granter's remote alloc, not mmap */
	struct gnt_copy_op *cops; /* one batch: nr_reqs * max_segs ops */
	struct breq_list staged;  /* validated this kick, waiting for their data */
	struct breq_list reads;	  /* read from the disk this reap, waiting to be copied out */
	uint32_t corrupt_seen;	  /* the fault generation last acted on */
};

static inline void breq_list_add(struct breq_list *l, struct breq *r)
{
	r->next = NULL;
	if (l->tail)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
}

/* Takes the whole list, leaving it empty. */
static inline struct breq *breq_list_take(struct breq_list *l)
{
	struct breq *r = l->head;

	l->head = l->tail = NULL;
	return r;
}

/*
 * A persistent map of s's grant (blk_pgrant.c): 0 with *page, 1 when a
 * transient map must do (every entry busy, or cached read-only and wanted
 * writable), or the map's -errno.
 */
int blk_pgrant_map(struct blkback *b, struct blk_seg *s, bool to_guest, void **page);
/* Unmaps every persistent grant (the device closes). */
void blk_pgrant_unmap_all(struct blkback *b);

/* Allocates the bounce pages and the batch (b->nr_reqs, b->max_segs set); 0 or -ENOMEM. */
int blk_copy_init(struct blkback *b);
void blk_copy_free(struct blkback *b);
/* Segment seg's bounce page of request r. */
void *blk_copy_page(struct blkback *b, struct breq *r, uint32_t seg);
/*
 * One gnt_copy_batch for the data of every request of list that has some in
 * this direction: to_guest copies the reads out (bounce -> grant), otherwise
 * the writes in (grant -> bounce). A request with a failed segment gets
 * copy_err and copy_seg; the others 0.
 */
void blk_copy_batch(struct blkback *b, struct breq *list, bool to_guest);

#endif
