// SPDX-License-Identifier: MIT
/*
 * netback against a fake guest (blk_harness.h): the test is the frontend,
 * building requests by hand in real shared rings in the guest's memfd, and
 * every data access goes through the real grant-access library. TX frames
 * single and chained, batching and notification suppression, every hostile
 * frame (its status, its counter, the vif still serving or, for the fatal
 * ones, disconnected while a second vif on the same mapper carries on), RX
 * into posted buffers, starvation and chains, and a million frames from one
 * vif through the switch into another with every checksum checked.
 */
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <splitvisor/netif.h>

#include "blk_harness.h"
#include "net_switch.h"
#include "backend_env.h"
#include "netback.h"

#define GUEST	 5
#define BACKEND	 0
#define RAM	 (32u << 20)
#define TX_PAGES 256u /* a data page per TX ring slot: slot i uses page i */
#define RX_BUFS	 256u /* a buffer page per RX ring slot */

/*
 * A million frames by default. AddressSanitizer makes the copies and the
 * checksums a few times slower, so its build does fewer to stay well under a
 * minute; NETBACK_STRESS_FRAMES overrides either.
 */
#ifdef __SANITIZE_ADDRESS__
#define STRESS_DEFAULT_FRAMES 200000ull
#else
#define STRESS_DEFAULT_FRAMES 1000000ull
#endif

/* For hot paths: ck_assert records every passing check, which dominates the run time. */
#define CHECK(c)                                                                  \
	do {                                                                      \
		if (!(c))                                                         \
			ck_abort_msg("%s:%d: %s failed", __FILE__, __LINE__, #c); \
	} while (0)

static struct bh_guest g;
/* The faults the next vif_new hands netback (svctl inject); NULL: none. */
static struct backend_faults *vif_faults;
static struct gnt_mapper m;

/* One vif: the guest's two front rings and pages, and the backend serving them. */
struct vif {
	struct netback *nb;
	struct sv_front_ring tx, rx;
	uint32_t tx_ring_ref, rx_ring_ref;
	uint8_t *tx_data, *rx_data;
	uint32_t tx_ref[TX_PAGES], rx_ref[RX_BUFS];
	uint16_t next_id;
	unsigned notified;
	uint64_t delivered;
	uint8_t last[NETIF_MAX_FRAME];
	size_t last_len;
	/* When set, delivered frames go here instead of into last. */
	void (*on_frame)(void *arg, const uint8_t *frame, size_t len);
	void *on_frame_arg;
};

static void setup(void)
{
	ck_assert_int_eq(bh_guest_create(&g, GUEST, BACKEND, RAM), 0);
	ck_assert_int_eq(gnt_mapper_init(&m, BACKEND, 1u << 16), 0);
}

static void teardown(void)
{
	gnt_unmap_all(&m);
	gnt_mapper_destroy(&m);
	bh_guest_destroy(&g);
}

static void vif_notify(void *opaque)
{
	((struct vif *)opaque)->notified++;
}

static void vif_deliver(void *opaque, const uint8_t *frame, size_t len)
{
	struct vif *v = opaque;

	v->delivered++;
	if (v->on_frame) {
		v->on_frame(v->on_frame_arg, frame, len);
		return;
	}
	ck_assert_uint_le(len, sizeof(v->last));
	memcpy(v->last, frame, len);
	v->last_len = len;
}

static struct vif *vif_new(bool sg, uint32_t mtu)
{
	struct vif *v = calloc(1, sizeof(*v));
	struct netback_params p;
	uint8_t *ring;
	char err[256];
	int ret;

	ck_assert_ptr_nonnull(v);
	ring = bh_alloc_pages(&g, 2);
	ck_assert_ptr_nonnull(ring);
	v->tx_ring_ref = (uint32_t)bh_grant(&g, ring, false);
	v->rx_ring_ref = (uint32_t)bh_grant(&g, ring + BH_PAGE, false);
	sv_front_ring_init(&v->tx, (void *)ring, BH_PAGE, sizeof(union netif_tx_slot));
	sv_front_ring_init(&v->rx, (void *)(ring + BH_PAGE), BH_PAGE, sizeof(union netif_rx_slot));
	ck_assert_uint_eq(v->tx.entries, NETIF_TX_RING_ENTRIES);
	ck_assert_uint_eq(v->rx.entries, NETIF_RX_RING_ENTRIES);
	/* What the guest sends is only read: read-only grants are enough. */
	v->tx_data = bh_alloc_granted(&g, TX_PAGES, true, v->tx_ref);
	v->rx_data = bh_alloc_granted(&g, RX_BUFS, false, v->rx_ref);
	ck_assert_ptr_nonnull(v->tx_data);
	ck_assert_ptr_nonnull(v->rx_data);
	v->next_id = 100;
	p = (struct netback_params){ .granter = &g.granter,
				     .mapper = &m,
				     .tx_ring_ref = v->tx_ring_ref,
				     .rx_ring_ref = v->rx_ring_ref,
				     .mac = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01 },
				     .mtu = mtu,
				     .sg = sg,
				     .notify = vif_notify,
				     .deliver = vif_deliver,
				     .opaque = v,
				     .name = "test vif",
				     .faults = vif_faults };
	ret = netback_open(&v->nb, &p, err, sizeof(err));
	ck_assert_msg(!ret, "%s", err);
	return v;
}

static void vif_free(struct vif *v)
{
	netback_close(v->nb);
	free(v);
}

static struct netback_stats st(const struct vif *v)
{
	struct netback_stats s;

	netback_get_stats(v->nb, &s);
	return s;
}

/* ---- the frontend's side of TX ---- */

static uint8_t *tx_page_of(struct vif *v, uint32_t idx)
{
	return v->tx_data + (size_t)(idx % TX_PAGES) * BH_PAGE;
}

/* Queues one request in the next slot; its id is returned. */
static uint16_t tx_req(struct vif *v, uint32_t gref, uint16_t off, uint16_t flags, uint16_t size)
{
	union netif_tx_slot *s = sv_front_next_req(&v->tx);

	memset(s, 0, sizeof(*s));
	s->req = (struct netif_tx_request){
		.gref = gref, .offset = off, .flags = flags, .id = v->next_id, .size = size
	};
	return v->next_id++;
}

static void tx_extra(struct vif *v, uint8_t type, uint8_t flags)
{
	union netif_tx_slot *s = sv_front_next_req(&v->tx);

	memset(s, 0, sizeof(*s));
	s->extra.type = type;
	s->extra.flags = flags;
	s->extra.u.gso.size = 1448;
	s->extra.u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
}

/*
 * Queues a frame as netfront would: the data from off in the page of its
 * first slot, then whole pages (only one slot without sg). Returns its slots.
 */
static uint32_t tx_frame(struct vif *v, const uint8_t *data, uint32_t len, uint32_t off)
{
	uint32_t done = 0, part, idx, n = 0;

	do {
		idx = v->tx.req_prod_pvt;
		part = len - done < BH_PAGE - off ? len - done : BH_PAGE - off;
		memcpy(tx_page_of(v, idx) + off, data + done, part);
		done += part;
		tx_req(v, v->tx_ref[idx % TX_PAGES], (uint16_t)off,
		       done < len ? NETTXF_MORE_DATA : 0, (uint16_t)(n ? part : len));
		off = 0;
		n++;
	} while (done < len);
	return n;
}

/* Publishes what was queued and kicks the backend when the event index asks. */
static int tx_push(struct vif *v)
{
	if (sv_front_push_requests(&v->tx))
		return netback_tx_kick(v->nb);
	return 0;
}

/*
 * Takes the TX responses waiting (up to max) and re-arms rsp_event; each
 * slot's bytes past the 4-byte response must be zero (XSA-216).
 */
static uint32_t tx_take(struct vif *v, struct netif_tx_response *out, uint32_t max)
{
	const uint8_t *raw;
	uint32_t n = 0, k;

	do {
		while (sv_front_unconsumed(&v->tx)) {
			raw = sv_front_rsp(&v->tx, v->tx.rsp_cons++);
			for (k = sizeof(struct netif_tx_response); k < sizeof(union netif_tx_slot);
			     k++)
				CHECK(raw[k] == 0);
			CHECK(n < max);
			memcpy(&out[n++], raw, sizeof(*out));
		}
	} while (sv_front_final_check(&v->tx));
	return n;
}

static void pattern(uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

/* Sends one frame and checks it arrived whole, every slot answered OKAY. */
static void send_ok(struct vif *v, uint32_t len, uint32_t off, uint32_t seed)
{
	static uint8_t data[NETIF_MAX_FRAME];
	struct netif_tx_response rsp[NETIF_MAX_SLOTS_PER_FRAME];
	uint64_t before = v->delivered;
	uint16_t first = v->next_id;
	uint32_t n, i;

	pattern(data, len, seed);
	n = tx_frame(v, data, len, off);
	ck_assert_int_eq(tx_push(v), 0);
	ck_assert_uint_eq(v->delivered, before + 1);
	ck_assert_uint_eq(v->last_len, len);
	ck_assert_mem_eq(v->last, data, len);
	ck_assert_uint_eq(tx_take(v, rsp, NETIF_MAX_SLOTS_PER_FRAME), n);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(rsp[i].id, (uint16_t)(first + i));
		ck_assert_int_eq(rsp[i].status, NETIF_RSP_OKAY);
	}
}

/* ---- the frontend's side of RX ---- */

/* Posts buffer pages for n more slots: the id is the slot's index, the page that id's. */
static void rx_post(struct vif *v, uint32_t n)
{
	union netif_rx_slot *s;
	uint32_t i, id;

	for (i = 0; i < n; i++) {
		id = v->rx.req_prod_pvt % RX_BUFS;
		s = sv_front_next_req(&v->rx);
		memset(s, 0, sizeof(*s));
		s->req.id = (uint16_t)id;
		s->req.gref = v->rx_ref[id];
	}
	sv_front_push_requests(&v->rx);
}

/* Takes the RX responses waiting; each must sit in its request's slot. */
static uint32_t rx_take(struct vif *v, struct netif_rx_response *out, uint32_t max)
{
	uint32_t n = 0;

	while (sv_front_unconsumed(&v->rx)) {
		ck_assert_uint_lt(n, max);
		memcpy(&out[n], sv_front_rsp(&v->rx, v->rx.rsp_cons), sizeof(*out));
		ck_assert_uint_eq(out[n].id, v->rx.rsp_cons % RX_BUFS);
		v->rx.rsp_cons++;
		n++;
	}
	sv_front_final_check(&v->rx);
	return n;
}

static uint8_t *rx_page_of(struct vif *v, uint16_t id)
{
	return v->rx_data + (size_t)id * BH_PAGE;
}

/* ---- 1: TX ---- */

START_TEST(tx_single_slot)
{
	struct vif *v = vif_new(false, 0);
	struct netif_tx_response rsp[4];

	send_ok(v, 60, 0, 1);
	send_ok(v, NETIF_ETH_HLEN, 4096 - NETIF_ETH_HLEN, 2); /* to the page's last byte */
	send_ok(v, 1514, 4096 - 1514, 3);
	send_ok(v, 1000, 17, 4);
	ck_assert_uint_eq(st(v).tx_frames, 4);
	ck_assert_uint_eq(st(v).tx_bytes, 60 + 14 + 1514 + 1000);
	ck_assert_uint_eq(st(v).copies, 4);
	/* A frame and its slot are gone from the mapper once answered. */
	ck_assert_uint_eq(gnt_map_count(&m, &g.granter, v->tx_ref[0]), 0);
	ck_assert_uint_eq(tx_take(v, rsp, 4), 0);
	vif_free(v);
}
END_TEST

START_TEST(tx_chains)
{
	struct vif *v = vif_new(true, 0);
	static uint8_t data[NETIF_MAX_FRAME];
	uint32_t i;

	send_ok(v, 9000, 3000, 1);	   /* 1096 + 4096 + 3808 */
	send_ok(v, NETIF_MAX_FRAME, 0, 2); /* 16 slots, the largest frame */
	send_ok(v, 4097, 0, 3);		   /* one byte in the second slot */
	/* 18 slots of 100 bytes: the longest chain taken. */
	pattern(data, 1800, 4);
	for (i = 0; i < NETIF_MAX_SLOTS_PER_FRAME; i++) {
		memcpy(tx_page_of(v, v->tx.req_prod_pvt) + 500, data + i * 100, 100);
		tx_req(v, v->tx_ref[v->tx.req_prod_pvt % TX_PAGES], 500,
		       i + 1 < NETIF_MAX_SLOTS_PER_FRAME ? NETTXF_MORE_DATA : 0, i ? 100 : 1800);
	}
	ck_assert_int_eq(tx_push(v), 0);
	ck_assert_uint_eq(v->last_len, 1800);
	ck_assert_mem_eq(v->last, data, 1800);
	ck_assert_uint_eq(st(v).tx_frames, 4);
	ck_assert_uint_eq(st(v).copies, 3 + 16 + 2 + 18);
	ck_assert(!netback_disconnected(v->nb));
	vif_free(v);
}
END_TEST

/* A frame whose last slot is not published yet waits for it, and the next push notifies. */
START_TEST(tx_partial_chain_waits)
{
	struct vif *v = vif_new(true, 0);
	struct netif_tx_response rsp[4];
	static uint8_t data[6000];

	pattern(data, sizeof(data), 9);
	tx_frame(v, data, sizeof(data), 0); /* two slots */
	v->tx.req_prod_pvt--;		    /* publish only the first */
	ck_assert_int_eq(tx_push(v), 0);
	ck_assert_uint_eq(v->delivered, 0);
	ck_assert_uint_eq(tx_take(v, rsp, 4), 0);
	v->tx.req_prod_pvt++;
	ck_assert(sv_front_push_requests(&v->tx));
	ck_assert_int_eq(netback_tx_kick(v->nb), 0);
	ck_assert_uint_eq(v->delivered, 1);
	ck_assert_mem_eq(v->last, data, sizeof(data));
	ck_assert_uint_eq(tx_take(v, rsp, 4), 2);
	vif_free(v);
}
END_TEST

/*
 * A burst is one batch copy and one notification; a guest streaming frames
 * and reading its responses every 32 frames costs a notification per 32.
 */
START_TEST(tx_notification_suppression)
{
	struct vif *v = vif_new(false, 0);
	struct netif_tx_response rsp[256];
	static uint8_t data[1514];
	uint64_t notes, kicks;
	uint32_t i;

	pattern(data, sizeof(data), 5);
	for (i = 0; i < 200; i++)
		tx_frame(v, data, 60 + i, 0);
	ck_assert_int_eq(tx_push(v), 0);
	ck_assert_uint_eq(v->delivered, 200);
	ck_assert_uint_eq(st(v).batches, 1);
	ck_assert_uint_eq(st(v).copies, 200);
	ck_assert_uint_eq(st(v).notifications_out, 1);
	ck_assert_uint_eq(v->notified, 1);
	ck_assert_uint_eq(tx_take(v, rsp, 256), 200);

	/* A push per frame, as netfront does; responses read every 32 frames. */
	notes = st(v).notifications_out;
	kicks = st(v).kicks;
	for (i = 0; i < 10000; i++) {
		tx_frame(v, data, 60 + i % 1400, 0);
		ck_assert_int_eq(tx_push(v), 0);
		if (i % 32 == 31)
			ck_assert_uint_eq(tx_take(v, rsp, 256), 32);
	}
	ck_assert_uint_eq(tx_take(v, rsp, 256), 10000 % 32);
	ck_assert_uint_eq(v->delivered, 10200);
	notes = st(v).notifications_out - notes;
	kicks = st(v).kicks - kicks;
	fprintf(stderr,
		"tx_notification_suppression: burst of 200: 1 notification; stream of 10000: "
		"%llu notifications (%.4f per frame), %llu kicks\n",
		(unsigned long long)notes, notes / 10000.0, (unsigned long long)kicks);
	ck_assert_uint_le(notes, 10000 / 32 + 1);
	vif_free(v);
}
END_TEST

/* ---- 2: hostile frontends ---- */

#define STAT(v, field) (st(v).field)

/*
 * Pushes what was queued; every slot must be answered with status[i] in
 * order, the counter must have grown by one, and the vif must still deliver.
 */
#define EXPECT_REFUSED(v, counter, ...)                                                       \
	do {                                                                                  \
		const int16_t want_[] = { __VA_ARGS__ };                                      \
		struct netif_tx_response rsp_[32];                                            \
		uint64_t before_ = STAT(v, counter), delivered_ = (v)->delivered;             \
		uint32_t i_, n_ = (uint32_t)(sizeof(want_) / sizeof(want_[0]));               \
		ck_assert_int_eq(tx_push(v), 0);                                              \
		ck_assert_uint_eq(tx_take(v, rsp_, 32), n_);                                  \
		for (i_ = 0; i_ < n_; i_++)                                                   \
			ck_assert_msg(rsp_[i_].status == want_[i_], "slot %u: status %d", i_, \
				      rsp_[i_].status);                                       \
		ck_assert_uint_eq(STAT(v, counter), before_ + 1);                             \
		ck_assert_uint_eq((v)->delivered, delivered_);                                \
		ck_assert(!netback_disconnected((v)->nb));                                    \
		send_ok(v, 100, 0, 77);                                                       \
	} while (0)

#define R_ERR  NETIF_RSP_ERROR
#define R_NULL NETIF_RSP_NULL

START_TEST(tx_hostile_frames)
{
	struct vif *v = vif_new(true, 0), *plain = vif_new(false, 0);
	uint32_t ref = v->tx_ref[0], other_dom, i, drops;
	struct netif_tx_response rsp[8];
	int ret;

	/* Zero-length frames (XSA-448): size 0, an empty fragment, an empty first slot. */
	tx_req(v, ref, 0, 0, 0);
	EXPECT_REFUSED(v, tx_zero_len, R_ERR);
	tx_req(v, ref, 0, NETTXF_MORE_DATA, 100);
	tx_req(v, ref, 0, NETTXF_MORE_DATA, 0);
	tx_req(v, ref, 0, 0, 40);
	EXPECT_REFUSED(v, tx_zero_len, R_ERR, R_ERR, R_ERR);
	tx_req(v, ref, 0, NETTXF_MORE_DATA, 100);
	tx_req(v, ref, 0, 0, 100);
	EXPECT_REFUSED(v, tx_zero_len, R_ERR, R_ERR);

	/* Over the limit: 1514 bytes without sg. */
	tx_req(plain, plain->tx_ref[0], 0, 0, 1515);
	EXPECT_REFUSED(plain, tx_oversize, NETIF_RSP_DROPPED);
	send_ok(plain, 1514, 0, 1);

	/* Sizes that do not add up: a runt, parts over the total, a chain without sg. */
	tx_req(v, ref, 0, 0, NETIF_ETH_HLEN - 1);
	EXPECT_REFUSED(v, tx_bad_size, R_ERR);
	tx_req(v, ref, 0, NETTXF_MORE_DATA, 100);
	tx_req(v, ref, 0, NETTXF_MORE_DATA, 60);
	tx_req(v, ref, 0, 0, 60);
	EXPECT_REFUSED(v, tx_bad_size, R_ERR, R_ERR, R_ERR);
	tx_req(plain, plain->tx_ref[0], 0, NETTXF_MORE_DATA, 100);
	tx_req(plain, plain->tx_ref[0], 0, 0, 40);
	EXPECT_REFUSED(plain, tx_bad_size, R_ERR, R_ERR);

	/* A slot crossing its page: the first, or a fragment. */
	tx_req(v, ref, 4000, 0, 200);
	EXPECT_REFUSED(v, tx_bad_offset, R_ERR);
	tx_req(v, ref, 0, NETTXF_MORE_DATA, 300);
	tx_req(v, ref, 4000, 0, 200);
	EXPECT_REFUSED(v, tx_bad_offset, R_ERR, R_ERR);
	tx_req(v, ref, 0xffff, 0, 60);
	EXPECT_REFUSED(v, tx_bad_offset, R_ERR);

	/* Bad grants: never granted, outside the table, granted to another domain. */
	tx_req(v, 5000, 0, 0, 60);
	EXPECT_REFUSED(v, tx_bad_grant, R_ERR);
	tx_req(v, 0xfffffff0u, 0, 0, 60);
	EXPECT_REFUSED(v, tx_bad_grant, R_ERR);
	other_dom = (uint32_t)bh_grant_to(&g, 9, bh_frame(&g, v->tx_data), true);
	tx_req(v, ref, 0, NETTXF_MORE_DATA, 200);
	tx_req(v, other_dom, 0, 0, 100);
	EXPECT_REFUSED(v, tx_bad_grant, R_ERR, R_ERR);
	/* One bad frame in a batch: the frames around it still go. */
	drops = (uint32_t)STAT(v, tx_bad_grant);
	tx_req(v, ref, 0, 0, 60);
	tx_req(v, 5000, 0, 0, 60);
	tx_req(v, ref, 0, 0, 70);
	ck_assert_int_eq(tx_push(v), 0);
	ck_assert_uint_eq(tx_take(v, rsp, 8), 3);
	ck_assert_int_eq(rsp[0].status, NETIF_RSP_OKAY);
	ck_assert_int_eq(rsp[1].status, NETIF_RSP_ERROR);
	ck_assert_int_eq(rsp[2].status, NETIF_RSP_OKAY);
	ck_assert_uint_eq(v->last_len, 70);
	ck_assert_uint_eq(STAT(v, tx_bad_grant), drops + 1);

	/* Extra infos: GSO was not offered; a type outside the protocol. NULL for the extras. */
	tx_req(v, ref, 0, NETTXF_EXTRA_INFO, 60);
	tx_extra(v, NETIF_EXTRA_TYPE_GSO, 0);
	EXPECT_REFUSED(v, tx_bad_extra, R_ERR, R_NULL);
	tx_req(v, ref, 0, NETTXF_EXTRA_INFO | NETTXF_MORE_DATA, 200);
	tx_extra(v, 9, NETIF_EXTRA_FLAG_MORE);
	tx_extra(v, NETIF_EXTRA_TYPE_HASH, 0);
	tx_req(v, ref, 0, 0, 100);
	EXPECT_REFUSED(v, tx_bad_extra, R_ERR, R_NULL, R_NULL, R_ERR);

	/* Each refusal above was one frame; the plain vif's two, and nothing still mapped. */
	ck_assert_uint_eq(STAT(v, tx_zero_len), 3);
	ck_assert_uint_eq(STAT(v, tx_bad_size), 2);
	ck_assert_uint_eq(STAT(v, tx_bad_offset), 3);
	ck_assert_uint_eq(STAT(v, tx_bad_grant), 4);
	ck_assert_uint_eq(STAT(v, tx_bad_extra), 2);
	ck_assert_uint_eq(STAT(plain, tx_oversize), 1);
	ck_assert_uint_eq(STAT(plain, tx_bad_size), 1);
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(gnt_map_count(&m, &g.granter, v->tx_ref[i]), 0);
	ret = bh_end_grant(&g, other_dom);
	ck_assert_int_eq(ret, 0);
	vif_free(plain);
	vif_free(v);
}
END_TEST

/* After a fatal frame the vif is gone for good, and a second vif does not notice. */
static void expect_disconnected(struct vif *v, struct vif *other)
{
	static const uint8_t frame[60];
	struct netif_tx_response rsp[32];
	uint64_t before = st(v).kicks;

	ck_assert(netback_disconnected(v->nb));
	tx_req(v, v->tx_ref[0], 0, 0, 60);
	sv_front_push_requests(&v->tx);
	ck_assert_int_eq(netback_tx_kick(v->nb), -EPROTO);
	ck_assert_uint_eq(st(v).kicks, before);
	ck_assert_uint_eq(tx_take(v, rsp, 32), 0);
	rx_post(v, 1);
	ck_assert_int_eq(netback_rx_frame(v->nb, frame, sizeof(frame)), -ENOTCONN);
	ck_assert_int_eq(netback_rx_flush(v->nb), -ENOTCONN);
	send_ok(other, 1514, 0, 3);
	rx_post(other, 1);
	ck_assert_int_eq(netback_rx_frame(other->nb, frame, sizeof(frame)), 0);
	ck_assert(!netback_disconnected(other->nb));
}

START_TEST(tx_fatal_frames)
{
	struct vif *other = vif_new(true, 0), *v;
	struct netif_tx_response rsp[32];
	uint32_t i;

	/* A chain that never ends: the 18th slot still says more data. Xen's fatal error. */
	v = vif_new(true, 0);
	send_ok(v, 100, 0, 1);
	tx_req(v, v->tx_ref[0], 0, 0, 60); /* a good frame before it is still delivered */
	for (i = 0; i < NETIF_MAX_SLOTS_PER_FRAME; i++)
		tx_req(v, v->tx_ref[1], 0, NETTXF_MORE_DATA, i ? 10 : 1000);
	ck_assert_int_eq(tx_push(v), -EPROTO);
	ck_assert_uint_eq(st(v).tx_too_many_slots, 1);
	ck_assert_uint_eq(st(v).tx_frames, 2);
	ck_assert_uint_eq(tx_take(v, rsp, 32), 1);
	ck_assert_int_eq(rsp[0].status, NETIF_RSP_OKAY);
	expect_disconnected(v, other);
	vif_free(v);

	/* Extra infos that never end. */
	v = vif_new(true, 0);
	tx_req(v, v->tx_ref[0], 0, NETTXF_EXTRA_INFO, 60);
	for (i = 0; i < 5; i++)
		tx_extra(v, NETIF_EXTRA_TYPE_GSO, NETIF_EXTRA_FLAG_MORE);
	ck_assert_int_eq(tx_push(v), -EPROTO);
	ck_assert_uint_eq(st(v).tx_too_many_slots, 1);
	expect_disconnected(v, other);
	vif_free(v);

	/* The request producer jumping more than a ring ahead (XSA-39). */
	v = vif_new(true, 0);
	send_ok(v, 100, 0, 1);
	v->tx.s->req_prod += NETIF_TX_RING_ENTRIES + 1;
	ck_assert_int_eq(netback_tx_kick(v->nb), -EPROTO);
	ck_assert_uint_eq(st(v).ring_overflow, 1);
	v->tx.s->req_prod -= NETIF_TX_RING_ENTRIES + 1;
	expect_disconnected(v, other);
	vif_free(v);

	ck_assert_uint_eq(st(other).tx_too_many_slots + st(other).ring_overflow, 0);
	vif_free(other);
}
END_TEST

/* ---- 3: RX ---- */

START_TEST(rx_single_slot)
{
	struct vif *v = vif_new(false, 0);
	static const uint32_t lens[] = { 60, 1514, NETIF_ETH_HLEN, 1000 };
	struct netif_rx_response rsp[8];
	static uint8_t data[4][1514];
	uint32_t i;

	rx_post(v, 8);
	for (i = 0; i < 4; i++) {
		pattern(data[i], lens[i], i + 10);
		ck_assert_int_eq(netback_rx_frame(v->nb, data[i], lens[i]), 0);
	}
	/* Pushed lazily: the guest sees nothing until the flush, then one notification. */
	ck_assert_uint_eq(sv_front_unconsumed(&v->rx), 0);
	ck_assert_uint_eq(v->notified, 0);
	ck_assert_int_eq(netback_rx_flush(v->nb), 0);
	ck_assert_uint_eq(v->notified, 1);
	ck_assert_int_eq(netback_rx_flush(v->nb), 0);
	ck_assert_uint_eq(v->notified, 1);
	ck_assert_uint_eq(rx_take(v, rsp, 8), 4);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(rsp[i].offset, 0);
		ck_assert_uint_eq(rsp[i].flags, 0);
		ck_assert_int_eq(rsp[i].status, (int)lens[i]);
		ck_assert_mem_eq(rx_page_of(v, rsp[i].id), data[i], lens[i]);
	}
	ck_assert_uint_eq(st(v).rx_frames, 4);
	ck_assert_uint_eq(st(v).rx_bytes, 60 + 1514 + 14 + 1000);

	/* Over the limit without sg, and under a header. */
	ck_assert_int_eq(netback_rx_frame(v->nb, data[1], 1515), -EMSGSIZE);
	ck_assert_uint_eq(st(v).rx_oversize, 1);
	ck_assert_int_eq(netback_rx_frame(v->nb, data[1], NETIF_ETH_HLEN - 1), -EINVAL);
	ck_assert_int_eq(netback_rx_frame(v->nb, data[0], 60), 0);
	vif_free(v);
}
END_TEST

START_TEST(rx_starvation)
{
	struct vif *v = vif_new(true, 0);
	struct netif_rx_response rsp[8];
	static uint8_t data[9000];
	uint32_t i;

	pattern(data, sizeof(data), 3);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(netback_rx_frame(v->nb, data, 60), -ENOBUFS);
	ck_assert_uint_eq(st(v).rx_no_buffer, 5);
	ck_assert_int_eq(netback_rx_flush(v->nb), 0);
	ck_assert_uint_eq(v->notified, 0);
	/* Two buffers: a three-slot frame does not fit and takes none of them. */
	rx_post(v, 2);
	ck_assert_int_eq(netback_rx_frame(v->nb, data, sizeof(data)), -ENOBUFS);
	ck_assert_uint_eq(st(v).rx_no_buffer, 6);
	ck_assert_int_eq(netback_rx_frame(v->nb, data, 60), 0);
	ck_assert_int_eq(netback_rx_frame(v->nb, data + 1, 61), 0);
	ck_assert_int_eq(netback_rx_frame(v->nb, data, 60), -ENOBUFS);
	ck_assert_int_eq(netback_rx_flush(v->nb), 0);
	ck_assert_uint_eq(rx_take(v, rsp, 8), 2);
	ck_assert_mem_eq(rx_page_of(v, rsp[1].id), data + 1, 61);
	/* Buffers again: frames flow again. */
	rx_post(v, 3);
	ck_assert_int_eq(netback_rx_frame(v->nb, data, sizeof(data)), 0);
	ck_assert_int_eq(netback_rx_flush(v->nb), 0);
	ck_assert_uint_eq(rx_take(v, rsp, 8), 3);
	ck_assert_uint_eq(st(v).rx_frames, 3);
	ck_assert_uint_eq(st(v).rx_no_buffer, 7);
	vif_free(v);
}
END_TEST

START_TEST(rx_multi_slot)
{
	struct vif *v = vif_new(true, 0);
	struct netif_rx_response rsp[RX_BUFS];
	static uint8_t data[NETIF_MAX_FRAME];
	uint32_t i, n, off;

	pattern(data, sizeof(data), 8);
	rx_post(v, RX_BUFS);
	ck_assert_int_eq(netback_rx_frame(v->nb, data, 9000), 0);
	ck_assert_int_eq(netback_rx_frame(v->nb, data, NETIF_MAX_FRAME), 0);
	ck_assert_int_eq(netback_rx_frame(v->nb, data, 4096), 0);
	ck_assert_int_eq(netback_rx_flush(v->nb), 0);
	n = rx_take(v, rsp, RX_BUFS);
	ck_assert_uint_eq(n, 3 + 16 + 1);
	/* 9000 = 4096 + 4096 + 808, chained with MORE_DATA. */
	ck_assert_int_eq(rsp[0].status, 4096);
	ck_assert_int_eq(rsp[1].status, 4096);
	ck_assert_int_eq(rsp[2].status, 808);
	ck_assert_uint_eq(rsp[0].flags, NETRXF_MORE_DATA);
	ck_assert_uint_eq(rsp[1].flags, NETRXF_MORE_DATA);
	ck_assert_uint_eq(rsp[2].flags, 0);
	for (i = 0, off = 0; i < 3; off += (uint32_t)rsp[i].status, i++)
		ck_assert_mem_eq(rx_page_of(v, rsp[i].id), data + off, (size_t)rsp[i].status);
	for (i = 3, off = 0; i < 19; off += (uint32_t)rsp[i].status, i++) {
		ck_assert_uint_eq(rsp[i].flags, i < 18 ? NETRXF_MORE_DATA : 0);
		ck_assert_mem_eq(rx_page_of(v, rsp[i].id), data + off, (size_t)rsp[i].status);
	}
	ck_assert_uint_eq(off, NETIF_MAX_FRAME);
	ck_assert_int_eq(rsp[19].status, 4096);
	ck_assert_uint_eq(rsp[19].flags, 0);
	ck_assert_uint_eq(st(v).rx_frames, 3);
	ck_assert_uint_eq(v->notified, 1);
	vif_free(v);
}
END_TEST

START_TEST(rx_hostile_buffers)
{
	struct vif *v = vif_new(true, 0), *other = vif_new(true, 0);
	struct netif_rx_response rsp[8];
	union netif_rx_slot *s;
	static uint8_t data[6000];
	uint32_t ro;

	pattern(data, sizeof(data), 2);
	/* A read-only grant and a ref never granted, as posted buffers. */
	bh_alloc_granted(&g, 1, true, &ro);
	s = sv_front_next_req(&v->rx);
	s->req = (struct netif_rx_request){ .id = 0, .gref = ro };
	s = sv_front_next_req(&v->rx);
	s->req = (struct netif_rx_request){ .id = 1, .gref = 5000 };
	sv_front_push_requests(&v->rx);
	ck_assert_int_eq(netback_rx_frame(v->nb, data, 60), -EFAULT);
	ck_assert_int_eq(netback_rx_frame(v->nb, data, 60), -EFAULT);
	rx_post(v, 2);
	ck_assert_int_eq(netback_rx_frame(v->nb, data, sizeof(data)), 0);
	ck_assert_int_eq(netback_rx_flush(v->nb), 0);
	ck_assert_uint_eq(rx_take(v, rsp, 8), 4);
	ck_assert_int_eq(rsp[0].status, NETIF_RSP_ERROR);
	ck_assert_int_eq(rsp[1].status, NETIF_RSP_ERROR);
	ck_assert_int_eq(rsp[2].status, 4096);
	ck_assert_mem_eq(rx_page_of(v, rsp[3].id), data + 4096, sizeof(data) - 4096);
	ck_assert_uint_eq(st(v).rx_bad_grant, 2);
	ck_assert_uint_eq(st(v).rx_frames, 1);

	/* The RX producer jumping more than a ring ahead. */
	v->rx.s->req_prod = v->rx.req_prod_pvt + NETIF_RX_RING_ENTRIES + 1;
	ck_assert_int_eq(netback_rx_frame(v->nb, data, 60), -EPROTO);
	ck_assert_uint_eq(st(v).ring_overflow, 1);
	v->rx.s->req_prod = v->rx.req_prod_pvt;
	expect_disconnected(v, other);
	vif_free(other);
	vif_free(v);
}
END_TEST

/* ---- 4: opening and closing ---- */

START_TEST(open_refuses_bad_rings)
{
	struct netback_params p = { .granter = &g.granter, .mapper = &m, .name = "vif 5.0" };
	struct vif *v = vif_new(false, 0);
	struct netback *nb;
	char err[256];

	p.deliver = vif_deliver;
	p.opaque = v;
	p.tx_ring_ref = v->tx_ring_ref;
	p.rx_ring_ref = 5000; /* never granted */
	ck_assert_int_eq(netback_open(&nb, &p, err, sizeof(err)), -EPERM);
	ck_assert_ptr_null(nb);
	ck_assert_msg(strstr(err, "rx-ring-ref 5000"), "%s", err);
	/* The TX ring it had mapped is let go again: only v's own map remains. */
	ck_assert_uint_eq(gnt_map_count(&m, &g.granter, v->tx_ring_ref), 1);
	p.tx_ring_ref = 0xfffffff0u;
	ck_assert_int_eq(netback_open(&nb, &p, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "tx-ring-ref 4294967280"), "%s", err);
	/* Both rings on one page. */
	p.tx_ring_ref = p.rx_ring_ref = v->tx_ring_ref;
	ck_assert_int_eq(netback_open(&nb, &p, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "one page"), "%s", err);
	p.rx_ring_ref = v->rx_ring_ref;
	p.mtu = 40;
	ck_assert_int_eq(netback_open(&nb, &p, err, sizeof(err)), -EINVAL);
	ck_assert_uint_eq(gnt_map_count(&m, &g.granter, v->tx_ring_ref), 1);
	/* Closed, the guest can revoke its rings. */
	vif_free(v);
	ck_assert_uint_eq(gnt_map_count(&m, &g.granter, p.tx_ring_ref), 0);
	ck_assert_int_eq(bh_end_grant(&g, p.tx_ring_ref), 0);
	ck_assert_int_eq(bh_end_grant(&g, p.rx_ring_ref), 0);
}
END_TEST

/* ---- 5: a million frames, vif a -> switch -> vif b ---- */

struct stress {
	struct vif *a, *b;
	struct net_switch *sw;
	uint32_t port_a, port_b;
	uint64_t rng, now;
	/* What is on its way, in order: a frame's length and checksum. */
	struct {
		uint32_t len;
		uint64_t sum;
	} fifo[1024];
	uint32_t fifo_head, fifo_tail;
	uint64_t sent, received;
	uint8_t frame[9014], got[9014];
	uint32_t got_len;
};

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t checksum(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h ^ len;
}

static void to_switch(void *arg, const uint8_t *frame, size_t len)
{
	struct stress *t = arg;

	net_switch_input(t->sw, t->port_a, frame, len, t->now);
}

static void to_b(void *arg, const uint8_t *frame, size_t len)
{
	struct stress *t = arg;

	CHECK(netback_rx_frame(t->b->nb, frame, len) == 0);
}

static void to_a(void *arg, const uint8_t *frame, size_t len)
{
	(void)arg;
	(void)frame;
	(void)len;
	ck_abort_msg("nothing is for vif a");
}

/* Queues one random frame on a: mostly 60..1514 bytes, every 8th up to 9014 (3 slots). */
static void stress_send(struct stress *t)
{
	uint32_t len, i;
	uint64_t w;

	len = t->sent % 8 == 7 ? 1515 + (uint32_t)(xs(&t->rng) % 7500)
			       : 60 + (uint32_t)(xs(&t->rng) % 1455);
	/* To b's address (unknown unicast: flooded to b alone), from a's, then noise. */
	memcpy(t->frame, "\x00\x16\x3e\x00\x00\x0b\x00\x16\x3e\x00\x00\x0a", 12);
	for (i = 12; i < len; i += 8) {
		w = xs(&t->rng);
		memcpy(t->frame + i, &w, len - i < 8 ? len - i : 8);
	}
	memcpy(t->frame + 14, &t->sent, sizeof(t->sent));
	t->fifo[t->fifo_tail % 1024].len = len;
	t->fifo[t->fifo_tail % 1024].sum = checksum(t->frame, len);
	t->fifo_tail++;
	tx_frame(t->a, t->frame, len, (uint32_t)(xs(&t->rng) % 64));
	t->sent++;
}

/* b's guest: reassembles each frame from its RX responses, checks it, reposts the buffers. */
static void stress_receive(struct stress *t)
{
	struct netif_rx_response r;
	uint32_t taken = 0;

	while (sv_front_unconsumed(&t->b->rx)) {
		memcpy(&r, sv_front_rsp(&t->b->rx, t->b->rx.rsp_cons), sizeof(r));
		CHECK(r.id == t->b->rx.rsp_cons % RX_BUFS);
		t->b->rx.rsp_cons++;
		taken++;
		CHECK(r.status > 0);
		CHECK(t->got_len + (uint32_t)r.status <= sizeof(t->got));
		memcpy(t->got + t->got_len, rx_page_of(t->b, r.id), (size_t)r.status);
		t->got_len += (uint32_t)r.status;
		if (r.flags & NETRXF_MORE_DATA)
			continue;
		CHECK(t->fifo_head < t->fifo_tail);
		CHECK(t->got_len == t->fifo[t->fifo_head % 1024].len);
		CHECK(checksum(t->got, t->got_len) == t->fifo[t->fifo_head % 1024].sum);
		CHECK(!memcmp(t->got + 14, &t->received, sizeof(t->received)));
		t->fifo_head++;
		t->received++;
		t->got_len = 0;
	}
	sv_front_final_check(&t->b->rx);
	rx_post(t->b, taken);
}

/* svctl inject: corrupt-ring answers one slot nobody asked for per change, slow sleeps. */
START_TEST(injected_faults)
{
	static struct backend_faults f;
	struct netif_tx_response rsp[4];
	struct timespec a, b;
	struct vif *v;
	long ms;

	memset(&f, 0, sizeof(f));
	f.corrupt_ring = 5; /* a change before the ring opened corrupts nothing */
	vif_faults = &f;
	v = vif_new(false, 0);
	vif_faults = NULL;
	send_ok(v, 60, 0, 1);
	__atomic_add_fetch(&f.corrupt_ring, 1, __ATOMIC_RELAXED);
	ck_assert_int_eq(netback_tx_kick(v->nb), 0); /* nothing to answer: still pending */
	tx_frame(v, (const uint8_t *)"0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab",
		 60, 0);
	tx_frame(v, (const uint8_t *)"0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab",
		 60, 0);
	ck_assert_int_eq(tx_push(v), 0);
	ck_assert_uint_eq(tx_take(v, rsp, 4), 2);
	ck_assert_uint_eq(rsp[0].id, 0xffff);
	ck_assert_int_eq(rsp[0].status, 0x7fff);
	ck_assert_int_eq(rsp[1].status, NETIF_RSP_OKAY); /* once per change */
	send_ok(v, 60, 0, 2);
	f.slow_ms = 30;
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(netback_tx_kick(v->nb), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	ck_assert_int_ge(ms, 29);
	vif_free(v);
}
END_TEST

START_TEST(million_frames)
{
	const char *env = getenv("NETBACK_STRESS_FRAMES");
	uint64_t want = env && *env ? strtoull(env, NULL, 10) : STRESS_DEFAULT_FRAMES, t0, ns;
	static struct netif_tx_response rsp[256];
	static struct stress t;
	struct net_switch_stats sws;
	uint32_t n, i, burst;

	t.a = vif_new(true, 0);
	t.b = vif_new(true, 0);
	t.rng = 0x9e3779b97f4a7c15ull;
	ck_assert_int_eq(net_switch_create(&t.sw, NULL), 0);
	ck_assert_int_eq(net_switch_add_port(t.sw, to_a, &t, &t.port_a), 0);
	ck_assert_int_eq(net_switch_add_port(t.sw, to_b, &t, &t.port_b), 0);
	t.a->on_frame = to_switch;
	t.a->on_frame_arg = &t;
	rx_post(t.b, RX_BUFS);
	t0 = bh_now_ns();
	while (t.received < want) {
		/* A burst of up to 64 frames, as long as the ring has room for the largest. */
		burst = 1 + (uint32_t)(xs(&t.rng) % 64);
		for (i = 0; i < burst && t.sent < want && sv_front_free_slots(&t.a->tx) >= 3; i++)
			stress_send(&t);
		t.now += 1000;
		CHECK(tx_push(t.a) == 0);
		CHECK(netback_rx_flush(t.b->nb) == 0);
		stress_receive(&t);
		n = tx_take(t.a, rsp, 256);
		for (i = 0; i < n; i++)
			CHECK(rsp[i].status == NETIF_RSP_OKAY);
		CHECK(t.sent == t.received);
	}
	ns = bh_now_ns() - t0;
	net_switch_get_stats(t.sw, &sws);
	ck_assert_uint_eq(st(t.a).tx_frames, want);
	ck_assert_uint_eq(st(t.b).rx_frames, want);
	ck_assert_uint_eq(st(t.b).rx_no_buffer, 0);
	ck_assert_uint_eq(sws.flooded, want);
	fprintf(stderr,
		"million_frames: %llu frames (%.1f MB) a -> switch -> b in %.2f s: %.0f frames/s; "
		"notifications per frame: tx %.4f, rx %.4f; TX batches %llu, kicks %llu\n",
		(unsigned long long)want, (st(t.a).tx_bytes) / 1e6, ns / 1e9, want / (ns / 1e9),
		(double)st(t.a).notifications_out / (double)want,
		(double)st(t.b).notifications_out / (double)want,
		(unsigned long long)st(t.a).batches, (unsigned long long)st(t.a).kicks);
	net_switch_destroy(t.sw);
	vif_free(t.a);
	vif_free(t.b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("netback");
	TCase *tc = tcase_create("basic");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, tx_single_slot);
	tcase_add_test(tc, tx_chains);
	tcase_add_test(tc, tx_partial_chain_waits);
	tcase_add_test(tc, tx_notification_suppression);
	tcase_add_test(tc, tx_hostile_frames);
	tcase_add_test(tc, tx_fatal_frames);
	tcase_add_test(tc, rx_single_slot);
	tcase_add_test(tc, rx_starvation);
	tcase_add_test(tc, rx_multi_slot);
	tcase_add_test(tc, rx_hostile_buffers);
	tcase_add_test(tc, open_refuses_bad_rings);
	tcase_add_test(tc, injected_faults);
	tcase_add_test(tc, million_frames);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
