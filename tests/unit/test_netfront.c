// SPDX-License-Identifier: MIT
/*
 * netfront's engine against an in-process fake backend over the fake guest of
 * blk_harness.h: the backend maps the rings and copies frame data through the
 * real grant access (grant_access.h), so every grant netfront makes is checked
 * by the rules a backend enforces. Frames of every size and jumbo frames round
 * trip through TX and back in on RX; batching, RX reassembly, pool exhaustion
 * and recovery, and a hostile backend's responses (bad ids, duplicates,
 * jumping producers, sizes past the page, errors) that must be counted and
 * survived.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splitvisor/netif.h>

#include "blk_harness.h"
#include "grant_access.h"
#include "netfront.h"

#define PG	   NETIF_PAGE
#define RAM	   (16u << 20)
#define GUEST_DOM  5
#define MAX_SLOTS  NETIF_MAX_SLOTS_PER_FRAME
#define ETH_MAX	   1514u
#define JUMBO_MTU  9000u
#define BURST	   64u
#define STREAM	   10240u
#define STREAM_BAT 32u

/* For hot paths: ck_assert records every passing check, which dominates the run time. */
#define CHECK(c)                                                                  \
	do {                                                                      \
		if (!(c))                                                         \
			ck_abort_msg("%s:%d: %s failed", __FILE__, __LINE__, #c); \
	} while (0)

static struct bh_guest g;
static struct gnt_mapper mapper;
static struct netfront *nf;
static struct sv_back_ring btx, brx;
static long grant_limit = -1; /* grants that may still be made; -1 no limit */

/* ---- the guest's side of netfront_ops ---- */

static void *o_alloc_page(void *o)
{
	return bh_alloc_pages(o, 1);
}

static void o_free_page(void *o, void *p)
{
	bh_free_pages(o, p, 1);
}

static int o_grant(void *o, void *page, bool ro)
{
	CHECK((uintptr_t)page % PG == 0);
	if (grant_limit == 0)
		return -ENOSPC;
	if (grant_limit > 0)
		grant_limit--;
	return bh_grant(o, page, ro);
}

static int o_end_grant(void *o, uint32_t ref)
{
	return bh_end_grant(o, ref);
}

static void o_notify(void *o)
{
	struct bh_guest *gg = o;

	gg->notify_count++;
}

static const struct netfront_ops ops = {
	.alloc_page = o_alloc_page,
	.free_page = o_free_page,
	.grant = o_grant,
	.end_grant = o_end_grant,
	.notify = o_notify,
};

/* ---- what rx_fn saw ---- */

static uint8_t got[NETIF_MAX_FRAME];
static size_t got_len;
static unsigned int got_flags;
static long got_count;

static void on_rx(void *arg, const uint8_t *frame, size_t len, unsigned int flags)
{
	(void)arg;
	CHECK(len <= sizeof(got));
	memcpy(got, frame, len);
	got_len = len;
	got_flags = flags;
	got_count++;
}

/* ---- the fake backend ---- */

static uint8_t be_frame[NETIF_MAX_FRAME]; /* the last frame TX carried */
static size_t be_len;
static long be_frames;
static bool be_echo;	       /* loop each TX frame back on RX */
static uint32_t be_chunk = PG; /* RX bytes per slot */
static uint32_t be_off;	       /* RX data offset in each page */

/* Consumes the next RX request: the page the frontend posted. */
static struct netif_rx_request be_rx_take(void)
{
	struct netif_rx_request r;
	uint32_t prod;

	CHECK(sv_back_req_prod(&brx, &prod) == 0);
	CHECK(brx.req_cons != prod);
	memcpy(&r, sv_back_req(&brx, brx.req_cons++), sizeof(r));
	return r;
}

/* RX is positional: the response goes into the slot of the request just taken. */
static void be_rx_put(uint16_t id, uint16_t off, uint16_t flags, int16_t status)
{
	struct netif_rx_response *rsp;

	CHECK(brx.rsp_prod_pvt < brx.req_cons);
	rsp = sv_back_next_rsp(&brx);
	rsp->id = id;
	rsp->offset = off;
	rsp->flags = flags;
	rsp->status = status;
}

static uint32_t be_rx_avail(void)
{
	uint32_t prod;

	CHECK(sv_back_req_prod(&brx, &prod) == 0);
	return prod - brx.req_cons;
}

/* Writes a frame into posted pages, be_chunk bytes at be_off per slot; pushed by the caller. */
static void be_rx_write(const uint8_t *d, size_t len, uint16_t first_flags)
{
	size_t pos = 0;

	CHECK(be_chunk + be_off <= PG);
	CHECK(be_rx_avail() >= (len + be_chunk - 1) / be_chunk);
	do {
		struct netif_rx_request r = be_rx_take();
		uint32_t part = len - pos < be_chunk ? (uint32_t)(len - pos) : be_chunk;
		uint16_t flags = (uint16_t)(pos + part < len ? NETRXF_MORE_DATA : 0);

		if (!pos)
			flags |= first_flags;
		CHECK(gnt_copy(&mapper, &g.granter, r.gref, SV_GNT_COPY_TO_GRANT, be_off,
			       (void *)(d + pos), part) == 0);
		be_rx_put(r.id, (uint16_t)be_off, flags, (int16_t)part);
		pos += part;
	} while (pos < len);
}

static void be_rx_push(void)
{
	sv_back_push_responses(&brx);
	sv_back_final_check(&brx);
}

/*
 * Consumes every TX request, reassembling frames by Xen's rule (the first
 * slot's size is the whole frame's) and copying them out of the grants;
 * answers each slot OKAY. Echo loops each frame back on RX.
 */
static int be_tx_serve(void)
{
	uint32_t prod;
	int frames = 0;

	CHECK(sv_back_req_prod(&btx, &prod) == 0);
	while (btx.req_cons != prod) {
		struct netif_tx_request r[MAX_SLOTS];
		uint32_t n = 0, rest = 0;
		size_t pos = 0;

		do {
			CHECK(n < MAX_SLOTS && btx.req_cons != prod);
			memcpy(&r[n], sv_back_req(&btx, btx.req_cons++), sizeof(r[n]));
		} while (r[n++].flags & NETTXF_MORE_DATA);
		for (uint32_t i = 1; i < n; i++)
			rest += r[i].size;
		CHECK(rest <= r[0].size);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t part = i ? r[i].size : r[0].size - rest;

			CHECK(r[i].offset + part <= PG);
			CHECK(gnt_copy(&mapper, &g.granter, r[i].gref, SV_GNT_COPY_FROM_GRANT,
				       r[i].offset, be_frame + pos, part) == 0);
			pos += part;
		}
		be_len = pos;
		be_frames++;
		frames++;
		for (uint32_t i = 0; i < n; i++) {
			struct netif_tx_response *rsp = sv_back_next_rsp(&btx);

			rsp->id = r[i].id;
			rsp->status = NETIF_RSP_OKAY;
		}
		if (be_echo)
			be_rx_write(be_frame, be_len, 0);
	}
	sv_back_push_responses(&btx);
	sv_back_final_check(&btx);
	if (be_echo)
		be_rx_push();
	return frames;
}

/* Takes the next TX request without answering it. */
static struct netif_tx_request be_tx_take(void)
{
	struct netif_tx_request r;
	uint32_t prod;

	CHECK(sv_back_req_prod(&btx, &prod) == 0);
	CHECK(btx.req_cons != prod);
	memcpy(&r, sv_back_req(&btx, btx.req_cons++), sizeof(r));
	return r;
}

static void be_tx_put(uint16_t id, int16_t status)
{
	struct netif_tx_response *rsp = sv_back_next_rsp(&btx);

	rsp->id = id;
	rsp->status = status;
}

/* ---- fixtures ---- */

/* The backend maps both rings through the refs netfront publishes. */
static void attach_backend(void)
{
	uint32_t tx_ref, rx_ref;
	void *p;

	netfront_ring_refs(nf, &tx_ref, &rx_ref);
	ck_assert_int_eq(gnt_map(&mapper, &g.granter, tx_ref, false, &p), 0);
	sv_back_ring_init(&btx, p, PG, sizeof(union netif_tx_slot));
	ck_assert_int_eq(gnt_map(&mapper, &g.granter, rx_ref, false, &p), 0);
	sv_back_ring_init(&brx, p, PG, sizeof(union netif_rx_slot));
}

static void open_nf(bool sg, uint32_t mtu)
{
	struct netfront_features f = { .sg = sg, .mtu = mtu };

	ck_assert_int_eq(netfront_create(&ops, &g, &f, &nf), 0);
	attach_backend();
}

static void setup(void)
{
	ck_assert_int_eq(bh_guest_create(&g, GUEST_DOM, 0, RAM), 0);
	ck_assert_int_eq(gnt_mapper_init(&mapper, 0, 2048), 0);
	nf = NULL;
	grant_limit = -1;
	got_len = 0;
	got_count = 0;
	be_frames = 0;
	be_echo = true;
	be_chunk = PG;
	be_off = 0;
}

static void teardown(void)
{
	/* The backend lets go first, so every grant can end. */
	gnt_unmap_all(&mapper);
	ck_assert_uint_eq(netfront_destroy(nf), 0);
	ck_assert_uint_eq(g.grants_in_use, 0);
	ck_assert_uint_eq(g.pages_in_use, 0);
	gnt_mapper_destroy(&mapper);
	bh_guest_destroy(&g);
}

static struct netfront_stats stats(void)
{
	struct netfront_stats s;

	netfront_get_stats(nf, &s);
	return s;
}

static void fill(uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 31 + seed + (i >> 8));
}

/* Sends one frame, lets the backend echo it, polls it back in; checks it came back whole. */
static void round_trip(const uint8_t *frame, size_t len)
{
	long before = got_count;

	CHECK(netfront_send(nf, frame, len) == 0);
	CHECK(be_tx_serve() == 1);
	CHECK(be_len == len && !memcmp(be_frame, frame, len));
	CHECK(netfront_poll(nf, on_rx, NULL) >= 2); /* its TX answer(s) and the frame */
	CHECK(got_count == before + 1);
	CHECK(got_len == len && !memcmp(got, frame, len));
}

/* ---- cases ---- */

START_TEST(create_grants_and_posts)
{
	uint32_t prod, tx_ref, rx_ref;
	bool seen_id[256] = { false };

	open_nf(false, 0);
	netfront_ring_refs(nf, &tx_ref, &rx_ref);
	ck_assert_uint_ne(tx_ref, rx_ref);
	/* 2 rings, the TX pool and one page per RX slot, each granted once. */
	ck_assert_uint_eq(g.grants_in_use, 2 + NETFRONT_TX_POOL + NETFRONT_RX_BUFS);
	ck_assert_uint_eq(g.pages_in_use, 2 + NETFRONT_TX_POOL + NETFRONT_RX_BUFS);
	ck_assert_int_eq(sv_back_req_prod(&brx, &prod), 0);
	ck_assert_uint_eq(prod, NETIF_RX_RING_ENTRIES);
	ck_assert_uint_eq(g.notify_count, 0); /* no channel yet */
	for (uint32_t i = 0; i < prod; i++) {
		const struct netif_rx_request *r = sv_back_req(&brx, i);
		uint8_t b = 0x5a;

		ck_assert(!seen_id[r->id & 0xff]);
		seen_id[r->id & 0xff] = true;
		/* Writable for the backend. */
		ck_assert_int_eq(
			gnt_copy(&mapper, &g.granter, r->gref, SV_GNT_COPY_TO_GRANT, 0, &b, 1), 0);
	}
	ck_assert_uint_eq(netfront_max_frame(nf), ETH_MAX);
}
END_TEST

START_TEST(every_size_round_trips)
{
	static uint8_t f[ETH_MAX + 1];
	struct netif_tx_request r;
	struct netfront_stats s;
	uint64_t bytes = 0;
	uint8_t b = 0;

	open_nf(false, 0);
	fill(f, sizeof(f), 7);
	/* Shorter than an Ethernet header, or longer than the MTU without sg: refused. */
	for (size_t len = 1; len < NETIF_ETH_HLEN; len++)
		ck_assert_int_eq(netfront_send(nf, f, len), -EMSGSIZE);
	ck_assert_int_eq(netfront_send(nf, f, ETH_MAX + 1), -EMSGSIZE);
	ck_assert_int_eq(netfront_send(nf, NULL, 60), -EINVAL);
	for (size_t len = NETIF_ETH_HLEN; len <= ETH_MAX; len++) {
		f[len % 64] ^= (uint8_t)len;
		round_trip(f, len);
		bytes += len;
	}
	s = stats();
	ck_assert_uint_eq(s.tx_frames, ETH_MAX - NETIF_ETH_HLEN + 1);
	ck_assert_uint_eq(s.tx_bytes, bytes);
	ck_assert_uint_eq(s.tx_slots, s.tx_frames);
	ck_assert_uint_eq(s.rx_frames, s.tx_frames);
	ck_assert_uint_eq(s.rx_bytes, bytes);
	ck_assert_uint_eq(s.bad_id + s.stale_id + s.bad_rsp + s.rx_errors + s.tx_errors, 0);
	ck_assert_uint_eq(netfront_tx_inflight(nf), 0);

	/* The TX pool is granted read-only: a backend cannot write our frames. */
	ck_assert_int_eq(netfront_send(nf, f, 100), 0);
	r = be_tx_take();
	ck_assert_uint_eq(r.size, 100);
	ck_assert_uint_eq(r.flags & NETTXF_MORE_DATA, 0);
	ck_assert_int_eq(gnt_copy(&mapper, &g.granter, r.gref, SV_GNT_COPY_TO_GRANT, 0, &b, 1),
			 -EACCES);
	be_tx_put(r.id, NETIF_RSP_OKAY);
	sv_back_push_responses(&btx);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), 1);
	/* No grant per frame: still the ones create made. */
	ck_assert_uint_eq(g.grants_in_use, 2 + NETFRONT_TX_POOL + NETFRONT_RX_BUFS);
}
END_TEST

START_TEST(jumbo_frames_with_sg)
{
	static const size_t sizes[] = { 60, 4095, 4096, 4097, 8192, 9014, 12345, 30000, 0xffff };
	static uint8_t f[NETIF_MAX_FRAME + 16];
	uint32_t slots_before;

	open_nf(true, JUMBO_MTU);
	ck_assert_uint_eq(netfront_max_frame(nf), NETIF_MAX_FRAME);
	fill(f, sizeof(f), 3);
	ck_assert_int_eq(netfront_send(nf, f, NETIF_MAX_FRAME + 1), -EMSGSIZE);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		slots_before = (uint32_t)stats().tx_slots;
		round_trip(f + i, sizes[i]);
		ck_assert_uint_eq(stats().tx_slots - slots_before, (sizes[i] + PG - 1) / PG);
	}
	/* RX in small pieces at an offset: many slots reassembled into one frame. */
	be_chunk = 1000;
	be_off = 96;
	round_trip(f + 1, 9014);
	round_trip(f + 2, 17000); /* 17 slots of RX, within Xen's 18 */
	be_chunk = PG;
	be_off = 0;
	/* The first TX slot carries the frame's size, the others their part. */
	ck_assert_int_eq(netfront_send(nf, f, 9014), 0);
	{
		struct netif_tx_request a = be_tx_take(), b = be_tx_take(), c = be_tx_take();

		ck_assert_uint_eq(a.size, 9014);
		ck_assert_uint_eq(b.size, PG);
		ck_assert_uint_eq(c.size, 9014 - 2 * PG);
		ck_assert(a.flags & NETTXF_MORE_DATA);
		ck_assert(b.flags & NETTXF_MORE_DATA);
		ck_assert(!(c.flags & NETTXF_MORE_DATA));
		be_tx_put(c.id, NETIF_RSP_OKAY); /* out of order is fine */
		be_tx_put(a.id, NETIF_RSP_OKAY);
		be_tx_put(b.id, NETIF_RSP_OKAY);
		sv_back_push_responses(&btx);
	}
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), 3);
	ck_assert_uint_eq(netfront_tx_inflight(nf), 0);
	ck_assert_uint_eq(stats().bad_id + stats().stale_id + stats().rx_errors, 0);
}
END_TEST

START_TEST(mtu_without_sg)
{
	static uint8_t f[PG + 1];

	/* A jumbo MTU without sg is still one page per frame. */
	open_nf(false, JUMBO_MTU);
	ck_assert_uint_eq(netfront_max_frame(nf), PG);
	fill(f, sizeof(f), 9);
	round_trip(f, PG);
	ck_assert_int_eq(netfront_send(nf, f, PG + 1), -EMSGSIZE);
}
END_TEST

START_TEST(burst_costs_one_notification)
{
	static uint8_t f[BURST][ETH_MAX];
	struct netfront_frame fr[BURST];
	uint64_t n0, per_frame_milli;

	open_nf(false, 0);
	be_echo = false;
	for (uint32_t i = 0; i < BURST; i++) {
		fill(f[i], ETH_MAX, i);
		fr[i] = (struct netfront_frame){ .data = f[i], .len = 64 + i * 20 };
	}
	n0 = g.notify_count;
	ck_assert_int_eq(netfront_send_batch(nf, fr, BURST), BURST);
	ck_assert_uint_eq(g.notify_count - n0, 1);
	ck_assert_int_eq(be_tx_serve(), BURST);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), BURST);

	/* Single sends to a backend that is busy (has not re-armed): one between them all. */
	n0 = g.notify_count;
	for (uint32_t i = 0; i < BURST; i++)
		ck_assert_int_eq(netfront_send(nf, f[i], 100), 0);
	ck_assert_uint_eq(g.notify_count - n0, 1);
	ck_assert_int_eq(be_tx_serve(), BURST);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), BURST);

	/* "More coming" sends, then one kick. */
	n0 = g.notify_count;
	for (uint32_t i = 0; i < BURST; i++)
		ck_assert_int_eq(netfront_queue(nf, f[i], 200), 0);
	ck_assert_uint_eq(g.notify_count - n0, 0);
	netfront_kick(nf);
	ck_assert_uint_eq(g.notify_count - n0, 1);
	ck_assert_int_eq(be_tx_serve(), BURST);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), BURST);

	/* A stream in batches of 32 against a backend that drains and re-arms after each. */
	n0 = g.notify_count;
	for (uint32_t sent = 0; sent < STREAM; sent += STREAM_BAT) {
		ck_assert_int_eq(netfront_send_batch(nf, fr, STREAM_BAT), STREAM_BAT);
		CHECK(be_tx_serve() == STREAM_BAT);
		CHECK(netfront_poll(nf, on_rx, NULL) == STREAM_BAT);
	}
	per_frame_milli = (g.notify_count - n0) * 1000 / STREAM;
	printf("netfront: burst of %u: 1 notification; stream in batches of %u: %llu "
	       "notifications for %u frames (%llu.%03llu per frame)\n",
	       BURST, STREAM_BAT, (unsigned long long)(g.notify_count - n0), STREAM,
	       (unsigned long long)(per_frame_milli / 1000),
	       (unsigned long long)(per_frame_milli % 1000));
	ck_assert_uint_le(g.notify_count - n0, STREAM / STREAM_BAT + 1);
	ck_assert_uint_eq(stats().notifications, g.notify_count);
}
END_TEST

START_TEST(rx_reassembly_and_refill)
{
	static uint8_t f[3000];
	struct netif_rx_request a, b, c, x;
	struct netif_extra_info *ex;
	uint32_t prod;
	uint64_t n0;

	open_nf(false, 0);
	fill(f, sizeof(f), 11);
	/* Three slots of different sizes and offsets. */
	a = be_rx_take();
	b = be_rx_take();
	c = be_rx_take();
	ck_assert_int_eq(gnt_copy(&mapper, &g.granter, a.gref, SV_GNT_COPY_TO_GRANT, 0, f, 100), 0);
	ck_assert_int_eq(
		gnt_copy(&mapper, &g.granter, b.gref, SV_GNT_COPY_TO_GRANT, 96, f + 100, 2000), 0);
	ck_assert_int_eq(
		gnt_copy(&mapper, &g.granter, c.gref, SV_GNT_COPY_TO_GRANT, 3000, f + 2100, 900),
		0);
	be_rx_put(a.id, 0, NETRXF_MORE_DATA | NETRXF_DATA_VALIDATED, 100);
	be_rx_put(b.id, 96, NETRXF_MORE_DATA, 2000);
	/* Pushed half-way: nothing is delivered yet, and nothing is lost. */
	sv_back_push_responses(&brx);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), 0);
	ck_assert_int_eq(got_count, 0);
	be_rx_put(c.id, 3000, 0, 900);
	sv_back_push_responses(&brx);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), 1);
	ck_assert_int_eq(got_count, 1);
	ck_assert_uint_eq(got_len, 3000);
	ck_assert_mem_eq(got, f, 3000);
	ck_assert_uint_eq(got_flags, NETFRONT_RX_VALIDATED);
	/* The consumed pages are posted again: the ring is full. */
	ck_assert_int_eq(sv_back_req_prod(&brx, &prod), 0);
	ck_assert_uint_eq(prod - brx.req_cons, NETIF_RX_RING_ENTRIES);

	/* An extra info after the first slot is skipped; the frame still arrives. */
	a = be_rx_take();
	ck_assert_int_eq(gnt_copy(&mapper, &g.granter, a.gref, SV_GNT_COPY_TO_GRANT, 0, f, 1000),
			 0);
	be_rx_put(a.id, 0, NETRXF_MORE_DATA | NETRXF_EXTRA_INFO | NETRXF_CSUM_BLANK, 1000);
	x = be_rx_take();
	(void)x;
	ex = sv_back_next_rsp(&brx);
	memset(ex, 0, sizeof(*ex));
	ex->type = NETIF_EXTRA_TYPE_GSO;
	ex->u.gso.size = 1400;
	b = be_rx_take();
	ck_assert_int_eq(
		gnt_copy(&mapper, &g.granter, b.gref, SV_GNT_COPY_TO_GRANT, 0, f + 1000, 500), 0);
	be_rx_put(b.id, 0, 0, 500);
	sv_back_push_responses(&brx);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), 1);
	ck_assert_uint_eq(got_len, 1500);
	ck_assert_mem_eq(got, f, 1500);
	ck_assert_uint_eq(got_flags, NETFRONT_RX_CSUM_BLANK);
	ck_assert_uint_eq(stats().rx_errors + stats().bad_rsp, 0);

	/* A backend waiting for RX pages (req_event armed) is notified of the refill. */
	for (uint32_t i = 0; i < 4; i++)
		round_trip(f, 60);
	be_echo = false;
	while (be_rx_avail()) {
		a = be_rx_take();
		be_rx_put(a.id, 0, 0, 60);
	}
	sv_back_push_responses(&brx);
	ck_assert(!sv_back_final_check(&brx)); /* armed: tell me when there are more */
	n0 = g.notify_count;
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), NETIF_RX_RING_ENTRIES);
	ck_assert_uint_eq(g.notify_count - n0, 1);
	ck_assert_uint_eq(be_rx_avail(), NETIF_RX_RING_ENTRIES);
}
END_TEST

START_TEST(hostile_tx_responses)
{
	static uint8_t f[ETH_MAX];
	struct netif_tx_request r[7];
	struct netfront_stats s;

	open_nf(false, 0);
	be_echo = false;
	fill(f, sizeof(f), 5);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(netfront_send(nf, f, 60), 0);
	for (int i = 0; i < 4; i++)
		r[i] = be_tx_take();
	be_tx_put(r[0].id, NETIF_RSP_OKAY);
	be_tx_put(r[0].id, NETIF_RSP_OKAY);			/* a duplicate */
	be_tx_put((uint16_t)(r[1].id | 0xff), NETIF_RSP_OKAY);	/* index past the pool */
	be_tx_put((uint16_t)(r[3].id + 0x100), NETIF_RSP_OKAY); /* another generation */
	sv_back_push_responses(&btx);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), 4);
	s = stats();
	ck_assert_uint_eq(s.stale_id, 2);
	ck_assert_uint_eq(s.bad_id, 1);
	ck_assert_uint_eq(netfront_tx_inflight(nf), 3);

	/*
	 * Three more requests make room for answers: an odd status, an error. The
	 * slots the bogus answers used up are gone: r[3..6] stay in flight for good,
	 * a pool a little smaller, nothing worse.
	 */
	for (int i = 4; i < 7; i++) {
		ck_assert_int_eq(netfront_send(nf, f, 60), 0);
		r[i] = be_tx_take();
	}
	be_tx_put(r[1].id, 7);
	be_tx_put(r[2].id, NETIF_RSP_ERROR);
	sv_back_push_responses(&btx);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), 2);
	s = stats();
	ck_assert_uint_eq(s.bad_rsp, 1);
	ck_assert_uint_eq(s.tx_errors, 1);
	ck_assert_uint_eq(netfront_tx_inflight(nf), 4);
	/* A queued frame's id is in the shared slot before the push, but it is not in flight. */
	ck_assert_int_eq(netfront_queue(nf, f, 60), 0);
	memcpy(&r[0], sv_back_req(&btx, btx.req_cons), sizeof(r[0]));
	be_tx_put(r[0].id, NETIF_RSP_OKAY);
	sv_back_push_responses(&btx);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), 1);
	ck_assert_uint_eq(stats().stale_id, 3);
	ck_assert_uint_eq(netfront_tx_inflight(nf), 5);
	netfront_kick(nf);
	be_echo = true;
	ck_assert_int_eq(be_tx_serve(), 1);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), 2);
	ck_assert_uint_eq(netfront_tx_inflight(nf), 4);
	/* Still working. */
	round_trip(f, ETH_MAX);
	ck_assert_uint_eq(netfront_tx_inflight(nf), 4);
	ck_assert_uint_eq(stats().bad_id, 1);
}
END_TEST

START_TEST(tx_producer_jump_breaks_the_ring)
{
	static uint8_t f[100];

	open_nf(false, 0);
	fill(f, sizeof(f), 1);
	round_trip(f, 100);
	ck_assert_int_eq(netfront_send(nf, f, 100), 0);
	/* One request pushed, a thousand responses claimed. */
	__atomic_store_n(&btx.s->rsp_prod, btx.s->rsp_prod + 1000, __ATOMIC_RELEASE);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), -EIO);
	ck_assert_uint_eq(stats().ring_overflow, 1);
	ck_assert_int_eq(netfront_send(nf, f, 100), -EIO);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), -EIO);
}
END_TEST

START_TEST(rx_producer_jump_breaks_the_ring)
{
	static uint8_t f[100];

	open_nf(false, 0);
	fill(f, sizeof(f), 1);
	round_trip(f, 100);
	__atomic_store_n(&brx.s->rsp_prod, brx.s->rsp_prod + NETIF_RX_RING_ENTRIES + 1,
			 __ATOMIC_RELEASE);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), -EIO);
	ck_assert_uint_eq(stats().ring_overflow, 1);
	ck_assert_int_eq(got_count, 1);
	ck_assert_int_eq(netfront_send(nf, f, 100), -EIO);
}
END_TEST

/* One hostile RX response in a slot of its own; the frame it starts must be dropped. */
static void rx_bad(uint16_t id_xor, uint16_t off, uint16_t flags, int16_t status)
{
	struct netif_rx_request r = be_rx_take();

	be_rx_put((uint16_t)(r.id ^ id_xor), off, flags, status);
}

START_TEST(hostile_rx_responses)
{
	static uint8_t f[ETH_MAX];
	struct netif_rx_request r;
	struct netif_extra_info *ex;
	struct netfront_stats s;
	uint32_t prod;

	open_nf(false, 0);
	fill(f, sizeof(f), 2);
	rx_bad(0, 0, 0, PG + 1);	     /* more than a page */
	rx_bad(0, 4000, 0, 200);	     /* offset + size past the page */
	rx_bad(0, 0xffff, 0, 0);	     /* offset past the page */
	rx_bad(0, 0, 0, INT16_MAX);	     /* larger than any page */
	rx_bad(0, 0, 0, NETIF_RSP_ERROR);    /* the backend's own error */
	rx_bad(0, 0, 0, -32768);	     /* nonsense error */
	rx_bad(0x00ff, 0, 0, 60);	     /* id naming another buffer */
	rx_bad(0x0100, 0, 0, 60);	     /* stale generation */
	rx_bad(0, 0, 0, 13);		     /* shorter than an Ethernet header */
	rx_bad(0, 0, NETRXF_MORE_DATA, 100); /* bad in the middle of a chain: */
	rx_bad(0, 0, NETRXF_MORE_DATA, -1);
	rx_bad(0, 0, 0, 100);
	for (uint32_t i = 0; i < MAX_SLOTS + 2; i++) /* more slots than a frame may take */
		rx_bad(0, 0, i < MAX_SLOTS + 1 ? NETRXF_MORE_DATA : 0, PG);
	rx_bad(0, 0, NETRXF_EXTRA_INFO, 60); /* an extra info of no known type */
	r = be_rx_take();
	ex = sv_back_next_rsp(&brx);
	memset(ex, 0, sizeof(*ex));
	ex->type = 0x77;
	(void)r;
	sv_back_push_responses(&brx);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), 12);
	ck_assert_int_eq(got_count, 0);
	s = stats();
	ck_assert_uint_eq(s.rx_errors, 12);
	ck_assert_uint_eq(s.bad_rsp, 5); /* 4 sizes and offsets, 1 extra */
	ck_assert_uint_eq(s.stale_id, 2);
	ck_assert_uint_eq(s.rx_frames, 0);
	/* Every consumed page went back on the ring, and frames flow again. */
	ck_assert_int_eq(sv_back_req_prod(&brx, &prod), 0);
	ck_assert_uint_eq(prod - brx.req_cons, NETIF_RX_RING_ENTRIES);
	round_trip(f, ETH_MAX);
	round_trip(f, 60);

	/* A chain that never ends is dropped slot by slot and never overflows anything. */
	be_echo = false;
	for (int round = 0; round < 4; round++) {
		while (be_rx_avail())
			rx_bad(0, 0, NETRXF_MORE_DATA, PG);
		sv_back_push_responses(&brx);
		ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), 0);
	}
	rx_bad(0, 0, 0, 60);
	sv_back_push_responses(&brx);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), 1);
	ck_assert_uint_eq(stats().rx_errors, 13);
	be_echo = true;
	round_trip(f, 200);
}
END_TEST

START_TEST(pool_exhaustion_and_recovery)
{
	static uint8_t f[3 * PG];
	uint32_t sent = 0;
	int ret;

	open_nf(true, JUMBO_MTU);
	be_echo = false;
	fill(f, sizeof(f), 4);
	while ((ret = netfront_send(nf, f, ETH_MAX)) == 0)
		sent++;
	ck_assert_int_eq(ret, -EAGAIN);
	ck_assert_uint_eq(sent, NETFRONT_TX_POOL);
	ck_assert_uint_eq(stats().tx_busy, 1);
	ck_assert_uint_eq(netfront_tx_inflight(nf), NETFRONT_TX_POOL);
	/* The backend answers two; a send reaps them itself, without a poll. */
	for (int i = 0; i < 2; i++) {
		struct netif_tx_request r = be_tx_take();

		be_tx_put(r.id, NETIF_RSP_OKAY);
	}
	sv_back_push_responses(&btx);
	/* A 3-page frame does not fit in 2 pages; a 2-page frame does. */
	ck_assert_int_eq(netfront_send(nf, f, 2 * PG + 1), -EAGAIN);
	ck_assert_int_eq(netfront_send(nf, f, 2 * PG), 0);
	ck_assert_int_eq(netfront_send(nf, f, 60), -EAGAIN);
	ck_assert_uint_eq(stats().tx_busy, 3);
	/* Once the backend catches up, everything flows again. */
	be_echo = true;
	ck_assert_int_eq(be_tx_serve(), NETFRONT_TX_POOL - 2 + 1);
	ck_assert_int_gt(netfront_poll(nf, on_rx, NULL), 0);
	ck_assert_uint_eq(netfront_tx_inflight(nf), 0);
	for (int i = 0; i < 3; i++)
		round_trip(f, 3 * PG - (size_t)i);
}
END_TEST

static int nested;

static void on_rx_reenter(void *arg, const uint8_t *frame, size_t len, unsigned int flags)
{
	on_rx(arg, frame, len, flags);
	nested = netfront_poll(nf, on_rx, NULL);
	/* Sending from rx_fn is allowed: an echo reply, say. */
	if (got_count == 1)
		CHECK(netfront_send(nf, frame, len) == 0);
}

START_TEST(rx_fn_may_send_not_poll)
{
	static uint8_t f[200];

	open_nf(false, 0);
	fill(f, sizeof(f), 8);
	ck_assert_int_eq(netfront_send(nf, f, 200), 0);
	ck_assert_int_eq(be_tx_serve(), 1);
	ck_assert_int_gt(netfront_poll(nf, on_rx_reenter, NULL), 0);
	ck_assert_int_eq(nested, -EBUSY);
	ck_assert_int_eq(be_tx_serve(), 1); /* the reply */
	ck_assert_mem_eq(be_frame, f, 200);
	ck_assert_int_gt(netfront_poll(nf, on_rx, NULL), 0);
	ck_assert_int_eq(got_count, 2);
}
END_TEST

START_TEST(disconnect_fails_with_enodev)
{
	static uint8_t f[100];

	open_nf(false, 0);
	fill(f, sizeof(f), 6);
	round_trip(f, 100);
	ck_assert_int_eq(netfront_send(nf, f, 100), 0);
	netfront_disconnect(nf);
	ck_assert_int_eq(netfront_send(nf, f, 100), -ENODEV);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), -ENODEV);
	ck_assert_uint_eq(netfront_tx_inflight(nf), 1);
}
END_TEST

START_TEST(grants_the_backend_holds_are_leaked)
{
	static uint8_t f[100];
	struct netif_tx_request r;
	void *p;

	open_nf(false, 0);
	be_echo = false;
	fill(f, sizeof(f), 6);
	ck_assert_int_eq(netfront_send(nf, f, 100), 0);
	r = be_tx_take();
	gnt_unmap_all(&mapper);
	/* The backend keeps one TX page mapped past the end. */
	ck_assert_int_eq(gnt_map(&mapper, &g.granter, r.gref, true, &p), 0);
	ck_assert_uint_eq(netfront_destroy(nf), 1);
	nf = NULL;
	/* That page stays allocated and granted, never handed out again. */
	ck_assert_uint_eq(g.grants_in_use, 1);
	ck_assert_uint_eq(g.pages_in_use, 1);
	ck_assert_int_eq(gnt_unmap(&mapper, &g.granter, r.gref, true), 0);
	ck_assert_int_eq(bh_end_grant(&g, r.gref), 0);
	bh_free_pages(&g, p, 1);
}
END_TEST

START_TEST(reconnect_reposts_rx_and_drops_pending_tx)
{
	static uint8_t f[200];
	struct netfront_features feat = { 0 };
	uint32_t prod;

	open_nf(false, 0);
	fill(f, sizeof(f), 9);
	round_trip(f, 100);
	be_echo = false;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(netfront_send(nf, f, 100), 0);
	/* The backend dies: its maps go with it, nothing of the three was answered. */
	gnt_unmap_all(&mapper);
	ck_assert_int_eq(netfront_suspend(nf), 0);
	ck_assert_uint_eq(stats().tx_dropped, 3);
	ck_assert_uint_eq(stats().grants_leaked, 0);
	ck_assert_uint_eq(g.grants_in_use, 0);
	ck_assert_uint_eq(g.pages_in_use, 0);
	ck_assert_uint_eq(netfront_tx_inflight(nf), 0);
	ck_assert_int_eq(netfront_send(nf, f, 100), -ENOTCONN);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), -ENOTCONN);
	ck_assert_int_eq(netfront_suspend(nf), -EINVAL);
	/* A new backend: new rings, every RX page posted again, nothing old on TX. */
	ck_assert_int_eq(netfront_resume(nf, &feat), 0);
	attach_backend();
	ck_assert_uint_eq(g.grants_in_use, 2 + NETFRONT_TX_POOL + NETFRONT_RX_BUFS);
	ck_assert_int_eq(sv_back_req_prod(&brx, &prod), 0);
	ck_assert_uint_eq(prod, NETIF_RX_RING_ENTRIES);
	ck_assert_int_eq(sv_back_req_prod(&btx, &prod), 0);
	ck_assert_uint_eq(prod, 0);
	ck_assert_uint_eq(stats().reconnects, 1);
	be_echo = true;
	round_trip(f, 200);
	round_trip(f, 60);
	ck_assert_uint_eq(stats().rx_frames, 3);
}
END_TEST

START_TEST(broken_ring_then_reconnect)
{
	static uint8_t f[100];
	struct netfront_features feat = { 0 };

	open_nf(false, 0);
	fill(f, sizeof(f), 2);
	round_trip(f, 100);
	__atomic_store_n(&brx.s->rsp_prod, brx.s->rsp_prod + NETIF_RX_RING_ENTRIES + 1,
			 __ATOMIC_RELEASE);
	ck_assert_int_eq(netfront_poll(nf, on_rx, NULL), -EIO);
	ck_assert(netfront_broken(nf));
	ck_assert_int_eq(netfront_resume(nf, &feat), -EINVAL); /* not suspended */
	gnt_unmap_all(&mapper);
	ck_assert_int_eq(netfront_suspend(nf), 0);
	ck_assert(!netfront_broken(nf));
	ck_assert_int_eq(netfront_resume(nf, &feat), 0);
	attach_backend();
	round_trip(f, 100);
	ck_assert_uint_eq(stats().ring_overflow, 1);
}
END_TEST

START_TEST(suspend_leaks_what_the_old_backend_still_maps)
{
	static uint8_t f[100];
	struct netfront_features feat = { 0 };
	struct netif_tx_request r;
	void *p;

	open_nf(false, 0);
	be_echo = false;
	fill(f, sizeof(f), 4);
	ck_assert_int_eq(netfront_send(nf, f, 100), 0);
	r = be_tx_take();
	gnt_unmap_all(&mapper);
	/* A hung backend keeps one TX page mapped. */
	ck_assert_int_eq(gnt_map(&mapper, &g.granter, r.gref, true, &p), 0);
	ck_assert_int_eq(netfront_suspend(nf), 0);
	ck_assert_uint_eq(stats().grants_leaked, 1);
	ck_assert_uint_eq(g.grants_in_use, 1);
	ck_assert_int_eq(netfront_resume(nf, &feat), 0);
	attach_backend();
	be_echo = true;
	round_trip(f, 100);
	/* The old page was never handed out again; let the fixture's accounting hold. */
	ck_assert_int_eq(gnt_unmap(&mapper, &g.granter, r.gref, true), 0);
	ck_assert_int_eq(bh_end_grant(&g, r.gref), 0);
	bh_free_pages(&g, p, 1);
}
END_TEST

START_TEST(create_failures_leave_nothing)
{
	struct netfront_features f = { .mtu = 40 };

	ck_assert_int_eq(netfront_create(&ops, &g, &f, &nf), -EINVAL);
	f.mtu = NETIF_MAX_FRAME;
	ck_assert_int_eq(netfront_create(&ops, &g, &f, &nf), -EINVAL);
	ck_assert_int_eq(netfront_create(NULL, &g, NULL, &nf), -EINVAL);
	for (long limit = 0; limit < 2 + NETFRONT_TX_POOL + NETFRONT_RX_BUFS; limit += 37) {
		grant_limit = limit;
		ck_assert_int_eq(netfront_create(&ops, &g, NULL, &nf), -ENOSPC);
		ck_assert_uint_eq(g.grants_in_use, 0);
		ck_assert_uint_eq(g.pages_in_use, 0);
	}
	nf = NULL;
}
END_TEST

int main(void)
{
	Suite *s = suite_create("netfront");
	TCase *tc = tcase_create("netfront");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, create_grants_and_posts);
	tcase_add_test(tc, every_size_round_trips);
	tcase_add_test(tc, jumbo_frames_with_sg);
	tcase_add_test(tc, mtu_without_sg);
	tcase_add_test(tc, burst_costs_one_notification);
	tcase_add_test(tc, rx_reassembly_and_refill);
	tcase_add_test(tc, hostile_tx_responses);
	tcase_add_test(tc, tx_producer_jump_breaks_the_ring);
	tcase_add_test(tc, rx_producer_jump_breaks_the_ring);
	tcase_add_test(tc, hostile_rx_responses);
	tcase_add_test(tc, pool_exhaustion_and_recovery);
	tcase_add_test(tc, rx_fn_may_send_not_poll);
	tcase_add_test(tc, disconnect_fails_with_enodev);
	tcase_add_test(tc, grants_the_backend_holds_are_leaked);
	tcase_add_test(tc, reconnect_reposts_rx_and_drops_pending_tx);
	tcase_add_test(tc, broken_ring_then_reconnect);
	tcase_add_test(tc, suspend_leaks_what_the_old_backend_still_maps);
	tcase_add_test(tc, create_failures_leave_nothing);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
