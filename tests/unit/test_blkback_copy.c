// SPDX-License-Identifier: MIT
/*
 * blkback's copy mode, as a driver domain hosts it: the granter is remote
 * (blk_harness.h's bh_remote does what the core does, with the real grant
 * library on the fake guest) and nothing of the guest is mapped but the ring.
 * The data arrives right and the core is asked once per batch however many
 * segments it has; refused grants fail their request and nothing reaches the
 * disk or the guest; failures leak no request or bounce page; persistent
 * grants are not used. And the injected faults (slow, corrupt-ring) in both
 * modes. The cases both modes share run in test_blkback.c.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blkback_fixture.h"

#define NREQ 8

static uint32_t batches(void)
{
	return __atomic_load_n(&remote.copy_batches, __ATOMIC_RELAXED);
}

/* Queues one request of n whole pages from sector at slot, id given. */
static void queue(struct dev *d, uint8_t op, uint64_t sector, const uint32_t *refs, uint32_t n,
		  uint64_t id)
{
	union blkif_slot *s = dev_slot(d);

	*s = rw_req(op, sector, refs, n);
	s->req.id = id;
}

/*
 * Takes n responses like dev_wait, but counts the core's copy batches per
 * blkback_complete: at most one each, however many reads it answered.
 */
static void wait_counting(struct dev *d, uint32_t n, struct blkif_response *out, uint32_t *calls)
{
	struct pollfd pfd = { .fd = blkback_io_fd(d->b), .events = POLLIN };
	uint32_t got = 0, before;
	int idle = 0;

	*calls = 0;
	while (got < n) {
		ck_assert_msg(poll(&pfd, 1, 2000) > 0 || ++idle < 3, "no response");
		poll(NULL, 0, 20); /* let the rest of the batch finish: one reap takes it all */
		before = batches();
		ck_assert_int_eq(blkback_complete(d->b), 0);
		ck_assert_uint_le(batches() - before, 1);
		*calls += batches() - before;
		while (sv_front_unconsumed(&d->fr) && got < n)
			memcpy(&out[got++], sv_front_rsp(&d->fr, d->fr.rsp_cons++), sizeof(*out));
	}
}

START_TEST(copy_data_one_batch)
{
	struct dev_cfg cfg = { .engine = engines[_i], .copy = true };
	uint32_t wref[NREQ * 11], rref[NREQ * 11], iref, i, calls, before;
	struct blkif_response rsp[NREQ];
	uint8_t *w, *r, *ind, file[11 * BH_PAGE];
	union blkif_slot *s;
	struct dev d;

	dev_open(&d, &cfg);
	/* The ring is the one page mapped, through the core. */
	ck_assert_uint_eq(remote.maps, 1);
	ck_assert_uint_eq(gnt_map_count(&m, &g.granter, d.refs[0]), 1);
	w = buf_pages(NREQ * 11, wref, true);
	r = buf_pages(NREQ * 11, rref, false);
	fill(w, NREQ * 11 * BH_PAGE, 3);

	/* Eight writes of eleven segments in one kick: one copy of 88 segments, before the I/O. */
	before = batches();
	for (i = 0; i < NREQ; i++)
		queue(&d, BLKIF_OP_WRITE, 1000 + i * 88, wref + i * 11, 11, i);
	ck_assert_int_eq(dev_push(&d), 0);
	ck_assert_uint_eq(batches() - before, 1);
	ck_assert_uint_eq(remote.copy_segs, NREQ * 11);
	dev_wait(&d, NREQ, rsp);
	ck_assert_uint_eq(batches() - before, 1); /* writes copy nothing back */
	for (i = 0; i < NREQ; i++)
		ck_assert_int_eq(rsp[i].status, BLKIF_RSP_OKAY);
	for (i = 0; i < NREQ; i++) {
		file_read(&d, (1000 + i * 88) * 512ull, file, sizeof(file));
		ck_assert_mem_eq(file, w + i * 11 * BH_PAGE, sizeof(file));
	}

	/* Eight reads back: one copy per reap for all the reads it finished. */
	before = batches();
	for (i = 0; i < NREQ; i++)
		queue(&d, BLKIF_OP_READ, 1000 + i * 88, rref + i * 11, 11, 100 + i);
	ck_assert_int_eq(dev_push(&d), 0);
	ck_assert_uint_eq(batches() - before, 0); /* nothing to copy before the disk is read */
	wait_counting(&d, NREQ, rsp, &calls);
	ck_assert_uint_eq(batches() - before, calls);
	ck_assert_uint_ge(calls, 1);
	ck_assert_uint_eq(remote.copy_segs, 2 * NREQ * 11);
	for (i = 0; i < NREQ; i++)
		ck_assert_int_eq(rsp[i].status, BLKIF_RSP_OKAY);
	ck_assert_mem_eq(r, w, NREQ * 11 * BH_PAGE);

	/* Indirect: its descriptor page is copied (one batch), then its 32 segments (one). */
	ind = buf_pages(1, &iref, true);
	for (i = 0; i < BLKBACK_COPY_MAX_SEGS; i++)
		((struct blkif_request_segment *)ind)[i] =
			(struct blkif_request_segment){ .gref = wref[i], .last_sect = 7 };
	s = dev_slot(&d);
	s->indirect.operation = BLKIF_OP_INDIRECT;
	s->indirect.indirect_op = BLKIF_OP_WRITE;
	s->indirect.nr_segments = BLKBACK_COPY_MAX_SEGS;
	s->indirect.sector_number = 5000;
	s->indirect.indirect_grefs[0] = iref;
	s->indirect.id = 7;
	before = batches();
	ck_assert_int_eq(dev_push(&d), 0);
	ck_assert_uint_eq(batches() - before, 2);
	dev_wait(&d, 1, rsp);
	ck_assert_int_eq(rsp[0].status, BLKIF_RSP_OKAY);
	for (i = 0; i < BLKBACK_COPY_MAX_SEGS; i += 8) {
		file_read(&d, (5000 + i * 8) * 512ull, file, 8 * BH_PAGE);
		ck_assert_mem_eq(file, w + i * BH_PAGE, 8 * BH_PAGE);
	}
	/* One more than copy mode serves: refused before anything is copied. */
	s = dev_slot(&d);
	s->indirect.operation = BLKIF_OP_INDIRECT;
	s->indirect.indirect_op = BLKIF_OP_READ;
	s->indirect.nr_segments = BLKBACK_COPY_MAX_SEGS + 1;
	s->indirect.indirect_grefs[0] = iref;
	before = batches();
	ck_assert_int_eq(dev_push(&d), 0);
	dev_wait(&d, 1, rsp);
	ck_assert_int_eq(rsp[0].status, BLKIF_RSP_ERROR);
	ck_assert_uint_eq(batches(), before);

	/* Nothing of the guest's data was ever mapped; every data grant can be revoked. */
	ck_assert_uint_eq(remote.maps, 1);
	ck_assert_uint_eq(remote.copy_failed, 0);
	/* The device counts its data batches; the descriptor page was the one other. */
	ck_assert_uint_eq(dev_stats(&d).copy_batches + 1, batches());
	for (i = 0; i < NREQ * 11; i++) {
		ck_assert_int_eq(bh_end_grant(&g, wref[i]), 0);
		ck_assert_int_eq(bh_end_grant(&g, rref[i]), 0);
	}
	dev_close(&d);
	ck_assert_uint_eq(remote.unmaps, 1);
	ck_assert_uint_eq(gnt_map_count(&m, &g.granter, d.refs[0]), 0);
}
END_TEST

START_TEST(copy_refuses_bad_grants)
{
	struct dev_cfg cfg = { .engine = engines[_i], .copy = true };
	uint32_t good[2], ro_ref, foreign, free_ref, iref, before;
	uint8_t *page, *ro_page, *ind, *fpage, zero[BH_PAGE], file[BH_PAGE], keep[BH_PAGE];
	struct blkif_response rsp[3];
	union blkif_slot s;
	struct dev d;
	uint32_t refs[2];

	dev_open(&d, &cfg);
	memset(zero, 0, sizeof(zero));
	page = buf_pages(2, good, false);
	fill(page, 2 * BH_PAGE, 9);
	ro_page = buf_pages(1, &ro_ref, true);
	memset(ro_page, 0x5a, BH_PAGE);
	fpage = bh_alloc_pages(&g, 1);
	memset(fpage, 0x33, BH_PAGE);
	foreign = (uint32_t)bh_grant_to(&g, 9, bh_frame(&g, fpage), false);
	free_ref = (uint32_t)bh_grant(&g, page, false);
	ck_assert_int_eq(bh_end_grant(&g, free_ref), 0);

	/* A write with a foreign segment: an error, and nothing reaches the disk. */
	refs[0] = good[0];
	refs[1] = foreign;
	s = rw_req(BLKIF_OP_WRITE, 64, refs, 2);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_ERROR);
	ck_assert_uint_eq(dev_stats(&d).bad_grant, 1);
	file_read(&d, 64 * 512, file, BH_PAGE);
	ck_assert_mem_eq(file, zero, BH_PAGE);
	/* An ungranted one, the same. */
	refs[1] = free_ref;
	s = rw_req(BLKIF_OP_WRITE, 64, refs, 2);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_ERROR);
	ck_assert_uint_eq(dev_stats(&d).bad_grant, 2);
	file_read(&d, 64 * 512, file, BH_PAGE);
	ck_assert_mem_eq(file, zero, BH_PAGE);

	/* Reads into a foreign or a read-only grant: an error, those pages untouched. */
	s = rw_req(BLKIF_OP_WRITE, 8, good, 1); /* something to read */
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	memcpy(keep, fpage, BH_PAGE);
	s = rw_req(BLKIF_OP_READ, 8, &foreign, 1);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_ERROR);
	ck_assert_mem_eq(fpage, keep, BH_PAGE);
	memcpy(keep, ro_page, BH_PAGE);
	s = rw_req(BLKIF_OP_READ, 8, &ro_ref, 1);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_ERROR);
	ck_assert_mem_eq(ro_page, keep, BH_PAGE);
	ck_assert_uint_eq(dev_stats(&d).bad_grant, 4);

	/* One batch: good, bad, good writes. One copy, the bad one alone fails. */
	queue(&d, BLKIF_OP_WRITE, 200, &good[0], 1, 1);
	queue(&d, BLKIF_OP_WRITE, 208, &foreign, 1, 2);
	queue(&d, BLKIF_OP_WRITE, 216, &good[1], 1, 3);
	before = batches();
	ck_assert_int_eq(dev_push(&d), 0);
	ck_assert_uint_eq(batches() - before, 1);
	dev_wait(&d, 3, rsp);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(rsp[i].status, rsp[i].id == 2 ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY);
	file_read(&d, 208 * 512, file, BH_PAGE);
	ck_assert_mem_eq(file, zero, BH_PAGE);
	file_read(&d, 216 * 512, file, BH_PAGE);
	ck_assert_mem_eq(file, page + BH_PAGE, BH_PAGE);

	/* An indirect request whose descriptor page is foreign. */
	ind = buf_pages(1, &iref, true);
	(void)ind;
	memset(&s, 0, sizeof(s));
	s.indirect.operation = BLKIF_OP_INDIRECT;
	s.indirect.indirect_op = BLKIF_OP_WRITE;
	s.indirect.nr_segments = 1;
	s.indirect.indirect_grefs[0] = foreign;
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_ERROR);
	ck_assert_uint_eq(dev_stats(&d).bad_grant, 6);
	ck_assert_uint_eq(dev_stats(&d).io_errors, 0);
	ck_assert_uint_eq(blkback_inflight(d.b), 0);
	ck_assert_uint_eq(gnt_map_count(&m, &g.granter, good[0]), 0);
	dev_close(&d);
}
END_TEST

/* Refused copies, whole failed batches (the core gone): no request or page is lost. */
START_TEST(copy_failures_leak_nothing)
{
	struct dev_cfg cfg = { .engine = engines[_i], .copy = true };
	struct blkif_response rsp[32];
	uint32_t good[4], foreign, round, i, ok, entries;
	uint8_t *page, *fpage;
	struct dev d;

	dev_open(&d, &cfg);
	page = buf_pages(4, good, false);
	fpage = bh_alloc_pages(&g, 1);
	foreign = (uint32_t)bh_grant_to(&g, 9, bh_frame(&g, fpage), false);
	for (round = 0; round < 1000; round++) {
		if (round % 10 == 9)
			remote.fail_copies = 1; /* the next batch fails whole */
		queue(&d, BLKIF_OP_WRITE, 8, &good[0], 1, 1);
		queue(&d, BLKIF_OP_WRITE, 16, &foreign, 1, 2);
		queue(&d, BLKIF_OP_READ, 24, &foreign, 1, 3);
		queue(&d, BLKIF_OP_READ, 32, &good[1], 1, 4);
		ck_assert_int_eq(dev_push(&d), 0);
		dev_wait(&d, 4, rsp);
		for (i = 0, ok = 0; i < 4; i++)
			ok += rsp[i].status == BLKIF_RSP_OKAY;
		ck_assert_uint_eq(ok,
				  round % 10 == 9 ? 1 : 2); /* the read copies in its own batch */
		ck_assert_uint_eq(blkback_inflight(d.b), 0);
	}
	/* A whole ring of good requests still goes through at once. */
	entries = d.fr.entries;
	for (i = 0; i < entries; i++)
		queue(&d, BLKIF_OP_READ, i * 8, &good[i % 4], 1, i);
	ck_assert_int_eq(dev_push(&d), 0);
	dev_wait(&d, entries, rsp);
	for (i = 0; i < entries; i++)
		ck_assert_int_eq(rsp[i].status, BLKIF_RSP_OKAY);
	ck_assert_uint_eq(blkback_inflight(d.b), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(bh_end_grant(&g, good[i]), 0);
	ck_assert_uint_eq(remote.maps, 1); /* the ring, nothing else */
	(void)page;
	dev_close(&d);
	ck_assert_uint_eq(gnt_map_count(&m, &g.granter, d.refs[0]), 0);
}
END_TEST

START_TEST(copy_keeps_nothing_persistent)
{
	struct dev_cfg cfg = { .engine = BLKBACK_IO_AUTO, .copy = true, .persistent = true };
	uint32_t refs[4];
	union blkif_slot s;
	uint8_t *p, want[4 * BH_PAGE];
	struct dev d;

	dev_open(&d, &cfg);
	p = buf_pages(4, refs, false);
	fill(p, sizeof(want), 5);
	memcpy(want, p, sizeof(want));
	s = rw_req(BLKIF_OP_WRITE, 40, refs, 4);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	memset(p, 0, sizeof(want));
	s = rw_req(BLKIF_OP_READ, 40, refs, 4);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	ck_assert_mem_eq(p, want, sizeof(want));
	ck_assert_uint_eq(dev_stats(&d).persistent_maps, 0);
	ck_assert_uint_eq(gnt_map_count(&m, &g.granter, refs[0]), 0);
	ck_assert_int_eq(bh_end_grant(&g, refs[0]), 0);
	dev_close(&d);
}
END_TEST

/* ---- injected faults, both modes ---- */

START_TEST(fault_slow)
{
	struct backend_faults faults = { 0 };
	struct dev_cfg cfg = { .engine = BLKBACK_IO_AUTO, .copy = _i, .faults = &faults };
	union blkif_slot s;
	uint64_t t0;
	uint32_t ref;
	struct dev d;

	dev_open(&d, &cfg);
	buf_pages(1, &ref, false);
	s = rw_req(BLKIF_OP_READ, 0, &ref, 1);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	ck_assert_uint_eq(dev_stats(&d).faults, 0);
	__atomic_store_n(&faults.slow_ms, 150, __ATOMIC_RELAXED);
	t0 = bh_now_ns();
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	ck_assert_uint_ge(bh_now_ns() - t0, 150ull * 1000000);
	ck_assert_uint_eq(dev_stats(&d).faults, 1);
	__atomic_store_n(&faults.slow_ms, 0, __ATOMIC_RELAXED);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	ck_assert_uint_eq(dev_stats(&d).faults, 1);
	dev_close(&d);
}
END_TEST

static bool garbage(const struct blkif_response *r, uint64_t id)
{
	return r->id == ~id && r->status != BLKIF_RSP_OKAY && r->status != BLKIF_RSP_ERROR &&
	       r->status != BLKIF_RSP_EOPNOTSUPP;
}

START_TEST(fault_corrupt_ring)
{
	struct backend_faults faults = { .corrupt_ring = 4 }; /* set before: not a change */
	struct dev_cfg cfg = { .engine = BLKBACK_IO_AUTO, .copy = _i, .faults = &faults };
	struct blkif_response rsp;
	union blkif_slot s;
	struct dev a, b;
	uint32_t ref, gen;

	dev_open(&a, &cfg);
	dev_open(&b, &cfg);
	buf_pages(1, &ref, false);
	s = rw_req(BLKIF_OP_READ, 0, &ref, 1);
	ck_assert_int_eq(dev_one(&a, &s), BLKIF_RSP_OKAY);
	for (gen = 5; gen < 7; gen++) {
		__atomic_store_n(&faults.corrupt_ring, gen, __ATOMIC_RELAXED);
		/* Each ring pushes exactly one garbage response per change, then serves again. */
		queue(&a, BLKIF_OP_READ, 0, &ref, 1, 77);
		ck_assert_int_eq(dev_push(&a), 0);
		dev_wait(&a, 1, &rsp);
		ck_assert_msg(garbage(&rsp, 77), "id %llu status %d", (unsigned long long)rsp.id,
			      rsp.status);
		queue(&b, BLKIF_OP_READ, 0, &ref, 1, 78);
		ck_assert_int_eq(dev_push(&b), 0);
		dev_wait(&b, 1, &rsp);
		ck_assert(garbage(&rsp, 78));
		ck_assert_int_eq(dev_one(&a, &s), BLKIF_RSP_OKAY);
		ck_assert_int_eq(dev_one(&b, &s), BLKIF_RSP_OKAY);
	}
	ck_assert_uint_eq(dev_stats(&a).faults, 2);
	ck_assert_uint_eq(blkback_inflight(a.b), 0);
	dev_close(&a);
	dev_close(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("blkback_copy");
	TCase *tc = tcase_create("copy");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, copy_data_one_batch, 0, 2);
	tcase_add_loop_test(tc, copy_refuses_bad_grants, 0, 2);
	tcase_add_loop_test(tc, copy_failures_leak_nothing, 0, 2);
	tcase_add_test(tc, copy_keeps_nothing_persistent);
	tcase_add_loop_test(tc, fault_slow, 0, 2);
	tcase_add_loop_test(tc, fault_corrupt_ring, 0, 2);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
