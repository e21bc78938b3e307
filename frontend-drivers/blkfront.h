/* SPDX-License-Identifier: MIT */
/*
 * blkfront's ring engine: builds blkif requests from buffers, keeps a shadow
 * of each request in flight, grants (or copies through persistent grants) the
 * pages, and completes requests from responses. The guest kernel and the
 * host's unit tests both link it, each supplying the ops that grant pages and
 * notify the backend; of the C library it uses only calloc, free, memcpy,
 * memset and errno values, which the guest's libc/ provides under the same
 * names. The xenbus handshake is the caller's.
 */
#ifndef SV_BLKFRONT_H
#define SV_BLKFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitvisor/blkif.h>

struct blkfront_ops {
	/* A zeroed, page-aligned 4 KiB page, or NULL. */
	void *(*alloc_page)(void *opaque);
	void (*free_page)(void *opaque, void *page);
	/* Grants page to the backend; a ref or -errno. */
	int (*grant)(void *opaque, void *page, bool readonly);
	/* Revokes a ref; -EBUSY while the backend still maps it. */
	int (*end_grant)(void *opaque, uint32_t ref);
	/* Raises the backend's event channel. */
	void (*notify)(void *opaque);
	/*
	 * Optional: n physically contiguous zeroed pages for a multi-page ring
	 * (and their release). Without them, blkfront_create takes n single
	 * pages and accepts them only if they happen to be adjacent.
	 */
	void *(*alloc_pages)(void *opaque, uint32_t n);
	void (*free_pages)(void *opaque, void *pages, uint32_t n);
};

/* What the backend offered (its xenstore keys). */
struct blkfront_features {
	uint64_t sectors; /* 512-byte sectors */
	uint32_t sector_size;
	bool readonly;
	bool flush, barrier, discard, persistent;
	uint32_t max_indirect_segments; /* 0: none */
	uint32_t max_ring_order;
};

/* What happened so far; the refusals count a hostile or broken backend's doing. */
struct blkfront_stats {
	uint64_t ops, requests, indirect_requests, segments, responses;
	uint64_t notifications;	   /* kicks that had to raise the event channel */
	uint64_t bad_id;	   /* response id naming no shadow slot */
	uint64_t stale_id;	   /* response for a slot not in flight, or a duplicate */
	uint64_t bad_rsp_op;	   /* response whose operation differs from the request's */
	uint64_t ring_overflow;	   /* rsp_prod ran past our requests: ring declared broken */
	uint64_t grant_busy;	   /* grants the backend still used when ended: leaked */
	uint64_t persistent_pages; /* bounce pages granted so far */
	uint64_t persistent_reuse; /* bounce pages taken from the pool again */
	uint64_t bad_status;	   /* response status blkif does not define: ring declared broken */
	uint64_t broken;	   /* rings declared broken (bad id, bad status, overflow) */
	uint64_t reconnects;	   /* new rings connected after a backend loss */
	uint64_t reissued;	   /* requests kept over a reconnect and sent again */
	uint64_t failed_pending;   /* kept requests failed: the backend did not come back */
};

typedef void blkfront_done_fn(void *arg, int status); /* 0 or -EIO / -EOPNOTSUPP / -ENODEV */

struct blkfront;

/*
 * Allocates and grants the ring (1 << ring_order pages, contiguous) and
 * returns its refs for the ring-ref keys; the caller publishes them with the
 * event channel. 0 or -errno.
 */
int blkfront_create(struct blkfront **out, const struct blkfront_ops *ops, void *opaque,
		    uint32_t ring_order, uint32_t *ring_refs);
/* The backend is Connected: use what it offered. */
int blkfront_connect(struct blkfront *bf, const struct blkfront_features *f);

/*
 * Queues one operation: read/write of len bytes (a multiple of 512, buf
 * 512-aligned) at sector, flush (buf NULL, len 0) or discard (len bytes, buf
 * NULL). Splits into as many requests as needed (indirect when offered).
 * -EAGAIN when the ring has no room (poll, then retry), -EINVAL for bad
 * arguments, -EROFS for a write to a read-only disk, -EOPNOTSUPP for an
 * operation the backend does not offer, -ENOTCONN while the ring is broken or
 * suspended, -EAGAIN too while requests kept over a reconnect wait for room.
 * done runs from blkfront_poll (or from blkfront_connect, for a kept request
 * the new backend cannot take).
 */
int blkfront_submit(struct blkfront *bf, int op, uint64_t sector, void *buf, size_t len,
		    blkfront_done_fn *done, void *arg);
/* Pushes queued requests and notifies if the event index asks for it. */
void blkfront_kick(struct blkfront *bf);
/*
 * Consumes responses and runs completions; returns how many operations
 * completed. When it returns 0, the final check has armed rsp_event: sleep
 * on the event channel.
 */
int blkfront_poll(struct blkfront *bf);
/* Operations in flight. */
uint32_t blkfront_inflight(const struct blkfront *bf);
/*
 * The largest read/write blkfront_submit accepts once connected (larger
 * ones get -E2BIG): what the ring, the segments per request and the
 * persistent pool can hold at once. 0 before blkfront_connect.
 */
size_t blkfront_max_op_bytes(const struct blkfront *bf);
void blkfront_get_stats(const struct blkfront *bf, struct blkfront_stats *out);
/* Gives up for good: every operation in flight or kept completes with -ENODEV. */
void blkfront_fail_all(struct blkfront *bf);

/*
 * Reconnecting to a backend that died, closed or broke the ring (the contract
 * is in docs/abi.md, "Backend loss"). blkfront_broken says the backend broke
 * the protocol (a response id we never made, a status blkif does not define,
 * a response producer past our requests): nothing more is read from the ring
 * and nothing completes until the caller reconnects.
 *
 * blkfront_suspend stops using the ring: every request without a response is
 * kept, in submission order, with its operation; the data grants, the
 * persistent pool and the ring end (a grant the old backend still maps is
 * leaked, counted in grant_busy, never reused). blkfront_new_ring makes and
 * grants a fresh ring (new refs) for the next backend, and the following
 * blkfront_connect re-issues the kept requests in their order before anything
 * submitted later (which gets -EAGAIN until they are all on the ring). A
 * request that was answered is never sent again; a flush kept behind writes
 * stays behind them. blkfront_fail_pending completes the kept requests with
 * err (the backend did not come back in time); the device itself stays.
 */
bool blkfront_broken(const struct blkfront *bf);
/* 0, or -EINVAL when there is no ring to stop (already suspended, dead). */
int blkfront_suspend(struct blkfront *bf);
/* 0 or -errno; only after blkfront_suspend. */
int blkfront_new_ring(struct blkfront *bf, uint32_t ring_order, uint32_t *ring_refs);
/* Operations that finished (all with err). */
int blkfront_fail_pending(struct blkfront *bf, int err);
/* Requests kept and not yet re-issued. */
uint32_t blkfront_kept(const struct blkfront *bf);
/* Revokes every grant (the backend must have unmapped) and frees everything. */
void blkfront_destroy(struct blkfront *bf);

#endif
