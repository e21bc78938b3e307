/* SPDX-License-Identifier: MIT */
/*
 * A guest address space for tests of guest_va.c and xen_hcall.c, built in a
 * guest_mem of PT_RAM_SIZE: 4-level tables at PT_PML4 with
 *   PT_VA_A   -> gpa 0x20000 and PT_VA_A + 4 KiB -> gpa 0x10000 (adjacent in
 *                VA, reversed and apart in RAM, so a buffer across them must
 *                be copied in two pieces),
 *   PT_VA_A + 8 KiB  not present,
 *   PT_VA_RO  -> gpa 0x30000, read-only,
 *   PT_VA_BIG -> a 2 MiB page at gpa 0x200000,
 *   PT_VA_OUT -> a 4 KiB page at a gpa beyond RAM,
 *   PT_VA_BADTABLE -> a page table pointer beyond RAM.
 */
#ifndef SV_PT_FIXTURE_H
#define SV_PT_FIXTURE_H

#include <stdint.h>
#include <string.h>

#include "guest_mem.h"
#include "guest_va.h"

#define PT_RAM_SIZE    (4u << 20)
#define PT_PML4	       0x1000ull
#define PT_PDPT	       0x2000ull
#define PT_PD	       0x3000ull
#define PT_PT	       0x4000ull
#define PT_PT2	       0x5000ull
#define PT_PDPT_HI     0x6000ull
#define PT_VA_A	       0xffff888000400000ull /* PML4 273, PDPT 0, PD 2 */
#define PT_VA_RO       (PT_VA_A + 0x3000)
#define PT_VA_OUT      (PT_VA_A + 0x4000)
#define PT_VA_BIG      0x40000000ull /* PML4 0, PDPT 1 -> PD_BIG */
#define PT_VA_BADTABLE 0x80000000ull /* PML4 0, PDPT 2 -> beyond RAM */
#define PT_PD_BIG      0x7000ull

#define PT_P  1ull
#define PT_W  2ull
#define PT_PS 0x80ull

#define PT_CR0_PG   (1ull << 31)
#define PT_CR0_WP   (1ull << 16)
#define PT_CR4_PAE  (1ull << 5)
#define PT_EFER_LMA (1ull << 10)

static inline void pt_build(struct guest_mem *m, struct gva_paging *pg)
{
	uint64_t *pml4 = guest_ptr(m, PT_PML4, 4096), *pdpt = guest_ptr(m, PT_PDPT, 4096);
	uint64_t *pd = guest_ptr(m, PT_PD, 4096), *pt = guest_ptr(m, PT_PT, 4096);
	uint64_t *hi = guest_ptr(m, PT_PDPT_HI, 4096), *big = guest_ptr(m, PT_PD_BIG, 4096);

	memset(guest_ptr(m, PT_PML4, 0x7000), 0, 0x7000);
	pml4[0] = PT_PDPT | PT_P | PT_W;
	pml4[273] = PT_PDPT_HI | PT_P | PT_W;
	hi[0] = PT_PD | PT_P | PT_W;
	pd[2] = PT_PT | PT_P | PT_W;
	pt[0] = 0x20000 | PT_P | PT_W;
	pt[1] = 0x10000 | PT_P | PT_W;
	pt[3] = 0x30000 | PT_P;
	pt[4] = ((uint64_t)PT_RAM_SIZE + 0x1000) | PT_P | PT_W;
	pdpt[1] = PT_PD_BIG | PT_P | PT_W;
	big[0] = 0x200000 | PT_P | PT_W | PT_PS;
	pdpt[2] = ((uint64_t)PT_RAM_SIZE * 2) | PT_P | PT_W;
	pg->cr0 = PT_CR0_PG | PT_CR0_WP | 1;
	pg->cr3 = PT_PML4;
	pg->cr4 = PT_CR4_PAE;
	pg->efer = PT_EFER_LMA | (1ull << 8);
}

#endif
