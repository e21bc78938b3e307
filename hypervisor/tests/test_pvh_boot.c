// SPDX-License-Identifier: MIT
/*
 * The PVH boot tables, read back the way Linux reads them: hvm_start_info, the memory map, the
 * module list and the MP table (floating pointer, checksums, entries); the PVH entry state;
 * the initrd's placement.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <splitvisor/hvm_start_info.h>
#include <splitvisor/start_info.h>

#include "boot.h"
#include "pvh_acpi.h"
#include "pvh_boot.h"
#include "table_bytes.h"

#define RAM_SIZE (64u << 20)

#define MEM_FIXTURE_SIZE RAM_SIZE
#define MEM_FIXTURE_NAME "pvh-test"
#include "mem_fixture.h"

START_TEST(writes_start_info_memmap_and_modules)
{
	struct pvh_boot_params p = { .nr_vcpus = 2,
				     .cmdline = "console=hvc0 acpi=off",
				     .initrd_gpa = 0x800000,
				     .initrd_len = 12345 };
	const struct sv_hvm_start_info *si = (const void *)(mem.hva + PVH_START_INFO);
	const struct sv_hvm_memmap_entry *m;
	const struct sv_hvm_modlist_entry *mod;
	uint64_t ram = 0, end = 0;
	unsigned int i;

	memset(mem.hva + PVH_LOW_RAM_END, 0xff, PVH_HIGH_RAM - PVH_LOW_RAM_END);
	ck_assert_msg(pvh_boot_write(&mem, &p, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(si->magic, SV_HVM_START_MAGIC);
	ck_assert_uint_eq(si->version, 1);
	ck_assert_uint_eq(si->flags, 0);
	/* The ACPI tables (test_pvh_acpi.c checks what they say) lie in the reserved area. */
	ck_assert_uint_eq(si->rsdp_paddr, PVH_ACPI_RSDP);
	ck_assert(!memcmp(mem.hva + si->rsdp_paddr, "RSD PTR ", 8));
	ck_assert_str_eq((const char *)mem.hva + si->cmdline_paddr, p.cmdline);
	ck_assert_uint_lt(si->cmdline_paddr, 1ull << 32);

	/* Linux reads the memmap and module list through __va with 1 GiB mapped. */
	ck_assert_uint_lt(si->memmap_paddr, 1ull << 30);
	ck_assert_uint_eq(si->memmap_entries, 4);
	m = (const void *)(mem.hva + si->memmap_paddr);
	for (i = 0; i < si->memmap_entries; i++) {
		ck_assert_uint_eq(m[i].addr, end); /* contiguous, ascending */
		end = m[i].addr + m[i].size;
		if (m[i].type == SV_HVM_MEMMAP_RAM)
			ram += m[i].size;
		else
			ck_assert_uint_eq(m[i].type, SV_HVM_MEMMAP_RESERVED);
	}
	ck_assert_uint_eq(end, RAM_SIZE);
	ck_assert(m[0].type == SV_HVM_MEMMAP_RESERVED && m[0].size == SV_RESERVED_END);
	ck_assert(m[1].type == SV_HVM_MEMMAP_RAM && m[1].addr == 0x10000 &&
		  m[1].size == 0x9c000 - 0x10000);
	ck_assert(m[2].type == SV_HVM_MEMMAP_RESERVED && m[2].addr == 0x9c000);
	ck_assert(m[3].type == SV_HVM_MEMMAP_RAM && m[3].addr == 0x100000);
	ck_assert_uint_eq(ram, RAM_SIZE - SV_RESERVED_END - (0x100000 - 0x9c000));
	/* What we wrote lies in reserved memory, none of it in RAM Linux may reuse. */
	ck_assert(PVH_START_INFO >= m[2].addr && PVH_MP_FLOAT + 4096 <= m[3].addr);
	ck_assert(PVH_ACPI_BASE >= m[2].addr && PVH_ACPI_BASE + PVH_ACPI_SIZE <= m[3].addr);

	ck_assert_uint_eq(si->nr_modules, 1);
	mod = (const void *)(mem.hva + si->modlist_paddr);
	ck_assert_uint_eq(mod->paddr, 0x800000);
	ck_assert_uint_eq(mod->size, 12345);
	ck_assert_uint_eq(mod->cmdline_paddr, 0);
}
END_TEST

START_TEST(no_initrd_no_modules)
{
	struct pvh_boot_params p = { .nr_vcpus = 1, .cmdline = NULL };
	const struct sv_hvm_start_info *si = (const void *)(mem.hva + PVH_START_INFO);

	ck_assert_int_eq(pvh_boot_write(&mem, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(si->nr_modules, 0);
	ck_assert_uint_eq(si->modlist_paddr, 0);
	ck_assert_str_eq((const char *)mem.hva + si->cmdline_paddr, "");
}
END_TEST

/* Parses the MP table as Linux's mpparse.c does. */
static void check_mp(unsigned int nr_vcpus)
{
	const uint8_t *f = mem.hva + PVH_MP_FLOAT, *t, *e;
	unsigned int cpus = 0, buses = 0, ioapics = 0, ints = 0, lints = 0, i, n;
	uint8_t ioapic_id = 0;
	bool isa_irq[16] = { false };

	ck_assert_mem_eq(f, "_MP_", 4);
	ck_assert_uint_eq(f[8], 1); /* 16 bytes */
	ck_assert_uint_eq(f[9], 4); /* MPS 1.4 */
	ck_assert_uint_eq(sum(f, 16), 0);
	ck_assert_uint_eq(f[11], 0); /* a table, not a default configuration */
	t = mem.hva + rd32(f + 4);
	ck_assert_mem_eq(t, "PCMP", 4);
	ck_assert_uint_eq(t[6], 4);
	ck_assert_uint_eq(sum(t, rd16(t + 4)), 0);
	ck_assert_uint_eq(rd32(t + 36), 0xfee00000u);
	ck_assert_uint_lt(rd32(f + 4) + rd16(t + 4), 0x100000);
	n = rd16(t + 34);
	e = t + 44;
	for (i = 0; i < n; i++) {
		ck_assert_uint_lt(e - t, rd16(t + 4));
		switch (e[0]) {
		case 0:
			ck_assert_uint_eq(e[1], cpus); /* APIC id = vCPU index */
			ck_assert_uint_eq(e[3], 1 | (cpus ? 0 : 2));
			cpus++;
			e += 20;
			break;
		case 1:
			ck_assert_mem_eq(e + 2, "ISA   ", 6);
			buses++;
			e += 8;
			break;
		case 2:
			ioapic_id = e[1];
			ck_assert_uint_eq(e[3] & 1, 1);
			ck_assert_uint_eq(rd32(e + 4), 0xfec00000u);
			ioapics++;
			e += 8;
			break;
		case 3:
			ck_assert_uint_eq(e[1], 0); /* INT */
			ck_assert_uint_eq(e[4], 0); /* the ISA bus */
			ck_assert_uint_lt(e[5], 16);
			ck_assert_uint_eq(e[6], ioapic_id);
			ck_assert_uint_eq(e[7], e[5]);
			isa_irq[e[5]] = true;
			ints++;
			e += 8;
			break;
		case 4:
			ck_assert_uint_eq(e[6], 0xff);
			ck_assert_uint_eq(e[1], e[7] == 0 ? 3 : 1); /* LINT0 ExtINT, LINT1 NMI */
			lints++;
			e += 8;
			break;
		default:
			ck_abort_msg("entry type %u", e[0]);
		}
	}
	ck_assert_uint_eq(e - t, rd16(t + 4));
	ck_assert_uint_eq(cpus, nr_vcpus);
	ck_assert_uint_eq(buses, 1);
	ck_assert_uint_eq(ioapics, 1);
	ck_assert_uint_ge(ioapic_id, nr_vcpus);
	ck_assert_uint_eq(ints, 16);
	for (i = 0; i < 16; i++)
		ck_assert(isa_irq[i]);
	ck_assert_uint_eq(lints, 2);
}

START_TEST(writes_a_valid_mp_table)
{
	static const unsigned int counts[] = { 1, 2, 7, 32 };
	struct pvh_boot_params p = { .nr_vcpus = counts[_i] };

	ck_assert_int_eq(pvh_boot_write(&mem, &p, err, sizeof(err)), 0);
	check_mp(counts[_i]);
}
END_TEST

START_TEST(refuses_bad_parameters)
{
	struct pvh_boot_params p = { .nr_vcpus = 0 };
	char longline[2048];
	struct guest_mem small;

	ck_assert_int_eq(pvh_boot_write(&mem, &p, err, sizeof(err)), -EINVAL);
	p.nr_vcpus = 33;
	ck_assert_int_eq(pvh_boot_write(&mem, &p, err, sizeof(err)), -EINVAL);
	p.nr_vcpus = 1;
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	p.cmdline = longline;
	ck_assert_int_eq(pvh_boot_write(&mem, &p, err, sizeof(err)), -E2BIG);
	p.cmdline = NULL;
	ck_assert_int_eq(guest_mem_create(&small, "pvh-small", 1u << 20), 0);
	ck_assert_int_eq(pvh_boot_write(&small, &p, err, sizeof(err)), -ERANGE);
	ck_assert_msg(strstr(err, "must reach above 1 MiB"), "%s", err);
	guest_mem_destroy(&small);
}
END_TEST

START_TEST(loads_the_initrd_above_the_kernel)
{
	char path[] = "/tmp/sv-initrd-XXXXXX";
	uint64_t gpa = 0, len = 0;
	uint8_t data[10000];
	size_t i;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(write(fd, data, sizeof(data)), sizeof(data));
	close(fd);
	ck_assert_msg(pvh_load_initrd(&mem, path, 0x1234567, &gpa, &len, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_uint_eq(gpa, 0x1235000);
	ck_assert_uint_eq(len, sizeof(data));
	ck_assert_mem_eq(mem.hva + gpa, data, sizeof(data));
	/* Does not fit above that kernel end. */
	ck_assert_int_eq(pvh_load_initrd(&mem, path, RAM_SIZE - 4096, &gpa, &len, err, sizeof(err)),
			 -ENOSPC);
	ck_assert_msg(strstr(err, "does not fit"), "%s", err);
	ck_assert_int_eq(pvh_load_initrd(&mem, "/tmp", 0x200000, &gpa, &len, err, sizeof(err)),
			 -EINVAL);
	unlink(path);
	ck_assert_int_eq(pvh_load_initrd(&mem, path, 0x200000, &gpa, &len, err, sizeof(err)),
			 -ENOENT);
	ck_assert_msg(strstr(err, "cannot open initrd"), "%s", err);
}
END_TEST

/*
 * A guest above 3 GiB: RAM below the hole and the rest from 4 GiB, in the memory map, in
 * guest_ptr and in the memfd (sparse, so this costs nothing); the initrd stays below the hole.
 */
START_TEST(ram_above_3_gib_continues_at_4_gib)
{
	const uint64_t ram = (4096ull + 64) << 20, high = ram - SV_RAM_HOLE_START;
	struct pvh_boot_params p = { .nr_vcpus = 1, .cmdline = "x" };
	const struct sv_hvm_start_info *si;
	const struct sv_hvm_memmap_entry *m;
	char path[] = "/tmp/sv-initrd-XXXXXX";
	struct guest_mem big;
	uint64_t gpa = 0, len = 0;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "initrd", 6), 6);
	close(fd);
	ck_assert_int_eq(guest_mem_create(&big, "pvh-big", ram), 0);
	ck_assert_uint_eq(big.end, SV_RAM_HOLE_END + high);
	ck_assert_uint_eq(lseek(big.fd, 0, SEEK_END), big.end);
	ck_assert_ptr_eq(guest_ptr(&big, SV_RAM_HOLE_START - 4096, 4096),
			 big.hva + SV_RAM_HOLE_START - 4096);
	ck_assert_ptr_null(guest_ptr(&big, SV_RAM_HOLE_START - 4096, 4097));
	ck_assert_ptr_null(guest_ptr(&big, SV_RAM_HOLE_START, 1));
	ck_assert_ptr_null(guest_ptr(&big, SV_RAM_HOLE_END - 1, 2));
	ck_assert_ptr_eq(guest_ptr(&big, SV_RAM_HOLE_END, 4096), big.hva + SV_RAM_HOLE_END);
	ck_assert_ptr_nonnull(guest_ptr(&big, big.end - 4096, 4096));
	ck_assert_ptr_null(guest_ptr(&big, big.end - 4096, 4097));

	ck_assert_msg(boot_build_tables(&big) == 0 &&
			      pvh_boot_write(&big, &p, err, sizeof(err)) == 0,
		      "%s", err);
	si = (const void *)(big.hva + PVH_START_INFO);
	m = (const void *)(big.hva + si->memmap_paddr);
	ck_assert_uint_eq(si->memmap_entries, 5);
	ck_assert(m[3].type == SV_HVM_MEMMAP_RAM && m[3].addr == PVH_HIGH_RAM &&
		  m[3].addr + m[3].size == SV_RAM_HOLE_START);
	ck_assert(m[4].type == SV_HVM_MEMMAP_RAM && m[4].addr == SV_RAM_HOLE_END &&
		  m[4].size == high);

	/* Above every byte of RAM below the hole, it does not fit: it may not go above 4 GiB. */
	ck_assert_int_eq(
		pvh_load_initrd(&big, path, SV_RAM_HOLE_START - 4096, &gpa, &len, err, sizeof(err)),
		0);
	ck_assert_uint_eq(gpa + len, SV_RAM_HOLE_START - 4096 + 6);
	ck_assert_int_eq(
		pvh_load_initrd(&big, path, SV_RAM_HOLE_START - 5, &gpa, &len, err, sizeof(err)),
		-ENOSPC);
	ck_assert_int_eq(pvh_load_initrd(&big, path, SV_RAM_HOLE_END, &gpa, &len, err, sizeof(err)),
			 -ENOSPC);
	unlink(path);
	guest_mem_destroy(&big);
}
END_TEST

START_TEST(pvh_entry_state)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	memset(&s, 0xff, sizeof(s));
	boot_pvh_sregs(&s);
	ck_assert_uint_eq(s.cr0, 1);
	ck_assert_uint_eq(s.cr4, 0);
	ck_assert_uint_eq(s.efer, 0);
	ck_assert(s.cs.base == 0 && s.cs.limit == 0xffffffff && s.cs.g && s.cs.db && !s.cs.l);
	ck_assert(s.cs.type == 0xb && s.cs.s && s.cs.present);
	ck_assert(s.ds.base == 0 && s.ds.limit == 0xffffffff && s.ds.type == 0x3 && s.ds.db);
	ck_assert(s.ss.selector == s.ds.selector && s.es.selector == s.ds.selector);
	ck_assert(s.tr.base == 0 && s.tr.limit == 0x67 && s.tr.type == 0xb && !s.tr.s);
	ck_assert(s.tr.present);
	/* The selector names a 32-bit code descriptor in the boot GDT. */
	ck_assert_uint_eq(s.cs.selector, SV_BOOT_CS32);
	ck_assert_uint_ge(s.gdt.limit, SV_BOOT_CS32 + 7);
	boot_pvh_regs(&r, 0x1000850, PVH_START_INFO);
	ck_assert_uint_eq(r.rip, 0x1000850);
	ck_assert_uint_eq(r.rbx, PVH_START_INFO);
	ck_assert_uint_eq(r.rflags, 2);
}
END_TEST

START_TEST(gdt_has_the_32_bit_code_descriptor)
{
	uint64_t d;

	ck_assert_int_eq(boot_build_tables(&mem), 0);
	memcpy(&d, mem.hva + SV_GDT_GPA + SV_BOOT_CS32, 8);
	/* Present, DPL 0, code execute/read, D=1 (32-bit), L=0, G=1, base 0, limit 4 GiB. */
	ck_assert_uint_eq(d, 0x00cf9b000000ffffull);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pvh_boot");
	TCase *tc = tcase_create("pvh");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, writes_start_info_memmap_and_modules);
	tcase_add_test(tc, no_initrd_no_modules);
	tcase_add_loop_test(tc, writes_a_valid_mp_table, 0, 4);
	tcase_add_test(tc, refuses_bad_parameters);
	tcase_add_test(tc, loads_the_initrd_above_the_kernel);
	tcase_add_test(tc, ram_above_3_gib_continues_at_4_gib);
	tcase_add_test(tc, pvh_entry_state);
	tcase_add_test(tc, gdt_has_the_32_bit_code_descriptor);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
