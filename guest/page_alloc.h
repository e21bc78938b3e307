/* SPDX-License-Identifier: MIT */
/* Physical page allocator: a bitmap over [kernel_end, mem_bytes). */
#ifndef GUEST_PAGE_ALLOC_H
#define GUEST_PAGE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

int page_alloc_init(uint64_t kernel_end, uint64_t mem_bytes);
/* n contiguous pages, page-aligned, or NULL when no such run is free. */
void *alloc_pages(size_t n);
/* 0, or -EINVAL if the range is outside the pool or not fully allocated. */
int free_pages(void *addr, size_t n);
size_t page_alloc_free_count(void);
size_t page_alloc_total_count(void);

#endif
