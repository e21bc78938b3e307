// SPDX-License-Identifier: MIT
/*
 * netfront's ring engine (see netfront.h).
 *
 * Grants are made once: the TX pool's pages (read-only for the backend) and
 * the RX pages (writable) are granted at create and reused for every frame,
 * so the data path makes no grant operation at all; a frame costs a copy into
 * a pool page on TX and a copy out of an RX page on RX. The copy out is also
 * what makes RX safe: the backend can still write a posted page whenever it
 * likes, so nothing is parsed in place, only in our private reassembly buffer.
 *
 * Ids: a buffer's index in the low 8 bits, its generation in the high 8. The
 * generation moves on each time the buffer comes back, so a duplicate or an
 * invented id is counted and dropped instead of freeing a buffer that carries
 * another frame. TX responses are matched by id (a backend may answer out of
 * order); RX responses are positional (each answers the request in its own
 * slot, as in Xen), so the slot's buffer comes from our private record of what
 * we posted there and the id must only agree with it. Responses are copied
 * out of the ring once, and a response producer that runs past our requests
 * breaks the ring rather than making us loop over garbage.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netfront.h"

#define NF_PAGE	     NETIF_PAGE
#define NF_TX_SLOTS  NETFRONT_RING_SLOTS
#define NF_RX_SLOTS  NETFRONT_RING_SLOTS
#define NF_IDX_BITS  8u
#define NF_IDX_MASK  ((1u << NF_IDX_BITS) - 1)
#define NF_BUDGET    (4u * (NF_TX_SLOTS + NF_RX_SLOTS)) /* responses per poll */
#define NF_MIN_MTU   68u				/* IPv4's minimum */
#define NF_MAX_EXTRA (NETIF_EXTRA_TYPE_MAX - 1)		/* one of each type at most */

_Static_assert(NETFRONT_TX_POOL <= (1u << NF_IDX_BITS), "TX ids hold a pool index");
_Static_assert(NETFRONT_RX_BUFS <= (1u << NF_IDX_BITS), "RX ids hold a buffer index");
_Static_assert(NETFRONT_RX_BUFS <= NF_RX_SLOTS, "every RX buffer fits on the ring");

enum nf_buf_state { NF_FREE, NF_QUEUED, NF_INFLIGHT };

struct nf_buf {
	void *page;
	uint32_t ref;
	bool granted;
	uint8_t gen;
	uint8_t state; /* enum nf_buf_state; RX buffers are FREE or INFLIGHT (posted) */
};

/* DOWN: suspended for a reconnect, no ring, no grants; netfront_resume makes new ones. */
enum nf_state { NF_UP, NF_BROKEN, NF_GONE, NF_DOWN };

struct netfront {
	const struct netfront_ops *ops;
	void *opaque;
	enum nf_state state;
	bool in_poll;
	size_t max_frame;

	struct sv_front_ring tx, rx;
	struct nf_buf tx_ring_pg, rx_ring_pg;
	uint32_t tx_pushed, rx_pushed; /* the request producers we published */

	struct nf_buf tx_buf[NETFRONT_TX_POOL];
	uint16_t tx_free[NETFRONT_TX_POOL]; /* LIFO: the hottest page first */
	uint32_t tx_nfree;
	/* Ring index -> buffer, private: the backend can rewrite the shared slots at will. */
	uint16_t tx_slot_buf[NF_TX_SLOTS];

	struct nf_buf rx_buf[NETFRONT_RX_BUFS];
	uint16_t rx_free[NETFRONT_RX_BUFS];
	uint32_t rx_nfree;
	uint16_t rx_slot_buf[NF_RX_SLOTS];

	/* The RX frame being reassembled, across polls if the backend pushes it in parts. */
	uint8_t *frame; /* NETIF_MAX_FRAME bytes */
	size_t frame_len;
	uint32_t frame_slots, frame_extras;
	unsigned int frame_flags;
	bool in_frame, frame_bad, frame_more, extras_pending;

	struct netfront_stats stats;
};

static uint16_t buf_id(const struct nf_buf *b, uint32_t idx)
{
	return (uint16_t)((uint32_t)b->gen << NF_IDX_BITS | idx);
}

/* ---- pages and grants ---- */

static int page_make(struct netfront *nf, struct nf_buf *b, bool readonly)
{
	int ref;

	b->page = nf->ops->alloc_page(nf->opaque);
	if (!b->page)
		return -ENOMEM;
	memset(b->page, 0, NF_PAGE);
	ref = nf->ops->grant(nf->opaque, b->page, readonly);
	if (ref < 0)
		return ref;
	b->ref = (uint32_t)ref;
	b->granted = true;
	return 0;
}

/* Ends the grant and frees the page; one the backend still maps is leaked, never reused. */
static uint32_t page_release(struct netfront *nf, struct nf_buf *b)
{
	if (b->granted && nf->ops->end_grant(nf->opaque, b->ref)) {
		nf->stats.grants_leaked++;
		return 1;
	}
	if (b->page)
		nf->ops->free_page(nf->opaque, b->page);
	b->page = NULL;
	b->granted = false;
	return 0;
}

/* ---- RX posting ---- */

/* Posts every free RX buffer the ring has room for; true when the ring must be pushed. */
static bool rx_post(struct netfront *nf)
{
	bool posted = false;

	while (nf->rx_nfree && sv_front_free_slots(&nf->rx)) {
		uint32_t idx = nf->rx_free[--nf->rx_nfree];
		struct nf_buf *b = &nf->rx_buf[idx];
		struct netif_rx_request req = { .id = buf_id(b, idx), .gref = b->ref };

		nf->rx_slot_buf[nf->rx.req_prod_pvt & (NF_RX_SLOTS - 1)] = (uint16_t)idx;
		memcpy(sv_front_next_req(&nf->rx), &req, sizeof(req));
		b->state = NF_INFLIGHT;
		posted = true;
	}
	return posted;
}

static void rx_push(struct netfront *nf, bool may_notify)
{
	bool notify;

	if (nf->rx.req_prod_pvt == nf->rx_pushed)
		return;
	nf->rx_pushed = nf->rx.req_prod_pvt;
	notify = sv_front_push_requests(&nf->rx);
	if (notify && may_notify) {
		nf->stats.notifications++;
		nf->ops->notify(nf->opaque);
	}
}

/* ---- create ---- */

static void apply_features(struct netfront *nf, const struct netfront_features *f)
{
	uint32_t mtu = f && f->mtu ? f->mtu : NETIF_MTU_DEFAULT;

	if (f && f->sg)
		nf->max_frame = NETIF_MAX_FRAME;
	else
		nf->max_frame = mtu + NETIF_ETH_HLEN < NF_PAGE ? mtu + NETIF_ETH_HLEN : NF_PAGE;
}

static bool features_valid(const struct netfront_features *f)
{
	uint32_t mtu = f && f->mtu ? f->mtu : NETIF_MTU_DEFAULT;

	return mtu >= NF_MIN_MTU && mtu <= NETIF_MAX_FRAME - NETIF_ETH_HLEN;
}

/* Both rings, the TX pool and the RX pages, granted, and the RX pages posted. */
static int make_pages(struct netfront *nf)
{
	int ret;

	nf->tx_nfree = nf->rx_nfree = 0;
	nf->tx_pushed = nf->rx_pushed = 0;
	nf->in_frame = nf->frame_bad = nf->frame_more = nf->extras_pending = false;
	ret = page_make(nf, &nf->tx_ring_pg, false);
	if (!ret)
		ret = page_make(nf, &nf->rx_ring_pg, false);
	if (ret)
		return ret;
	sv_front_ring_init(&nf->tx, nf->tx_ring_pg.page, NF_PAGE, sizeof(union netif_tx_slot));
	sv_front_ring_init(&nf->rx, nf->rx_ring_pg.page, NF_PAGE, sizeof(union netif_rx_slot));
	/* The private per-slot arrays are sized for netif's layout. */
	if (nf->tx.entries != NF_TX_SLOTS || nf->rx.entries != NF_RX_SLOTS)
		return -EINVAL;
	/* The backend only reads what we send: the TX pool is granted read-only. */
	for (uint32_t i = 0; i < NETFRONT_TX_POOL; i++) {
		ret = page_make(nf, &nf->tx_buf[i], true);
		if (ret)
			return ret;
		nf->tx_free[nf->tx_nfree++] = (uint16_t)(NETFRONT_TX_POOL - 1 - i);
	}
	for (uint32_t i = 0; i < NETFRONT_RX_BUFS; i++) {
		ret = page_make(nf, &nf->rx_buf[i], false);
		if (ret)
			return ret;
		nf->rx_free[nf->rx_nfree++] = (uint16_t)(NETFRONT_RX_BUFS - 1 - i);
	}
	rx_post(nf);
	/* No channel yet, and a backend looks at the RX ring when it has a frame anyway. */
	rx_push(nf, false);
	return 0;
}

/* Ends every grant and frees the pages; a page the backend still maps is forgotten, leaked. */
static uint32_t release_pages(struct netfront *nf)
{
	uint32_t leaked = 0;

	leaked += page_release(nf, &nf->tx_ring_pg);
	leaked += page_release(nf, &nf->rx_ring_pg);
	for (uint32_t i = 0; i < NETFRONT_TX_POOL; i++)
		leaked += page_release(nf, &nf->tx_buf[i]);
	for (uint32_t i = 0; i < NETFRONT_RX_BUFS; i++)
		leaked += page_release(nf, &nf->rx_buf[i]);
	memset(&nf->tx_ring_pg, 0, sizeof(nf->tx_ring_pg));
	memset(&nf->rx_ring_pg, 0, sizeof(nf->rx_ring_pg));
	memset(nf->tx_buf, 0, sizeof(nf->tx_buf));
	memset(nf->rx_buf, 0, sizeof(nf->rx_buf));
	memset(&nf->tx, 0, sizeof(nf->tx));
	memset(&nf->rx, 0, sizeof(nf->rx));
	nf->tx_nfree = nf->rx_nfree = 0;
	nf->tx_pushed = nf->rx_pushed = 0;
	return leaked;
}

int netfront_create(const struct netfront_ops *ops, void *opaque, const struct netfront_features *f,
		    struct netfront **out)
{
	struct netfront *nf;
	int ret;

	if (!out || !ops || !ops->alloc_page || !ops->free_page || !ops->grant || !ops->end_grant ||
	    !ops->notify)
		return -EINVAL;
	if (!features_valid(f))
		return -EINVAL;
	nf = calloc(1, sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	nf->ops = ops;
	nf->opaque = opaque;
	apply_features(nf, f);
	nf->frame = calloc(1, NETIF_MAX_FRAME);
	if (!nf->frame) {
		ret = -ENOMEM;
		goto out;
	}
	ret = make_pages(nf);
	if (ret)
		goto out;
	*out = nf;
out:
	if (ret)
		netfront_destroy(nf);
	return ret;
}

int netfront_suspend(struct netfront *nf)
{
	if (!nf || nf->state == NF_DOWN)
		return -EINVAL;
	/* Networks drop: frames not answered yet are not sent again to the new backend. */
	nf->stats.tx_dropped += NETFRONT_TX_POOL - nf->tx_nfree;
	release_pages(nf);
	nf->state = NF_DOWN;
	return 0;
}

int netfront_resume(struct netfront *nf, const struct netfront_features *f)
{
	int ret;

	if (!nf || nf->state != NF_DOWN || !features_valid(f))
		return -EINVAL;
	apply_features(nf, f);
	ret = make_pages(nf);
	if (ret) {
		release_pages(nf);
		return ret;
	}
	nf->state = NF_UP;
	nf->stats.reconnects++;
	return 0;
}

bool netfront_broken(const struct netfront *nf)
{
	return nf && nf->state == NF_BROKEN;
}

void netfront_ring_refs(const struct netfront *nf, uint32_t *tx_ref, uint32_t *rx_ref)
{
	*tx_ref = nf->tx_ring_pg.ref;
	*rx_ref = nf->rx_ring_pg.ref;
}

size_t netfront_max_frame(const struct netfront *nf)
{
	return nf->max_frame;
}

/* ---- TX ---- */

static void broken(struct netfront *nf)
{
	nf->stats.ring_overflow++;
	if (nf->state == NF_UP)
		nf->state = NF_BROKEN;
}

static int state_error(const struct netfront *nf)
{
	if (nf->state == NF_GONE)
		return -ENODEV;
	if (nf->state == NF_DOWN)
		return -ENOTCONN;
	return nf->state == NF_BROKEN ? -EIO : 0;
}

/* One TX response, copied out of the ring already. */
static void tx_response(struct netfront *nf, const struct netif_tx_response *rsp)
{
	uint32_t idx = rsp->id & NF_IDX_MASK;
	struct nf_buf *b;

	if (idx >= NETFRONT_TX_POOL) {
		nf->stats.bad_id++;
		return;
	}
	b = &nf->tx_buf[idx];
	/* Free, queued but never pushed, or answered already (the generation moved). */
	if (b->state != NF_INFLIGHT || buf_id(b, idx) != rsp->id) {
		nf->stats.stale_id++;
		return;
	}
	if (rsp->status == NETIF_RSP_ERROR || rsp->status == NETIF_RSP_DROPPED)
		nf->stats.tx_errors++;
	else if (rsp->status != NETIF_RSP_OKAY) /* NULL answers an extra info: we send none */
		nf->stats.bad_rsp++;
	/*
	 * Whatever the status, the backend says it is done with the page. If it
	 * lied and reads on, it reads our next frame: the grant is read-only.
	 */
	b->gen++;
	b->state = NF_FREE;
	nf->tx_free[nf->tx_nfree++] = (uint16_t)idx;
}

/* Reaps TX responses, at most *budget; how many, or -EIO when the producer jumped. */
static int tx_reap(struct netfront *nf, uint32_t *budget)
{
	uint32_t prod = __atomic_load_n(&nf->tx.s->rsp_prod, __ATOMIC_ACQUIRE);
	int n = 0;

	if ((uint32_t)(prod - nf->tx.rsp_cons) > (uint32_t)(nf->tx_pushed - nf->tx.rsp_cons)) {
		broken(nf);
		return -EIO;
	}
	while (nf->tx.rsp_cons != prod && *budget) {
		struct netif_tx_response rsp;

		/* Copied once: the backend may rewrite the slot under us. */
		memcpy(&rsp, sv_front_rsp(&nf->tx, nf->tx.rsp_cons), sizeof(rsp));
		nf->tx.rsp_cons++;
		(*budget)--;
		tx_response(nf, &rsp);
		n++;
	}
	return n;
}

int netfront_queue(struct netfront *nf, const void *frame, size_t len)
{
	const uint8_t *p = frame;
	uint32_t nslots;
	int ret;

	if (!nf || !frame)
		return -EINVAL;
	ret = state_error(nf);
	if (ret)
		return ret;
	if (len < NETIF_ETH_MIN_FRAME || len > nf->max_frame)
		return -EMSGSIZE;
	nslots = (uint32_t)((len + NF_PAGE - 1) / NF_PAGE);
	if (nslots > nf->tx_nfree || nslots > sv_front_free_slots(&nf->tx)) {
		uint32_t budget = NF_TX_SLOTS;

		/* Responses may be waiting that nobody polled for yet: take their pages first. */
		if (tx_reap(nf, &budget) < 0)
			return -EIO;
		if (nslots > nf->tx_nfree || nslots > sv_front_free_slots(&nf->tx)) {
			nf->stats.tx_busy++;
			return -EAGAIN;
		}
	}
	for (size_t off = 0; off < len;) {
		uint32_t idx = nf->tx_free[--nf->tx_nfree];
		struct nf_buf *b = &nf->tx_buf[idx];
		size_t part = len - off < NF_PAGE ? len - off : NF_PAGE;
		struct netif_tx_request req = {
			.gref = b->ref,
			.offset = 0,
			.flags = off + part < len ? NETTXF_MORE_DATA : 0,
			.id = buf_id(b, idx),
			/* Xen's rule: the first slot carries the whole frame's size. */
			.size = (uint16_t)(off ? part : len),
		};

		memcpy(b->page, p + off, part);
		b->state = NF_QUEUED;
		nf->tx_slot_buf[nf->tx.req_prod_pvt & (NF_TX_SLOTS - 1)] = (uint16_t)idx;
		memcpy(sv_front_next_req(&nf->tx), &req, sizeof(req));
		off += part;
	}
	nf->stats.tx_frames++;
	nf->stats.tx_bytes += len;
	nf->stats.tx_slots += nslots;
	return 0;
}

void netfront_kick(struct netfront *nf)
{
	if (!nf || nf->state != NF_UP || nf->tx.req_prod_pvt == nf->tx_pushed)
		return;
	for (; nf->tx_pushed != nf->tx.req_prod_pvt; nf->tx_pushed++)
		nf->tx_buf[nf->tx_slot_buf[nf->tx_pushed & (NF_TX_SLOTS - 1)]].state = NF_INFLIGHT;
	if (sv_front_push_requests(&nf->tx)) {
		nf->stats.notifications++;
		nf->ops->notify(nf->opaque);
	}
}

int netfront_send(struct netfront *nf, const void *frame, size_t len)
{
	int ret = netfront_queue(nf, frame, len);

	/* Also pushes what earlier "more coming" sends left queued. */
	netfront_kick(nf);
	return ret;
}

int netfront_send_batch(struct netfront *nf, const struct netfront_frame *frames, size_t n)
{
	size_t i;
	int ret = 0;

	if (!frames && n)
		return -EINVAL;
	for (i = 0; i < n && i < INT32_MAX; i++) {
		ret = netfront_queue(nf, frames[i].data, frames[i].len);
		if (ret)
			break;
	}
	netfront_kick(nf);
	return i ? (int)i : ret;
}

/* ---- RX ---- */

static void rx_recycle(struct netfront *nf, uint32_t idx)
{
	struct nf_buf *b = &nf->rx_buf[idx];

	b->gen++;
	b->state = NF_FREE;
	nf->rx_free[nf->rx_nfree++] = (uint16_t)idx;
}

/* The frame is whole: hand it over, or count it dropped. 1 either way. */
static int rx_finish(struct netfront *nf, netfront_rx_fn *rx_fn, void *arg)
{
	nf->in_frame = false;
	if (nf->frame_bad || nf->frame_len < NETIF_ETH_MIN_FRAME) {
		nf->stats.rx_errors++;
		return 1;
	}
	nf->stats.rx_frames++;
	nf->stats.rx_bytes += nf->frame_len;
	if (rx_fn)
		rx_fn(arg, nf->frame, nf->frame_len, nf->frame_flags);
	return 1;
}

/* An extra-info slot after a frame's first: skipped, but checked to stay in step. */
static void rx_extra(struct netfront *nf, const struct netif_extra_info *x)
{
	if (x->type == NETIF_EXTRA_TYPE_NONE || x->type >= NETIF_EXTRA_TYPE_MAX ||
	    ++nf->frame_extras > NF_MAX_EXTRA) {
		nf->stats.bad_rsp++;
		nf->frame_bad = true;
	}
	nf->extras_pending = (x->flags & NETIF_EXTRA_FLAG_MORE) != 0;
}

/* A data slot of buffer idx: checked, then its bytes appended to the frame. */
static void rx_data(struct netfront *nf, uint32_t idx, const struct netif_rx_response *rsp)
{
	const struct nf_buf *b = &nf->rx_buf[idx];
	uint32_t off = rsp->offset;

	if (!nf->in_frame) {
		nf->in_frame = true;
		nf->frame_len = 0;
		nf->frame_slots = 0;
		nf->frame_extras = 0;
		nf->frame_bad = false;
		nf->frame_flags = (rsp->flags & NETRXF_CSUM_BLANK ? NETFRONT_RX_CSUM_BLANK : 0) |
				  (rsp->flags & NETRXF_DATA_VALIDATED ? NETFRONT_RX_VALIDATED : 0);
		if (rsp->flags & NETRXF_EXTRA_INFO)
			nf->extras_pending = true;
	} else if (rsp->flags & NETRXF_EXTRA_INFO) {
		/* Extras follow a frame's first slot only; consume them anyway to stay in step. */
		nf->stats.bad_rsp++;
		nf->frame_bad = true;
		nf->extras_pending = true;
	}
	nf->frame_more = (rsp->flags & NETRXF_MORE_DATA) != 0;
	if (nf->frame_slots <= NETIF_MAX_SLOTS_PER_FRAME)
		nf->frame_slots++;
	if (nf->frame_bad)
		return;
	if (rsp->id != buf_id(b, idx)) {
		if ((rsp->id & NF_IDX_MASK) >= NETFRONT_RX_BUFS)
			nf->stats.bad_id++;
		else
			nf->stats.stale_id++;
		nf->frame_bad = true;
	} else if (rsp->status < 0) {
		nf->frame_bad = true; /* the backend's own error: rx_errors counts the frame */
	} else if (off > NF_PAGE || (uint32_t)rsp->status > NF_PAGE - off) {
		nf->stats.bad_rsp++;
		nf->frame_bad = true;
	} else if (nf->frame_slots > NETIF_MAX_SLOTS_PER_FRAME ||
		   nf->frame_len + (uint32_t)rsp->status > NETIF_MAX_FRAME) {
		nf->frame_bad = true;
	} else {
		memcpy(nf->frame + nf->frame_len, (const uint8_t *)b->page + off,
		       (uint32_t)rsp->status);
		nf->frame_len += (uint32_t)rsp->status;
	}
}

/* Reaps RX responses, at most *budget; frames handled, or -EIO when the producer jumped. */
static int rx_reap(struct netfront *nf, netfront_rx_fn *rx_fn, void *arg, uint32_t *budget)
{
	uint32_t prod = __atomic_load_n(&nf->rx.s->rsp_prod, __ATOMIC_ACQUIRE);
	int n = 0;

	if ((uint32_t)(prod - nf->rx.rsp_cons) > (uint32_t)(nf->rx_pushed - nf->rx.rsp_cons)) {
		broken(nf);
		return -EIO;
	}
	while (nf->rx.rsp_cons != prod && *budget && nf->state == NF_UP) {
		uint32_t idx = nf->rx_slot_buf[nf->rx.rsp_cons & (NF_RX_SLOTS - 1)];
		union netif_rx_slot slot;

		memcpy(&slot, sv_front_rsp(&nf->rx, nf->rx.rsp_cons), sizeof(slot));
		nf->rx.rsp_cons++;
		(*budget)--;
		nf->stats.rx_slots++;
		if (nf->extras_pending)
			rx_extra(nf, &slot.extra);
		else
			rx_data(nf, idx, &slot.rsp);
		/* Copied out already: the page can be posted again. */
		rx_recycle(nf, idx);
		if (!nf->extras_pending && !nf->frame_more && nf->in_frame)
			n += rx_finish(nf, rx_fn, arg);
	}
	return n;
}

int netfront_poll(struct netfront *nf, netfront_rx_fn *rx_fn, void *arg)
{
	uint32_t budget = NF_BUDGET;
	int done = 0, ret = 0;
	bool more;

	if (!nf)
		return -EINVAL;
	if (nf->in_poll)
		return -EBUSY;
	ret = state_error(nf);
	if (ret)
		return ret;
	nf->in_poll = true;
	do {
		ret = tx_reap(nf, &budget);
		if (ret < 0)
			goto out;
		done += ret;
		ret = rx_reap(nf, rx_fn, arg, &budget);
		if (ret < 0)
			goto out;
		done += ret;
		ret = state_error(nf);
		if (ret)
			goto out;
		if (rx_post(nf))
			rx_push(nf, true);
		/* Out of budget: the caller comes back since done > 0; nothing is armed. */
		if (!budget)
			break;
		more = sv_front_final_check(&nf->tx);
		more |= sv_front_final_check(&nf->rx);
	} while (more);
	ret = 0;
out:
	nf->in_poll = false;
	return ret ? ret : done;
}

uint32_t netfront_tx_inflight(const struct netfront *nf)
{
	return nf && nf->state != NF_DOWN ? NETFRONT_TX_POOL - nf->tx_nfree : 0;
}

void netfront_get_stats(const struct netfront *nf, struct netfront_stats *out)
{
	*out = nf->stats;
}

void netfront_disconnect(struct netfront *nf)
{
	if (nf)
		nf->state = NF_GONE;
}

uint32_t netfront_destroy(struct netfront *nf)
{
	uint32_t leaked = 0;

	if (!nf)
		return 0;
	leaked = release_pages(nf);
	free(nf->frame);
	free(nf);
	return leaked;
}
