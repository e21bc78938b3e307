// SPDX-License-Identifier: MIT
/* Guest-virtual translation and copies over page tables built in plain memory. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "guest_va.h"
#include "pt_fixture.h"

static struct guest_mem mem;
static struct gva_paging pg;

static void setup(void)
{
	ck_assert_int_eq(guest_mem_create(&mem, "gva-test", PT_RAM_SIZE), 0);
	pt_build(&mem, &pg);
}

static void teardown(void)
{
	guest_mem_destroy(&mem);
}

START_TEST(translate_4k_and_large)
{
	uint64_t gpa;

	ck_assert_int_eq(gva_translate(&mem, &pg, PT_VA_A + 0x123, false, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x20123);
	ck_assert_int_eq(gva_translate(&mem, &pg, PT_VA_A + 0x1fff, false, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x10fff);
	ck_assert_int_eq(gva_translate(&mem, &pg, PT_VA_BIG + 0x12345, true, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x212345);
}
END_TEST

START_TEST(copy_across_pages)
{
	uint8_t want[16], got[16];

	for (unsigned int i = 0; i < 16; i++)
		want[i] = (uint8_t)(0xa0 + i);
	/* Eight bytes at the end of gpa 0x20000's page, eight at the start of 0x10000's. */
	memcpy(guest_ptr(&mem, 0x20ff8, 8), want, 8);
	memcpy(guest_ptr(&mem, 0x10000, 8), want + 8, 8);
	ck_assert_int_eq(copy_from_guest_va(&mem, &pg, got, PT_VA_A + 0xff8, 16), 0);
	ck_assert_mem_eq(got, want, 16);

	memset(got, 0x5a, sizeof(got));
	ck_assert_int_eq(copy_to_guest_va(&mem, &pg, PT_VA_A + 0xffc, got, 8), 0);
	ck_assert_mem_eq(guest_ptr(&mem, 0x20ffc, 4), got, 4);
	ck_assert_mem_eq(guest_ptr(&mem, 0x10000, 4), got, 4);
	ck_assert_int_eq(copy_from_guest_va(&mem, &pg, got, PT_VA_A, 0), 0);
}
END_TEST

START_TEST(hostile_addresses)
{
	uint8_t buf[32];
	uint64_t gpa;

	/* Not present, or a buffer that runs into a page that is not. */
	ck_assert_int_eq(copy_from_guest_va(&mem, &pg, buf, PT_VA_A + 0x2000, 4), -EFAULT);
	ck_assert_int_eq(copy_from_guest_va(&mem, &pg, buf, PT_VA_A + 0x1ff8, 16), -EFAULT);
	ck_assert_int_eq(copy_from_guest_va(&mem, &pg, buf, 0x7000000000ull, 4), -EFAULT);
	/* Non-canonical, both sides of the hole. */
	ck_assert_int_eq(gva_translate(&mem, &pg, 0x0000800000000000ull, false, &gpa), -EFAULT);
	ck_assert_int_eq(gva_translate(&mem, &pg, 0xffff7fffffffffffull, false, &gpa), -EFAULT);
	ck_assert_int_eq(copy_from_guest_va(&mem, &pg, buf, 0x00007ffffffffff8ull, 16), -EFAULT);
	/* Wrapping past the top. */
	ck_assert_int_eq(copy_from_guest_va(&mem, &pg, buf, 0xfffffffffffffff8ull, 16), -EFAULT);
	/* Mapped, but beyond RAM; a table beyond RAM. */
	ck_assert_int_eq(copy_from_guest_va(&mem, &pg, buf, PT_VA_OUT, 4), -EFAULT);
	ck_assert_int_eq(gva_translate(&mem, &pg, PT_VA_BADTABLE, false, &gpa), -EFAULT);
	/* Too long. */
	ck_assert_int_eq(copy_from_guest_va(&mem, &pg, buf, PT_VA_A, GVA_COPY_MAX + 1), -EINVAL);
}
END_TEST

START_TEST(readonly_page)
{
	uint8_t buf[4] = { 1, 2, 3, 4 };

	ck_assert_int_eq(copy_from_guest_va(&mem, &pg, buf, PT_VA_RO, 4), 0);
	ck_assert_int_eq(copy_to_guest_va(&mem, &pg, PT_VA_RO, buf, 4), -EFAULT);
	/* Without CR0.WP the kernel may write a read-only page. */
	pg.cr0 &= ~PT_CR0_WP;
	ck_assert_int_eq(copy_to_guest_va(&mem, &pg, PT_VA_RO, buf, 4), 0);
	ck_assert_mem_eq(guest_ptr(&mem, 0x30000, 4), buf, 4);
}
END_TEST

START_TEST(paging_modes)
{
	uint64_t gpa;

	/* No paging: physical below 4 GiB, inside RAM. */
	pg.cr0 = 1;
	ck_assert_int_eq(gva_translate(&mem, &pg, 0x1234, false, &gpa), 0);
	ck_assert_uint_eq(gpa, 0x1234);
	ck_assert_int_eq(gva_translate(&mem, &pg, PT_RAM_SIZE, false, &gpa), -EFAULT);
	ck_assert_int_eq(gva_translate(&mem, &pg, 1ull << 32, false, &gpa), -EFAULT);
	/* Paging without long mode is not walked. */
	pg.cr0 = PT_CR0_PG | 1;
	pg.efer = 0;
	ck_assert_int_eq(gva_translate(&mem, &pg, 0x1000, false, &gpa), -EFAULT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest_va");
	TCase *tc = tcase_create("walk");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, translate_4k_and_large);
	tcase_add_test(tc, copy_across_pages);
	tcase_add_test(tc, hostile_addresses);
	tcase_add_test(tc, readonly_page);
	tcase_add_test(tc, paging_modes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
