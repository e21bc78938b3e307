// SPDX-License-Identifier: MIT
/*
 * The bitmap lives at the start of the free region itself (one bit per page,
 * set = in use), the pages it manages follow it. First fit from a rotating
 * hint, so a run of single-page allocations costs linear time overall.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "arch.h"
#include "page_alloc.h"
#include "spinlock.h"

#define BITS_PER_WORD 64

static struct spinlock pool_lock = SPINLOCK_INIT;
static uint64_t *bitmap;
static uint64_t pool_base; /* address of page 0 */
static size_t pool_pages;
static size_t free_count;
static size_t search_hint;

static bool page_used(size_t i)
{
	return bitmap[i / BITS_PER_WORD] & (1ull << (i % BITS_PER_WORD));
}

static void mark(size_t first, size_t n, bool used)
{
	for (size_t i = first; i < first + n; i++) {
		if (used)
			bitmap[i / BITS_PER_WORD] |= 1ull << (i % BITS_PER_WORD);
		else
			bitmap[i / BITS_PER_WORD] &= ~(1ull << (i % BITS_PER_WORD));
	}
}

int page_alloc_init(uint64_t kernel_end, uint64_t mem_bytes)
{
	uint64_t start = (kernel_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint64_t end = mem_bytes & ~(PAGE_SIZE - 1);
	size_t pages, bitmap_bytes;

	if (end <= start + 2 * PAGE_SIZE)
		return -ENOMEM;
	pages = (end - start) / PAGE_SIZE;
	/* Bitmap sized for all pages is a little generous, which is harmless. */
	bitmap_bytes = (pages + BITS_PER_WORD - 1) / BITS_PER_WORD * sizeof(uint64_t);
	bitmap = (uint64_t *)(uintptr_t)start;
	pool_base = (start + bitmap_bytes + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (pool_base >= end)
		return -ENOMEM;
	pool_pages = (end - pool_base) / PAGE_SIZE;
	free_count = pool_pages;
	search_hint = 0;
	memset(bitmap, 0, bitmap_bytes);
	return 0;
}

/* Looks for n free pages in [from, to); returns the first index or pool_pages. */
static size_t find_run(size_t from, size_t to, size_t n)
{
	size_t run = 0;

	for (size_t i = from; i < to; i++) {
		/* Skip whole used words quickly. */
		if (i % BITS_PER_WORD == 0 && i + BITS_PER_WORD <= to &&
		    bitmap[i / BITS_PER_WORD] == ~0ull) {
			run = 0;
			i += BITS_PER_WORD - 1;
			continue;
		}
		if (page_used(i)) {
			run = 0;
			continue;
		}
		if (++run == n)
			return i + 1 - n;
	}
	return pool_pages;
}

void *alloc_pages(size_t n)
{
	uint64_t flags;
	size_t first;
	void *addr = NULL;

	if (!n)
		return NULL;
	flags = spin_lock_irqsave(&pool_lock);
	if (n > free_count)
		goto out;
	first = find_run(search_hint, pool_pages, n);
	if (first == pool_pages)
		first = find_run(0, pool_pages, n);
	if (first == pool_pages)
		goto out;
	mark(first, n, true);
	free_count -= n;
	search_hint = first + n < pool_pages ? first + n : 0;
	addr = (void *)(uintptr_t)(pool_base + first * PAGE_SIZE);
out:
	spin_unlock_irqrestore(&pool_lock, flags);
	return addr;
}

int free_pages(void *addr, size_t n)
{
	uint64_t a = (uint64_t)(uintptr_t)addr;
	uint64_t flags;
	size_t first;
	int ret = 0;

	if (!n || a & (PAGE_SIZE - 1) || a < pool_base)
		return -EINVAL;
	first = (a - pool_base) / PAGE_SIZE;
	if (first >= pool_pages || n > pool_pages - first)
		return -EINVAL;

	flags = spin_lock_irqsave(&pool_lock);
	/* Check every page before changing any: a double free leaves no trace. */
	for (size_t i = first; i < first + n; i++) {
		if (!page_used(i)) {
			ret = -EINVAL;
			goto out;
		}
	}
	mark(first, n, false);
	free_count += n;
out:
	spin_unlock_irqrestore(&pool_lock, flags);
	return ret;
}

size_t page_alloc_free_count(void)
{
	return free_count;
}

size_t page_alloc_total_count(void)
{
	return pool_pages;
}
