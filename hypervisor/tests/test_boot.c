// SPDX-License-Identifier: MIT
/* The boot page tables and GDT, checked by walking them like the MMU does. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <splitvisor/start_info.h>

#include "boot.h"

static struct guest_mem mem;

static void setup(void)
{
	ck_assert_int_eq(guest_mem_create(&mem, "boot-test", 8u << 20), 0);
	memset(mem.hva, 0x5a, SV_RESERVED_END);
	ck_assert_int_eq(boot_build_tables(&mem), 0);
}

static void teardown(void)
{
	guest_mem_destroy(&mem);
}

START_TEST(identity_maps_first_4g)
{
	static const uint64_t probes[] = {
		0,
		0x1000,
		SV_KERNEL_BASE,
		SV_KERNEL_BASE + 0x1234,
		(2ull << 20) - 1,
		2ull << 20,
		(1ull << 30) + 0x5678,
		0xfee00000,
		(4ull << 30) - 1,
	};
	uint64_t pa;
	unsigned int i;

	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		ck_assert_int_eq(boot_translate(&mem, probes[i], &pa), 0);
		ck_assert_uint_eq(pa, probes[i]);
	}
}
END_TEST

START_TEST(nothing_above_4g_or_noncanonical)
{
	uint64_t pa;

	ck_assert_int_eq(boot_translate(&mem, 4ull << 30, &pa), -EFAULT);
	ck_assert_int_eq(boot_translate(&mem, 1ull << 39, &pa), -EFAULT);
	ck_assert_int_eq(boot_translate(&mem, 0x0000800000000000ull, &pa), -EFAULT);
	ck_assert_int_eq(boot_translate(&mem, 0xffff800000000000ull, &pa), -EFAULT);
}
END_TEST

START_TEST(entries_present_writable_large)
{
	const uint64_t *pml4 = (const uint64_t *)(mem.hva + SV_PML4_GPA);
	const uint64_t *pd = (const uint64_t *)(mem.hva + SV_PD_GPA);
	unsigned int i;

	ck_assert_uint_eq(pml4[0] & 3, 3);
	for (i = 1; i < 512; i++)
		ck_assert_uint_eq(pml4[i], 0);
	for (i = 0; i < 2048; i++) {
		ck_assert_uint_eq(pd[i] & 0x83, 0x83);
		ck_assert_uint_eq(pd[i] & ~0xfffull, (uint64_t)i << 21);
	}
}
END_TEST

START_TEST(gdt_and_reserved_pages)
{
	const uint64_t *gdt = (const uint64_t *)(mem.hva + SV_GDT_GPA);
	struct kvm_sregs s;

	ck_assert_uint_eq(gdt[0], 0);
	/* Code: present, DPL 0, executable, long mode (L), not D/B. */
	ck_assert_uint_eq((gdt[SV_BOOT_CS / 8] >> 47) & 1, 1);
	ck_assert_uint_eq((gdt[SV_BOOT_CS / 8] >> 43) & 1, 1);
	ck_assert_uint_eq((gdt[SV_BOOT_CS / 8] >> 53) & 1, 1);
	ck_assert_uint_eq((gdt[SV_BOOT_CS / 8] >> 54) & 1, 0);
	/* Data: present, writable, not executable. */
	ck_assert_uint_eq((gdt[SV_BOOT_DS / 8] >> 47) & 1, 1);
	ck_assert_uint_eq((gdt[SV_BOOT_DS / 8] >> 43) & 1, 0);
	/* The stale fill of the reserved area is gone (start info page starts clean). */
	ck_assert_uint_eq(mem.hva[SV_START_INFO_GPA], 0);
	ck_assert_uint_eq(mem.hva[SV_BOOT_STACK_TOP - 1], 0);

	memset(&s, 0, sizeof(s));
	boot_sregs(&s);
	ck_assert_uint_eq(s.cr3, SV_PML4_GPA);
	ck_assert(s.cr0 & (1ull << 31));
	ck_assert(s.cr4 & (1ull << 5));
	ck_assert(s.efer & (1ull << 10));
	ck_assert_uint_eq(s.cs.selector, SV_BOOT_CS);
	ck_assert_uint_eq(s.cs.l, 1);
	ck_assert_uint_eq(s.gdt.base, SV_GDT_GPA);
	ck_assert_uint_eq(s.tr.type, 0xb);
}
END_TEST

START_TEST(refuses_tiny_ram)
{
	struct guest_mem small;

	ck_assert_int_eq(guest_mem_create(&small, "tiny", 4096), 0);
	ck_assert_int_eq(boot_build_tables(&small), -EINVAL);
	guest_mem_destroy(&small);
	ck_assert_int_eq(guest_mem_create(&small, "odd", 4095), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("boot");
	TCase *tc = tcase_create("tables");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, identity_maps_first_4g);
	tcase_add_test(tc, nothing_above_4g_or_noncanonical);
	tcase_add_test(tc, entries_present_writable_large);
	tcase_add_test(tc, gdt_and_reserved_pages);
	tcase_add_test(tc, refuses_tiny_ram);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
