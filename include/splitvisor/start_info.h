/* SPDX-License-Identifier: MIT */
/*
 * The start-info page and the guest memory map. vCPU 0 enters the kernel's ELF
 * entry point in 64-bit long mode with rdi = SV_START_INFO_GPA, rsp =
 * SV_BOOT_STACK_TOP, interrupts disabled, and the boot GDT and identity-mapped
 * page tables below loaded.
 */
#ifndef SPLITVISOR_START_INFO_H
#define SPLITVISOR_START_INFO_H

#include <stdint.h>

/* Guest-physical layout of the pages the core owns. */
#define SV_GDT_GPA	    0x1000ull
#define SV_PML4_GPA	    0x2000ull
#define SV_PDPT_GPA	    0x3000ull
#define SV_PD_GPA	    0x4000ull /* four pages: 2 MiB pages covering 4 GiB */
#define SV_START_INFO_GPA   0x8000ull
#define SV_SHARED_INFO_GPA  0x9000ull
#define SV_CONSOLE_RING_GPA 0xa000ull
#define SV_STORE_RING_GPA   0xb000ull
#define SV_BOOT_STACK_GPA   0xc000ull
#define SV_BOOT_STACK_TOP   0x10000ull
#define SV_RESERVED_END	    0x10000ull	/* ELF segments may not start below this */
#define SV_KERNEL_BASE	    0x100000ull /* where our own guest kernel is linked */

#define SV_BOOT_CS   0x08
#define SV_BOOT_DS   0x10
#define SV_BOOT_CS32 0x18 /* flat 32-bit code: the Linux PVH entry */

/* The single interrupt vector through which the core raises events and timers. */
#define SV_UPCALL_VECTOR 0xf0

#define SV_START_INFO_MAGIC 0x5356495354524154ull /* "TARTSIVS" little endian: "SVISTART" */

#define SV_SIF_PRIVILEGED (1u << 0) /* the domain is the control domain */

struct sv_start_info {
	uint64_t magic;
	uint32_t abi_version; /* SV_ABI_VERSION */
	uint32_t domid;
	uint64_t mem_bytes; /* RAM from 0 to mem_bytes */
	uint32_t nr_vcpus;
	uint32_t flags;	     /* SV_SIF_* */
	uint64_t tsc_khz;    /* guest system time: ns = tsc * 1000000 / tsc_khz */
	uint64_t kernel_end; /* first byte after the highest loaded segment */
	uint64_t shared_info_gpa;
	uint64_t console_ring_gpa;
	uint64_t store_ring_gpa;
	uint32_t console_evtchn;
	uint32_t store_evtchn;
	uint32_t upcall_vector;
	uint32_t cmdline_len;
	uint64_t initrd_gpa; /* page aligned, above kernel_end; 0 with no initrd */
	uint64_t initrd_len;
	uint8_t reserved[24];
	char cmdline[1024]; /* NUL-terminated */
};

_Static_assert(sizeof(struct sv_start_info) == 1152, "start info layout");

#endif
