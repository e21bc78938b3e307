/* SPDX-License-Identifier: MIT */
/*
 * netfront's ring engine: puts frames on the netif TX ring through a pool of
 * buffer pages granted once, keeps the RX ring full of posted pages granted
 * once, reassembles the frames the backend writes there and hands them to the
 * caller, and checks every response the backend makes. The guest kernel and
 * the host's unit tests both link it, each supplying the ops that grant pages
 * and notify the backend; of the C library it uses only calloc, free, memcpy,
 * memset and errno values, as blkfront does. The xenbus handshake is the
 * caller's.
 */
#ifndef SV_NETFRONT_H
#define SV_NETFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitvisor/netif.h>

/* The rings' slots (NETIF_TX/RX_RING_ENTRIES, as constants for array sizes). */
#define NETFRONT_RING_SLOTS 256u
/* TX buffer pages, each one slot's part of a frame; fewer than the ring's slots. */
#define NETFRONT_TX_POOL 128u
/* RX pages posted: one per slot of the RX ring. */
#define NETFRONT_RX_BUFS NETFRONT_RING_SLOTS

struct netfront_ops {
	/* A zeroed, page-aligned 4 KiB page, or NULL. */
	void *(*alloc_page)(void *opaque);
	void (*free_page)(void *opaque, void *page);
	/* Grants page to the backend; a ref or -errno. */
	int (*grant)(void *opaque, void *page, bool readonly);
	/* Revokes a ref; -EBUSY while the backend still maps it. */
	int (*end_grant)(void *opaque, uint32_t ref);
	/* Raises the backend's event channel (one for both rings). */
	void (*notify)(void *opaque);
};

/* What the backend offered (its xenstore keys). */
struct netfront_features {
	bool sg;      /* feature-sg: a frame may take several TX slots */
	uint32_t mtu; /* 0: NETIF_MTU_DEFAULT */
};

/* What happened so far; the refusals count a hostile or broken backend's doing. */
struct netfront_stats {
	uint64_t tx_frames, tx_bytes; /* accepted by a send */
	uint64_t tx_slots;	      /* TX requests made */
	uint64_t rx_frames, rx_bytes; /* delivered to rx_fn */
	uint64_t rx_slots;	      /* RX responses consumed */
	uint64_t notifications;	      /* kicks that had to raise the event channel */
	uint64_t tx_busy;	      /* sends refused with -EAGAIN */
	uint64_t bad_id;	      /* response id naming no buffer */
	uint64_t stale_id;	      /* id of a buffer not in flight, a duplicate, or not the
				       * one posted in that RX slot */
	uint64_t bad_rsp;	      /* a field out of range: status, offset + size past the
				       * page, an unknown extra */
	uint64_t rx_errors;	      /* RX frames dropped: error status, a bad slot, too long,
				       * too many slots, too short */
	uint64_t tx_errors;	      /* TX slots the backend answered with an error */
	uint64_t ring_overflow;	      /* a response producer jumped: that ring is broken */
	uint64_t grants_leaked;	      /* grants the backend still held when we ended them */
	uint64_t tx_dropped;	      /* TX slots unanswered at a suspend: not sent again */
	uint64_t reconnects;	      /* netfront_resume calls that made new rings */
};

/* One frame of a batch. */
struct netfront_frame {
	const void *data;
	size_t len;
};

/* Flags rx_fn gets, from the backend's NETRXF_*. */
#define NETFRONT_RX_CSUM_BLANK (1u << 0) /* the L4 checksum is not filled in */
#define NETFRONT_RX_VALIDATED  (1u << 1) /* the backend checked the L4 checksum */

/*
 * A received frame, in netfront's private copy: valid only during the call.
 * It may send (the TX side is separate) but must not poll or destroy.
 */
typedef void netfront_rx_fn(void *arg, const uint8_t *frame, size_t len, unsigned int flags);

struct netfront;

/*
 * Allocates and grants both ring pages, the TX pool and the RX pages, and
 * posts the RX pages (pushed without a notification: a backend looks at the
 * RX ring when it has a frame to deliver). The caller publishes the ring refs
 * (netfront_ring_refs) and the event channel. f may be NULL (no sg, MTU 1500).
 * 0 or -EINVAL, -ENOMEM, or the grant's error.
 */
int netfront_create(const struct netfront_ops *ops, void *opaque, const struct netfront_features *f,
		    struct netfront **out);
void netfront_ring_refs(const struct netfront *nf, uint32_t *tx_ref, uint32_t *rx_ref);
/* The largest frame a send takes: mtu + 14 (at most a page) without sg, else 0xFFFF. */
size_t netfront_max_frame(const struct netfront *nf);

/*
 * Copies frame (an Ethernet frame, 14..netfront_max_frame bytes) into pool
 * pages and queues it without pushing: the "more coming" send. -EAGAIN when
 * the ring or the pool is full even after reaping TX responses (poll, wait,
 * retry), -EMSGSIZE for a frame too long or too short, -EIO once a ring is
 * broken, -ENODEV after netfront_disconnect.
 */
int netfront_queue(struct netfront *nf, const void *frame, size_t len);
/* Pushes what was queued; notifies when the backend's event index asks for it. */
void netfront_kick(struct netfront *nf);
/* netfront_queue then netfront_kick. */
int netfront_send(struct netfront *nf, const void *frame, size_t len);
/*
 * Queues frames in order until one does not fit, then pushes once, so a
 * burst costs at most one notification. How many were queued, or the first
 * frame's error when none was.
 */
int netfront_send_batch(struct netfront *nf, const struct netfront_frame *frames, size_t n);

/*
 * Reaps TX responses (their pool pages come free), delivers each complete RX
 * frame to rx_fn, posts the consumed RX pages again and, once nothing is left,
 * arms both rings' rsp_event with the final check: sleep on the event channel
 * when it returns 0. Returns how many responses and frames it handled
 * (bounded, so a backend that never stops cannot hold us here; call again
 * while it is > 0), -EBUSY when called from rx_fn, -EIO once a ring is broken.
 */
int netfront_poll(struct netfront *nf, netfront_rx_fn *rx_fn, void *arg);
/* TX slots the backend has not answered yet. */
uint32_t netfront_tx_inflight(const struct netfront *nf);
void netfront_get_stats(const struct netfront *nf, struct netfront_stats *out);
/* The backend went away for good: sends get -ENODEV, polls do nothing. */
void netfront_disconnect(struct netfront *nf);

/*
 * Reconnecting (docs/abi.md, "Backend loss"). netfront_broken says a ring was
 * broken by the backend (a response producer past our requests): polls and
 * sends say -EIO until the caller reconnects. netfront_suspend stops using
 * the rings: TX slots not answered yet are dropped (counted in tx_dropped;
 * a network may drop), and every grant ends (one the old backend still maps
 * is leaked, counted, never reused); sends get -ENOTCONN. netfront_resume
 * makes and grants new rings, TX pool and RX pages for the next backend and
 * posts every RX page again (publish netfront_ring_refs anew); statistics
 * carry over. 0 or -errno (-EINVAL when not suspended / not up).
 */
bool netfront_broken(const struct netfront *nf);
int netfront_suspend(struct netfront *nf);
int netfront_resume(struct netfront *nf, const struct netfront_features *f);
/*
 * Revokes every grant and frees what it can. A grant the backend still maps
 * is counted and its page is never freed (nor reused), after XSA-396. Returns
 * how many grants were leaked so; accepts NULL.
 */
uint32_t netfront_destroy(struct netfront *nf);

#endif
