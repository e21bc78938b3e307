// SPDX-License-Identifier: MIT
/*
 * blkback against a fake guest (blk_harness.h): requests are built by hand in
 * a real shared ring in the guest's memfd, grants go through the real
 * grant-access library, I/O through both engines into a temporary file.
 * Every operation, every refusal (status and counter, and the device keeps
 * serving), ring overflow, flush and barrier ordering, read-only disks,
 * persistent grants, and a long random run checked against a shadow copy.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <splitvisor/blkif.h>

#include "blk_harness.h"
#include "blkback.h"

#define GUEST	  5
#define BACKEND	  0
#define RAM	  (32u << 20)
#define DISK_SECT 16384u /* 8 MiB */

static struct bh_guest g;
static struct sv_gnt_mapper m;

struct dev {
	char path[256];
	struct blk_disk disk;
	struct blkback *b;
	struct sv_front_ring fr;
	uint32_t refs[SV_BLKIF_MAX_RING_PAGES];
	uint32_t order;
	unsigned notified;
	uint64_t next_id;
};

static void setup(void)
{
	ck_assert_int_eq(bh_guest_create(&g, GUEST, BACKEND, RAM), 0);
	ck_assert_int_eq(sv_gnt_mapper_init(&m, BACKEND, 1u << 16), 0);
}

static void teardown(void)
{
	sv_gnt_unmap_all(&m);
	sv_gnt_mapper_destroy(&m);
	bh_guest_destroy(&g);
}

static void dev_notify(void *opaque)
{
	((struct dev *)opaque)->notified++;
}

struct dev_cfg {
	enum blkback_io_engine engine;
	uint32_t order;
	bool persistent, readonly;
	uint64_t sectors;
	enum blk_cache_mode cache;
	const uint32_t *ring_refs; /* a ring someone else (blkfront) made */
};

static void dev_open(struct dev *d, const struct dev_cfg *c)
{
	struct blkback_params p;
	char err[256];
	void *ring;
	uint32_t i;
	int ret;

	memset(d, 0, sizeof(*d));
	d->order = c->order;
	d->next_id = 1000;
	ck_assert_int_eq(bh_temp_disk(d->path, sizeof(d->path), (c->sectors ?: DISK_SECT) * 512),
			 0);
	ret = blk_disk_open(&d->disk, d->path, c->cache, c->readonly, err, sizeof(err));
	unlink(d->path);
	ck_assert_msg(!ret, "%s", err);
	if (c->ring_refs) {
		memcpy(d->refs, c->ring_refs, sizeof(d->refs[0]) << c->order);
	} else {
		ring = bh_alloc_pages(&g, 1u << c->order);
		ck_assert_ptr_nonnull(ring);
		for (i = 0; i < 1u << c->order; i++)
			d->refs[i] = (uint32_t)bh_grant(&g, (uint8_t *)ring + i * BH_PAGE, false);
		sv_front_ring_init(&d->fr, ring, BH_PAGE << c->order, sizeof(union blkif_slot));
	}
	p = (struct blkback_params){ .granter = &g.granter,
				     .mapper = &m,
				     .ring_refs = d->refs,
				     .ring_order = c->order,
				     .disk = &d->disk,
				     .persistent = c->persistent,
				     .engine = c->engine,
				     .notify = dev_notify,
				     .opaque = d,
				     .name = "test vbd" };
	ret = blkback_open(&d->b, &p, err, sizeof(err));
	ck_assert_msg(!ret, "%s", err);
}

static void dev_close(struct dev *d)
{
	blkback_close(d->b);
	blk_disk_close(&d->disk);
}

static struct blkback_stats dev_stats(struct dev *d)
{
	struct blkback_stats s;

	blkback_get_stats(d->b, &s);
	return s;
}

/* Publishes what was queued and kicks the backend when the event index asks. */
static int dev_push(struct dev *d)
{
	if (sv_front_push_requests(&d->fr))
		return blkback_kick(d->b);
	return 0;
}

/* Waits for n responses, running the backend's completion side meanwhile. */
static void dev_wait(struct dev *d, uint32_t n, struct blkif_response *out)
{
	struct pollfd pfd = { .fd = blkback_io_fd(d->b), .events = POLLIN };
	uint32_t got = 0;
	int idle = 0;

	while (got < n) {
		ck_assert_int_eq(blkback_complete(d->b), 0);
		while (sv_front_unconsumed(&d->fr) && got < n) {
			memcpy(&out[got++], sv_front_rsp(&d->fr, d->fr.rsp_cons++), sizeof(*out));
		}
		if (got == n || sv_front_final_check(&d->fr))
			continue;
		ck_assert_msg(poll(&pfd, 1, 2000) > 0 || ++idle < 3, "no response");
	}
}

static union blkif_slot *dev_slot(struct dev *d)
{
	union blkif_slot *s = sv_front_next_req(&d->fr);

	memset(s, 0, sizeof(*s));
	return s;
}

/* One request, its response's status; checks the response echoes it and has no garbage. */
static int dev_one(struct dev *d, const union blkif_slot *req)
{
	struct blkif_response rsp;
	union blkif_slot *s = dev_slot(d);

	memcpy(s, req, sizeof(*s));
	s->req.id = ++d->next_id;
	ck_assert_int_eq(dev_push(d), 0);
	dev_wait(d, 1, &rsp);
	ck_assert_uint_eq(rsp.id, d->next_id);
	ck_assert_uint_eq(rsp.operation, req->req.operation);
	ck_assert_uint_eq(rsp.pad, 0);
	ck_assert_uint_eq(rsp.pad2, 0);
	return rsp.status;
}

/* n whole pages as segments from sector. */
static union blkif_slot rw_req(uint8_t op, uint64_t sector, const uint32_t *refs, uint32_t n)
{
	union blkif_slot s;
	uint32_t i;

	memset(&s, 0, sizeof(s));
	s.req.operation = op;
	s.req.nr_segments = (uint8_t)n;
	s.req.sector_number = sector;
	for (i = 0; i < n && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
		s.req.seg[i] = (struct blkif_request_segment){ .gref = refs[i], .last_sect = 7 };
	return s;
}

/* Guest buffer pages, each granted; data pages read-only when ro. */
static uint8_t *buf_pages(uint32_t n, uint32_t *refs, bool ro)
{
	uint8_t *p = bh_alloc_pages(&g, n);
	uint32_t i;

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < n; i++)
		refs[i] = (uint32_t)bh_grant(&g, p + i * BH_PAGE, ro);
	return p;
}

static void fill(uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 9));
}

static void file_read(struct dev *d, uint64_t off, void *buf, size_t len)
{
	char path[64];
	int fd;

	/* A new open of the (unlinked) file, buffered: what any other reader sees. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", d->disk.fd);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static const enum blkback_io_engine engines[] = { BLKBACK_IO_URING, BLKBACK_IO_THREADS };

/* ---- 1: every operation, both engines ---- */

START_TEST(every_operation)
{
	struct dev_cfg cfg = { .engine = engines[_i] };
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

	/* Indirect: 200 single-sector segments, alternating over the 11 pages. */
	ind = buf_pages(1, &iref, true);
	for (i = 0; i < 200; i++) {
		struct blkif_request_segment *sg = (struct blkif_request_segment *)ind + i;

		*sg = (struct blkif_request_segment){ .gref = wref[i % 11],
						      .first_sect = (uint8_t)(i % 8),
						      .last_sect = (uint8_t)(i % 8) };
	}
	memset(&s, 0, sizeof(s));
	s.indirect.operation = BLKIF_OP_INDIRECT;
	s.indirect.indirect_op = BLKIF_OP_WRITE;
	s.indirect.nr_segments = 200;
	s.indirect.sector_number = 2000;
	s.indirect.indirect_grefs[0] = iref;
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	for (i = 0; i < 200; i++) {
		file_read(&d, (2000 + i) * 512ull, file, 512);
		ck_assert_mem_eq(file, w + (i % 11) * BH_PAGE + (i % 8) * 512, 512);
	}
	/* Read it back into the read pages with the same layout. */
	for (i = 0; i < 200; i++)
		((struct blkif_request_segment *)ind)[i].gref = rref[i % 11];
	memset(r, 0, 11 * BH_PAGE);
	s.indirect.indirect_op = BLKIF_OP_READ;
	ck_assert_int_eq(dev_one(&d, &s), BLKIF_RSP_OKAY);
	for (i = 0; i < 200; i++) {
		file_read(&d, (2000 + i) * 512ull, file, 512);
		ck_assert_mem_eq(r + (i % 11) * BH_PAGE + (i % 8) * 512, file, 512);
	}

	ck_assert_uint_eq(dev_stats(&d).reads, 3);
	ck_assert_uint_eq(dev_stats(&d).writes, 3);
	ck_assert_uint_eq(dev_stats(&d).indirect, 2);
	ck_assert_uint_eq(dev_stats(&d).flushes, 2);
	ck_assert_uint_eq(dev_stats(&d).barriers, 1);
	ck_assert_uint_eq(dev_stats(&d).discards, 1);
	ck_assert_uint_eq(dev_stats(&d).sectors_read, 88 * 2 + 200);
	ck_assert_uint_eq(dev_stats(&d).io_errors, 0);
	/* Nothing is left mapped but the ring. */
	for (i = 0; i < 11; i++)
		ck_assert_uint_eq(sv_gnt_map_count(&m, &g.granter, rref[i]), 0);
	dev_close(&d);
	ck_assert_uint_eq(sv_gnt_map_count(&m, &g.granter, d.refs[0]), 0);
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
	ck_assert_uint_eq(sv_gnt_map_count(&m, &g.granter, e->good[0]), 0);
	ck_assert_uint_eq(sv_gnt_map_count(&m, &g.granter, e->ro_ref), 0);
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
	struct dev_cfg cfg = { .engine = engines[_i] };
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
	ck_assert_uint_eq(sv_gnt_map_count(&m, &g.granter, refs[0]), 0);
	/* A ring ref the grant library refuses, and an order too large. */
	refs[1] = (uint32_t)bh_grant_to(&g, 9, bh_frame(&g, pg + BH_PAGE), false);
	ck_assert_int_eq(blkback_open(&b, &p, err, sizeof(err)), -EPERM);
	p.ring_order = SV_BLKIF_MAX_RING_ORDER + 1;
	ck_assert_int_eq(blkback_open(&b, &p, err, sizeof(err)), -EINVAL);
	ck_assert_uint_eq(sv_gnt_map_count(&m, &g.granter, refs[0]), 0);
}
END_TEST

/* ---- 4: flush and barrier ordering ---- */

START_TEST(flush_ordering)
{
	struct dev_cfg cfg = { .engine = engines[_i % 2], .order = 1 };
	uint32_t refs[8], round, i;
	struct blkif_response rsp[16];
	uint8_t *p, file[BH_PAGE];
	union blkif_slot *s;
	struct dev d;

	/* Odd rounds: O_DIRECT, where it is supported. */
	cfg.cache = _i >= 2 ? BLK_CACHE_NONE : BLK_CACHE_WRITEBACK;
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
	struct dev_cfg cfg = { .engine = engines[_i], .readonly = true };
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
	ck_assert_uint_eq(sv_gnt_map_count(&m, &g.granter, refs[0]), 1);
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
	ck_assert_uint_eq(sv_gnt_map_count(&m, &g.granter, refs[0]), 0);
	ck_assert_uint_eq(sv_gnt_map_count(&m, &g.granter, ro), 0);
	ck_assert_int_eq(bh_end_grant(&g, refs[0]), 0);
}
END_TEST

/* ---- 3: data integrity under a long random run ---- */

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

START_TEST(blkfront_random)
{
	struct dev_cfg cfg = { .engine = engines[_i % 2],
			       .order = SV_BLKIF_MAX_RING_ORDER,
			       .persistent = _i >= 2,
			       .sectors = ST_SECT };
	struct blkfront_features f = { .sectors = ST_SECT,
				       .sector_size = 512,
				       .flush = true,
				       .barrier = true,
				       .discard = true,
				       .persistent = _i >= 2,
				       .max_indirect_segments = SV_BLKIF_MAX_INDIRECT_SEGMENTS,
				       .max_ring_order = SV_BLKIF_MAX_RING_ORDER };
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
	Suite *s = suite_create("blkback");
	TCase *tc = tcase_create("basic"), *st = tcase_create("stress");
	SRunner *sr;
	int failed;

	/* ctest runs the two cases as unit.blkback and unit.blkback_stress (CK_RUN_CASE). */
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(st, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_set_timeout(st, 600);
	tcase_add_loop_test(tc, every_operation, 0, 2);
	tcase_add_loop_test(tc, hostile_requests, 0, 2);
	tcase_add_test(tc, ring_overflow_disconnects_one_device);
	tcase_add_test(tc, bad_ring_refused);
	tcase_add_loop_test(tc, flush_ordering, 0, 4);
	tcase_add_loop_test(tc, readonly_disk, 0, 2);
	tcase_add_loop_test(tc, persistent_grants, 0, 2);
	tcase_add_test(st, stress_uring);
	tcase_add_test(st, stress_threads_persistent);
	tcase_add_loop_test(st, blkfront_random, 0, 4);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, st);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
