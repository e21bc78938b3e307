/* SPDX-License-Identifier: MIT */
/*
 * Guest-virtual addresses of a vCPU: a walk of its page tables through guest
 * RAM, and copies that go page by page so a buffer may cross pages that are
 * not adjacent in guest-physical memory. Every failure is -EFAULT: a
 * non-canonical address, a page that is not present (or not writable, for a
 * write under CR0.WP), a table or page outside RAM, a paging mode we do not
 * walk (32-bit paging, PAE without long mode). Without paging, addresses
 * below 4 GiB are physical.
 */
#ifndef SV_GUEST_VA_H
#define SV_GUEST_VA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

/* The most one copy moves: a hypercall's buffers are small. */
#define GVA_COPY_MAX (64u * 1024u)

struct gva_paging {
	uint64_t cr0, cr3, cr4, efer;
};

int gva_translate(const struct guest_mem *mem, const struct gva_paging *pg, uint64_t va, bool write,
		  uint64_t *gpa);
/* -EINVAL for len above GVA_COPY_MAX; a fault part-way may leave a partial copy. */
int copy_from_guest_va(const struct guest_mem *mem, const struct gva_paging *pg, void *dst,
		       uint64_t va, size_t len);
int copy_to_guest_va(const struct guest_mem *mem, const struct gva_paging *pg, uint64_t va,
		     const void *src, size_t len);

#endif
