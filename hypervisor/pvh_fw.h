/* SPDX-License-Identifier: MIT */
/*
 * What a PVH guest's two kinds of firmware tables (the MP table of pvh_boot.c, the ACPI tables
 * of pvh_acpi.c) share: where the APICs are, and the checksum byte both specifications use.
 */
#ifndef SV_PVH_FW_H
#define SV_PVH_FW_H

#include <stddef.h>
#include <stdint.h>

#define PVH_IOAPIC_ADDR 0xfec00000u
#define PVH_LAPIC_ADDR	0xfee00000u

/* The byte that makes a table's bytes sum to 0 mod 256 (MPS and ACPI alike). */
static inline uint8_t pvh_table_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

#endif
