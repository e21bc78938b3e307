// SPDX-License-Identifier: MIT
/*
 * svdd's grants through the core (driver-domain/dd_grant.c): the test is the
 * core's end of dd_core_request. It maps the area svdd registers, reads the
 * segments from it as svcored does, copies between the area and a fake
 * guest's pages, and writes the statuses back; GNT_MAP hands out a memfd of
 * one page. Checked: batches split at SV_CTL_GNT_COPY_MAX, data both ways,
 * statuses (the core's refusals and svdd's own for a segment outside its
 * page), device threads copying at once, and the map table.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <splitvisor/control.h>

#include "dd.h"
#include "grant_access.h"

#define PAGES	  256u
#define REFUSED	  13u /* a ref the fake core refuses (-EPERM) */
#define GUEST_DOM 3u

static pthread_mutex_t core_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t pages[PAGES][4096];
static uint8_t *core_area = MAP_FAILED;
static unsigned int copies, max_count, maps, unmaps, bad_area;

static int core_copy(const struct sv_ctl_gnt_copy *req, struct sv_ctl_gnt_copy_reply *r)
{
	struct sv_ctl_gnt_copy_seg segs[SV_CTL_GNT_COPY_MAX];
	uint32_t i;

	if (req->domid != GUEST_DOM || !req->count || req->count > SV_CTL_GNT_COPY_MAX ||
	    req->ops_offset % 8 || req->ops_offset + sizeof(segs[0]) * req->count > DD_AREA_SIZE)
		return -EINVAL;
	copies++;
	if (req->count > max_count)
		max_count = req->count;
	/* Once out of the area, as svcored does: svdd could change it under us. */
	memcpy(segs, core_area + req->ops_offset, sizeof(segs[0]) * req->count);
	r->failed = 0;
	for (i = 0; i < req->count; i++) {
		struct sv_ctl_gnt_copy_seg *s = &segs[i];
		int st = 0;

		if (s->ref >= PAGES || s->offset + s->len > 4096)
			st = -EINVAL;
		else if (s->area_offset + s->len > DD_AREA_SIZE)
			st = -EFAULT, bad_area++;
		else if (s->ref == REFUSED)
			st = -EPERM;
		else if (s->flags & SV_CTL_GNT_COPY_TO_GRANT)
			memcpy(pages[s->ref] + s->offset, core_area + s->area_offset, s->len);
		else
			memcpy(core_area + s->area_offset, pages[s->ref] + s->offset, s->len);
		((struct sv_ctl_gnt_copy_seg *)(core_area + req->ops_offset))[i].status = st;
		r->failed += st != 0;
	}
	return 0;
}

/* The core's end of fd 3 for the ops dd_grant.c sends. */
int dd_core_request(struct dd *dd, uint32_t op, const void *req, size_t len, int pass_fd,
		    void *reply, size_t cap, int *fds, size_t nfds, char *err, size_t errlen)
{
	int ret = 0;

	(void)dd;
	(void)len;
	(void)cap;
	for (size_t i = 0; i < nfds; i++)
		fds[i] = -1;
	pthread_mutex_lock(&core_lock);
	if (op == SV_CTL_GNT_AREA) {
		const struct sv_ctl_gnt_area *a = req;

		ck_assert_int_ge(pass_fd, 0);
		ck_assert_uint_eq(a->size, DD_AREA_SIZE);
		core_area = mmap(NULL, a->size, PROT_READ | PROT_WRITE, MAP_SHARED, pass_fd, 0);
		ck_assert_ptr_ne(core_area, MAP_FAILED);
	} else if (op == SV_CTL_GNT_COPY) {
		ret = core_copy(req, reply);
	} else if (op == SV_CTL_GNT_MAP) {
		const struct sv_ctl_gnt_map *m = req;
		int fd;

		if (m->ref >= PAGES || m->ref == REFUSED) {
			ret = -EPERM;
			snprintf(err, errlen, "grant %u refused", m->ref);
		} else {
			fd = memfd_create("page", MFD_CLOEXEC);
			ck_assert_int_ge(fd, 0);
			ck_assert_int_eq(write(fd, pages[m->ref], 4096), 4096);
			fds[0] = fd;
			maps++;
		}
	} else if (op == SV_CTL_GNT_UNMAP) {
		unmaps++;
	} else {
		ret = -EPERM;
	}
	pthread_mutex_unlock(&core_lock);
	return ret;
}

static struct dd dd;

static void setup(void)
{
	char err[256];

	memset(&dd, 0, sizeof(dd));
	memset(pages, 0, sizeof(pages));
	copies = max_count = maps = unmaps = bad_area = 0;
	ck_assert_msg(dd_grant_init(&dd, err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_nonnull(dd.env.grant_remote);
}

static void teardown(void)
{
	dd_grant_free(&dd);
	munmap(core_area, DD_AREA_SIZE);
	core_area = MAP_FAILED;
}

static int copy(struct gnt_copy_op *ops, size_t n)
{
	return dd.env.grant_remote->copy_batch(dd.env.grant_remote_ctx, GUEST_DOM, ops, n);
}

START_TEST(test_copy_splits_and_round_trips)
{
	enum { N = 3000 };
	static uint8_t src[N][100], dst[N][100];
	static struct gnt_copy_op ops[N];
	size_t i;

	for (i = 0; i < N; i++) {
		memset(src[i], (int)(i * 7 + 1), sizeof(src[i]));
		/* 3000 distinct 100-byte pieces over pages 0..249 (not the refused one) */
		ops[i] =
			(struct gnt_copy_op){ .ref = (uint32_t)(i % 250 == REFUSED ? 250 : i % 250),
					      .dir = SV_GNT_COPY_TO_GRANT,
					      .offset = (uint32_t)(i / 250) * 100,
					      .len = 100,
					      .buf = src[i],
					      .status = 1 };
	}
	ck_assert_int_eq(copy(ops, N), 0);
	ck_assert_uint_eq(copies, 3); /* 1024 + 1024 + 952 */
	ck_assert_uint_eq(max_count, SV_CTL_GNT_COPY_MAX);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(ops[i].status, 0);
		ops[i].dir = SV_GNT_COPY_FROM_GRANT;
		ops[i].buf = dst[i];
		ops[i].status = 1;
	}
	ck_assert_int_eq(copy(ops, N), 0);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(ops[i].status, 0);
		ck_assert_mem_eq(dst[i], src[i], sizeof(src[i]));
	}
	ck_assert_uint_eq(bad_area, 0);
}
END_TEST

/* Hostile or broken requests of a frontend: each op gets its own status. */
START_TEST(test_copy_statuses)
{
	uint8_t buf[4][4096];
	struct gnt_copy_op ops[4] = {
		{ .ref = 1, .dir = SV_GNT_COPY_TO_GRANT, .offset = 0, .len = 4096, .buf = buf[0] },
		{ .ref = 2,
		  .dir = SV_GNT_COPY_TO_GRANT,
		  .offset = 4000,
		  .len = 200,
		  .buf = buf[1] },
		{ .ref = REFUSED,
		  .dir = SV_GNT_COPY_FROM_GRANT,
		  .offset = 0,
		  .len = 8,
		  .buf = buf[2] },
		{ .ref = 3, .dir = SV_GNT_COPY_TO_GRANT, .offset = 10, .len = 20, .buf = buf[3] },
	};

	memset(buf, 0x5a, sizeof(buf));
	ck_assert_int_eq(copy(ops, 4), 2);
	ck_assert_int_eq(ops[0].status, 0);
	ck_assert_int_eq(ops[1].status, -EINVAL); /* outside its page: never sent */
	ck_assert_int_eq(ops[2].status, -EPERM);  /* the core's refusal */
	ck_assert_int_eq(ops[3].status, 0);
	ck_assert_uint_eq(copies, 2); /* around the refused segment */
	ck_assert_int_eq(pages[1][4095], 0x5a);
	ck_assert_int_eq(pages[2][4000], 0);
	ck_assert_int_eq(pages[3][10], 0x5a);
	ck_assert_int_eq(pages[3][30], 0);
}
END_TEST

struct worker {
	uint32_t first_ref;
	int bad;
};

/* A device thread: its own pages, many batches, the area shared with the others. */
static void *worker(void *arg)
{
	struct worker *w = arg;
	uint8_t in[16][512], out[16][512];
	struct gnt_copy_op ops[16];

	for (int round = 0; round < 300; round++) {
		for (int i = 0; i < 16; i++) {
			memset(in[i], (round + i + (int)w->first_ref) & 0xff, sizeof(in[i]));
			ops[i] = (struct gnt_copy_op){ .ref = w->first_ref + (uint32_t)i / 8,
						       .dir = SV_GNT_COPY_TO_GRANT,
						       .offset = (uint32_t)(i % 8) * 512,
						       .len = 512,
						       .buf = in[i] };
		}
		w->bad += copy(ops, 16);
		for (int i = 0; i < 16; i++) {
			ops[i].dir = SV_GNT_COPY_FROM_GRANT;
			ops[i].buf = out[i];
		}
		w->bad += copy(ops, 16);
		for (int i = 0; i < 16; i++)
			w->bad += memcmp(in[i], out[i], sizeof(in[i])) != 0;
	}
	return NULL;
}

START_TEST(test_copy_from_threads)
{
	struct worker w[4] = { { 20, 0 }, { 30, 0 }, { 40, 0 }, { 50, 0 } };
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, &w[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(w[i].bad, 0);
	}
	ck_assert_uint_eq(copies, 4 * 300 * 2);
}
END_TEST

/*
 * Buffers from the area's pool cross without a copy of svdd's own: the segment
 * names the buffer's own place in the area, and the pool's pages come back.
 */
START_TEST(test_pool_buffers_are_copied_in_place)
{
	const struct gnt_remote_ops *ops = dd.env.grant_remote;
	uint8_t *buf = ops->alloc(dd.env.grant_remote_ctx, 2 * 4096), *again;
	struct gnt_copy_op op[2];
	struct sv_ctl_gnt_copy_seg *segs;

	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq((uintptr_t)buf % 4096, 0);
	memset(pages[5], 0x77, 4096);
	memset(buf + 4096, 0x33, 4096);
	op[0] = (struct gnt_copy_op){
		.ref = 5, .dir = SV_GNT_COPY_FROM_GRANT, .len = 4096, .buf = buf
	};
	op[1] = (struct gnt_copy_op){
		.ref = 6, .dir = SV_GNT_COPY_TO_GRANT, .len = 4096, .buf = buf + 4096
	};
	ck_assert_int_eq(copy(op, 2), 0);
	ck_assert_uint_eq(copies, 1);
	ck_assert_uint_eq(buf[0], 0x77);
	ck_assert_uint_eq(buf[4095], 0x77);
	ck_assert_uint_eq(pages[6][0], 0x33);
	/* The core was told the buffers' own offsets: nothing was staged. */
	segs = (struct sv_ctl_gnt_copy_seg *)core_area;
	buf[100] = 0x11;
	ck_assert_uint_eq(core_area[segs[0].area_offset + 100], 0x11);
	ck_assert_uint_eq(segs[1].area_offset, segs[0].area_offset + 4096);
	ops->free(dd.env.grant_remote_ctx, buf, 2 * 4096);
	/* Freed pages are handed out again, zeroed. */
	again = ops->alloc(dd.env.grant_remote_ctx, 4096);
	ck_assert_ptr_eq(again, buf);
	ck_assert_uint_eq(again[0], 0);
	ops->free(dd.env.grant_remote_ctx, again, 4096);
	/* More than the pool holds: NULL, and the caller uses its own memory. */
	ck_assert_ptr_null(ops->alloc(dd.env.grant_remote_ctx, DD_AREA_SIZE));
}
END_TEST

START_TEST(test_map_table)
{
	const struct gnt_remote_ops *ops = dd.env.grant_remote;
	void *ctx = dd.env.grant_remote_ctx;
	void *p = NULL, *q = NULL;

	pages[5][7] = 0x42;
	ck_assert_int_eq(ops->map(ctx, GUEST_DOM, 5, false, &p), 0);
	ck_assert_int_eq(((uint8_t *)p)[7], 0x42);
	ck_assert_int_eq(ops->map(ctx, GUEST_DOM, 5, true, &q), 0);
	ck_assert_int_eq(ops->map(ctx, GUEST_DOM, REFUSED, false, &q), -EPERM);
	ck_assert_uint_eq(maps, 2);
	/* Undone by (granter, ref, readonly): the readonly map first, then the other. */
	ck_assert_int_eq(ops->unmap(ctx, GUEST_DOM, 5, true), 0);
	ck_assert_int_eq(ops->unmap(ctx, GUEST_DOM, 5, true), -ENOENT);
	ck_assert_int_eq(ops->unmap(ctx, GUEST_DOM, 5, false), 0);
	ck_assert_int_eq(ops->unmap(ctx, GUEST_DOM, 5, false), -ENOENT);
	ck_assert_int_eq(ops->unmap(ctx, GUEST_DOM + 1, 6, false), -ENOENT);
	ck_assert_uint_eq(unmaps, 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dd_grant");
	TCase *tc = tcase_create("dd_grant");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_copy_splits_and_round_trips);
	tcase_add_test(tc, test_copy_statuses);
	tcase_add_test(tc, test_copy_from_threads);
	tcase_add_test(tc, test_pool_buffers_are_copied_in_place);
	tcase_add_test(tc, test_map_table);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
