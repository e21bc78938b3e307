// SPDX-License-Identifier: MIT
/*
 * blkback against a fake guest (blk_harness.h): requests are built by hand in
 * a real shared ring in the guest's memfd, grants go through the real
 * grant-access library, I/O through both engines into a temporary file
 * (blkback_fixture.h). Every operation, every refusal (status and counter,
 * and the device keeps serving), ring overflow, flush and barrier ordering,
 * read-only disks and persistent grants; the long random runs are in
 * test_blkback_stress.c. The loops run each case in map mode (svdom0) and in
 * copy mode (a driver domain: every grant through the core's remote ops);
 * what only copy mode has is in test_blkback_copy.c.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blkback_fixture.h"

/* ---- 1: every operation, both engines ---- */

START_TEST(every_operation)
{
	struct dev_cfg cfg = { .engine = engines[_i % 2], .copy = _i >= 2 };
	/* Copy mode serves smaller indirect requests (BLKBACK_COPY_MAX_SEGS). */
	uint32_t nind = cfg.copy ? BLKBACK_COPY_MAX_SEGS : 200;
	uint32_t wref[11], rref[11], iref, i, zero_sect;
	uint8_t *w, *r, *ind, file[44 * 1024];
	union blkif_slot s;
	struct dev d;

	dev_open(&d, &cfg);
	w = buf_pages(11, wref, true);
	r = buf_pages(11, rref, false);
	fill(w, 11 * BH_PAGE, 1);

	s = rw_req(BLKIF_OP_WRITE, 100, wref, 11);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	s = rw_req(BLKIF_OP_READ, 100, rref, 11);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	ck_assert_mem_eq(r, w, 11 * BH_PAGE);
	file_read(&d, 100 * 512, file, sizeof(file));
	ck_assert_mem_eq(file, w, sizeof(file));

	/* Part of a page: sectors 2..5 of the segment, 4 sectors at 300. */
	s = rw_req(BLKIF_OP_WRITE, 300, wref, 1);
	s.req.seg[0].first_sect = 2;
	s.req.seg[0].last_sect = 5;
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	file_read(&d, 300 * 512, file, 4 * 512);
	ck_assert_mem_eq(file, w + 2 * 512, 4 * 512);

	s = rw_req(BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	s = rw_req(BLKIF_OP_WRITE_BARRIER, 500, wref + 1, 2);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	file_read(&d, 500 * 512, file, 2 * BH_PAGE);
	ck_assert_mem_eq(file, w + BH_PAGE, 2 * BH_PAGE);
	s = rw_req(BLKIF_OP_FLUSH_DISKCACHE, 600, wref + 3, 1); /* a flush carrying data */
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);

	/* Discard: the range reads back as zeros. */
	zero_sect = 104;
	ck_assert(d.disk.discard);
	memset(&s, 0, sizeof(s));
	s.discard.operation = BLKIF_OP_DISCARD;
	s.discard.sector_number = zero_sect;
	s.discard.nr_sectors = 16;
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	s = rw_req(BLKIF_OP_READ, 100, rref, 11);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	ck_assert_mem_eq(r, w, 4 * 512);
	for (i = 4 * 512; i < 20 * 512; i++)
		ck_assert_uint_eq(r[i], 0);
	ck_assert_mem_eq(r + 20 * 512, w + 20 * 512, 11 * BH_PAGE - 20 * 512);

	/* Indirect: nind single-sector segments, alternating over the 11 pages. */
	ind = buf_pages(1, &iref, true);
	for (i = 0; i < nind; i++) {
		struct blkif_request_segment *sg = (struct blkif_request_segment *)ind + i;

		*sg = (struct blkif_request_segment){ .gref = wref[i % 11],
						      .first_sect = (uint8_t)(i % 8),
						      .last_sect = (uint8_t)(i % 8) };
	}
	memset(&s, 0, sizeof(s));
	s.indirect.operation = BLKIF_OP_INDIRECT;
	s.indirect.indirect_op = BLKIF_OP_WRITE;
	s.indirect.nr_segments = (uint16_t)nind;
	s.indirect.sector_number = 2000;
	s.indirect.indirect_grefs[0] = iref;
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	for (i = 0; i < nind; i++) {
		file_read(&d, (2000 + i) * 512ull, file, 512);
		ck_assert_mem_eq(file, w + (i % 11) * BH_PAGE + (i % 8) * 512, 512);
	}
	/* Read it back into the read pages with the same layout. */
	for (i = 0; i < nind; i++)
		((struct blkif_request_segment *)ind)[i].gref = rref[i % 11];
	memset(r, 0, 11 * BH_PAGE);
	s.indirect.indirect_op = BLKIF_OP_READ;
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	for (i = 0; i < nind; i++) {
		file_read(&d, (2000 + i) * 512ull, file, 512);
		ck_assert_mem_eq(r + (i % 11) * BH_PAGE + (i % 8) * 512, file, 512);
	}

	ck_assert_uint_eq(dev_stats(&d).reads, 3);
	ck_assert_uint_eq(dev_stats(&d).writes, 3);
	ck_assert_uint_eq(dev_stats(&d).indirect, 2);
	ck_assert_uint_eq(dev_stats(&d).flushes, 2);
	ck_assert_uint_eq(dev_stats(&d).barriers, 1);
	ck_assert_uint_eq(dev_stats(&d).discards, 1);
	ck_assert_uint_eq(dev_stats(&d).sectors_read, 88 * 2 + nind);
	ck_assert_uint_eq(dev_stats(&d).io_errors, 0);
	/*
	 * Ten requests reached the disk: each took at least one system call of the
	 * engine (an io_uring_enter, or a worker's preadv, pwritev or fdatasync).
	 */
	ck_assert_uint_ge(dev_stats(&d).syscalls, 10);
	/* Nothing is left mapped but the ring. */
	for (i = 0; i < 11; i++)
		ck_assert_uint_eq(gnt_map_count(&m, &g.granter, rref[i]), 0);
	dev_close(&d);
	ck_assert_uint_eq(gnt_map_count(&m, &g.granter, d.refs[0]), 0);
}
END_TEST

/* ---- 2: hostile requests ---- */

struct hostile_env {
	struct dev d;
	uint32_t good[2], ro_ref, other_dom, free_ref, table_ref, ind_ref;
	uint8_t *good_page, *ro_page, *ind;
};

/* After every refusal the device still serves a good read and holds no extra maps. */
static void still_serves(struct hostile_env *e)
{
	union blkif_slot s = rw_req(BLKIF_OP_READ, 8, e->good, 2);

	ck_assert_int_eq(dev_one(&e->d, &s), BLKIF_RSP_OKAY);
	ck_assert_uint_eq(gnt_map_count(&m, &g.granter, e->good[0]), 0);
	ck_assert_uint_eq(gnt_map_count(&m, &g.granter, e->ro_ref), 0);
	ck_assert_uint_eq(blkback_inflight(e->d.b), 0);
}

#define EXPECT(e, req, status, counter)                                     \
	do {                                                                \
		uint64_t before_ = dev_stats(&(e)->d).counter;              \
		ck_assert_int_eq(dev_one(&(e)->d, &(req)), (status));       \
		ck_assert_uint_eq(dev_stats(&(e)->d).counter, before_ + 1); \
		still_serves(e);                                            \
	} while (0)

START_TEST(hostile_requests)
{
	struct dev_cfg cfg = { .engine = engines[_i % 2], .copy = _i >= 2 };
	static struct hostile_env e;
	union blkif_slot s;
	uint8_t before[BH_PAGE];

	dev_open(&e.d, &cfg);
	e.good_page = buf_pages(2, e.good, false);
	e.ro_page = buf_pages(1, &e.ro_ref, true);
	memset(e.ro_page, 0x5a, BH_PAGE);
	e.other_dom = (uint32_t)bh_grant_to(&g, 9, bh_frame(&g, e.good_page), false);
	e.free_ref = (uint32_t)bh_grant(&g, e.good_page, false);
	ck_assert_int_eq(bh_end_grant(&g, e.free_ref), 0); /* a ref not granted any more */
	e.table_ref = (uint32_t)bh_grant_to(&g, BACKEND, BH_TABLE_GPA / BH_PAGE, false);
	e.ind = buf_pages(1, &e.ind_ref, true);

	s = rw_req(9, 0, e.good, 1);
	EXPECT(&e, s, BLKIF_RSP_EOPNOTSUPP, bad_op);
	s = rw_req(BLKIF_OP_READ, 0, e.good, 0);
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_segments);
	s = rw_req(BLKIF_OP_WRITE, 0, e.good, 0);
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_segments);
	s = rw_req(BLKIF_OP_READ, 0, e.good, 1);
	s.req.nr_segments = 12;
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_segments);
	s.req.nr_segments = 255;
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_segments);
	s = rw_req(BLKIF_OP_READ, 0, e.good, 1);
	s.req.seg[0].first_sect = 5;
	s.req.seg[0].last_sect = 3;
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_segments);
	s.req.seg[0].first_sect = 0;
	s.req.seg[0].last_sect = 8;
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_segments);

	/* Indirect: too many, none, or a non-data operation. */
	memset(&s, 0, sizeof(s));
	s.indirect.operation = BLKIF_OP_INDIRECT;
	s.indirect.indirect_op = BLKIF_OP_READ;
	s.indirect.indirect_grefs[0] = e.ind_ref;
	s.indirect.nr_segments = SV_BLKIF_MAX_INDIRECT_SEGMENTS + 1;
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_segments);
	s.indirect.nr_segments = 0;
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_segments);
	s.indirect.nr_segments = 1;
	s.indirect.indirect_op = BLKIF_OP_FLUSH_DISKCACHE;
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_segments);
	/* A descriptor with a bad sector range, then one with a bad ref, then a bad page ref. */
	s.indirect.indirect_op = BLKIF_OP_READ;
	*(struct blkif_request_segment *)e.ind = (struct blkif_request_segment){ .gref = e.good[0],
										 .first_sect = 3,
										 .last_sect = 9 };
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_segments);
	*(struct blkif_request_segment *)e.ind =
		(struct blkif_request_segment){ .gref = e.other_dom, .last_sect = 7 };
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_grant);
	s.indirect.indirect_grefs[0] = BH_NR_REFS;
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_grant);

	/* Sector ranges past the end, including ones that overflow. */
	s = rw_req(BLKIF_OP_READ, DISK_SECT - 15, e.good, 2);
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_sector_range);
	s = rw_req(BLKIF_OP_WRITE, UINT64_MAX - 3, e.good, 1);
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_sector_range);
	memset(&s, 0, sizeof(s));
	s.discard.operation = BLKIF_OP_DISCARD;
	s.discard.sector_number = 8;
	s.discard.nr_sectors = UINT64_MAX - 4;
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_sector_range);
	s.discard.nr_sectors = 8;
	s.discard.flag = BLKIF_DISCARD_SECURE;
	EXPECT(&e, s, BLKIF_RSP_EOPNOTSUPP, bad_op);

	/* Grants: out of the table, another domain's, not granted, the table itself. */
	s = rw_req(BLKIF_OP_READ, 0, e.good, 2);
	s.req.seg[1].gref = BH_NR_REFS + 5;
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_grant);
	s.req.seg[1].gref = UINT32_MAX;
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_grant);
	s.req.seg[1].gref = e.other_dom;
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_grant);
	s.req.seg[1].gref = e.free_ref;
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_grant);
	s.req.seg[1].gref = e.table_ref;
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_grant);
	s.req.seg[1].gref = 0; /* reserved (console) and never granted here */
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_grant);
	/* A read-only grant cannot receive a disk read: the page is untouched. */
	memcpy(before, e.ro_page, BH_PAGE);
	s = rw_req(BLKIF_OP_READ, 100, &e.ro_ref, 1);
	EXPECT(&e, s, BLKIF_RSP_ERROR, bad_grant);
	ck_assert_mem_eq(e.ro_page, before, BH_PAGE);
	/* ... but may be written to disk. */
	s = rw_req(BLKIF_OP_WRITE, 100, &e.ro_ref, 1);
	ck_assert_int_eq(dev_one(&e.d, &s), BLKIF_RSP_OKAY);

	/* Discard where the disk cannot: not supported. */
	e.d.disk.discard = false;
	memset(&s, 0, sizeof(s));
	s.discard.operation = BLKIF_OP_DISCARD;
	s.discard.nr_sectors = 8;
	EXPECT(&e, s, BLKIF_RSP_EOPNOTSUPP, bad_op);
	ck_assert_uint_eq(dev_stats(&e.d).io_errors, 0);
	ck_assert(!blkback_disconnected(e.d.b));
	dev_close(&e.d);
}
END_TEST

/*
 * A frontend that answers each response with a new request at once, from its
 * upcall (as fast as another CPU would): every request is refused, so every
 * slot comes back at once. It stops after rearm_left requests.
 */
static uint32_t rearm_left, rearm_made;

static void rearm(struct dev *d)
{
	union blkif_slot *s;

	d->fr.rsp_cons += sv_front_unconsumed(&d->fr);
	sv_front_final_check(&d->fr); /* and notify me again */
	while (rearm_left && sv_front_free_slots(&d->fr)) {
		s = dev_slot(d);
		s->req.operation = 0xee; /* no such operation */
		s->req.id = rearm_left--;
		rearm_made++;
	}
	sv_front_push_requests(&d->fr);
}

START_TEST(kick_is_bounded)
{
	struct dev_cfg cfg = { .engine = engines[_i] };
	struct blkback_stats st;
	uint64_t before;
	struct dev d;
	int ret, i;

	dev_open(&d, &cfg);
	d.on_notify = rearm;
	rearm_left = 64 * d.fr.entries;
	rearm_made = 0;
	rearm(&d);
	/* One kick takes at most two rings' worth, then gives its thread back. */
	ck_assert_int_eq(blkback_kick(d.b), BLKBACK_KICK_MORE);
	st = dev_stats(&d);
	ck_assert_uint_ge(st.requests, d.fr.entries);
	ck_assert_uint_le(st.requests, 2 * d.fr.entries);
	ck_assert_uint_eq(st.kick_yields, 1);
	/* Called again, it goes on where it stopped: nothing is lost. */
	for (i = 0; i < 200 && (ret = blkback_kick(d.b)) == BLKBACK_KICK_MORE; i++)
		ck_assert_uint_le(dev_stats(&d).requests - st.requests,
				  (uint64_t)(i + 1) * 2 * d.fr.entries);
	ck_assert_int_eq(ret, 0);
	st = dev_stats(&d);
	ck_assert_uint_eq(st.requests, rearm_made);
	ck_assert_uint_eq(st.bad_op, rearm_made);
	ck_assert_uint_ge(st.kick_yields, 31); /* 64 rings, 2 a kick */
	ck_assert_uint_eq(d.fr.rsp_cons, rearm_made);

	/* A stop request: the next kick takes nothing more from the ring. */
	rearm_left = 4 * d.fr.entries;
	rearm(&d);
	before = dev_stats(&d).requests;
	blkback_request_stop(d.b);
	ck_assert_int_eq(blkback_kick(d.b), 0);
	ck_assert_uint_eq(dev_stats(&d).requests, before);
	ck_assert(!blkback_disconnected(d.b));
	dev_close(&d);
}
END_TEST

START_TEST(ring_overflow_disconnects_one_device)
{
	struct dev_cfg cfg = { .engine = BLKBACK_IO_AUTO };
	struct dev a, b;
	uint32_t ref;
	union blkif_slot s;

	dev_open(&a, &cfg);
	dev_open(&b, &cfg);
	buf_pages(1, &ref, false);
	s = rw_req(BLKIF_OP_READ, 0, &ref, 1);
	ck_assert_int_eq(dev_one(&a, &s), BLKIF_RSP_OKAY);
	/* The producer jumps a whole ring and one ahead. */
	__atomic_store_n(&a.fr.s->req_prod, a.fr.req_prod_pvt + a.fr.entries + 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(blkback_kick(a.b), -EPROTO);
	ck_assert_uint_eq(dev_stats(&a).ring_overflow, 1);
	ck_assert(blkback_disconnected(a.b));
	ck_assert_int_eq(blkback_kick(a.b), -EPROTO);
	ck_assert_int_eq(blkback_complete(a.b), 0);
	ck_assert_uint_eq(dev_stats(&a).requests, 1);
	/* The other device, same backend process and mapper, is unaffected. */
	ck_assert_int_eq(dev_one(&b, &s), BLKIF_RSP_OKAY);
	s = rw_req(BLKIF_OP_WRITE, 8, &ref, 1);
	ck_assert_int_eq(dev_one(&b, &s), BLKIF_RSP_OKAY);
	ck_assert(!blkback_disconnected(b.b));
	dev_close(&a);
	dev_close(&b);
}
END_TEST

START_TEST(bad_ring_refused)
{
	struct blkback_params p;
	struct blk_disk disk = { .fd = 0 };
	struct blkback *b;
	uint32_t refs[2];
	char err[256] = "";
	uint8_t *pg;

	/* Two ring pages that are not adjacent in the guest's memory. */
	pg = bh_alloc_pages(&g, 3);
	refs[0] = (uint32_t)bh_grant(&g, pg, false);
	refs[1] = (uint32_t)bh_grant(&g, pg + 2 * BH_PAGE, false);
	p = (struct blkback_params){ .granter = &g.granter,
				     .mapper = &m,
				     .ring_refs = refs,
				     .ring_order = 1,
				     .disk = &disk,
				     .name = "bad ring" };
	ck_assert_int_eq(blkback_open(&b, &p, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "contiguous"));
	ck_assert_uint_eq(gnt_map_count(&m, &g.granter, refs[0]), 0);
	/* A ring ref the grant library refuses, and an order too large. */
	refs[1] = (uint32_t)bh_grant_to(&g, 9, bh_frame(&g, pg + BH_PAGE), false);
	ck_assert_int_eq(blkback_open(&b, &p, err, sizeof(err)), -EPERM);
	p.ring_order = SV_BLKIF_MAX_RING_ORDER + 1;
	ck_assert_int_eq(blkback_open(&b, &p, err, sizeof(err)), -EINVAL);
	ck_assert_uint_eq(gnt_map_count(&m, &g.granter, refs[0]), 0);
}
END_TEST

/* ---- 4: flush and barrier ordering ---- */

START_TEST(flush_ordering)
{
	struct dev_cfg cfg = { .engine = engines[_i % 2], .order = 1, .copy = _i >= 4 };
	uint32_t refs[8], round, i;
	struct blkif_response rsp[16];
	uint8_t *p, file[BH_PAGE];
	union blkif_slot *s;
	struct dev d;

	/* Rounds 2, 3 of each mode: O_DIRECT, where it is supported. */
	cfg.cache = _i % 4 >= 2 ? BLK_CACHE_NONE : BLK_CACHE_WRITEBACK;
	dev_open(&d, &cfg);
	p = buf_pages(8, refs, true);
	for (round = 0; round < 40; round++) {
		for (i = 0; i < 8; i++)
			memset(p + i * BH_PAGE, (int)(round * 8 + i), BH_PAGE);
		/*
		 * Writes of pages 0..2 to one sector, a barrier writing page 3 there,
		 * then page 4: the barrier lands after 0..2 and before 4.
		 */
		for (i = 0; i < 5; i++) {
			s = dev_slot(&d);
			*s = rw_req(i == 3 ? BLKIF_OP_WRITE_BARRIER : BLKIF_OP_WRITE, 64, &refs[i],
				    1);
			s->req.id = i;
		}
		/* Six writes elsewhere and a flush behind them, all in one batch. */
		for (i = 0; i < 6; i++) {
			s = dev_slot(&d);
			*s = rw_req(BLKIF_OP_WRITE, 256 + i * 8, &refs[i], 1);
			s->req.id = 10 + i;
		}
		s = dev_slot(&d);
		*s = rw_req(BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0);
		s->req.id = 99;
		ck_assert_int_eq(dev_push(&d), 0);
		dev_wait(&d, 12, rsp);
		for (i = 0; i < 12; i++)
			ck_assert_int_eq(rsp[i].status, BLKIF_RSP_OKAY);
		/* The flush answers only after the six writes did. */
		for (i = 0; i < 12 && rsp[i].id != 99; i++)
			;
		ck_assert_uint_eq(i, 11);
		file_read(&d, 64 * 512, file, BH_PAGE);
		ck_assert_mem_eq(file, p + 4 * BH_PAGE, BH_PAGE);
		for (i = 0; i < 6; i++) {
			file_read(&d, (256 + i * 8) * 512ull, file, BH_PAGE);
			ck_assert_mem_eq(file, p + i * BH_PAGE, BH_PAGE);
		}
	}
	ck_assert_uint_eq(dev_stats(&d).barriers, 40);
	ck_assert_uint_eq(dev_stats(&d).flushes, 40);
	dev_close(&d);
}
END_TEST

/* ---- 5: read-only disk ---- */

START_TEST(readonly_disk)
{
	struct dev_cfg cfg = { .engine = engines[_i % 2], .readonly = true, .copy = _i >= 2 };
	union blkif_slot s;
	uint32_t refs[2], iref;
	uint8_t *ind;
	struct dev d;

	dev_open(&d, &cfg);
	ck_assert(d.disk.readonly);
	ck_assert(!d.disk.discard);
	buf_pages(2, refs, false);
	ind = buf_pages(1, &iref, true);
	*(struct blkif_request_segment *)ind =
		(struct blkif_request_segment){ .gref = refs[0], .last_sect = 7 };
	s = rw_req(BLKIF_OP_WRITE, 0, refs, 2);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_ERROR);
	s = rw_req(BLKIF_OP_WRITE_BARRIER, 0, refs, 1);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_ERROR);
	s = rw_req(BLKIF_OP_FLUSH_DISKCACHE, 0, refs, 1);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_ERROR);
	memset(&s, 0, sizeof(s));
	s.discard.operation = BLKIF_OP_DISCARD;
	s.discard.nr_sectors = 8;
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_ERROR);
	memset(&s, 0, sizeof(s));
	s.indirect.operation = BLKIF_OP_INDIRECT;
	s.indirect.indirect_op = BLKIF_OP_WRITE;
	s.indirect.nr_segments = 1;
	s.indirect.indirect_grefs[0] = iref;
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_ERROR);
	ck_assert_uint_eq(dev_stats(&d).readonly_write, 5);
	/* Reads and a pure flush work. */
	s.indirect.indirect_op = BLKIF_OP_READ;
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	s = rw_req(BLKIF_OP_READ, 0, refs, 2);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	s = rw_req(BLKIF_OP_FLUSH_DISKCACHE, 0, NULL, 0);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	ck_assert_uint_eq(dev_stats(&d).writes, 0);
	dev_close(&d);
}
END_TEST

/* ---- 6: persistent grants ---- */

START_TEST(persistent_grants)
{
	struct dev_cfg cfg = { .engine = engines[_i], .persistent = true };
	uint32_t refs[4], ro;
	union blkif_slot s;
	uint8_t *p;
	struct dev d;
	int i;

	dev_open(&d, &cfg);
	p = buf_pages(4, refs, false);
	buf_pages(1, &ro, true);
	fill(p, 4 * BH_PAGE, 7);
	s = rw_req(BLKIF_OP_WRITE, 40, refs, 4);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	ck_assert_uint_eq(dev_stats(&d).persistent_maps, 4);
	ck_assert_uint_eq(dev_stats(&d).persistent_hits, 0);
	for (i = 0; i < 3; i++) {
		memset(p, 0, 4 * BH_PAGE);
		s = rw_req(BLKIF_OP_READ, 40, refs, 4);
		ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	}
	fill(p + 3 * BH_PAGE, BH_PAGE, 7); /* what was written, to compare */
	ck_assert_uint_eq(dev_stats(&d).persistent_maps, 4);
	ck_assert_uint_eq(dev_stats(&d).persistent_hits, 12);
	/* Still mapped between requests: the guest cannot revoke them. */
	ck_assert_uint_eq(gnt_map_count(&m, &g.granter, refs[0]), 1);
	ck_assert_int_eq(bh_end_grant(&g, refs[0]), -EBUSY);
	/* A read-only grant is kept for writes and still refused for reads. */
	s = rw_req(BLKIF_OP_WRITE, 80, &ro, 1);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	s = rw_req(BLKIF_OP_READ, 80, &ro, 1);
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_ERROR);
	ck_assert_uint_eq(dev_stats(&d).bad_grant, 1);
	ck_assert_uint_eq(dev_stats(&d).persistent_maps, 5);
	ck_assert_uint_eq(dev_stats(&d).persistent_hits, 13);
	dev_close(&d);
	/* Closing let every one of them go. */
	ck_assert_uint_eq(gnt_map_count(&m, &g.granter, refs[0]), 0);
	ck_assert_uint_eq(gnt_map_count(&m, &g.granter, ro), 0);
	ck_assert_int_eq(bh_end_grant(&g, refs[0]), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("blkback");
	TCase *tc = tcase_create("basic");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, every_operation, 0, 4);
	tcase_add_loop_test(tc, hostile_requests, 0, 4);
	tcase_add_loop_test(tc, kick_is_bounded, 0, 2);
	tcase_add_test(tc, ring_overflow_disconnects_one_device);
	tcase_add_test(tc, bad_ring_refused);
	tcase_add_loop_test(tc, flush_ordering, 0, 8);
	tcase_add_loop_test(tc, readonly_disk, 0, 4);
	tcase_add_loop_test(tc, persistent_grants, 0, 2);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
