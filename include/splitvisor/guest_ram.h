/* SPDX-License-Identifier: MIT */
/*
 * Where a guest's RAM lies in its guest-physical space, for the core and for every process
 * that maps the guest's memfd. RAM starts at 0 and has a hole at [3 GiB, 4 GiB), where the
 * IOAPIC and LAPIC sit and where Linux places its grant frames; RAM beyond 3 GiB continues
 * at 4 GiB. The memfd is laid out the same way, offset = guest-physical address, with the
 * hole left sparse: it costs no memory, and a page number means the same in every process.
 * Only guests above 3 GiB (Linux PVH guests) have RAM above the hole.
 */
#ifndef SPLITVISOR_GUEST_RAM_H
#define SPLITVISOR_GUEST_RAM_H

#include <stdbool.h>
#include <stdint.h>

#define SV_RAM_HOLE_START 0xc0000000ull
#define SV_RAM_HOLE_END	  0x100000000ull

/* The end of RAM (and the memfd's size) for a guest of ram_bytes. */
static inline uint64_t sv_ram_end(uint64_t ram_bytes)
{
	if (ram_bytes <= SV_RAM_HOLE_START)
		return ram_bytes;
	return ram_bytes + (SV_RAM_HOLE_END - SV_RAM_HOLE_START);
}

/* Whether every byte of [gpa, gpa + len) is RAM of a guest whose RAM ends at ram_end. */
static inline bool sv_ram_contains(uint64_t ram_end, uint64_t gpa, uint64_t len)
{
	if (gpa > ram_end || len > ram_end - gpa)
		return false;
	return gpa + len <= SV_RAM_HOLE_START || gpa >= SV_RAM_HOLE_END;
}

#endif
