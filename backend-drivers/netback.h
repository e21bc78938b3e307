/* SPDX-License-Identifier: MIT */
/*
 * netback: serves one vif's pair of netif rings (netif.h). It knows nothing
 * of xenstore, sockets or threads: the owner maps nothing itself, runs the
 * handshake, then calls netback_tx_kick when the frontend notified and
 * netback_rx_frame for each frame the switch has for the guest. Every ring
 * slot is copied out once and only the copy is validated; a bad frame gets
 * error responses, a log line and a counter, and a broken ring (or a frame
 * chain that never ends) disconnects the vif. Single-threaded: the caller
 * serialises every call on one vif; there are no locks inside.
 */
#ifndef SV_NETBACK_H
#define SV_NETBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grant_access.h"

struct backend_faults;

struct netback_params {
	const struct gnt_granter *granter; /* the frontend's memory and table; outlives the vif */
	struct gnt_mapper *mapper;
	uint32_t tx_ring_ref, rx_ring_ref;
	uint8_t mac[6]; /* the guest's address, for the owner and log lines: not filtered on */
	/*
	 * 0 means NETIF_MTU_DEFAULT. Without sg a frame is one slot of at most
	 * mtu + NETIF_ETH_HLEN bytes (and at most a page); with sg, up to
	 * NETIF_MAX_FRAME in chains of slots.
	 */
	uint32_t mtu;
	bool sg;		      /* the frontend's feature-sg: TX chains and multi-slot RX */
	void (*notify)(void *opaque); /* raise the frontend's event channel */
	/*
	 * A frame the guest sent, whole and contiguous; valid only during the
	 * call. It may call netback_rx_frame of any vif (a switch forwarding).
	 */
	void (*deliver)(void *opaque, const uint8_t *frame, size_t len);
	void *opaque;
	const char *name;		     /* for log lines, e.g. "vif 3.0" */
	const struct backend_faults *faults; /* the host's injected faults; NULL: none */
};

struct netback_stats {
	uint64_t tx_frames, tx_bytes, rx_frames, rx_bytes;
	uint64_t notifications_out, kicks;
	uint64_t copies;  /* grant copy operations, TX and RX */
	uint64_t batches; /* gnt_copy_batch calls */
	/* TX refusals: each frame got NETIF_RSP_ERROR (oversize: DROPPED) on its slots */
	uint64_t tx_zero_len;	    /* a slot carrying nothing: size 0, first part or fragment */
	uint64_t tx_oversize;	    /* over the frame limit */
	uint64_t tx_too_many_slots; /* a chain past NETIF_MAX_SLOTS_PER_FRAME: disconnected */
	uint64_t tx_bad_size;	    /* a runt, parts over the total, or a chain without sg */
	uint64_t tx_bad_offset;	    /* offset + part crosses the page */
	uint64_t tx_bad_grant;	    /* the data's grant copy failed */
	uint64_t tx_bad_extra;	    /* an extra info not offered (GSO) or of no known type */
	/* RX */
	uint64_t rx_no_buffer;	/* the guest had not posted enough buffers: frame dropped */
	uint64_t rx_bad_grant;	/* a posted buffer's grant copy failed: NETIF_RSP_ERROR */
	uint64_t rx_oversize;	/* a frame over the limit: dropped */
	uint64_t ring_overflow; /* a request producer jumped: disconnected */
};

struct netback;

/*
 * Maps both ring pages writable through the mapper (the grants are checked
 * there); err gets a sentence naming the ring-ref that was refused.
 */
int netback_open(struct netback **out, const struct netback_params *p, char *err, size_t errlen);
/*
 * Takes every TX request the frontend produced, copies the frames out of the
 * granted pages (one gnt_copy_batch per batch of frames), hands each good one
 * to deliver, answers every slot, notifies when rsp_event asks, and re-arms
 * req_event with the final check, looping while more arrived. A frame whose
 * slots are not all published yet is left for the next kick. 0; 1 when the
 * guest kept producing past the kick's budget (a few rings' worth): call again
 * after serving the others, no notification will come for what is waiting; or
 * -EPROTO when the vif is disconnected (a producer jump or an endless chain,
 * now or before): later calls do nothing.
 */
int netback_tx_kick(struct netback *nb);
/*
 * Copies one frame into the guest's posted RX buffers, a page per slot
 * (several, with NETRXF_MORE_DATA, only with sg). The responses are written
 * but pushed lazily: after a burst the owner must call netback_rx_flush, so
 * that the burst costs the guest one notification. 0; -ENOBUFS when not
 * enough buffers are posted (the frame is dropped and counted, nothing is
 * queued); -EMSGSIZE over the limit (counted); -EINVAL under an Ethernet
 * header; -EFAULT when a buffer's grant was bad (its slot answered
 * NETIF_RSP_ERROR, counted); -EPROTO when the RX producer jumped (now
 * disconnected); -ENOTCONN once disconnected.
 */
int netback_rx_frame(struct netback *nb, const uint8_t *frame, size_t len);
/* Pushes the RX responses written so far, notifying when rsp_event asks. 0 or -ENOTCONN. */
int netback_rx_flush(struct netback *nb);
bool netback_disconnected(const struct netback *nb);
void netback_get_stats(const struct netback *nb, struct netback_stats *out);
/* Unmaps both rings and frees; the grants can be revoked afterwards. */
void netback_close(struct netback *nb);

#endif
