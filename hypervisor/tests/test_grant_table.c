// SPDX-License-Identifier: MIT
/* grant_table_op through the hypercall dispatcher: hostile arguments change nothing. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include <splitvisor/grant_table.h>
#include <splitvisor/start_info.h>

#include "grant_table.h"
#include "hypercall.h"

#define RAM_SIZE (1u << 20)
#define ARG_GPA	 0x11000u /* where the "guest" puts the argument struct */
#define PAGE	 4096u

static struct guest_mem mem;
static struct gnttab gt;
static const struct hcall_ops no_ops;
static struct hcall_env env = { .mem = &mem, .nr_vcpus = 1, .ops = &no_ops, .gnttab = &gt };

static void setup(void)
{
	ck_assert_int_eq(guest_mem_create(&mem, "gnttab", RAM_SIZE), 0);
	memset(&gt, 0, sizeof(gt));
}

static void teardown(void)
{
	guest_mem_destroy(&mem);
}

static int64_t op(uint64_t cmd, uint64_t arg_gpa)
{
	uint64_t arg[5] = { cmd, arg_gpa, 0xdead, 0xbeef, 0xf00d };

	return hcall_dispatch(&env, SV_HC_grant_table_op, arg);
}

static int64_t setup_table(uint64_t gpa, uint32_t nr, uint32_t pad)
{
	struct gnttab_setup_table st = { .table_gpa = gpa, .nr_frames = nr, .pad = pad };

	memcpy(mem.hva + ARG_GPA, &st, sizeof(st));
	return op(GNTTABOP_setup_table, ARG_GPA);
}

static void expect_table(uint64_t gpa, uint32_t nr)
{
	uint64_t g;
	uint32_t n;

	ck_assert_int_eq(gnttab_get(&gt, &g, &n), 0);
	ck_assert_uint_eq(g, gpa);
	ck_assert_uint_eq(n, nr);
}

START_TEST(setup_and_query)
{
	struct gnttab_query_size qs;
	uint64_t g;
	uint32_t n;

	ck_assert_int_eq(gnttab_get(&gt, &g, &n), -ENOENT);
	memset(mem.hva + ARG_GPA, 0xff, sizeof(qs));
	ck_assert_int_eq(op(GNTTABOP_query_size, ARG_GPA), 0);
	memcpy(&qs, mem.hva + ARG_GPA, sizeof(qs));
	ck_assert_uint_eq(qs.nr_frames, 0);
	ck_assert_uint_eq(qs.max_nr_frames, SV_GNTTAB_MAX_FRAMES);

	ck_assert_int_eq(setup_table(0x20000, 4, 0), 0);
	expect_table(0x20000, 4);
	ck_assert_int_eq(op(GNTTABOP_query_size, ARG_GPA), 0);
	memcpy(&qs, mem.hva + ARG_GPA, sizeof(qs));
	ck_assert_uint_eq(qs.nr_frames, 4);

	/* Moving and growing is setup again; the first reserved-free page and the last fit. */
	ck_assert_int_eq(
		setup_table(RAM_SIZE - SV_GNTTAB_MAX_FRAMES * PAGE, SV_GNTTAB_MAX_FRAMES, 0), 0);
	expect_table(RAM_SIZE - SV_GNTTAB_MAX_FRAMES * PAGE, SV_GNTTAB_MAX_FRAMES);
	ck_assert_int_eq(setup_table(SV_RESERVED_END, 1, 0), 0);
	expect_table(SV_RESERVED_END, 1);
}
END_TEST

START_TEST(hostile_setup_refused)
{
	static const struct {
		uint64_t gpa;
		uint32_t nr, pad;
		int64_t want;
	} bad[] = {
		{ 0x20008, 1, 0, -EINVAL }, /* unaligned */
		{ 0x20800, 1, 0, -EINVAL },
		{ 0x20000, 0, 0, -EINVAL },			   /* no frames */
		{ 0x20000, SV_GNTTAB_MAX_FRAMES + 1, 0, -EINVAL }, /* too many */
		{ 0x20000, UINT32_MAX, 0, -EINVAL },
		{ 0x20000, 1, 1, -EINVAL },		   /* pad must be 0 */
		{ RAM_SIZE, 1, 0, -EFAULT },		   /* outside RAM */
		{ RAM_SIZE - PAGE, 2, 0, -EFAULT },	   /* straddles the end */
		{ 0xfffffffffffff000ull, 16, 0, -EFAULT }, /* wraps */
		{ 1ull << 40, 1, 0, -EFAULT },
		{ 0, 1, 0, -EFAULT }, /* the core's pages */
		{ SV_START_INFO_GPA, 1, 0, -EFAULT },
		{ SV_RESERVED_END - PAGE, 2, 0, -EFAULT }, /* overlaps the boot stack */
	};
	size_t i;

	ck_assert_int_eq(setup_table(0x30000, 2, 0), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(setup_table(bad[i].gpa, bad[i].nr, bad[i].pad) == bad[i].want,
			      "case %zu", i);
		expect_table(0x30000, 2); /* a refused setup leaves the old table */
	}
}
END_TEST

/* A backend that cached the location (SV_CTL_GNTTAB) pins it: no move or resize under it. */
START_TEST(pinned_table_stays)
{
	uint64_t g;
	uint32_t n;

	ck_assert_int_eq(gnttab_get_pinned(&gt, &g, &n), -ENOENT);
	ck_assert_int_eq(setup_table(0x20000, 2, 0), 0);
	ck_assert_int_eq(gnttab_get_pinned(&gt, &g, &n), 0);
	ck_assert_uint_eq(g, 0x20000);
	ck_assert_uint_eq(n, 2);
	expect_table(0x20000, 2);
	ck_assert_int_eq(setup_table(0x40000, 2, 0), -EBUSY); /* move */
	ck_assert_int_eq(setup_table(0x20000, 4, 0), -EBUSY); /* grow in place */
	ck_assert_int_eq(setup_table(0x20000, 1, 0), -EBUSY); /* shrink */
	expect_table(0x20000, 2);
	/* Repeating the same setup is harmless, and the pin survives it. */
	ck_assert_int_eq(setup_table(0x20000, 2, 0), 0);
	ck_assert_int_eq(setup_table(0x40000, 2, 0), -EBUSY);
	ck_assert_int_eq(gnttab_get_pinned(&gt, &g, &n), 0);
	ck_assert_uint_eq(g, 0x20000);
	ck_assert_uint_eq(n, 2);
	/* Hostile arguments still get their own errors first. */
	ck_assert_int_eq(setup_table(0x40008, 2, 0), -EINVAL);
	expect_table(0x20000, 2);
}
END_TEST

START_TEST(bad_pointers_and_commands)
{
	ck_assert_int_eq(op(GNTTABOP_setup_table, RAM_SIZE), -EFAULT);
	ck_assert_int_eq(op(GNTTABOP_setup_table, RAM_SIZE - 8), -EFAULT); /* struct is 16 B */
	ck_assert_int_eq(op(GNTTABOP_setup_table, UINT64_MAX), -EFAULT);
	ck_assert_int_eq(op(GNTTABOP_query_size, RAM_SIZE - 4), -EFAULT);
	ck_assert_int_eq(op(GNTTABOP_query_size, UINT64_MAX - 3), -EFAULT);
	ck_assert_int_eq(op(0, ARG_GPA), -EINVAL);
	ck_assert_int_eq(op(UINT64_MAX, ARG_GPA), -EINVAL);
	env.gnttab = NULL; /* a core built without grant tables */
	ck_assert_int_eq(op(GNTTABOP_query_size, ARG_GPA), -ENOSYS);
	env.gnttab = &gt;
}
END_TEST

START_TEST(fixed_table_for_pvh)
{
	uint64_t gpa;
	uint32_t nr;

	gt.max_frames = 4;
	ck_assert_int_eq(gnttab_place_fixed(&gt, &mem, 0xc0001), -EINVAL);
	ck_assert_int_eq(gnttab_place_fixed(&gt, &mem, RAM_SIZE - PAGE), -EINVAL);
	ck_assert_int_eq(gnttab_place_fixed(&gt, &mem, 0xc0000), 0);
	ck_assert_int_eq(gnttab_get(&gt, &gpa, &nr), 0);
	ck_assert_uint_eq(gpa, 0xc0000);
	ck_assert_uint_eq(nr, 4);
	/* Every later frame finds it in place, pinned or not; another place is refused. */
	ck_assert_int_eq(gnttab_get_pinned(&gt, &gpa, &nr), 0);
	ck_assert_int_eq(gnttab_place_fixed(&gt, &mem, 0xc0000), 0);
	ck_assert_int_eq(gnttab_place_fixed(&gt, &mem, 0xd0000), -EBUSY);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("grant_table");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, setup_and_query);
	tcase_add_test(tc, hostile_setup_refused);
	tcase_add_test(tc, pinned_table_stays);
	tcase_add_test(tc, bad_pointers_and_commands);
	tcase_add_test(tc, fixed_table_for_pvh);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
