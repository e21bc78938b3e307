/* SPDX-License-Identifier: MIT */
/*
 * The ACPI tables of a Linux PVH guest and the board ports they name: a hardware-reduced
 * FADT whose sleep control register powers the domain off and whose reset register reboots
 * it. Layout and ports in docs/abi.md, "Linux PVH guests".
 */
#ifndef SV_PVH_ACPI_H
#define SV_PVH_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include "pvh_fw.h"

/*
 * Where the tables go: a page of their own in the reserved area below 1 MiB, after the MP
 * table at 0xf0000 (at most 860 bytes with 32 vCPUs) and clear of the grant-table window at
 * 0xc0000-0xcffff.
 */
#define PVH_ACPI_BASE 0xf1000ull
#define PVH_ACPI_RSDP (PVH_ACPI_BASE + 0x000)
#define PVH_ACPI_XSDT (PVH_ACPI_BASE + 0x040)
#define PVH_ACPI_FADT (PVH_ACPI_BASE + 0x080)
#define PVH_ACPI_DSDT (PVH_ACPI_BASE + 0x200)
#define PVH_ACPI_MADT (PVH_ACPI_BASE + 0x280)
#define PVH_ACPI_SIZE 0x400u /* bytes from PVH_ACPI_BASE that the tables may use */

/*
 * The board's power block, on I/O ports no ISA device uses (a chipset's relocatable PM
 * block may sit at 0x600, as QEMU's q35 puts ICH9's; a PVH domain has no chipset).
 */
#define PVH_ACPI_SLEEP_CTL  0x600 /* SLEEP_CONTROL_REG: SLP_TYP << 2 | SLP_EN */
#define PVH_ACPI_SLEEP_STS  0x601 /* SLEEP_STATUS_REG: reads 0 (no wake status) */
#define PVH_ACPI_RESET	    0x602 /* RESET_REG: PVH_ACPI_RESET_VAL reboots */
#define PVH_ACPI_RESET_VAL  0x01
#define PVH_ACPI_SLP_TYP_S5 5 /* the _S5 package's SLP_TYPa */
#define PVH_ACPI_SLP_EN	    0x20
#define PVH_ACPI_SLP_TYP(v) (((v) >> 2) & 7)

/* Linux's fallbacks after the ACPI reset register: the keyboard controller and port 0xcf9. */
#define PVH_KBC_CMD	  0x64
#define PVH_KBC_PULSE_RST 0xfe
#define PVH_RST_CNT	  0xcf9
#define PVH_RST_CNT_CPU	  0x04 /* RST_CPU: the reset happens when it is written as 1 */

/*
 * Writes RSDP, XSDT, FADT, DSDT and a MADT for nr_vcpus (1..SV_MAX_VCPUS) vCPUs into buf
 * (PVH_ACPI_SIZE bytes, zeroed first), which the guest sees at guest-physical gpa; the tables
 * point at each other by gpa. Returns the RSDP's guest-physical address, for hvm_start_info's
 * rsdp_paddr.
 */
uint64_t pvh_acpi_write(uint8_t *buf, uint64_t gpa, unsigned int nr_vcpus);

enum pvh_io {
	PVH_IO_UNCLAIMED, /* none of the board's ports: the empty bus answers */
	PVH_IO_DONE,	  /* a read answered in *val, or a write with nothing to do */
	PVH_IO_POWEROFF,
	PVH_IO_REBOOT,
};

/*
 * A PVH guest's one-byte access to port: for a write, *val holds the byte; for a read the
 * byte is returned in *val when the result is PVH_IO_DONE.
 */
enum pvh_io pvh_board_io(uint16_t port, bool out, uint32_t *val);

#endif
