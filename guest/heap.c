// SPDX-License-Identifier: MIT
/*
 * Block layout: a 16-byte header (magic, size), the payload, and an 8-byte
 * canary at the very end of the block. The free list is sorted by address so
 * neighbours merge on free. The heap only grows; chunks are never given back.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "arch.h"
#include "boot_info.h"
#include "heap.h"
#include "page_alloc.h"
#include "panic.h"
#include "spinlock.h"

#define MAGIC_USED     0x75736564u /* "used" */
#define MAGIC_FREE     0x66726565u /* "free" */
#define CANARY	       0x5a17c0de5a17c0deull
#define HEADER_SIZE    16
#define CANARY_SIZE    8
#define MIN_BLOCK      32
#define CHUNK_PAGES    16
#define MAX_ALLOCATION (1ull << 40)

struct block {
	uint32_t magic;
	uint32_t reserved;
	uint64_t size;	    /* whole block: header, payload, canary */
	struct block *next; /* in the payload, only while free */
};

static struct spinlock heap_lock = SPINLOCK_INIT;
static struct block *free_list;
static size_t free_bytes;

void heap_init(void)
{
	free_list = NULL;
	free_bytes = 0;
}

static uint64_t *canary_of(struct block *b)
{
	return (uint64_t *)((char *)b + b->size - CANARY_SIZE);
}

static uint64_t canary_value(struct block *b)
{
	return CANARY ^ (uint64_t)(uintptr_t)b;
}

/* Puts a block on the sorted free list and merges it with adjacent free blocks. */
static void insert_free(struct block *b)
{
	struct block **link = &free_list, *prev = NULL;

	b->magic = MAGIC_FREE;
	free_bytes += b->size;
	while (*link && *link < b) {
		prev = *link;
		link = &(*link)->next;
	}
	b->next = *link;
	*link = b;
	if (b->next && (char *)b + b->size == (char *)b->next) {
		b->size += b->next->size;
		b->next = b->next->next;
	}
	if (prev && (char *)prev + prev->size == (char *)b) {
		prev->size += b->size;
		prev->next = b->next;
	}
}

static int grow(size_t need)
{
	size_t pages = (need + PAGE_SIZE - 1) / PAGE_SIZE;
	struct block *b;

	if (pages < CHUNK_PAGES)
		pages = CHUNK_PAGES;
	b = alloc_pages(pages);
	if (!b && pages > (need + PAGE_SIZE - 1) / PAGE_SIZE) {
		pages = (need + PAGE_SIZE - 1) / PAGE_SIZE;
		b = alloc_pages(pages);
	}
	if (!b)
		return -ENOMEM;
	b->size = pages * PAGE_SIZE;
	insert_free(b);
	return 0;
}

static struct block *take_first_fit(size_t need)
{
	struct block **link, *b, *rest;

	for (link = &free_list; *link; link = &(*link)->next) {
		b = *link;
		if (b->size < need)
			continue;
		if (b->size - need >= MIN_BLOCK) {
			rest = (struct block *)((char *)b + need);
			rest->magic = MAGIC_FREE;
			rest->size = b->size - need;
			rest->next = b->next;
			*link = rest;
			b->size = need;
		} else {
			*link = b->next;
		}
		free_bytes -= b->size;
		return b;
	}
	return NULL;
}

void *kmalloc(size_t size)
{
	struct block *b;
	uint64_t flags;
	size_t need;

	if (size > MAX_ALLOCATION)
		return NULL;
	need = (size + HEADER_SIZE + CANARY_SIZE + 15) & ~(size_t)15;
	if (need < MIN_BLOCK)
		need = MIN_BLOCK;

	flags = spin_lock_irqsave(&heap_lock);
	b = take_first_fit(need);
	if (!b && !grow(need))
		b = take_first_fit(need);
	if (b) {
		b->magic = MAGIC_USED;
		*canary_of(b) = canary_value(b);
	}
	spin_unlock_irqrestore(&heap_lock, flags);
	return b ? (char *)b + HEADER_SIZE : NULL;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

int kfree_checked(void *p)
{
	struct block *b = (struct block *)((char *)p - HEADER_SIZE);
	uint64_t addr = (uint64_t)(uintptr_t)p;
	uint64_t mem_limit = start_info ? start_info->mem_bytes : ~0ull;
	uint64_t flags;
	int ret = 0;

	if (!p)
		return 0;
	if (addr & 15 || addr < (uint64_t)(uintptr_t)__kernel_end + HEADER_SIZE ||
	    addr >= mem_limit)
		return -EINVAL;

	flags = spin_lock_irqsave(&heap_lock);
	/* Bound the size before using it to find the canary: it may be trampled too. */
	if (b->magic != MAGIC_USED || b->size < MIN_BLOCK || b->size & 15 ||
	    b->size > mem_limit - (uint64_t)(uintptr_t)b || *canary_of(b) != canary_value(b)) {
		ret = -EINVAL;
		goto out;
	}
	insert_free(b);
out:
	spin_unlock_irqrestore(&heap_lock, flags);
	return ret;
}

void kfree(void *p)
{
	if (kfree_checked(p))
		panic("kfree(%p): double free or heap corruption", p);
}

size_t heap_free_bytes(void)
{
	return free_bytes;
}
