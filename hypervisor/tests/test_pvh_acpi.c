// SPDX-License-Identifier: MIT
/*
 * The PVH guest's ACPI tables, read the way an OS walks them: RSDP (both checksums) -> XSDT
 * -> FADT (hardware-reduced, the reset and sleep registers) -> DSDT (the _S5 object's bytes),
 * and the MADT (CPUs, IOAPIC, NMI); and the board ports those registers name.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <splitvisor/hvm_start_info.h>
#include <splitvisor/limits.h>

#include "pvh_acpi.h"
#include "pvh_boot.h"
#include "table_bytes.h"

static uint8_t buf[PVH_ACPI_SIZE];
static uint64_t buf_gpa;

/* The bytes of a table at gpa, which must lie wholly inside buf. */
static const uint8_t *at(uint64_t gpa, size_t len)
{
	ck_assert_uint_ge(gpa, buf_gpa);
	ck_assert_uint_le(gpa - buf_gpa + len, sizeof(buf));
	return buf + (gpa - buf_gpa);
}

/* A system description table: signature, length inside buf, checksum 0. */
static const uint8_t *table(uint64_t gpa, const char *sig, uint32_t *len)
{
	const uint8_t *t = at(gpa, 36);

	ck_assert_msg(!memcmp(t, sig, 4), "%.4s where %s should be", (const char *)t, sig);
	*len = rd32(t + 4);
	ck_assert_uint_ge(*len, 36);
	t = at(gpa, *len);
	ck_assert_uint_eq(sum(t, *len), 0);
	ck_assert(!memcmp(t + 10, "SPLTVR", 6));
	return t;
}

/* One byte on an I/O port (generic address structure, ACPI 6.0 table 5-25). */
static void check_io_gas(const uint8_t *g, uint16_t port)
{
	ck_assert_uint_eq(g[0], 1); /* system I/O */
	ck_assert_uint_eq(g[1], 8); /* bit width */
	ck_assert_uint_eq(g[2], 0); /* bit offset */
	ck_assert_uint_eq(g[3], 1); /* byte access */
	ck_assert_uint_eq(rd64(g + 4), port);
}

/* The MADT as Linux's acpi_parse_madt reads it: what the MP table says too. */
static void check_madt(const uint8_t *m, uint32_t len, unsigned int nr_vcpus)
{
	unsigned int cpus = 0, ioapics = 0, nmis = 0;
	uint32_t off;

	ck_assert_uint_eq(rd32(m + 36), PVH_LAPIC_ADDR);
	ck_assert_uint_eq(rd32(m + 40), 1); /* PCAT_COMPAT */
	for (off = 44; off < len; off += m[off + 1]) {
		ck_assert_uint_ge(m[off + 1], 2);
		ck_assert_uint_le(off + m[off + 1], len);
		switch (m[off]) {
		case 0: /* processor local APIC */
			ck_assert_uint_eq(m[off + 1], 8);
			ck_assert_uint_eq(m[off + 2], cpus); /* UID */
			ck_assert_uint_eq(m[off + 3], cpus); /* APIC id = vCPU index */
			ck_assert_uint_eq(rd32(m + off + 4), 1);
			cpus++;
			break;
		case 1: /* IOAPIC */
			ck_assert_uint_eq(m[off + 1], 12);
			ck_assert_uint_eq(m[off + 2], nr_vcpus);
			ck_assert_uint_eq(rd32(m + off + 4), PVH_IOAPIC_ADDR);
			ck_assert_uint_eq(rd32(m + off + 8), 0);
			ioapics++;
			break;
		case 4: /* local APIC NMI: LINT1 of every CPU */
			ck_assert_uint_eq(m[off + 1], 6);
			ck_assert_uint_eq(m[off + 2], 0xff);
			ck_assert_uint_eq(m[off + 5], 1);
			nmis++;
			break;
		default:
			ck_abort_msg("unexpected MADT entry type %u", m[off]);
		}
	}
	ck_assert_uint_eq(off, len);
	ck_assert_uint_eq(cpus, nr_vcpus);
	ck_assert_uint_eq(ioapics, 1);
	ck_assert_uint_eq(nmis, 1);
}

static void check_tables(uint64_t gpa, unsigned int nr_vcpus)
{
	/* Name (_S5, Package (4) { 5, 5, 0, 0 }), spelled out independently of pvh_acpi.c. */
	static const uint8_t s5[] = { 0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x08,
				      0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };
	const uint8_t *rsdp, *xsdt, *fadt, *dsdt, *madt;
	uint32_t xlen, flen, dlen, mlen;
	uint64_t rsdp_gpa;

	buf_gpa = gpa;
	memset(buf, 0xa5, sizeof(buf));
	rsdp_gpa = pvh_acpi_write(buf, gpa, nr_vcpus);
	ck_assert_uint_eq(rsdp_gpa % 16, 0);

	rsdp = at(rsdp_gpa, 36);
	ck_assert(!memcmp(rsdp, "RSD PTR ", 8));
	ck_assert_uint_eq(sum(rsdp, 20), 0);
	ck_assert_uint_eq(rsdp[15], 2); /* revision: ACPI 2.0+, XSDT */
	ck_assert_uint_eq(rd32(rsdp + 20), 36);
	ck_assert_uint_eq(sum(rsdp, 36), 0);
	ck_assert_uint_eq(rd32(rsdp + 16), 0); /* no RSDT */

	xsdt = table(rd64(rsdp + 24), "XSDT", &xlen);
	ck_assert_uint_eq(xlen, 36 + 2 * 8);
	madt = table(rd64(xsdt + 44), "APIC", &mlen);
	check_madt(madt, mlen, nr_vcpus);

	fadt = table(rd64(xsdt + 36), "FACP", &flen);
	ck_assert_uint_ge(fadt[8], 5);
	ck_assert_uint_eq(flen, 276);				  /* ACPI 6.0 */
	ck_assert_uint_eq(rd32(fadt + 112), 1u << 20 | 1u << 10); /* HW_REDUCED, RESET_REG_SUP */
	ck_assert_uint_eq(rd32(fadt + 36), 0);			  /* no FACS */
	ck_assert_uint_eq(rd64(fadt + 132), 0);
	check_io_gas(fadt + 116, PVH_ACPI_RESET);
	ck_assert_uint_eq(fadt[128], PVH_ACPI_RESET_VAL);
	check_io_gas(fadt + 244, PVH_ACPI_SLEEP_CTL);
	check_io_gas(fadt + 256, PVH_ACPI_SLEEP_STS);
	/* Hardware-reduced: no PM1, PM timer or GPE blocks, no SCI, no SMI command port. */
	for (unsigned int off = 46; off < 96; off++)
		ck_assert_msg(fadt[off] == 0, "FADT byte %u is 0x%x", off, fadt[off]);
	for (unsigned int off = 148; off < 244; off++)
		ck_assert_msg(fadt[off] == 0, "FADT byte %u is 0x%x", off, fadt[off]);
	ck_assert_uint_eq(rd32(fadt + 40), rd64(fadt + 140)); /* DSDT and X_DSDT agree */

	dsdt = table(rd64(fadt + 140), "DSDT", &dlen);
	ck_assert_uint_eq(dsdt[8], 2); /* 64-bit integers */
	ck_assert_uint_eq(dlen, 36 + sizeof(s5));
	ck_assert(!memcmp(dsdt + 36, s5, sizeof(s5)));
	/* SLP_TYPa is what Linux writes to the sleep control register, with SLP_EN. */
	ck_assert_uint_eq(dsdt[36 + 9], PVH_ACPI_SLP_TYP_S5);
}

START_TEST(tables_chain_and_checksums)
{
	check_tables(PVH_ACPI_BASE, 1);
	check_tables(PVH_ACPI_BASE, 2);
	check_tables(PVH_ACPI_BASE, SV_MAX_VCPUS);
}
END_TEST

/* The tables point at each other by where the buffer lies, not by a fixed address. */
START_TEST(tables_follow_the_buffer)
{
	check_tables(0x12345000, 4);
}
END_TEST

START_TEST(tables_fit_the_reserved_area)
{
	/* Above the MP table (at most 860 bytes from 0xf0000), below 1 MiB. */
	ck_assert_uint_ge(PVH_ACPI_BASE, PVH_MP_FLOAT + 1024);
	ck_assert_uint_le(PVH_ACPI_BASE + PVH_ACPI_SIZE, PVH_HIGH_RAM);
	ck_assert_uint_ge(PVH_ACPI_BASE, 0xd0000); /* clear of the grant-table window */
}
END_TEST

struct io_case {
	uint16_t port;
	bool out;
	uint8_t val;
	enum pvh_io want;
	uint8_t read; /* what a read answered with PVH_IO_DONE returns */
};

static const struct io_case io_cases[] = {
	/* Linux's S5 write: SLP_TYP 5 << 2 | SLP_EN. */
	{ PVH_ACPI_SLEEP_CTL, true, 5 << 2 | 0x20, PVH_IO_POWEROFF, 0 },
	{ PVH_ACPI_SLEEP_CTL, true, 0xff, PVH_IO_DONE, 0 },	     /* SLP_TYP 7 */
	{ PVH_ACPI_SLEEP_CTL, true, 5 << 2, PVH_IO_DONE, 0 },	     /* no SLP_EN */
	{ PVH_ACPI_SLEEP_CTL, true, 3 << 2 | 0x20, PVH_IO_DONE, 0 }, /* S3: not ours */
	{ PVH_ACPI_SLEEP_CTL, false, 0, PVH_IO_DONE, 0 },
	{ PVH_ACPI_SLEEP_STS, true, 0x80, PVH_IO_DONE, 0 }, /* clearing WAK_STS */
	{ PVH_ACPI_SLEEP_STS, false, 0, PVH_IO_DONE, 0 },
	{ PVH_ACPI_RESET, true, PVH_ACPI_RESET_VAL, PVH_IO_REBOOT, 0 },
	{ PVH_ACPI_RESET, true, 0, PVH_IO_DONE, 0 },
	{ PVH_ACPI_RESET, false, 0, PVH_IO_DONE, 0 },
	{ 0x64, true, 0xfe, PVH_IO_REBOOT, 0 },
	{ 0x64, true, 0xaa, PVH_IO_UNCLAIMED, 0 }, /* i8042 self-test: no controller */
	{ 0x64, false, 0, PVH_IO_UNCLAIMED, 0 },
	{ 0xcf9, true, 0x06, PVH_IO_REBOOT, 0 },
	{ 0xcf9, true, 0x0e, PVH_IO_REBOOT, 0 },
	{ 0xcf9, true, 0xf3, PVH_IO_UNCLAIMED, 0 }, /* Linux's first CF9 write: SYS_RST only */
	{ 0xcf9, false, 0, PVH_IO_UNCLAIMED, 0 },
	{ 0x70, true, 0x0a, PVH_IO_UNCLAIMED, 0 },
	{ 0x603, true, 0x01, PVH_IO_UNCLAIMED, 0 },
};

START_TEST(board_ports)
{
	const struct io_case *c = &io_cases[_i];
	uint32_t val = c->out ? c->val : 0xdeadbeef;
	enum pvh_io got = pvh_board_io(c->port, c->out, &val);

	ck_assert_msg(got == c->want, "port 0x%x %s 0x%x: %d, want %d", c->port,
		      c->out ? "out" : "in", c->val, got, c->want);
	if (!c->out && got == PVH_IO_DONE)
		ck_assert_uint_eq(val, c->read);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pvh_acpi");
	TCase *tc = tcase_create("acpi");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, tables_chain_and_checksums);
	tcase_add_test(tc, tables_follow_the_buffer);
	tcase_add_test(tc, tables_fit_the_reserved_area);
	tcase_add_loop_test(tc, board_ports, 0, sizeof(io_cases) / sizeof(io_cases[0]));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
