// SPDX-License-Identifier: MIT
/*
 * blkback's data integrity under long random runs (blkback_fixture.h): reads
 * and writes, direct and indirect, in flight across a whole ring of the
 * largest order, every read checked against a shadow of what each sector must
 * hold; through both engines, with and without persistent grants, and the
 * same check through the blkfront engine (its requests, grants and splitting,
 * discards and flushes).
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blkback_fixture.h"

#define ST_SECT	    (64u << 11) /* 64 MiB disk */
#define ST_MAX_SECT 128u	/* 64 KiB */
#define ST_PAGES    17u		/* 128 sectors at any offset in the first page */

/*
 * A million operations by default. AddressSanitizer makes the backend's and
 * the checker's loops a few times slower, so its build does fewer to stay
 * well under a minute; BLKBACK_STRESS_OPS overrides either.
 */
#ifdef __SANITIZE_ADDRESS__
#define ST_DEFAULT_OPS 200000ull
#else
#define ST_DEFAULT_OPS 1000000ull
#endif

struct st_op {
	bool busy, write, discard;
	uint64_t tag;
	uint64_t sector;
	uint32_t nsect, off;
	uint8_t *pages, *ind;
	uint32_t refs[ST_PAGES], ind_ref;
};

struct stress {
	struct dev d;
	struct st_op *ops;
	uint32_t nr_ops;
	uint64_t *tag; /* per sector: which write it holds, 0 = never written */
	uint8_t *busy; /* per sector: an operation in flight covers it */
	uint64_t rng, next_tag;
};

static uint64_t st_rand(struct stress *t)
{
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return t->rng;
}

/* The 64-bit word every 8 bytes of a sector holds: zero until written. */
static uint64_t st_word(uint64_t tag, uint64_t sector)
{
	return tag ? (tag << 24) ^ sector ^ 0x5a5a000000000000ull : 0;
}

static uint64_t st_ops_wanted(void)
{
	const char *e = getenv("BLKBACK_STRESS_OPS");

	return e && *e ? strtoull(e, NULL, 10) : ST_DEFAULT_OPS;
}

/* Picks a free range for o and fills the buffer of a write; false when none was free. */
static bool st_pick(struct stress *t, struct st_op *o)
{
	uint32_t e = (uint32_t)(st_rand(t) % 8), k;
	uint64_t *w;
	int tries;

	o->nsect = (1u << e) + (uint32_t)(st_rand(t) % (1u << e));
	if (o->nsect > ST_MAX_SECT)
		o->nsect = ST_MAX_SECT;
	for (tries = 0; tries < 4; tries++) {
		o->sector = st_rand(t) % (ST_SECT - o->nsect + 1);
		for (k = 0; k < o->nsect && !t->busy[o->sector + k]; k++)
			;
		if (k == o->nsect)
			break;
	}
	if (tries == 4)
		return false;
	memset(&t->busy[o->sector], 1, o->nsect);
	o->busy = true;
	o->write = st_rand(t) & 1;
	o->discard = false;
	o->off = (uint32_t)(st_rand(t) % 8);
	o->tag = o->write ? t->next_tag + 1 : 0;
	/* The pages are contiguous: the op's bytes are one run from sector off of page 0. */
	w = (uint64_t *)(o->pages + o->off * 512);
	for (k = 0; k < o->nsect * 64; k++)
		w[k] = o->write ? st_word(o->tag, o->sector + k / 64) : ~0ull;
	return true;
}

/* The op is on its way: the shadow holds what the disk will (nobody reads it meanwhile). */
static void st_commit(struct stress *t, struct st_op *o)
{
	uint32_t k;

	if (o->write)
		t->next_tag = o->tag;
	if (o->write || o->discard)
		for (k = 0; k < o->nsect; k++)
			t->tag[o->sector + k] = o->tag;
}

/* Builds slot i's request in our own ring; false when no free range was found. */
static bool st_issue(struct stress *t, uint32_t i)
{
	struct st_op *o = &t->ops[i];
	struct blkif_request_segment segs[ST_PAGES];
	uint32_t k, n = 0, left, first;
	union blkif_slot *s;

	if (!st_pick(t, o))
		return false;
	st_commit(t, o);
	for (left = o->nsect, first = o->off; left; n++, first = 0) {
		k = left < 8 - first ? left : 8 - first;
		segs[n] = (struct blkif_request_segment){ .gref = o->refs[n],
							  .first_sect = (uint8_t)first,
							  .last_sect = (uint8_t)(first + k - 1) };
		left -= k;
	}
	s = dev_slot(&t->d);
	if (n <= BLKIF_MAX_SEGMENTS_PER_REQUEST) {
		s->req.operation = o->write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
		s->req.nr_segments = (uint8_t)n;
		s->req.sector_number = o->sector;
		memcpy(s->req.seg, segs, n * sizeof(segs[0]));
	} else {
		memcpy(o->ind, segs, n * sizeof(segs[0]));
		s->indirect.operation = BLKIF_OP_INDIRECT;
		s->indirect.indirect_op = o->write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
		s->indirect.nr_segments = (uint16_t)n;
		s->indirect.sector_number = o->sector;
		s->indirect.indirect_grefs[0] = o->ind_ref;
	}
	s->req.id = i;
	return true;
}

static void st_done(struct stress *t, const struct blkif_response *r)
{
	struct st_op *o;
	const uint64_t *w;
	uint32_t k;

	ck_assert_uint_lt(r->id, t->nr_ops);
	o = &t->ops[r->id];
	ck_assert(o->busy);
	ck_assert_int_eq(r->status, BLKIF_RSP_OKAY);
	if (!o->write && !o->discard) {
		w = (const uint64_t *)(o->pages + o->off * 512);
		for (k = 0; k < o->nsect * 64; k++)
			if (w[k] != st_word(t->tag[o->sector + k / 64], o->sector + k / 64))
				ck_abort_msg("sector %llu: word %u is %#llx, want %#llx",
					     (unsigned long long)(o->sector + k / 64), k % 64,
					     (unsigned long long)w[k],
					     (unsigned long long)st_word(t->tag[o->sector + k / 64],
									 o->sector + k / 64));
	}
	memset(&t->busy[o->sector], 0, o->nsect);
	o->busy = false;
}

static void stress_run(enum blkback_io_engine engine, bool persistent, uint64_t total)
{
	struct dev_cfg cfg = { .engine = engine,
			       .order = SV_BLKIF_MAX_RING_ORDER,
			       .persistent = persistent,
			       .sectors = ST_SECT };
	struct pollfd pfd = { .events = POLLIN };
	static struct stress t;
	uint64_t issued = 0, done = 0, t0 = bh_now_ns();
	uint32_t i, inflight = 0, next = 0;
	struct blkif_response rsp;

	memset(&t, 0, sizeof(t));
	t.rng = 0x2545f4914f6cdd1dull;
	dev_open(&t.d, &cfg);
	pfd.fd = blkback_io_fd(t.d.b);
	t.nr_ops = t.d.fr.entries;
	t.ops = calloc(t.nr_ops, sizeof(*t.ops));
	t.tag = calloc(ST_SECT, sizeof(*t.tag));
	t.busy = calloc(ST_SECT, 1);
	ck_assert(t.ops && t.tag && t.busy);
	for (i = 0; i < t.nr_ops; i++) {
		t.ops[i].pages = buf_pages(ST_PAGES, t.ops[i].refs, false);
		t.ops[i].ind = buf_pages(1, &t.ops[i].ind_ref, true);
	}
	while (done < total) {
		for (i = 0; i < t.nr_ops && issued < total; i++, next = (next + 1) % t.nr_ops) {
			if (t.ops[next].busy)
				continue;
			if (!st_issue(&t, next))
				break;
			issued++;
			inflight++;
		}
		ck_assert_int_eq(dev_push(&t.d), 0);
		ck_assert_int_eq(blkback_complete(t.d.b), 0);
		if (!sv_front_unconsumed(&t.d.fr) &&
		    (inflight == t.nr_ops || issued == total || !sv_front_final_check(&t.d.fr)))
			ck_assert_int_gt(poll(&pfd, 1, 5000), 0);
		while (sv_front_unconsumed(&t.d.fr)) {
			memcpy(&rsp, sv_front_rsp(&t.d.fr, t.d.fr.rsp_cons++), sizeof(rsp));
			st_done(&t, &rsp);
			done++;
			inflight--;
		}
	}
	fprintf(stderr,
		"blkback stress (%s%s): %llu ops in %.1f s, %llu batches, %llu notifications in, "
		"%llu out, %llu indirect, %llu persistent hits / %llu maps\n",
		engine == BLKBACK_IO_THREADS ? "threads" : "io_uring",
		persistent ? ", persistent" : "", (unsigned long long)done,
		(double)(bh_now_ns() - t0) / 1e9, (unsigned long long)dev_stats(&t.d).batches,
		(unsigned long long)dev_stats(&t.d).notifications_in,
		(unsigned long long)dev_stats(&t.d).notifications_out,
		(unsigned long long)dev_stats(&t.d).indirect,
		(unsigned long long)dev_stats(&t.d).persistent_hits,
		(unsigned long long)dev_stats(&t.d).persistent_maps);
	ck_assert_uint_eq(dev_stats(&t.d).requests, total);
	ck_assert_uint_eq(dev_stats(&t.d).io_errors, 0);
	dev_close(&t.d);
	free(t.ops);
	free(t.tag);
	free(t.busy);
}

START_TEST(stress_uring)
{
	stress_run(BLKBACK_IO_URING, false, st_ops_wanted());
}
END_TEST

/* Threads, persistent grants: more distinct refs (2304) than the cache holds, so it evicts. */
START_TEST(stress_threads_persistent)
{
	stress_run(BLKBACK_IO_THREADS, true, st_ops_wanted() / 4);
}
END_TEST

/* The same check through the blkfront engine: its requests, grants and splitting. */
static struct stress *bf_cur;

static void bf_done(void *arg, int status)
{
	struct st_op *o = arg;
	struct blkif_response r = { .id = (uint64_t)(o - bf_cur->ops) };

	ck_assert_int_eq(status, 0);
	if (o->nsect)
		st_done(bf_cur, &r);
	o->busy = false;
}

static void bf_kick_backend(void *arg)
{
	ck_assert_int_eq(blkback_kick(arg), 0);
}

/* A read, write, discard (1 in 64) or flush (1 in 64) through blkfront; 0 or -EAGAIN. */
static int bf_issue(struct stress *t, struct blkfront *bf, struct st_op *o)
{
	uint32_t r = (uint32_t)(st_rand(t) % 64);
	int ret, op;

	if (!r) {
		o->nsect = 0;
		o->busy = true;
		ret = blkfront_submit(bf, BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0, bf_done, o);
		o->busy = !ret;
		return ret;
	}
	if (!st_pick(t, o))
		return -EAGAIN;
	if (r == 1) {
		o->write = false;
		o->discard = true;
		o->tag = 0;
	}
	op = o->discard ? BLKIF_OP_DISCARD : o->write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
	ret = blkfront_submit(bf, op, o->sector, o->discard ? NULL : o->pages + o->off * 512,
			      (size_t)o->nsect * 512, bf_done, o);
	if (ret) {
		ck_assert_int_eq(ret, -EAGAIN);
		memset(&t->busy[o->sector], 0, o->nsect);
		o->busy = false;
		return ret;
	}
	st_commit(t, o);
	return 0;
}

/* Rounds 0-3: map mode (2, 3 persistent); 4, 5: copy mode, with the features it publishes. */
START_TEST(blkfront_random)
{
	bool copy = _i >= 4;
	struct dev_cfg cfg = { .engine = engines[_i % 2],
			       .order = copy ? 0 : SV_BLKIF_MAX_RING_ORDER,
			       .persistent = _i >= 2,
			       .sectors = ST_SECT,
			       .copy = copy };
	struct blkfront_features f = { .sectors = ST_SECT,
				       .sector_size = 512,
				       .flush = true,
				       .barrier = true,
				       .discard = true,
				       .persistent = _i >= 2 && !copy,
				       .max_indirect_segments =
					       copy ? BLKBACK_COPY_MAX_SEGS
						    : SV_BLKIF_MAX_INDIRECT_SEGMENTS,
				       .max_ring_order = cfg.order };
	struct pollfd pfd = { .events = POLLIN };
	uint64_t issued = 0, total = st_ops_wanted() / 10;
	uint32_t refs[SV_BLKIF_MAX_RING_PAGES], i;
	static struct stress t;
	struct blkfront *bf;

	memset(&t, 0, sizeof(t));
	t.rng = 0x9e3779b97f4a7c15ull + (uint64_t)_i;
	bf_cur = &t;
	ck_assert_int_eq(blkfront_create(&bf, &bh_blkfront_ops, &g, cfg.order, refs), 0);
	cfg.ring_refs = refs;
	dev_open(&t.d, &cfg);
	ck_assert_int_eq(blkfront_connect(bf, &f), 0);
	g.on_notify = bf_kick_backend;
	g.on_notify_arg = t.d.b;
	pfd.fd = blkback_io_fd(t.d.b);
	t.nr_ops = 64;
	t.ops = calloc(t.nr_ops, sizeof(*t.ops));
	t.tag = calloc(ST_SECT, sizeof(*t.tag));
	t.busy = calloc(ST_SECT, 1);
	ck_assert(t.ops && t.tag && t.busy);
	for (i = 0; i < t.nr_ops; i++)
		t.ops[i].pages = bh_alloc_pages(&g, ST_PAGES);
	while (issued < total || blkfront_inflight(bf)) {
		for (i = 0; i < t.nr_ops && issued < total; i++)
			if (!t.ops[i].busy && !bf_issue(&t, bf, &t.ops[i]))
				issued++;
		blkfront_kick(bf);
		ck_assert_int_eq(blkback_complete(t.d.b), 0);
		if (!blkfront_poll(bf) && blkback_inflight(t.d.b))
			ck_assert_int_gt(poll(&pfd, 1, 5000), 0);
	}
	ck_assert_uint_eq(dev_stats(&t.d).io_errors, 0);
	ck_assert_uint_gt(dev_stats(&t.d).discards, 0);
	if (f.persistent)
		ck_assert_uint_gt(dev_stats(&t.d).persistent_hits, 0);
	if (copy) {
		ck_assert_uint_gt(dev_stats(&t.d).copy_batches, 0);
		ck_assert_uint_eq(remote.maps, 1); /* the ring: no data page was ever mapped */
	}
	g.on_notify = NULL;
	dev_close(&t.d);
	blkfront_destroy(bf);
	free(t.ops);
	free(t.tag);
	free(t.busy);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("blkback_stress");
	TCase *st = tcase_create("stress");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(st, setup, teardown);
	tcase_set_timeout(st, 600);
	tcase_add_test(st, stress_uring);
	tcase_add_test(st, stress_threads_persistent);
	tcase_add_loop_test(st, blkfront_random, 0, 6);
	suite_add_tcase(s, st);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
