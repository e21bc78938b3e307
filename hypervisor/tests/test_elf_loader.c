// SPDX-License-Identifier: MIT
/* The ELF loader on the real guest kernel and on hand-made hostile images. */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splitvisor/start_info.h>

#include "elf_loader.h"
#include "tiny_elf.h"

#define RAM_SIZE (16u << 20)

#define MEM_FIXTURE_SIZE RAM_SIZE
#define MEM_FIXTURE_NAME "elf-test"
#include "mem_fixture.h"

static int load_tiny(struct tiny_elf *t, size_t len)
{
	struct elf_info info;

	return elf_load(t, len, &mem, SV_RESERVED_END, &info, err, sizeof(err));
}

START_TEST(loads_the_built_guest)
{
	struct elf_info info;
	uint8_t *ram = mem.hva;

	ck_assert_int_eq(
		elf_load_file(SV_GUEST_KERNEL, &mem, SV_RESERVED_END, &info, err, sizeof(err)), 0);
	ck_assert_uint_ge(info.load_start, SV_KERNEL_BASE);
	ck_assert_uint_gt(info.load_end, info.load_start);
	ck_assert_uint_le(info.load_end, RAM_SIZE);
	ck_assert(info.entry >= info.load_start && info.entry < info.load_end);
	/* Something was copied where the kernel lives. */
	ck_assert(memcmp(ram + info.load_start, (uint8_t[16]){ 0 }, 16) != 0);
}
END_TEST

START_TEST(loads_tiny_and_zeroes_bss)
{
	struct tiny_elf t;
	struct elf_info info;

	tiny_elf_init(&t, NULL, 0);
	memset(mem.hva + SV_KERNEL_BASE, 0xaa, 8192);
	ck_assert_int_eq(elf_load(&t, sizeof(t), &mem, SV_RESERVED_END, &info, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(info.entry, SV_KERNEL_BASE);
	ck_assert_uint_eq(info.load_end, SV_KERNEL_BASE + 64 + 4096);
	ck_assert_uint_eq(mem.hva[SV_KERNEL_BASE], 0xf4);
	ck_assert_uint_eq(mem.hva[SV_KERNEL_BASE + 64], 0);
	ck_assert_uint_eq(mem.hva[SV_KERNEL_BASE + 64 + 4095], 0);
	ck_assert_uint_eq(mem.hva[SV_KERNEL_BASE + 64 + 4096], 0xaa);
}
END_TEST

START_TEST(refuses_truncated)
{
	struct tiny_elf t;

	tiny_elf_init(&t, NULL, 0);
	ck_assert_int_eq(load_tiny(&t, 20), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err, "truncated"));
	/* Headers intact, segment data cut short. */
	ck_assert_int_eq(load_tiny(&t, sizeof(t) - 4), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err, "segment 0"));
	/* Program headers cut short. */
	ck_assert_int_eq(load_tiny(&t, offsetof(struct tiny_elf, ph) + 10), -EBADMSG);
}
END_TEST

START_TEST(refuses_wrong_machine_and_class)
{
	struct tiny_elf t;

	tiny_elf_init(&t, NULL, 0);
	t.eh.e_machine = EM_AARCH64;
	ck_assert_int_eq(load_tiny(&t, sizeof(t)), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "machine"));
	tiny_elf_init(&t, NULL, 0);
	t.eh.e_ident[EI_CLASS] = ELFCLASS32;
	ck_assert_int_eq(load_tiny(&t, sizeof(t)), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "class"));
	tiny_elf_init(&t, NULL, 0);
	t.eh.e_ident[EI_DATA] = ELFDATA2MSB;
	ck_assert_int_eq(load_tiny(&t, sizeof(t)), -ENOEXEC);
	tiny_elf_init(&t, NULL, 0);
	t.eh.e_type = ET_DYN;
	ck_assert_int_eq(load_tiny(&t, sizeof(t)), -ENOEXEC);
	tiny_elf_init(&t, NULL, 0);
	memcpy(t.eh.e_ident,
	       "\x7f"
	       "ELG",
	       4);
	ck_assert_int_eq(load_tiny(&t, sizeof(t)), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "magic"));
}
END_TEST

START_TEST(refuses_outside_ram)
{
	struct tiny_elf t;

	tiny_elf_init(&t, NULL, 0);
	t.ph[0].p_paddr = RAM_SIZE - 8;
	ck_assert_int_eq(load_tiny(&t, sizeof(t)), -ERANGE);
	ck_assert_ptr_nonnull(strstr(err, "outside guest RAM"));
	/* Wrap-around of paddr + memsz must not sneak past the check. */
	tiny_elf_init(&t, NULL, 0);
	t.ph[0].p_paddr = UINT64_MAX - 8;
	ck_assert_int_eq(load_tiny(&t, sizeof(t)), -ERANGE);
	/* Entry point outside every segment. */
	tiny_elf_init(&t, NULL, 0);
	t.eh.e_entry = 0x10;
	ck_assert_int_eq(load_tiny(&t, sizeof(t)), -ERANGE);
	ck_assert_ptr_nonnull(strstr(err, "entry"));
}
END_TEST

START_TEST(refuses_reserved_and_overlap)
{
	struct tiny_elf t;

	tiny_elf_init(&t, NULL, 0);
	t.ph[0].p_paddr = SV_START_INFO_GPA;
	t.eh.e_entry = SV_START_INFO_GPA;
	ck_assert_int_eq(load_tiny(&t, sizeof(t)), -EADDRINUSE);
	ck_assert_ptr_nonnull(strstr(err, "reserved"));

	tiny_elf_init(&t, NULL, 0);
	t.eh.e_phnum = 2;
	t.ph[1] = t.ph[0];
	t.ph[1].p_paddr += 4096; /* inside the first segment's bss */
	ck_assert_int_eq(load_tiny(&t, sizeof(t)), -EADDRINUSE);
	ck_assert_ptr_nonnull(strstr(err, "overlap"));
}
END_TEST

START_TEST(refuses_bad_program_headers)
{
	struct tiny_elf t;

	tiny_elf_init(&t, NULL, 0);
	t.eh.e_phnum = 0;
	ck_assert_int_eq(load_tiny(&t, sizeof(t)), -ENOEXEC);
	tiny_elf_init(&t, NULL, 0);
	t.eh.e_phnum = 60000;
	ck_assert_int_eq(load_tiny(&t, sizeof(t)), -ENOEXEC);
	tiny_elf_init(&t, NULL, 0);
	t.eh.e_phoff = UINT64_MAX - 16;
	ck_assert_int_eq(load_tiny(&t, sizeof(t)), -EBADMSG);
	tiny_elf_init(&t, NULL, 0);
	t.ph[0].p_type = PT_NOTE;
	ck_assert_int_eq(load_tiny(&t, sizeof(t)), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "no loadable"));
	tiny_elf_init(&t, NULL, 0);
	t.ph[0].p_memsz = t.ph[0].p_filesz - 1;
	ck_assert_int_eq(load_tiny(&t, sizeof(t)), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "file size above memory size"));
}
END_TEST

START_TEST(refuses_missing_and_odd_files)
{
	struct elf_info info;

	ck_assert_int_eq(elf_load_file("/nonexistent/kernel", &mem, SV_RESERVED_END, &info, err,
				       sizeof(err)),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/kernel"));
	ck_assert_int_eq(elf_load_file("/tmp", &mem, SV_RESERVED_END, &info, err, sizeof(err)),
			 -EFBIG);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("elf_loader");
	TCase *tc = tcase_create("load");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, loads_the_built_guest);
	tcase_add_test(tc, loads_tiny_and_zeroes_bss);
	tcase_add_test(tc, refuses_truncated);
	tcase_add_test(tc, refuses_wrong_machine_and_class);
	tcase_add_test(tc, refuses_outside_ram);
	tcase_add_test(tc, refuses_reserved_and_overlap);
	tcase_add_test(tc, refuses_bad_program_headers);
	tcase_add_test(tc, refuses_missing_and_odd_files);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
