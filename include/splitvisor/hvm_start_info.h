/* SPDX-License-Identifier: MIT */
/*
 * What a Linux PVH guest finds at entry (EBX): Xen's hvm_start_info, version 1, with its module
 * list and memory map, as the guest ABI defines them (docs/abi.md, "Linux PVH guests").
 */
#ifndef SPLITVISOR_HVM_START_INFO_H
#define SPLITVISOR_HVM_START_INFO_H

#include <stddef.h>
#include <stdint.h>

#define SV_HVM_START_MAGIC 0x336ec578u

struct sv_hvm_start_info {
	uint32_t magic;
	uint32_t version; /* 1: memmap fields present */
	uint32_t flags;	  /* 0: an unprivileged domU */
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr; /* @32; 0: no ACPI */
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

/* The first module is the initrd. */
struct sv_hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

#define SV_HVM_MEMMAP_RAM      1u
#define SV_HVM_MEMMAP_RESERVED 2u

struct sv_hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* SV_HVM_MEMMAP_* (the e820 types) */
	uint32_t reserved;
};

_Static_assert(sizeof(struct sv_hvm_start_info) == 56 &&
		       offsetof(struct sv_hvm_start_info, rsdp_paddr) == 32 &&
		       offsetof(struct sv_hvm_start_info, memmap_paddr) == 40,
	       "hvm_start_info v1 layout");
_Static_assert(sizeof(struct sv_hvm_modlist_entry) == 32, "hvm module entry layout");
_Static_assert(sizeof(struct sv_hvm_memmap_entry) == 24, "hvm memmap entry layout");

#endif
