// SPDX-License-Identifier: MIT
/* Guest-virtual to guest-physical, by walking the vCPU's page tables (see guest_va.h). */
#include <errno.h>
#include <string.h>

#include "guest_va.h"
#include "x86_bits.h"

#define PAGE_SIZE 4096u

/* Bits above the top implemented one must copy it. */
static bool canonical(uint64_t va, unsigned int bits)
{
	unsigned int shift = 64 - bits;

	return (uint64_t)((int64_t)(va << shift) >> shift) == va;
}

static int read_entry(const struct guest_mem *mem, uint64_t table, unsigned int idx,
		      uint64_t *entry)
{
	const uint64_t *t = guest_ptr(mem, (table & PTE_ADDR) + idx * 8ull, 8);

	if (!t)
		return -EFAULT;
	/* The guest may be rewriting the entry: one load, never a torn one. */
	*entry = __atomic_load_n(t, __ATOMIC_RELAXED);
	return (*entry & PTE_P) ? 0 : -EFAULT;
}

int gva_translate(const struct guest_mem *mem, const struct gva_paging *pg, uint64_t va, bool write,
		  uint64_t *gpa)
{
	unsigned int levels, shift;
	bool writable = true;
	uint64_t e, table;
	int ret;

	if (!(pg->cr0 & CR0_PG)) {
		if (va >> 32)
			return -EFAULT;
		*gpa = va;
		goto check;
	}
	if (!(pg->efer & EFER_LMA))
		return -EFAULT;
	levels = (pg->cr4 & CR4_LA57) ? 5 : 4;
	if (!canonical(va, levels * 9 + 12))
		return -EFAULT;
	table = pg->cr3;
	for (shift = 12 + 9 * (levels - 1);; shift -= 9) {
		ret = read_entry(mem, table, (va >> shift) & 511, &e);
		if (ret)
			return ret;
		writable = writable && (e & PTE_W);
		if (shift == 12)
			break;
		if (e & PTE_PS) {
			/* 1 GiB and 2 MiB pages only; PS above is reserved. */
			if (shift != 30 && shift != 21)
				return -EFAULT;
			break;
		}
		table = e;
	}
	*gpa = (e & PTE_ADDR & ~((1ull << shift) - 1)) | (va & ((1ull << shift) - 1));
	if (write && !writable && (pg->cr0 & CR0_WP))
		return -EFAULT;
check:
	return guest_ptr(mem, *gpa, 1) ? 0 : -EFAULT;
}

/* Copies between guest and host one page at a time; to_guest says which way. */
static int copy_pages(const struct guest_mem *mem, const struct gva_paging *pg, uint64_t va,
		      uint8_t *host, size_t len, bool to_guest)
{
	uint64_t gpa;
	size_t chunk;
	uint8_t *p;
	int ret;

	if (len > GVA_COPY_MAX)
		return -EINVAL;
	/* A buffer that wraps past the top of the address space is no buffer. */
	if (len && va + len - 1 < va)
		return -EFAULT;
	while (len) {
		chunk = PAGE_SIZE - (va & (PAGE_SIZE - 1));
		if (chunk > len)
			chunk = len;
		ret = gva_translate(mem, pg, va, to_guest, &gpa);
		if (ret)
			return ret;
		/* A large page may end at RAM's end mid-chunk: check the whole piece. */
		p = guest_ptr(mem, gpa, chunk);
		if (!p)
			return -EFAULT;
		if (to_guest)
			memcpy(p, host, chunk);
		else
			memcpy(host, p, chunk);
		host += chunk;
		va += chunk;
		len -= chunk;
	}
	return 0;
}

int copy_from_guest_va(const struct guest_mem *mem, const struct gva_paging *pg, void *dst,
		       uint64_t va, size_t len)
{
	return copy_pages(mem, pg, va, dst, len, false);
}

int copy_to_guest_va(const struct guest_mem *mem, const struct gva_paging *pg, uint64_t va,
		     const void *src, size_t len)
{
	return copy_pages(mem, pg, va, (uint8_t *)(uintptr_t)src, len, true);
}
