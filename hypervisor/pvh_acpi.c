// SPDX-License-Identifier: MIT
/*
 * Minimal ACPI for Linux PVH guests, so that `poweroff` and `reboot` reach the core: on x86
 * Linux has no other way to power off a PVH domU (Xen's toolstack gives PVH guests ACPI
 * tables for the same reason), and its reboot tries the FADT reset register first.
 *
 * RSDP -> XSDT -> FADT and MADT; FADT -> DSDT. The FADT is hardware-reduced (ACPI 5+): no PM1
 * blocks, no GPEs, no SCI, no FACS, only the sleep control and status registers and the reset
 * register, all on I/O ports of ours (pvh_acpi.h). The DSDT's AML defines \_S5 and nothing
 * more, which is all Linux's ACPI power-off needs.
 *
 * The MADT says what the MP table (pvh_boot.c) says: one enabled local APIC per vCPU (APIC id
 * = vCPU index), the IOAPIC (id = the number of vCPUs) from GSI 0, ISA IRQs identity-
 * mapped, LINT1 NMI. It cannot be left out: with ACPI on, Linux ignores the MP table when
 * there is no MADT ("ACPI: No APIC-table, disabling MPS", acpi_boot_init), and then runs with
 * no IOAPIC and no LAPIC timer (measured: the guest's clock stopped at 4.28 s). The MP table
 * stays for `acpi=off` boots.
 *
 * Layouts from the ACPI 6.0 specification, chapter 5.2 (tables) and 20.2 (AML encoding).
 */
#include <stddef.h>
#include <string.h>

#include <splitvisor/limits.h>

#include "pvh_acpi.h"

#define ACPI_OEM_ID	  "SPLTVR"
#define ACPI_OEM_TABLE_ID "SVPVH   "
#define ACPI_CREATOR_ID	  "SPLV"

/* FADT flags (table 5-35) and IA-PC boot architecture flags (table 5-36). */
#define FADT_RESET_REG_SUP    (1u << 10)
#define FADT_HW_REDUCED_ACPI  (1u << 20)
#define BOOT_ARCH_VGA_ABSENT  (1u << 2)
#define BOOT_ARCH_CMOS_ABSENT (1u << 5)

/* MADT (table 5-43): the 8259s are there (KVM's in-kernel irqchip has them). */
#define MADT_PCAT_COMPAT 1
#define MADT_LAPIC	 0
#define MADT_IOAPIC	 1
#define MADT_LAPIC_NMI	 4
#define MADT_ENABLED	 1
#define MADT_ALL_CPUS	 0xff
#define MADT_LINT1	 1

#define GAS_SYSTEM_IO	1
#define GAS_ACCESS_BYTE 1

struct acpi_header {
	char sig[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char sig[8];	  /* "RSD PTR " */
	uint8_t checksum; /* over the first 20 bytes (the ACPI 1.0 part) */
	char oem_id[6];
	uint8_t revision; /* 2: ACPI 2.0 and later, with the XSDT */
	uint32_t rsdt_addr;
	uint32_t length;
	uint64_t xsdt_addr;
	uint8_t ext_checksum; /* over all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));

struct acpi_xsdt {
	struct acpi_header h;
	uint64_t entry[2]; /* the FADT and the MADT */
} __attribute__((packed));

struct acpi_madt {
	struct acpi_header h;
	uint32_t lapic_addr;
	uint32_t flags;
} __attribute__((packed));

struct madt_lapic {
	uint8_t type, length, uid, apic_id;
	uint32_t flags;
} __attribute__((packed));

struct madt_ioapic {
	uint8_t type, length, id, reserved;
	uint32_t addr;
	uint32_t gsi_base;
} __attribute__((packed));

struct madt_lapic_nmi {
	uint8_t type, length, uid;
	uint16_t flags; /* 0: the bus's polarity and trigger */
	uint8_t lint;
} __attribute__((packed));

/* ACPI 6.0's FADT, revision 6: the 5.0 layout plus the hypervisor vendor identity. */
struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_header) == 36 && sizeof(struct acpi_rsdp) == 36 &&
		       sizeof(struct acpi_gas) == 12 && sizeof(struct acpi_xsdt) == 52 &&
		       sizeof(struct acpi_madt) == 44 && sizeof(struct madt_lapic) == 8 &&
		       sizeof(struct madt_ioapic) == 12 && sizeof(struct madt_lapic_nmi) == 6 &&
		       sizeof(struct acpi_fadt) == 276,
	       "ACPI 6.0 layouts");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112 &&
		       offsetof(struct acpi_fadt, reset_reg) == 116 &&
		       offsetof(struct acpi_fadt, x_dsdt) == 140 &&
		       offsetof(struct acpi_fadt, sleep_control_reg) == 244,
	       "FADT field offsets (ACPI 6.0 table 5-34)");

/*
 * The DSDT's AML: Name (_S5, Package (4) { 5, 5, 0, 0 }). NameOp, the name segment, then
 * PackageOp with a one-byte PkgLength (8: itself, NumElements and the six element bytes),
 * NumElements 4, BytePrefix 5 twice (SLP_TYPa and SLP_TYPb) and ZeroOp twice (reserved).
 */
static const uint8_t dsdt_aml[] = {
	0x08, '_',
	'S',  '5',
	'_',  0x12,
	0x08, 0x04,
	0x0a, PVH_ACPI_SLP_TYP_S5,
	0x0a, PVH_ACPI_SLP_TYP_S5,
	0x00, 0x00,
};

_Static_assert(PVH_ACPI_XSDT - PVH_ACPI_RSDP >= sizeof(struct acpi_rsdp) &&
		       PVH_ACPI_FADT - PVH_ACPI_XSDT >= sizeof(struct acpi_xsdt) &&
		       PVH_ACPI_DSDT - PVH_ACPI_FADT >= sizeof(struct acpi_fadt) &&
		       PVH_ACPI_MADT - PVH_ACPI_DSDT >=
			       sizeof(struct acpi_header) + sizeof(dsdt_aml) &&
		       PVH_ACPI_BASE + PVH_ACPI_SIZE - PVH_ACPI_MADT >=
			       sizeof(struct acpi_madt) + SV_MAX_VCPUS * sizeof(struct madt_lapic) +
				       sizeof(struct madt_ioapic) + sizeof(struct madt_lapic_nmi),
	       "the ACPI tables fit their slots");

static void acpi_header_init(struct acpi_header *h, const char *sig, uint32_t length,
			     uint8_t revision)
{
	memcpy(h->sig, sig, 4);
	h->length = length;
	h->revision = revision;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = 1;
}

/* One byte on an I/O port: Linux's ACPI reset path insists on bit width 8, offset 0. */
static struct acpi_gas gas_port8(uint16_t port)
{
	return (struct acpi_gas){ .space_id = GAS_SYSTEM_IO,
				  .bit_width = 8,
				  .access_size = GAS_ACCESS_BYTE,
				  .address = port };
}

/* Appends one MADT entry at *pos. */
static void madt_add(uint8_t **pos, const void *e, size_t len)
{
	memcpy(*pos, e, len);
	*pos += len;
}

static void madt_write(struct acpi_madt *m, unsigned int nr_vcpus)
{
	uint8_t *pos = (uint8_t *)(m + 1);
	unsigned int i;

	m->lapic_addr = PVH_LAPIC_ADDR;
	m->flags = MADT_PCAT_COMPAT;
	for (i = 0; i < nr_vcpus; i++)
		madt_add(&pos,
			 &(struct madt_lapic){ .type = MADT_LAPIC,
					       .length = sizeof(struct madt_lapic),
					       .uid = (uint8_t)i,
					       .apic_id = (uint8_t)i,
					       .flags = MADT_ENABLED },
			 sizeof(struct madt_lapic));
	madt_add(&pos,
		 &(struct madt_ioapic){ .type = MADT_IOAPIC,
					.length = sizeof(struct madt_ioapic),
					.id = (uint8_t)nr_vcpus,
					.addr = PVH_IOAPIC_ADDR },
		 sizeof(struct madt_ioapic));
	madt_add(&pos,
		 &(struct madt_lapic_nmi){ .type = MADT_LAPIC_NMI,
					   .length = sizeof(struct madt_lapic_nmi),
					   .uid = MADT_ALL_CPUS,
					   .lint = MADT_LINT1 },
		 sizeof(struct madt_lapic_nmi));
	acpi_header_init(&m->h, "APIC", (uint32_t)(pos - (uint8_t *)m), 4);
	m->h.checksum = pvh_table_checksum(m, m->h.length);
}

uint64_t pvh_acpi_write(uint8_t *buf, uint64_t gpa, unsigned int nr_vcpus)
{
	struct acpi_rsdp *rsdp = (void *)(buf + (PVH_ACPI_RSDP - PVH_ACPI_BASE));
	struct acpi_xsdt *xsdt = (void *)(buf + (PVH_ACPI_XSDT - PVH_ACPI_BASE));
	struct acpi_fadt *fadt = (void *)(buf + (PVH_ACPI_FADT - PVH_ACPI_BASE));
	struct acpi_header *dsdt = (void *)(buf + (PVH_ACPI_DSDT - PVH_ACPI_BASE));
	struct acpi_madt *madt = (void *)(buf + (PVH_ACPI_MADT - PVH_ACPI_BASE));
	uint64_t at = gpa - PVH_ACPI_BASE; /* the tables' gpas relative to where buf lies */

	memset(buf, 0, PVH_ACPI_SIZE);

	/* Revision 2: 64-bit AML integers (ACPI 2.0 and later). */
	acpi_header_init(dsdt, "DSDT", sizeof(*dsdt) + sizeof(dsdt_aml), 2);
	memcpy(dsdt + 1, dsdt_aml, sizeof(dsdt_aml));
	dsdt->checksum = pvh_table_checksum(dsdt, dsdt->length);

	acpi_header_init(&fadt->h, "FACP", sizeof(*fadt), 6);
	fadt->minor_version = 0;
	/* No FACS: a hardware-reduced FADT may leave both FIRMWARE_CTRL fields 0. */
	fadt->dsdt = (uint32_t)(at + PVH_ACPI_DSDT);
	fadt->x_dsdt = at + PVH_ACPI_DSDT;
	fadt->flags = FADT_HW_REDUCED_ACPI | FADT_RESET_REG_SUP;
	/*
	 * No CMOS RTC and no VGA: Linux then probes neither (an RTC read from the empty bus
	 * would time out). The 8042 flag stays clear too: no keyboard controller to probe.
	 */
	fadt->iapc_boot_arch = BOOT_ARCH_VGA_ABSENT | BOOT_ARCH_CMOS_ABSENT;
	fadt->reset_reg = gas_port8(PVH_ACPI_RESET);
	fadt->reset_value = PVH_ACPI_RESET_VAL;
	fadt->sleep_control_reg = gas_port8(PVH_ACPI_SLEEP_CTL);
	fadt->sleep_status_reg = gas_port8(PVH_ACPI_SLEEP_STS);
	fadt->h.checksum = pvh_table_checksum(fadt, sizeof(*fadt));

	madt_write(madt, nr_vcpus);

	acpi_header_init(&xsdt->h, "XSDT", sizeof(*xsdt), 1);
	xsdt->entry[0] = at + PVH_ACPI_FADT;
	xsdt->entry[1] = at + PVH_ACPI_MADT;
	xsdt->h.checksum = pvh_table_checksum(xsdt, sizeof(*xsdt));

	/* No RSDT: an ACPI 2.0 RSDP may point at the XSDT alone. */
	memcpy(rsdp->sig, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, ACPI_OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_addr = at + PVH_ACPI_XSDT;
	rsdp->checksum = pvh_table_checksum(rsdp, offsetof(struct acpi_rsdp, length));
	rsdp->ext_checksum = pvh_table_checksum(rsdp, sizeof(*rsdp));
	return at + PVH_ACPI_RSDP;
}

/*
 * Reads of the keyboard controller and of port 0xcf9 stay the empty bus's all ones: Linux's
 * i8042 probe then finds no controller, and its CF9 reboot (used only on chipsets it knows)
 * still sets RST_CPU in what it writes back.
 */
enum pvh_io pvh_board_io(uint16_t port, bool out, uint32_t *val)
{
	uint8_t b = (uint8_t)*val;

	switch (port) {
	case PVH_ACPI_SLEEP_CTL:
		if (!out) {
			*val = 0;
			return PVH_IO_DONE;
		}
		/* Only S5 is defined; a write without SLP_EN or of another state does nothing. */
		if ((b & PVH_ACPI_SLP_EN) && PVH_ACPI_SLP_TYP(b) == PVH_ACPI_SLP_TYP_S5)
			return PVH_IO_POWEROFF;
		return PVH_IO_DONE;
	case PVH_ACPI_SLEEP_STS:
		/* Linux writes WAK_STS to clear it before sleeping; nothing ever wakes. */
		if (!out)
			*val = 0;
		return PVH_IO_DONE;
	case PVH_ACPI_RESET:
		if (!out) {
			*val = 0;
			return PVH_IO_DONE;
		}
		return b == PVH_ACPI_RESET_VAL ? PVH_IO_REBOOT : PVH_IO_DONE;
	case PVH_KBC_CMD:
		return out && b == PVH_KBC_PULSE_RST ? PVH_IO_REBOOT : PVH_IO_UNCLAIMED;
	case PVH_RST_CNT:
		return out && (b & PVH_RST_CNT_CPU) ? PVH_IO_REBOOT : PVH_IO_UNCLAIMED;
	default:
		return PVH_IO_UNCLAIMED;
	}
}
