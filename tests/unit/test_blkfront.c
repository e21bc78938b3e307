// SPDX-License-Identifier: MIT
/*
 * blkfront's engine against an in-process fake backend: a table of fake
 * grants over host pages and a RAM disk served through sv_back_ring. Checks
 * the segment math, splitting, indirect requests, the persistent pool,
 * notification suppression, and that hostile responses are counted and
 * dropped rather than trusted.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blkfront.h"

#define PG	   4096u
#define NREFS	   4096u
#define FIRST_REF  8u
#define DISK_SECTS 8192u /* 4 MiB */

/* For hot paths: ck_assert records every passing check, which dominates the run time. */
#define CHECK(c)                                                                  \
	do {                                                                      \
		if (!(c))                                                         \
			ck_abort_msg("%s:%d: %s failed", __FILE__, __LINE__, #c); \
	} while (0)

struct fake_gnt {
	void *page;
	bool used, ro, busy;
};

static struct fake_gnt gnt[NREFS];
static long pages_alive, grants_made, grants_live, notifies;
static long grant_limit = -1; /* grants that may still be made; -1 no limit */
static bool keep_busy;	      /* the backend "keeps" every grant it touches mapped */

static uint8_t disk[DISK_SECTS * 512ull];
static struct sv_back_ring br;
static int fail_every; /* the backend fails every Nth request */
static long served;
static union blkif_slot seen[512];
static int nseen;

static void *f_alloc_page(void *o)
{
	void *p = aligned_alloc(PG, PG);

	(void)o;
	memset(p, 0, PG);
	pages_alive++;
	return p;
}

static void f_free_page(void *o, void *p)
{
	(void)o;
	free(p);
	pages_alive--;
}

static void *f_alloc_pages(void *o, uint32_t n)
{
	void *p = aligned_alloc(PG, (size_t)n * PG);

	(void)o;
	memset(p, 0, (size_t)n * PG);
	pages_alive += n;
	return p;
}

static void f_free_pages(void *o, void *p, uint32_t n)
{
	(void)o;
	free(p);
	pages_alive -= n;
}

static int f_grant(void *o, void *page, bool ro)
{
	(void)o;
	CHECK((uintptr_t)page % PG == 0);
	if (grant_limit == 0)
		return -ENOSPC;
	for (uint32_t r = FIRST_REF; r < NREFS; r++) {
		if (gnt[r].used)
			continue;
		gnt[r] = (struct fake_gnt){ .page = page, .used = true, .ro = ro };
		grants_made++;
		grants_live++;
		if (grant_limit > 0)
			grant_limit--;
		return (int)r;
	}
	return -ENOSPC;
}

static int f_end_grant(void *o, uint32_t ref)
{
	(void)o;
	CHECK(ref < NREFS);
	CHECK(gnt[ref].used);
	if (gnt[ref].busy)
		return -EBUSY;
	gnt[ref].used = false;
	grants_live--;
	return 0;
}

static void f_notify(void *o)
{
	(void)o;
	notifies++;
}

static const struct blkfront_ops ops = {
	.alloc_page = f_alloc_page,
	.free_page = f_free_page,
	.grant = f_grant,
	.end_grant = f_end_grant,
	.notify = f_notify,
	.alloc_pages = f_alloc_pages,
	.free_pages = f_free_pages,
};

/* ---- the fake backend ---- */

static uint8_t *gpage(uint32_t ref, bool write)
{
	CHECK(ref < NREFS);
	CHECK(gnt[ref].used);
	if (write)
		CHECK(!gnt[ref].ro);
	if (keep_busy)
		gnt[ref].busy = true;
	return gnt[ref].page;
}

static void do_segs(uint8_t op, uint64_t sector, const struct blkif_request_segment *seg,
		    uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t cnt = (uint32_t)seg[i].last_sect - seg[i].first_sect + 1;
		uint8_t *p = gpage(seg[i].gref, op == BLKIF_OP_READ) + seg[i].first_sect * 512u;

		CHECK(seg[i].first_sect <= seg[i].last_sect);
		CHECK(seg[i].last_sect < 8);
		CHECK(sector + cnt <= DISK_SECTS);
		if (op == BLKIF_OP_READ)
			memcpy(p, disk + sector * 512, cnt * 512u);
		else
			memcpy(disk + sector * 512, p, cnt * 512u);
		sector += cnt;
	}
}

static int16_t serve_one(const union blkif_slot *req)
{
	const struct blkif_request_indirect *ind = &req->indirect;
	struct blkif_request_segment segs[SV_BLKIF_MAX_INDIRECT_SEGMENTS];

	if (nseen < (int)(sizeof(seen) / sizeof(seen[0])))
		seen[nseen++] = *req;
	if (fail_every && ++served % fail_every == 0)
		return BLKIF_RSP_ERROR;
	switch (req->req.operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
		CHECK(req->req.nr_segments <= BLKIF_MAX_SEGMENTS_PER_REQUEST);
		do_segs(req->req.operation, req->req.sector_number, req->req.seg,
			req->req.nr_segments);
		return BLKIF_RSP_OKAY;
	case BLKIF_OP_INDIRECT:
		CHECK(ind->nr_segments <= SV_BLKIF_MAX_INDIRECT_SEGMENTS);
		for (uint32_t i = 0; i < ind->nr_segments; i++) {
			const struct blkif_request_segment *pg = (const void *)gpage(
				ind->indirect_grefs[i / BLKIF_SEGS_PER_INDIRECT_FRAME], false);

			segs[i] = pg[i % BLKIF_SEGS_PER_INDIRECT_FRAME];
		}
		do_segs(ind->indirect_op, ind->sector_number, segs, ind->nr_segments);
		return BLKIF_RSP_OKAY;
	case BLKIF_OP_DISCARD:
		CHECK(req->discard.sector_number + req->discard.nr_sectors <= DISK_SECTS);
		memset(disk + req->discard.sector_number * 512, 0, req->discard.nr_sectors * 512);
		return BLKIF_RSP_OKAY;
	case BLKIF_OP_FLUSH_DISKCACHE:
	case BLKIF_OP_WRITE_BARRIER:
		return BLKIF_RSP_OKAY;
	default:
		return BLKIF_RSP_EOPNOTSUPP;
	}
}

/* Serves every pushed request; reverse answers them in reverse order (ids must still match). */
static int back_serve(bool reverse)
{
	union blkif_slot reqs[128];
	int16_t st[128];
	uint32_t prod, n = 0;

	CHECK(sv_back_req_prod(&br, &prod) == 0);
	while (br.req_cons != prod) {
		memcpy(&reqs[n], sv_back_req(&br, br.req_cons++), sizeof(reqs[n]));
		st[n] = serve_one(&reqs[n]);
		n++;
	}
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = reverse ? n - 1 - k : k;
		struct blkif_response *rsp = sv_back_next_rsp(&br);

		memset(rsp, 0, sizeof(*rsp));
		rsp->id = reqs[i].req.id;
		rsp->operation = reqs[i].req.operation == BLKIF_OP_INDIRECT
					 ? reqs[i].indirect.indirect_op
					 : reqs[i].req.operation;
		rsp->status = st[i];
	}
	sv_back_push_responses(&br);
	sv_back_final_check(&br);
	return (int)n;
}

/* A hand-made response, pushed at once. */
static void back_respond(uint64_t id, uint8_t op, int16_t status)
{
	struct blkif_response *rsp = sv_back_next_rsp(&br);

	rsp->id = id;
	rsp->operation = op;
	rsp->status = status;
	sv_back_push_responses(&br);
}

/* ---- fixtures ---- */

static struct blkfront *bf;
static uint32_t refs[SV_BLKIF_MAX_RING_PAGES];
static int cb_count, cb_status;

static void cb(void *arg, int status)
{
	int *slot = arg;

	cb_count++;
	cb_status = status;
	if (slot)
		*slot = status;
}

static struct blkfront_features feat(void)
{
	return (struct blkfront_features){
		.sectors = DISK_SECTS, .sector_size = 512, .flush = true, .discard = true
	};
}

static void open_ring(uint32_t order, const struct blkfront_features *f)
{
	ck_assert_int_eq(blkfront_create(&bf, &ops, NULL, order, refs), 0);
	/* The backend maps the ring through its refs: contiguous pages here. */
	sv_back_ring_init(&br, gnt[refs[0]].page, PG << order, sizeof(union blkif_slot));
	for (uint32_t i = 1; i < (1u << order); i++)
		ck_assert_ptr_eq(gnt[refs[i]].page, (uint8_t *)gnt[refs[0]].page + i * PG);
	if (f)
		ck_assert_int_eq(blkfront_connect(bf, f), 0);
}

static void setup(void)
{
	memset(gnt, 0, sizeof(gnt));
	pages_alive = grants_made = grants_live = notifies = 0;
	grant_limit = -1;
	keep_busy = false;
	fail_every = 0;
	served = 0;
	nseen = 0;
	cb_count = 0;
	cb_status = 1;
	for (size_t i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i * 7 + (i >> 9));
	bf = NULL;
}

static void teardown(void)
{
	blkfront_destroy(bf);
	bf = NULL;
	ck_assert_int_eq(pages_alive, 0);
	ck_assert_int_eq(grants_live, 0);
}

static uint8_t *buffer(size_t pages)
{
	uint8_t *p = aligned_alloc(PG, pages * PG);

	memset(p, 0xee, pages * PG);
	return p;
}

/* Submits, kicks, serves and polls until the op is done; its status. */
static int run(int op, uint64_t sector, void *buf, size_t len)
{
	int st = 1, ret = blkfront_submit(bf, op, sector, buf, len, cb, &st);

	if (ret)
		return ret;
	blkfront_kick(bf);
	for (int i = 0; i < 100 && st == 1; i++) {
		back_serve(false);
		blkfront_poll(bf);
	}
	ck_assert_int_ne(st, 1);
	return st;
}

static struct blkfront_stats stats(void)
{
	struct blkfront_stats s;

	blkfront_get_stats(bf, &s);
	return s;
}

/* ---- cases ---- */

START_TEST(segments_of_an_unaligned_buffer)
{
	struct blkfront_features f = feat();
	uint8_t *mem = buffer(5), *buf = mem + 1536;
	const struct blkif_request *r;

	open_ring(0, &f);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 16, buf, 3 * PG, cb, NULL), 0);
	blkfront_kick(bf);
	ck_assert_int_eq(notifies, 1);
	r = sv_back_req(&br, 0);
	ck_assert_uint_eq(r->operation, BLKIF_OP_READ);
	ck_assert_uint_eq(r->sector_number, 16);
	ck_assert_uint_eq(r->nr_segments, 4);
	ck_assert_uint_eq(r->seg[0].first_sect, 3);
	ck_assert_uint_eq(r->seg[0].last_sect, 7);
	ck_assert_uint_eq(r->seg[1].first_sect, 0);
	ck_assert_uint_eq(r->seg[1].last_sect, 7);
	ck_assert_uint_eq(r->seg[3].first_sect, 0);
	ck_assert_uint_eq(r->seg[3].last_sect, 2);
	for (int i = 0; i < 4; i++) {
		ck_assert_ptr_eq(gnt[r->seg[i].gref].page, mem + i * PG);
		ck_assert(!gnt[r->seg[i].gref].ro); /* a read: the backend writes */
	}
	back_serve(false);
	ck_assert_int_eq(blkfront_poll(bf), 1);
	ck_assert_int_eq(cb_count, 1);
	ck_assert_int_eq(cb_status, 0);
	ck_assert_mem_eq(buf, disk + 16 * 512, 3 * PG);
	ck_assert_int_eq(grants_live, 1); /* only the ring */
	ck_assert_uint_eq(blkfront_inflight(bf), 0);

	/* A write grants read-only, and the data lands on the disk. */
	memset(buf, 0x5a, 3 * PG);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_WRITE, 40, buf, 3 * PG, cb, NULL), 0);
	blkfront_kick(bf);
	r = sv_back_req(&br, 1);
	ck_assert(gnt[r->seg[0].gref].ro);
	back_serve(false);
	ck_assert_int_eq(blkfront_poll(bf), 1);
	ck_assert_int_eq(cb_status, 0);
	ck_assert_mem_eq(disk + 40 * 512, buf, 3 * PG);
	free(mem);
}
END_TEST

START_TEST(large_op_splits_and_completes_once)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(32);

	open_ring(0, &f);
	memset(buf, 0x11, 32 * PG);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_WRITE, 8, buf, 32 * PG, cb, NULL), 0);
	blkfront_kick(bf);
	ck_assert_int_eq(back_serve(true), 3);
	ck_assert_uint_eq(seen[0].req.nr_segments, 11);
	ck_assert_uint_eq(seen[1].req.nr_segments, 11);
	ck_assert_uint_eq(seen[2].req.nr_segments, 10);
	ck_assert_uint_eq(seen[0].req.sector_number, 8);
	ck_assert_uint_eq(seen[1].req.sector_number, 8 + 88);
	ck_assert_uint_eq(seen[2].req.sector_number, 8 + 176);
	ck_assert_int_eq(blkfront_poll(bf), 1);
	ck_assert_int_eq(cb_count, 1);
	ck_assert_int_eq(cb_status, 0);
	ck_assert_mem_eq(disk + 8 * 512, buf, 32 * PG);

	/* The middle piece fails: one completion, with the error. */
	fail_every = 2;
	served = 0;
	ck_assert_int_eq(run(BLKIF_OP_READ, 0, buf, 32 * PG), -EIO);
	ck_assert_int_eq(cb_count, 2);
	ck_assert_int_eq(stats().requests, 6);
	free(buf);
}
END_TEST

START_TEST(indirect_requests)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(300), *back = buffer(300);

	f.max_indirect_segments = 256;
	open_ring(0, &f);
	for (size_t i = 0; i < 300 * PG; i++)
		buf[i] = (uint8_t)(i * 13 + 1);
	ck_assert_int_eq(run(BLKIF_OP_WRITE, 0, buf, 64 * PG), 0);
	ck_assert_int_eq(nseen, 1);
	ck_assert_uint_eq(seen[0].indirect.operation, BLKIF_OP_INDIRECT);
	ck_assert_uint_eq(seen[0].indirect.indirect_op, BLKIF_OP_WRITE);
	ck_assert_uint_eq(seen[0].indirect.nr_segments, 64);
	ck_assert(gnt[seen[0].indirect.indirect_grefs[0]].ro);
	ck_assert_mem_eq(disk, buf, 64 * PG);

	/* 300 pages: 256 + 44, both indirect (44 > 11). */
	nseen = 0;
	ck_assert_int_eq(run(BLKIF_OP_WRITE, 8, buf, 300 * PG), 0);
	ck_assert_int_eq(nseen, 2);
	ck_assert_uint_eq(seen[0].indirect.nr_segments, 256);
	ck_assert_uint_eq(seen[1].indirect.nr_segments, 44);
	ck_assert_uint_eq(seen[1].indirect.sector_number, 8 + 256 * 8);
	ck_assert_int_eq(run(BLKIF_OP_READ, 8, back, 300 * PG), 0);
	ck_assert_mem_eq(back, buf, 300 * PG);
	ck_assert_uint_eq(stats().indirect_requests, 5);
	/* A small one stays a plain request. */
	nseen = 0;
	ck_assert_int_eq(run(BLKIF_OP_READ, 0, back, 11 * PG), 0);
	ck_assert_uint_eq(seen[0].req.operation, BLKIF_OP_READ);
	free(buf);
	free(back);
}
END_TEST

START_TEST(persistent_pool_reuse)
{
	struct blkfront_features f = feat();
	uint8_t *mem = buffer(10), *buf = mem + 512, *back = buffer(10);
	long made;
	uint32_t top;

	f.persistent = true;
	open_ring(0, &f);
	for (size_t i = 0; i < 8 * PG; i++)
		buf[i] = (uint8_t)(i * 3 + 5);
	/* Bounce pages are whole: an unaligned 8-page buffer takes 8 segments, not 9. */
	ck_assert_int_eq(run(BLKIF_OP_WRITE, 24, buf, 8 * PG), 0);
	ck_assert_uint_eq(seen[0].req.nr_segments, 8);
	ck_assert_uint_eq(seen[0].req.seg[0].first_sect, 0);
	ck_assert_uint_eq(seen[0].req.seg[7].last_sect, 7);
	ck_assert_ptr_ne(gnt[seen[0].req.seg[0].gref].page, (void *)((uintptr_t)buf & ~4095ul));
	ck_assert_mem_eq(disk + 24 * 512, buf, 8 * PG);
	made = grants_made;
	ck_assert_int_eq(made, 1 + 8);
	ck_assert_int_eq(run(BLKIF_OP_READ, 24, back, 8 * PG), 0);
	ck_assert_mem_eq(back, buf, 8 * PG);
	ck_assert_int_eq(grants_made, made); /* no new grants */
	ck_assert_uint_eq(stats().persistent_pages, 8);
	ck_assert_uint_ge(stats().persistent_reuse, 8);
	/* LIFO: the page returned last is the one handed out next. */
	top = seen[1].req.seg[7].gref;
	nseen = 0;
	ck_assert_int_eq(run(BLKIF_OP_READ, 0, back, 512), 0);
	ck_assert_uint_eq(seen[0].req.seg[0].gref, top);
	ck_assert_uint_eq(seen[0].req.seg[0].last_sect, 0);
	ck_assert_mem_eq(back, disk, 512);
	/* Pool pages stay granted between requests; destroy ends them. */
	ck_assert_int_eq(grants_live, 1 + 8);
	free(mem);
	free(back);
}
END_TEST

START_TEST(persistent_pool_limits)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(400);

	f.persistent = true;
	f.max_indirect_segments = 256;
	open_ring(0, &f);
	/* 352 pool pages hold one 256-segment request with its indirect page: 1 MiB. */
	ck_assert_uint_eq(blkfront_max_op_bytes(bf), 256 * PG);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, 400 * PG, cb, NULL), -E2BIG);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, 256 * PG, cb, NULL), 0);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, 256 * PG, cb, NULL), -EAGAIN);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, 95 * PG, cb, NULL), -EAGAIN);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, 94 * PG, cb, NULL), 0);
	blkfront_kick(bf);
	back_serve(false);
	ck_assert_int_eq(blkfront_poll(bf), 2);
	ck_assert_int_eq(grants_made, 1 + 352);
	ck_assert_int_eq(run(BLKIF_OP_READ, 0, buf, 256 * PG), 0);
	ck_assert_int_eq(grants_made, 1 + 352);
	free(buf);
}
END_TEST

START_TEST(hostile_responses_are_dropped)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(4);
	uint64_t id0, id1;
	struct blkfront_stats s;

	open_ring(0, &f);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, (uint64_t)i * 8, buf + i * PG,
						 PG, cb, NULL),
				 0);
	blkfront_kick(bf);
	/* Read now: responses overwrite the request slots. */
	id0 = ((struct blkif_request *)sv_back_req(&br, 0))->id;
	id1 = ((struct blkif_request *)sv_back_req(&br, 1))->id;
	br.req_cons = 4;
	back_respond(20, BLKIF_OP_READ, 0);		    /* a slot not in flight */
	back_respond(id0 + (1ull << 32), BLKIF_OP_READ, 0); /* wrong generation */
	back_respond(id0, BLKIF_OP_READ, 0);		    /* the real one */
	ck_assert_int_eq(blkfront_poll(bf), 1);
	s = stats();
	ck_assert_uint_eq(s.bad_id, 0);
	ck_assert_uint_eq(s.broken, 0);
	ck_assert_uint_eq(s.stale_id, 2);
	ck_assert_int_eq(cb_count, 1);
	ck_assert_uint_eq(blkfront_inflight(bf), 3);
	/* Answered already: a duplicate is stale too. Needs a request to stay in bounds. */
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0, cb, NULL), 0);
	blkfront_kick(bf);
	br.req_cons++;
	back_respond(id0, BLKIF_OP_READ, 0);
	ck_assert_int_eq(blkfront_poll(bf), 0);
	ck_assert_uint_eq(stats().stale_id, 3);
	ck_assert_int_eq(cb_count, 1);
	/* A response to a request the backend was never shown. */
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0, cb, NULL), 0);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0, cb, NULL), 0);
	blkfront_kick(bf);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0, cb, NULL), 0);
	br.req_cons += 2;
	/* Ring index 7 holds the unpushed flush; its id is guessable, but it is not out yet. */
	back_respond(((struct blkif_request *)sv_back_req(&br, 7))->id, BLKIF_OP_FLUSH_DISKCACHE,
		     0);
	ck_assert_int_eq(blkfront_poll(bf), 0);
	ck_assert_uint_eq(stats().stale_id, 4);
	/* Right id, wrong operation: completes, but as an error. */
	back_respond(id1, BLKIF_OP_WRITE, 0);
	ck_assert_int_eq(blkfront_poll(bf), 1);
	ck_assert_int_eq(cb_status, -EIO);
	ck_assert_uint_eq(stats().bad_rsp_op, 1);
	blkfront_fail_all(bf);
	ck_assert_uint_eq(blkfront_inflight(bf), 0);
	free(buf);
}
END_TEST

START_TEST(runaway_response_producer_breaks_the_ring)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(2);

	open_ring(0, &f);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, PG, cb, NULL), 0);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 8, buf + PG, PG, cb, NULL), 0);
	blkfront_kick(bf);
	br.s->rsp_prod = 1000000;
	/* Broken: nothing completes (no request is answered by garbage), nothing is read. */
	ck_assert_int_eq(blkfront_poll(bf), 0);
	ck_assert_int_eq(cb_count, 0);
	ck_assert(blkfront_broken(bf));
	ck_assert_uint_eq(stats().ring_overflow, 1);
	ck_assert_uint_eq(stats().broken, 1);
	ck_assert_uint_eq(stats().responses, 0);
	ck_assert_uint_eq(blkfront_inflight(bf), 2);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, PG, cb, NULL), -ENOTCONN);
	ck_assert_int_eq(blkfront_poll(bf), 0);
	blkfront_fail_all(bf);
	ck_assert_int_eq(cb_count, 2);
	ck_assert_int_eq(cb_status, -ENODEV);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, PG, cb, NULL), -ENODEV);
	free(buf);
}
END_TEST

START_TEST(eagain_when_full)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(33);

	open_ring(0, &f);
	for (int i = 0; i < 32; i++)
		ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf + i * PG, PG, cb, NULL),
				 0);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, PG, cb, NULL), -EAGAIN);
	blkfront_kick(bf);
	back_serve(true);
	ck_assert_int_eq(blkfront_poll(bf), 32);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, PG, cb, NULL), 0);
	blkfront_fail_all(bf);
	/* An op that needs more requests than the ring has slots can never go. */
	free(buf);
}
END_TEST

START_TEST(grant_exhaustion_rolls_back)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(8);
	uint32_t prod_before;

	open_ring(0, &f);
	grant_limit = 3;
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, 8 * PG, cb, NULL), -ENOSPC);
	ck_assert_int_eq(grants_live, 1);
	ck_assert_uint_eq(blkfront_inflight(bf), 0);
	grant_limit = -1;
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, PG, cb, NULL), 0);
	prod_before = grants_live;
	grant_limit = 2;
	/* Something is in flight: its completion frees grants, so try again later. */
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 8, buf + PG, 4 * PG, cb, NULL),
			 -EAGAIN);
	ck_assert_int_eq(grants_live, prod_before);
	blkfront_kick(bf);
	ck_assert_int_eq(back_serve(false), 1);
	ck_assert_int_eq(blkfront_poll(bf), 1);
	ck_assert_int_eq(cb_count, 1);
	free(buf);
}
END_TEST

START_TEST(fail_all_completes_with_enodev)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(24);

	open_ring(0, &f);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, 20 * PG, cb, NULL), 0);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_WRITE, 0, buf, PG, cb, NULL), 0);
	blkfront_kick(bf);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, PG, cb, NULL), 0);
	blkfront_fail_all(bf);
	ck_assert_int_eq(cb_count, 3);
	ck_assert_int_eq(cb_status, -ENODEV);
	ck_assert_int_eq(grants_live, 1);
	ck_assert_uint_eq(blkfront_inflight(bf), 0);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, PG, cb, NULL), -ENODEV);
	blkfront_kick(bf);
	ck_assert_int_eq(blkfront_poll(bf), 0);
	free(buf);
}
END_TEST

START_TEST(argument_checks)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(2);

	ck_assert_int_eq(blkfront_create(&bf, &ops, NULL, SV_BLKIF_MAX_RING_ORDER + 1, refs),
			 -EINVAL);
	open_ring(0, NULL);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, PG, cb, NULL), -ENOTCONN);
	ck_assert_uint_eq(blkfront_max_op_bytes(bf), 0);
	f.readonly = true;
	f.flush = false;
	f.sectors = 64;
	ck_assert_int_eq(blkfront_connect(bf, &f), 0);
	ck_assert_int_eq(blkfront_connect(bf, &f), -EISCONN);
	ck_assert_uint_eq(blkfront_max_op_bytes(bf), (32 * 11 - 1) * PG);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_WRITE, 0, buf, PG, cb, NULL), -EROFS);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_DISCARD, 0, NULL, PG, cb, NULL), -EROFS);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0, cb, NULL),
			 -EOPNOTSUPP);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf + 100, 512, cb, NULL), -EINVAL);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, 100, cb, NULL), -EINVAL);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, 0, cb, NULL), -EINVAL);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, NULL, 512, cb, NULL), -EINVAL);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 63, buf, 1024, cb, NULL), -EINVAL);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, UINT64_MAX, buf, 512, cb, NULL),
			 -EINVAL);
	ck_assert_int_eq(blkfront_submit(bf, 4, 0, NULL, 0, cb, NULL), -EINVAL);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_INDIRECT, 0, buf, 512, cb, NULL), -EINVAL);
	ck_assert_int_eq(run(BLKIF_OP_READ, 63, buf, 512), 0);
	ck_assert_mem_eq(buf, disk + 63 * 512, 512);
	free(buf);
}
END_TEST

START_TEST(sector_size_alignment)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(2);

	f.sector_size = 4096;
	open_ring(0, &f);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 1, buf, PG, cb, NULL), -EINVAL);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, 512, cb, NULL), -EINVAL);
	ck_assert_int_eq(run(BLKIF_OP_READ, 8, buf, PG), 0);
	free(buf);
}
END_TEST

START_TEST(flush_barrier_discard)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(1);

	open_ring(0, &f);
	ck_assert_int_eq(run(BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0), 0);
	ck_assert_uint_eq(seen[0].req.operation, BLKIF_OP_FLUSH_DISKCACHE);
	ck_assert_uint_eq(seen[0].req.nr_segments, 0);
	ck_assert_int_eq(run(BLKIF_OP_DISCARD, 16, NULL, 3 * PG), 0);
	ck_assert_uint_eq(seen[1].discard.operation, BLKIF_OP_DISCARD);
	ck_assert_uint_eq(seen[1].discard.nr_sectors, 24);
	ck_assert_int_eq(run(BLKIF_OP_READ, 16, buf, PG), 0);
	for (int i = 0; i < (int)PG; i++)
		CHECK(buf[i] == 0);
	blkfront_destroy(bf);
	/* Only a barrier offered: a flush goes as an empty barrier. */
	f.flush = false;
	f.barrier = true;
	open_ring(0, &f);
	nseen = 0;
	ck_assert_int_eq(run(BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0), 0);
	ck_assert_uint_eq(seen[0].req.operation, BLKIF_OP_WRITE_BARRIER);
	ck_assert_int_eq(run(BLKIF_OP_WRITE_BARRIER, 0, NULL, 0), 0);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_WRITE_BARRIER, 0, buf, PG, cb, NULL),
			 -EINVAL);
	free(buf);
}
END_TEST

START_TEST(notification_suppression)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(4);

	open_ring(0, &f);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, PG, cb, NULL), 0);
	blkfront_kick(bf);
	ck_assert_int_eq(notifies, 1);
	blkfront_kick(bf); /* nothing new */
	ck_assert_int_eq(notifies, 1);
	/* The backend is busy (has not re-armed req_event): no second notification. */
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 8, buf + PG, PG, cb, NULL), 0);
	blkfront_kick(bf);
	ck_assert_int_eq(notifies, 1);
	back_serve(false); /* re-arms */
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 16, buf + 2 * PG, PG, cb, NULL), 0);
	blkfront_kick(bf);
	ck_assert_int_eq(notifies, 2);
	ck_assert_uint_eq(stats().notifications, 2);
	/* poll drains and, returning, has armed rsp_event one past what it consumed. */
	ck_assert_int_eq(blkfront_poll(bf), 2);
	ck_assert_uint_eq(br.s->rsp_event, 3);
	ck_assert_int_eq(blkfront_poll(bf), 0);
	back_serve(false);
	ck_assert_int_eq(blkfront_poll(bf), 1);
	free(buf);
}
END_TEST

START_TEST(multi_page_ring)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(1);
	static struct blkfront_ops single; /* bf keeps a pointer to its ops */

	single = ops;

	open_ring(2, &f);
	for (int i = 0; i < 128; i++)
		ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, 512, cb, NULL), 0);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, 512, cb, NULL), -EAGAIN);
	blkfront_kick(bf);
	ck_assert_int_eq(back_serve(false), 128);
	ck_assert_int_eq(blkfront_poll(bf), 128);
	blkfront_destroy(bf);
	bf = NULL;
	/* Without alloc_pages, separate allocations are not adjacent: refused cleanly. */
	single.alloc_pages = NULL;
	single.free_pages = NULL;
	ck_assert_int_eq(blkfront_create(&bf, &single, NULL, 2, refs), -ENOMEM);
	ck_assert_ptr_null(bf);
	ck_assert_int_eq(blkfront_create(&bf, &single, NULL, 0, refs), 0);
	free(buf);
}
END_TEST

START_TEST(busy_grants_are_counted_not_reused)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(2);

	open_ring(0, &f);
	keep_busy = true;
	ck_assert_int_eq(run(BLKIF_OP_READ, 0, buf, 2 * PG), 0);
	ck_assert_uint_eq(stats().grant_busy, 2);
	/* Release them so teardown's accounting holds. */
	for (uint32_t r = FIRST_REF; r < NREFS; r++) {
		if (gnt[r].used && gnt[r].busy && gnt[r].page != gnt[refs[0]].page) {
			gnt[r].used = false;
			grants_live--;
		}
		gnt[r].busy = false;
	}
	keep_busy = false;
	free(buf);
}
END_TEST

/* Random mixed I/O in every mode against a shadow copy of the disk. */
static void random_io(bool persistent, uint32_t indirect, uint32_t order)
{
	struct blkfront_features f = feat();
	static uint8_t shadow[DISK_SECTS * 512ull];
	enum { QD = 24, MAXPG = 40 };
	struct {
		uint8_t *mem;
		int st;
		int op;
		uint64_t sector;
		size_t len, off;
	} slot[QD];
	unsigned int seed = 1234;

	f.persistent = persistent;
	f.max_indirect_segments = indirect;
	open_ring(order, &f);
	memcpy(shadow, disk, sizeof(shadow));
	for (int i = 0; i < QD; i++) {
		slot[i].mem = buffer(MAXPG + 1);
		slot[i].st = 0;
		slot[i].op = -1;
	}
	for (int round = 0; round < 400; round++) {
		for (int i = 0; i < QD; i++) {
			if (slot[i].st == 1)
				continue;
			slot[i].op = rand_r(&seed) % 2 ? BLKIF_OP_READ : BLKIF_OP_WRITE;
			slot[i].len = (size_t)(1 + rand_r(&seed) % (MAXPG * 8)) * 512;
			slot[i].off = (size_t)(rand_r(&seed) % 8) * 512;
			slot[i].sector = rand_r(&seed) % (DISK_SECTS - slot[i].len / 512);
			/* No two writes or write and read overlap in flight: skip clashes. */
			for (int j = 0; j < QD; j++) {
				if (j != i && slot[j].st == 1 &&
				    slot[j].sector < slot[i].sector + slot[i].len / 512 &&
				    slot[i].sector < slot[j].sector + slot[j].len / 512)
					slot[i].op = -1;
			}
			if (slot[i].op < 0)
				continue;
			if (slot[i].op == BLKIF_OP_WRITE) {
				/* A fresh byte per write, and each sector stamped with its number. */
				memset(slot[i].mem + slot[i].off, rand_r(&seed), slot[i].len);
				for (size_t k = 0; k < slot[i].len; k += 512)
					memcpy(slot[i].mem + slot[i].off + k, &k, sizeof(k));
			}
			slot[i].st = 1;
			int ret = blkfront_submit(bf, slot[i].op, slot[i].sector,
						  slot[i].mem + slot[i].off, slot[i].len, cb,
						  &slot[i].st);
			if (ret == -EAGAIN) {
				slot[i].st = 0;
				slot[i].op = -1;
				break;
			}
			ck_assert_int_eq(ret, 0);
			if (slot[i].op == BLKIF_OP_WRITE)
				memcpy(shadow + slot[i].sector * 512, slot[i].mem + slot[i].off,
				       slot[i].len);
		}
		blkfront_kick(bf);
		if (rand_r(&seed) % 3)
			back_serve(rand_r(&seed) % 2);
		blkfront_poll(bf);
		/* Checked before anything new is submitted: later writes change the shadow. */
		for (int i = 0; i < QD; i++) {
			CHECK(slot[i].st <= 1);
			if (slot[i].st == 0 && slot[i].op == BLKIF_OP_READ)
				ck_assert_mem_eq(slot[i].mem + slot[i].off,
						 shadow + slot[i].sector * 512, slot[i].len);
			if (slot[i].st == 0)
				slot[i].op = -1;
		}
	}
	while (blkfront_inflight(bf)) {
		back_serve(true);
		blkfront_poll(bf);
	}
	ck_assert_mem_eq(disk, shadow, sizeof(shadow));
	ck_assert_uint_eq(stats().bad_id + stats().stale_id, 0);
	for (int i = 0; i < QD; i++)
		free(slot[i].mem);
}

START_TEST(random_direct)
{
	random_io(false, 0, 0);
}
END_TEST

START_TEST(random_direct_indirect)
{
	random_io(false, 256, 1);
}
END_TEST

START_TEST(random_persistent)
{
	random_io(true, 0, 0);
}
END_TEST

START_TEST(random_persistent_indirect)
{
	random_io(true, 64, 2);
}
END_TEST

/* ---- a backend that dies or breaks the ring, and a new one ---- */

/* The old backend is gone: a new ring, played by a new backend that saw nothing yet. */
static void new_backend(uint32_t order, const struct blkfront_features *f)
{
	ck_assert_int_eq(blkfront_suspend(bf), 0);
	ck_assert_int_eq(blkfront_new_ring(bf, order, refs), 0);
	sv_back_ring_init(&br, gnt[refs[0]].page, PG << order, sizeof(union blkif_slot));
	nseen = 0;
	ck_assert_int_eq(blkfront_connect(bf, f), 0);
}

/* The sector a seen read or write starts at. */
static uint64_t seen_sector(int i)
{
	return seen[i].req.operation == BLKIF_OP_INDIRECT ? seen[i].indirect.sector_number
							  : seen[i].req.sector_number;
}

/*
 * Writes 0..5, a flush, writes 6, 7; the backend writes them all, answers
 * writes 0, 2, 4 and 6 and dies. The new one sees exactly writes 1, 3, 5, the
 * flush and write 7, in that order.
 */
static void dies_midway(bool persistent)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(8);
	int st[9];
	union blkif_slot reqs[16];
	uint32_t prod, n = 0;
	const int want[] = { 1, 3, 5, -1, 7 };
	const int answer[] = { 0, 2, 4, 7 }; /* request 7 is write 6, after the flush */

	f.persistent = persistent;
	open_ring(0, &f);
	for (int i = 0, w = 0; i < 9; i++) {
		st[i] = 1;
		if (i == 6) {
			ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0,
							 cb, &st[i]),
					 0);
			continue;
		}
		memset(buf + w * PG, 0x40 + w, PG);
		ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_WRITE, (uint64_t)w * 8, buf + w * PG,
						 PG, cb, &st[i]),
				 0);
		w++;
	}
	blkfront_kick(bf);
	CHECK(sv_back_req_prod(&br, &prod) == 0);
	while (br.req_cons != prod) {
		memcpy(&reqs[n], sv_back_req(&br, br.req_cons++), sizeof(reqs[n]));
		serve_one(&reqs[n]);
		n++;
	}
	ck_assert_uint_eq(n, 9);
	for (int i = 0; i < 4; i++)
		back_respond(reqs[answer[i]].req.id, reqs[answer[i]].req.operation, BLKIF_RSP_OKAY);
	ck_assert_int_eq(blkfront_poll(bf), 4);
	ck_assert_int_eq(cb_count, 4);
	ck_assert_int_eq(st[0], 0);
	ck_assert_int_eq(st[1], 1);

	new_backend(0, &f);
	ck_assert_uint_eq(blkfront_inflight(bf), 5);
	ck_assert_uint_eq(blkfront_kept(bf), 0);
	ck_assert_uint_eq(stats().reconnects, 1);
	ck_assert_uint_eq(stats().reissued, 5);
	ck_assert_int_eq(back_serve(false), 5);
	ck_assert_int_eq(nseen, 5);
	for (int i = 0; i < 5; i++) {
		if (want[i] < 0) {
			ck_assert_uint_eq(seen[i].req.operation, BLKIF_OP_FLUSH_DISKCACHE);
			continue;
		}
		ck_assert_uint_eq(seen[i].req.operation, BLKIF_OP_WRITE);
		ck_assert_uint_eq(seen_sector(i), (uint64_t)want[i] * 8);
	}
	ck_assert_int_eq(blkfront_poll(bf), 5);
	ck_assert_int_eq(cb_count, 9);
	for (int i = 0; i < 9; i++)
		ck_assert_int_eq(st[i], 0);
	for (int w = 0; w < 8; w++)
		ck_assert_int_eq(memcmp(disk + (uint64_t)w * 8 * 512, buf + w * PG, PG), 0);
	ck_assert_int_eq(run(BLKIF_OP_READ, 0, buf, PG), 0);
	ck_assert_uint_eq(stats().broken, 0);
	free(buf);
}

START_TEST(backend_dies_unanswered_requests_are_reissued_in_order)
{
	dies_midway(false);
}
END_TEST

START_TEST(backend_dies_persistent_reissues_from_the_callers_buffer)
{
	dies_midway(true);
}
END_TEST

START_TEST(bad_id_breaks_the_ring_then_reconnect_completes)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(2);
	uint64_t id0;

	open_ring(0, &f);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, PG, cb, NULL), 0);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 8, buf + PG, PG, cb, NULL), 0);
	blkfront_kick(bf);
	id0 = ((struct blkif_request *)sv_back_req(&br, 0))->id;
	br.req_cons = 2;
	back_respond(999, BLKIF_OP_READ, BLKIF_RSP_OKAY);
	/* Even a right answer behind the bad one is not believed. */
	back_respond(id0, BLKIF_OP_READ, BLKIF_RSP_OKAY);
	ck_assert_int_eq(blkfront_poll(bf), 0);
	ck_assert(blkfront_broken(bf));
	ck_assert_uint_eq(stats().bad_id, 1);
	ck_assert_uint_eq(stats().responses, 1);
	ck_assert_int_eq(cb_count, 0);
	ck_assert_int_eq(blkfront_poll(bf), 0);
	new_backend(0, &f);
	ck_assert_int_eq(back_serve(false), 2);
	ck_assert_int_eq(blkfront_poll(bf), 2);
	ck_assert_int_eq(cb_status, 0);
	ck_assert_int_eq(memcmp(buf, disk, PG), 0);
	ck_assert_int_eq(memcmp(buf + PG, disk + 8 * 512, PG), 0);
	free(buf);
}
END_TEST

START_TEST(impossible_status_breaks_the_ring)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(1);
	uint64_t id0;

	open_ring(0, &f);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_WRITE, 0, buf, PG, cb, NULL), 0);
	blkfront_kick(bf);
	id0 = ((struct blkif_request *)sv_back_req(&br, 0))->id;
	br.req_cons = 1;
	back_respond(id0, BLKIF_OP_WRITE, 7);
	ck_assert_int_eq(blkfront_poll(bf), 0);
	ck_assert(blkfront_broken(bf));
	ck_assert_uint_eq(stats().bad_status, 1);
	ck_assert_int_eq(cb_count, 0);
	new_backend(0, &f);
	ck_assert_int_eq(back_serve(false), 1);
	ck_assert_int_eq(blkfront_poll(bf), 1);
	ck_assert_int_eq(cb_status, 0);
	free(buf);
}
END_TEST

START_TEST(backend_not_back_kept_requests_fail_eio_device_stays)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(3);
	int st[3] = { 1, 1, 1 };

	open_ring(0, &f);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_WRITE, (uint64_t)i * 8, buf + i * PG,
						 PG, cb, &st[i]),
				 0);
	blkfront_kick(bf);
	ck_assert_int_eq(blkfront_suspend(bf), 0);
	ck_assert_int_eq(grants_live, 0); /* ring and data grants ended */
	ck_assert_uint_eq(blkfront_kept(bf), 3);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, PG, cb, NULL), -ENOTCONN);
	ck_assert_int_eq(blkfront_suspend(bf), -EINVAL);
	ck_assert_int_eq(blkfront_fail_pending(bf, -EIO), 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(st[i], -EIO);
	ck_assert_uint_eq(blkfront_inflight(bf), 0);
	ck_assert_uint_eq(stats().failed_pending, 3);
	/* The backend comes back later: the device works again. */
	ck_assert_int_eq(blkfront_new_ring(bf, 0, refs), 0);
	sv_back_ring_init(&br, gnt[refs[0]].page, PG, sizeof(union blkif_slot));
	ck_assert_int_eq(blkfront_connect(bf, &f), 0);
	ck_assert_int_eq(run(BLKIF_OP_WRITE, 0, buf, PG), 0);
	free(buf);
}
END_TEST

START_TEST(smaller_ring_reissues_what_fits_then_the_rest_in_order)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(40);

	open_ring(1, &f);
	for (int i = 0; i < 40; i++)
		ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, (uint64_t)i * 8, buf + i * PG,
						 PG, cb, NULL),
				 0);
	blkfront_kick(bf);
	new_backend(0, &f);
	ck_assert_uint_eq(blkfront_kept(bf), 8);
	/* Later work waits behind what is kept. */
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, PG, cb, NULL), -EAGAIN);
	ck_assert_int_eq(back_serve(false), 32);
	ck_assert_int_eq(blkfront_poll(bf), 32);
	ck_assert_uint_eq(blkfront_kept(bf), 0);
	ck_assert_int_eq(back_serve(false), 8);
	ck_assert_int_eq(blkfront_poll(bf), 8);
	ck_assert_int_eq(nseen, 40);
	for (int i = 0; i < 40; i++)
		ck_assert_uint_eq(seen_sector(i), (uint64_t)i * 8);
	ck_assert_int_eq(cb_count, 40);
	ck_assert_int_eq(memcmp(buf, disk, 40 * PG), 0);
	free(buf);
}
END_TEST

START_TEST(new_backend_without_indirect_splits_a_kept_request)
{
	struct blkfront_features f = feat(), g = feat();
	uint8_t *buf = buffer(20);

	f.max_indirect_segments = 32;
	open_ring(0, &f);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_READ, 0, buf, 20 * PG, cb, NULL), 0);
	blkfront_kick(bf);
	new_backend(0, &g);
	ck_assert_int_eq(back_serve(false), 2);
	ck_assert_int_eq(blkfront_poll(bf), 1);
	ck_assert_int_eq(cb_count, 1);
	ck_assert_int_eq(cb_status, 0);
	ck_assert_int_eq(memcmp(buf, disk, 20 * PG), 0);
	free(buf);
}
END_TEST

START_TEST(dies_twice_while_reissuing)
{
	struct blkfront_features f = feat();
	uint8_t *buf = buffer(40);

	open_ring(1, &f);
	for (int i = 0; i < 40; i++)
		ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_WRITE, (uint64_t)i * 8, buf + i * PG,
						 PG, cb, NULL),
				 0);
	blkfront_kick(bf);
	new_backend(0, &f); /* 32 re-issued, 8 kept */
	ck_assert_uint_eq(blkfront_kept(bf), 8);
	new_backend(1, &f); /* dies again before answering: all 40 again, in order */
	ck_assert_uint_eq(blkfront_kept(bf), 0);
	ck_assert_int_eq(back_serve(false), 40);
	for (int i = 0; i < 40; i++)
		ck_assert_uint_eq(seen_sector(i), (uint64_t)i * 8);
	ck_assert_int_eq(blkfront_poll(bf), 40);
	ck_assert_uint_eq(stats().reconnects, 2);
	free(buf);
}
END_TEST

START_TEST(kept_request_the_new_backend_cannot_take_fails)
{
	struct blkfront_features f = feat(), small = feat();
	uint8_t *buf = buffer(2);
	int st[3] = { 1, 1, 1 };

	small.sectors = 16;
	small.flush = false; /* nor barrier: a kept flush cannot go either */
	open_ring(0, &f);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_WRITE, 0, buf, PG, cb, &st[0]), 0);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_WRITE, 64, buf + PG, PG, cb, &st[1]), 0);
	ck_assert_int_eq(blkfront_submit(bf, BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0, cb, &st[2]), 0);
	blkfront_kick(bf);
	new_backend(0, &small);
	ck_assert_int_eq(st[1], -EIO);
	ck_assert_int_eq(st[2], -EOPNOTSUPP);
	ck_assert_uint_eq(stats().failed_pending, 2);
	ck_assert_int_eq(back_serve(false), 1);
	ck_assert_int_eq(blkfront_poll(bf), 1);
	ck_assert_int_eq(st[0], 0);
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("blkfront");
	TCase *tc = tcase_create("blkfront");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, segments_of_an_unaligned_buffer);
	tcase_add_test(tc, large_op_splits_and_completes_once);
	tcase_add_test(tc, indirect_requests);
	tcase_add_test(tc, persistent_pool_reuse);
	tcase_add_test(tc, persistent_pool_limits);
	tcase_add_test(tc, hostile_responses_are_dropped);
	tcase_add_test(tc, runaway_response_producer_breaks_the_ring);
	tcase_add_test(tc, eagain_when_full);
	tcase_add_test(tc, grant_exhaustion_rolls_back);
	tcase_add_test(tc, fail_all_completes_with_enodev);
	tcase_add_test(tc, argument_checks);
	tcase_add_test(tc, sector_size_alignment);
	tcase_add_test(tc, flush_barrier_discard);
	tcase_add_test(tc, notification_suppression);
	tcase_add_test(tc, multi_page_ring);
	tcase_add_test(tc, busy_grants_are_counted_not_reused);
	tcase_add_test(tc, backend_dies_unanswered_requests_are_reissued_in_order);
	tcase_add_test(tc, backend_dies_persistent_reissues_from_the_callers_buffer);
	tcase_add_test(tc, bad_id_breaks_the_ring_then_reconnect_completes);
	tcase_add_test(tc, impossible_status_breaks_the_ring);
	tcase_add_test(tc, backend_not_back_kept_requests_fail_eio_device_stays);
	tcase_add_test(tc, smaller_ring_reissues_what_fits_then_the_rest_in_order);
	tcase_add_test(tc, new_backend_without_indirect_splits_a_kept_request);
	tcase_add_test(tc, dies_twice_while_reissuing);
	tcase_add_test(tc, kept_request_the_new_backend_cannot_take_fails);
	tcase_add_test(tc, random_direct);
	tcase_add_test(tc, random_direct_indirect);
	tcase_add_test(tc, random_persistent);
	tcase_add_test(tc, random_persistent_indirect);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
