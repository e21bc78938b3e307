/* SPDX-License-Identifier: MIT */
#ifndef SV_BOOT_H
#define SV_BOOT_H

#include <linux/kvm.h>
#include <stdint.h>

#include "guest_mem.h"

struct sv_start_info;

/* Writes the boot GDT and the 4 GiB identity map (2 MiB pages) into low RAM. */
int boot_build_tables(struct guest_mem *mem);

/*
 * Walks the boot page tables like the MMU would. Returns 0 and the physical
 * address, or -EFAULT for a non-present or non-canonical address.
 */
int boot_translate(const struct guest_mem *mem, uint64_t va, uint64_t *pa);

/* Long mode, paging on, flat 64-bit segments from the boot GDT. */
void boot_sregs(struct kvm_sregs *sregs);

/*
 * Linux PVH entry: CR0 = PE, CR4 = EFER = 0, CS a flat 32-bit code segment, the data segments
 * flat, TR a 32-bit TSS (base 0, limit 0x67); then RIP = entry, EBX = the hvm_start_info.
 */
void boot_pvh_sregs(struct kvm_sregs *sregs);
void boot_pvh_regs(struct kvm_regs *regs, uint64_t entry, uint64_t start_info_gpa);

#endif
