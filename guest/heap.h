/* SPDX-License-Identifier: MIT */
/* kmalloc/kfree: a first-fit free list over chunks from the page allocator. */
#ifndef GUEST_HEAP_H
#define GUEST_HEAP_H

#include <stddef.h>

void heap_init(void);
/* 16-byte aligned memory, or NULL when the size is absurd or memory ran out. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
/* 0, or -EINVAL for a double free, a foreign pointer or a trampled block. */
int kfree_checked(void *p);
/* As kfree_checked, but a bad pointer is a kernel bug: panic. */
void kfree(void *p);
size_t heap_free_bytes(void);

#endif
