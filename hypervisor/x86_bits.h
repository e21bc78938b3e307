/* SPDX-License-Identifier: MIT */
/*
 * The x86 control-register and page-table bits the core reads or sets: the boot state it
 * writes (boot.c), the guest page walk (guest_va.c) and a fault's dump (vcpu.c) agree on them.
 */
#ifndef SV_X86_BITS_H
#define SV_X86_BITS_H

#define CR0_PE	       (1ull << 0)
#define CR0_MP	       (1ull << 1)
#define CR0_ET	       (1ull << 4)
#define CR0_NE	       (1ull << 5)
#define CR0_WP	       (1ull << 16)
#define CR0_PG	       (1ull << 31)
#define CR4_PAE	       (1ull << 5)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_LA57       (1ull << 12)
#define EFER_LME       (1ull << 8)
#define EFER_LMA       (1ull << 10)

#define PTE_P	 (1ull << 0)
#define PTE_W	 (1ull << 1)
#define PTE_PS	 (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull

#endif
