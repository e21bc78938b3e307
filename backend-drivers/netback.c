// SPDX-License-Identifier: MIT
/*
 * netback: one vif's TX and RX rings (netback.h). TX frames are gathered
 * slot by slot, each slot copied out of the ring once; only the copies are
 * validated, and the accepted frames' data comes out of the granted pages in
 * one gnt_copy_batch for a whole batch of frames. RX frames go into the
 * buffers the guest posted, by grant copy as well.
 *
 * TX is by copy, not by map: frames are short, so a copy per slot costs less
 * than the map and unmap it replaces, and the frame must outlive the guest's
 * grant anyway (the switch hands it on after the response has freed the
 * slot), so a mapped frame would have to be copied once more.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <splitvisor/netif.h>

#include "backend_env.h"
#include "log.h"
#include "netback.h"

/* Ring passes one kick may take before it yields (each pass is at most a ring of slots). */
#define NETBACK_TX_KICK_PASSES 4u

/*
 * The TX staging buffer: a full ring of standard frames (256 x 1514 bytes)
 * fits, so an ordinary burst is one batch; big sg frames flush it sooner.
 */
#define TX_BUF_SIZE (512u * 1024)
/* Ring slots: the bound on what can be consumed and not answered yet. */
#define TX_SLOTS 256u
/* Extra infos a frame may carry: one of each type at most. */
#define TX_MAX_EXTRAS (NETIF_EXTRA_TYPE_MAX - 1)
/* A frame's RX slots at most: the largest frame in pages. */
#define RX_MAX_SLOTS ((NETIF_MAX_FRAME + NETIF_PAGE - 1) / NETIF_PAGE)
#define MIN_MTU	     68u /* IPv4's minimum */

/* One TX frame as copied out of the ring: req[0], its extras, req[1..] in ring order. */
struct tx_frame {
	struct netif_tx_request req[NETIF_MAX_SLOTS_PER_FRAME];
	uint32_t part[NETIF_MAX_SLOTS_PER_FRAME]; /* bytes each data slot carries */
	struct netif_extra_info extra[TX_MAX_EXTRAS];
	uint32_t nr_req, nr_extra;
};

/* An accepted frame waiting for the batch copy: its ops, its bytes in tx_buf. */
struct tx_pending {
	uint32_t first_op, nr_ops, nr_extra;
	uint32_t off, len;
};

enum tx_gather { TX_FRAME, TX_INCOMPLETE, TX_ENDLESS };

struct netback {
	struct netback_params p;
	char name[64];
	char tag[80]; /* "netback NAME": what its log lines start with */
	struct sv_back_ring tx, rx;
	void *tx_page, *rx_page;
	bool tx_mapped, rx_mapped;
	bool dead;
	bool tx_rsp_pending, rx_rsp_pending;
	uint32_t max_frame;
	struct log_ratelimit rl;
	struct netback_stats st;

	/* The TX batch. */
	uint8_t *tx_buf;
	uint32_t buf_used;
	struct gnt_copy_op ops[TX_SLOTS];
	uint16_t op_id[TX_SLOTS]; /* the request id of each op's slot */
	uint32_t nr_ops;
	struct tx_pending pending[TX_SLOTS];
	uint32_t nr_pending;
	uint32_t corrupt_seen; /* the faults' corrupt_ring generation this ring has served */
	bool corrupt_next;     /* the next TX response is the injected garbage */
};

/* Refusals are the frontend's doing: rate-limited so that a flood cannot fill the log. */
#define nlog(nb, ...) log_limited_tagged(&(nb)->rl, LOG_LEVEL_WARN, (nb)->tag, __VA_ARGS__)

static void disconnect(struct netback *nb, const char *why)
{
	log_warn("netback %s: %s: disconnecting", nb->name, why);
	nb->dead = true;
}

static void notify(struct netback *nb)
{
	nb->st.notifications_out++;
	if (nb->p.notify)
		nb->p.notify(nb->p.opaque);
}

/* ---- TX responses ---- */

static void tx_respond(struct netback *nb, uint16_t id, int16_t status)
{
	union netif_tx_slot s;

	if (nb->dead)
		return;
	/* The whole 12-byte slot from a zeroed local: no byte of ours leaks (XSA-216). */
	memset(&s, 0, sizeof(s));
	s.rsp.id = id;
	s.rsp.status = status;
	if (nb->corrupt_next) {
		nb->corrupt_next = false;
		log_warn("netback %s: injected fault: a corrupt TX response", nb->name);
		s.rsp.id = 0xffff;
		s.rsp.status = 0x7fff;
	}
	memcpy(sv_back_next_rsp(&nb->tx), &s, sizeof(s));
	nb->tx_rsp_pending = true;
}

/* Every slot of a frame in ring order: data slots get status, extra infos NULL. */
static void tx_respond_frame(struct netback *nb, const struct tx_frame *f, int16_t status)
{
	uint32_t i;

	tx_respond(nb, f->req[0].id, status);
	for (i = 0; i < f->nr_extra; i++)
		tx_respond(nb, 0, NETIF_RSP_NULL);
	for (i = 1; i < f->nr_req; i++)
		tx_respond(nb, f->req[i].id, status);
}

static void tx_push(struct netback *nb)
{
	if (nb->dead || !nb->tx_rsp_pending)
		return;
	nb->tx_rsp_pending = false;
	if (sv_back_push_responses(&nb->tx))
		notify(nb);
}

static int tx_refuse(struct netback *nb, const struct tx_frame *f, uint64_t *counter,
		     int16_t status, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Answers a refused frame; always -1 so that a check can return it. */
static int tx_refuse(struct netback *nb, const struct tx_frame *f, uint64_t *counter,
		     int16_t status, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	(*counter)++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nlog(nb, "TX frame id %u (%u slots, %u extra) refused: %s", f->req[0].id, f->nr_req,
	     f->nr_extra, msg);
	tx_respond_frame(nb, f, status);
	return -1;
}

/* ---- TX: gathering and checking a frame ---- */

/*
 * Copies the frame at req_cons out of the ring, each slot once, without
 * consuming it. TX_INCOMPLETE when its last slot is not published yet;
 * TX_ENDLESS when its chain is longer than any frame may be, whether or not
 * the rest is published.
 */
static enum tx_gather tx_gather(struct netback *nb, uint32_t prod, struct tx_frame *f,
				uint32_t *nr_slots)
{
	uint32_t idx = nb->tx.req_cons;
	union netif_tx_slot s;
	bool more;

	memcpy(&s, sv_back_req(&nb->tx, idx++), sizeof(s));
	f->req[0] = s.req;
	f->nr_req = 1;
	f->nr_extra = 0;
	more = s.req.flags & NETTXF_EXTRA_INFO;
	while (more) {
		if (f->nr_extra == TX_MAX_EXTRAS)
			return TX_ENDLESS;
		if (idx == prod)
			return TX_INCOMPLETE;
		memcpy(&s, sv_back_req(&nb->tx, idx++), sizeof(s));
		f->extra[f->nr_extra++] = s.extra;
		more = s.extra.flags & NETIF_EXTRA_FLAG_MORE;
	}
	more = f->req[0].flags & NETTXF_MORE_DATA;
	while (more) {
		if (f->nr_req == NETIF_MAX_SLOTS_PER_FRAME)
			return TX_ENDLESS;
		if (idx == prod)
			return TX_INCOMPLETE;
		memcpy(&s, sv_back_req(&nb->tx, idx++), sizeof(s));
		f->req[f->nr_req++] = s.req;
		more = s.req.flags & NETTXF_MORE_DATA;
	}
	*nr_slots = idx - nb->tx.req_cons;
	return TX_FRAME;
}

/*
 * An extra info is understood only where its feature was offered:
 * feature-gso-tcpv4/v6, feature-multicast-control, feature-hash. This backend
 * offers none (frames are copied whole and handed on unsegmented), so the
 * reason it is refused, always.
 */
static const char *extra_refused(const struct netif_extra_info *e)
{
	switch (e->type) {
	case NETIF_EXTRA_TYPE_GSO:
		return "GSO, but feature-gso was not offered";
	case NETIF_EXTRA_TYPE_MCAST_ADD:
	case NETIF_EXTRA_TYPE_MCAST_DEL:
		return "multicast control, not offered";
	case NETIF_EXTRA_TYPE_HASH:
		return "hash, not offered";
	default:
		return "of no known type";
	}
}

/*
 * 0 when the frame may be copied (f->part filled in), or -1: refused and
 * answered. The first slot's size is the frame's; its own part is what the
 * later slots leave of it. Every slot must carry data (XSA-448) inside its
 * page.
 */
static int tx_check(struct netback *nb, struct tx_frame *f)
{
	uint32_t size = f->req[0].size, rest = size, i;

	if (f->nr_extra)
		return tx_refuse(nb, f, &nb->st.tx_bad_extra, NETIF_RSP_ERROR,
				 "an extra info of type %u: %s", f->extra[0].type,
				 extra_refused(&f->extra[0]));
	if (!size)
		return tx_refuse(nb, f, &nb->st.tx_zero_len, NETIF_RSP_ERROR, "size 0");
	if (size > nb->max_frame)
		return tx_refuse(nb, f, &nb->st.tx_oversize, NETIF_RSP_DROPPED,
				 "%u bytes, over the limit of %u", size, nb->max_frame);
	if (size < NETIF_ETH_HLEN)
		return tx_refuse(nb, f, &nb->st.tx_bad_size, NETIF_RSP_ERROR,
				 "%u bytes, shorter than an Ethernet header", size);
	if (f->nr_req > 1 && !nb->p.sg)
		return tx_refuse(nb, f, &nb->st.tx_bad_size, NETIF_RSP_ERROR,
				 "a chain of %u slots without feature-sg", f->nr_req);
	for (i = 1; i < f->nr_req; i++) {
		f->part[i] = f->req[i].size;
		if (!f->part[i])
			return tx_refuse(nb, f, &nb->st.tx_zero_len, NETIF_RSP_ERROR,
					 "slot %u is empty", i);
		if (f->part[i] > rest)
			return tx_refuse(nb, f, &nb->st.tx_bad_size, NETIF_RSP_ERROR,
					 "the slots add up to more than its %u bytes", size);
		rest -= f->part[i];
	}
	if (!rest)
		return tx_refuse(nb, f, &nb->st.tx_zero_len, NETIF_RSP_ERROR,
				 "the later slots take all %u bytes: the first is empty", size);
	f->part[0] = rest;
	for (i = 0; i < f->nr_req; i++)
		if ((uint32_t)f->req[i].offset + f->part[i] > NETIF_PAGE)
			return tx_refuse(nb, f, &nb->st.tx_bad_offset, NETIF_RSP_ERROR,
					 "slot %u: %u bytes at offset %u cross the page", i,
					 f->part[i], f->req[i].offset);
	return 0;
}

/* ---- TX: the batch ---- */

/* Copies the batch's frames out in one call, hands the good ones on and answers all. */
static void tx_flush(struct netback *nb)
{
	struct tx_pending *pf;
	struct gnt_copy_op *op;
	uint32_t i, k, bad;

	if (!nb->nr_pending)
		return;
	if (gnt_copy_batch(nb->p.mapper, nb->p.granter, nb->ops, nb->nr_ops) < 0)
		for (k = 0; k < nb->nr_ops; k++)
			nb->ops[k].status = -EINVAL;
	nb->st.copies += nb->nr_ops;
	nb->st.batches++;
	for (i = 0; i < nb->nr_pending; i++) {
		pf = &nb->pending[i];
		op = &nb->ops[pf->first_op];
		for (bad = 0; bad < pf->nr_ops && !op[bad].status; bad++)
			;
		if (bad < pf->nr_ops) {
			nb->st.tx_bad_grant++;
			nlog(nb, "TX frame id %u refused: slot %u: grant ref %u: %s",
			     nb->op_id[pf->first_op], bad, op[bad].ref, strerror(-op[bad].status));
		} else {
			nb->st.tx_frames++;
			nb->st.tx_bytes += pf->len;
			nb->p.deliver(nb->p.opaque, nb->tx_buf + pf->off, pf->len);
		}
		/* Answered after deliver: the guest may reuse its pages only once we are done. */
		tx_respond(nb, nb->op_id[pf->first_op],
			   bad < pf->nr_ops ? NETIF_RSP_ERROR : NETIF_RSP_OKAY);
		for (k = 0; k < pf->nr_extra; k++)
			tx_respond(nb, 0, NETIF_RSP_NULL);
		for (k = 1; k < pf->nr_ops; k++)
			tx_respond(nb, nb->op_id[pf->first_op + k],
				   bad < pf->nr_ops ? NETIF_RSP_ERROR : NETIF_RSP_OKAY);
	}
	nb->nr_ops = 0;
	nb->nr_pending = 0;
	nb->buf_used = 0;
}

/* Adds a checked frame to the batch, copying the batch out first when it is full. */
static void tx_queue(struct netback *nb, const struct tx_frame *f)
{
	uint32_t size = f->req[0].size, off, i;
	struct tx_pending *pf;

	if (nb->nr_pending == TX_SLOTS || nb->nr_ops + f->nr_req > TX_SLOTS ||
	    nb->buf_used + size > TX_BUF_SIZE)
		tx_flush(nb);
	pf = &nb->pending[nb->nr_pending++];
	*pf = (struct tx_pending){ .first_op = nb->nr_ops,
				   .nr_ops = f->nr_req,
				   .nr_extra = f->nr_extra,
				   .off = nb->buf_used,
				   .len = size };
	off = nb->buf_used;
	for (i = 0; i < f->nr_req; i++) {
		nb->ops[nb->nr_ops] = (struct gnt_copy_op){ .ref = f->req[i].gref,
							    .dir = SV_GNT_COPY_FROM_GRANT,
							    .offset = f->req[i].offset,
							    .len = f->part[i],
							    .buf = nb->tx_buf + off };
		nb->op_id[nb->nr_ops++] = f->req[i].id;
		off += f->part[i];
	}
	nb->buf_used = off;
}

/*
 * The frame at req_cons is only partly published: asks to be notified at the
 * next request past prod and looks once more (the final check cannot be used,
 * as req_cons stays behind prod). True when more arrived meanwhile.
 */
static bool tx_rearm_past(struct netback *nb, uint32_t prod)
{
	__atomic_store_n(&nb->tx.s->req_event, prod + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&nb->tx.s->req_prod, __ATOMIC_ACQUIRE) != prod;
}

/*
 * Injected faults (svctl inject), all here and in tx_respond: slow sleeps
 * before each kick's batch; corrupt-ring makes the next TX response garbage
 * (an id and a status out of range, in the right slot so our own indices
 * stay sound) once per change of the generation: the frontend must refuse
 * it. Test features on the network thread only.
 */
static void tx_faults(struct netback *nb)
{
	const struct backend_faults *fl = nb->p.faults;
	uint32_t ms, gen;

	if (!fl)
		return;
	ms = __atomic_load_n(&fl->slow_ms, __ATOMIC_RELAXED);
	if (ms) {
		struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	gen = __atomic_load_n(&fl->corrupt_ring, __ATOMIC_RELAXED);
	if (gen != nb->corrupt_seen) {
		nb->corrupt_seen = gen;
		nb->corrupt_next = true;
	}
}

int netback_tx_kick(struct netback *nb)
{
	enum tx_gather got;
	struct tx_frame f;
	uint32_t prod, n, pass;

	if (nb->dead)
		return -EPROTO;
	nb->st.kicks++;
	tx_faults(nb);
	for (pass = 0;; pass++) {
		/*
		 * A guest that never stops producing would keep the caller here: after a few
		 * rings' worth, give the other vifs their turn and say there is more.
		 */
		if (pass == NETBACK_TX_KICK_PASSES)
			return 1;
		if (sv_back_req_prod(&nb->tx, &prod)) {
			nb->st.ring_overflow++;
			disconnect(nb, "the TX request producer jumped more than a ring ahead");
			return -EPROTO;
		}
		got = TX_FRAME;
		while (nb->tx.req_cons != prod) {
			got = tx_gather(nb, prod, &f, &n);
			if (got != TX_FRAME)
				break;
			nb->tx.req_cons += n;
			if (!tx_check(nb, &f))
				tx_queue(nb, &f);
		}
		/* What came before a broken chain is good and already consumed: finish it. */
		tx_flush(nb);
		tx_push(nb);
		if (nb->dead) /* deliver found this vif's RX ring broken */
			return -EPROTO;
		if (got == TX_ENDLESS) {
			nb->st.tx_too_many_slots++;
			disconnect(nb, "a TX frame's chain of slots does not end within the limit");
			return -EPROTO;
		}
		if (got == TX_INCOMPLETE ? !tx_rearm_past(nb, prod) : !sv_back_final_check(&nb->tx))
			break;
	}
	return 0;
}

/* ---- RX ---- */

int netback_rx_frame(struct netback *nb, const uint8_t *frame, size_t len)
{
	struct netif_rx_request req[RX_MAX_SLOTS];
	struct gnt_copy_op ops[RX_MAX_SLOTS];
	uint32_t prod, n, i, bad;
	union netif_rx_slot s;

	if (nb->dead)
		return -ENOTCONN;
	if (len < NETIF_ETH_HLEN)
		return -EINVAL;
	/* Not the guest's doing (another vif's MTU): counted, not logged. */
	if (len > nb->max_frame) {
		nb->st.rx_oversize++;
		return -EMSGSIZE;
	}
	if (sv_back_req_prod(&nb->rx, &prod)) {
		nb->st.ring_overflow++;
		disconnect(nb, "the RX request producer jumped more than a ring ahead");
		return -EPROTO;
	}
	n = (uint32_t)((len + NETIF_PAGE - 1) / NETIF_PAGE);
	/* Dropped, not queued: a guest that posts nothing cannot make us hold frames (XSA-392). */
	if (prod - nb->rx.req_cons < n) {
		nb->st.rx_no_buffer++;
		return -ENOBUFS;
	}
	for (i = 0; i < n; i++) {
		memcpy(&s, sv_back_req(&nb->rx, nb->rx.req_cons++), sizeof(s));
		req[i] = s.req;
		ops[i] = (struct gnt_copy_op){
			.ref = req[i].gref,
			.dir = SV_GNT_COPY_TO_GRANT,
			.len = i + 1 < n ? NETIF_PAGE : (uint32_t)(len - (size_t)i * NETIF_PAGE),
			.buf = (void *)(frame + (size_t)i * NETIF_PAGE), /* only read from */
		};
	}
	if (gnt_copy_batch(nb->p.mapper, nb->p.granter, ops, n) < 0)
		for (i = 0; i < n; i++)
			ops[i].status = -EINVAL;
	nb->st.copies += n;
	nb->st.batches++;
	bad = n;
	/* One response per request, in order: each lands in its request's slot. */
	for (i = 0; i < n; i++) {
		memset(&s, 0, sizeof(s));
		s.rsp.id = req[i].id;
		s.rsp.flags = i + 1 < n ? NETRXF_MORE_DATA : 0;
		s.rsp.status = ops[i].status ? NETIF_RSP_ERROR : (int16_t)ops[i].len;
		memcpy(sv_back_next_rsp(&nb->rx), &s, sizeof(s));
		if (ops[i].status && bad == n)
			bad = i;
	}
	nb->rx_rsp_pending = true;
	if (bad < n) {
		nb->st.rx_bad_grant++;
		nlog(nb, "RX buffer id %u: grant ref %u: %s", req[bad].id, req[bad].gref,
		     strerror(-ops[bad].status));
		return -EFAULT;
	}
	nb->st.rx_frames++;
	nb->st.rx_bytes += len;
	return 0;
}

int netback_rx_flush(struct netback *nb)
{
	if (nb->dead)
		return -ENOTCONN;
	if (!nb->rx_rsp_pending)
		return 0;
	nb->rx_rsp_pending = false;
	if (sv_back_push_responses(&nb->rx))
		notify(nb);
	return 0;
}

/* ---- the vif ---- */

bool netback_disconnected(const struct netback *nb)
{
	return nb->dead;
}

void netback_get_stats(const struct netback *nb, struct netback_stats *out)
{
	*out = nb->st;
}

static int map_ring(struct netback *nb, const char *key, uint32_t ref, void **page, char *err,
		    size_t errlen)
{
	int ret = gnt_map(nb->p.mapper, nb->p.granter, ref, false, page);

	if (ret)
		snprintf(err, errlen, "netback %s: cannot map %s %u: %s", nb->name, key, ref,
			 strerror(-ret));
	return ret;
}

static void free_vif(struct netback *nb)
{
	if (nb->tx_mapped)
		gnt_unmap(nb->p.mapper, nb->p.granter, nb->p.tx_ring_ref, false);
	if (nb->rx_mapped)
		gnt_unmap(nb->p.mapper, nb->p.granter, nb->p.rx_ring_ref, false);
	free(nb->tx_buf);
	free(nb);
}

int netback_open(struct netback **out, const struct netback_params *p, char *err, size_t errlen)
{
	struct netback *nb;
	uint32_t mtu;
	int ret;

	*out = NULL;
	mtu = p && p->mtu ? p->mtu : NETIF_MTU_DEFAULT;
	if (!p || !p->granter || !p->mapper || !p->deliver || mtu < MIN_MTU ||
	    mtu > NETIF_MAX_FRAME - NETIF_ETH_HLEN) {
		snprintf(err, errlen,
			 "netback: bad parameters (granter, mapper and deliver are needed; mtu %u "
			 "must be %u..%u)",
			 mtu, MIN_MTU, NETIF_MAX_FRAME - NETIF_ETH_HLEN);
		return -EINVAL;
	}
	nb = calloc(1, sizeof(*nb));
	if (!nb) {
		snprintf(err, errlen, "netback: out of memory");
		return -ENOMEM;
	}
	nb->p = *p;
	snprintf(nb->name, sizeof(nb->name), "%s", p->name ? p->name : "vif");
	snprintf(nb->tag, sizeof(nb->tag), "netback %s", nb->name);
	nb->p.name = nb->name;
	/* Only a change after the ring opened corrupts it. */
	if (p->faults)
		nb->corrupt_seen = __atomic_load_n(&p->faults->corrupt_ring, __ATOMIC_RELAXED);
	nb->tx_buf = malloc(TX_BUF_SIZE);
	if (!nb->tx_buf) {
		snprintf(err, errlen, "netback %s: out of memory", nb->name);
		ret = -ENOMEM;
		goto out;
	}
	ret = map_ring(nb, "tx-ring-ref", p->tx_ring_ref, &nb->tx_page, err, errlen);
	if (ret)
		goto out;
	nb->tx_mapped = true;
	ret = map_ring(nb, "rx-ring-ref", p->rx_ring_ref, &nb->rx_page, err, errlen);
	if (ret)
		goto out;
	nb->rx_mapped = true;
	/* One page as both rings: each would overwrite the other's indices. */
	if (nb->tx_page == nb->rx_page) {
		snprintf(err, errlen, "netback %s: tx-ring-ref %u and rx-ring-ref %u are one page",
			 nb->name, p->tx_ring_ref, p->rx_ring_ref);
		ret = -EINVAL;
		goto out;
	}
	sv_back_ring_init(&nb->tx, nb->tx_page, NETIF_PAGE, sizeof(union netif_tx_slot));
	sv_back_ring_init(&nb->rx, nb->rx_page, NETIF_PAGE, sizeof(union netif_rx_slot));
	nb->max_frame = p->sg ? NETIF_MAX_FRAME : mtu + NETIF_ETH_HLEN;
	if (!p->sg && nb->max_frame > NETIF_PAGE)
		nb->max_frame = NETIF_PAGE;
	*out = nb;
	return 0;
out:
	free_vif(nb);
	return ret;
}

void netback_close(struct netback *nb)
{
	if (nb)
		free_vif(nb);
}
